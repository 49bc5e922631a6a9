"""Adapters: the Twilio gateway, the local outbox and the aiohttp webhooks."""
