"""Pure survey rules: reply parsing, wording and sending policy (no I/O)."""
