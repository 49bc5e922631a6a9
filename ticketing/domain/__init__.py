"""Pure work-order domain: no asyncio, no I/O."""
