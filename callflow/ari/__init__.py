"""Our thin asyncio ARI client: REST (`client.py`) and the event WebSocket (`events.py`). See docs/ari-client.md."""
