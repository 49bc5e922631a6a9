"""Pure knowledge-base and expert-directory rules: no asyncio, no I/O."""
