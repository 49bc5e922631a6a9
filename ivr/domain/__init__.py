"""Pure voice-navigation domain: the menu model and the navigation state machine (no I/O)."""
