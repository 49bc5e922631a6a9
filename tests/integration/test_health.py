"""The service starts on its embedded defaults and tells what it can and cannot reach."""

from __future__ import annotations

from hotline.app import create_app
from hotline.settings import Settings


async def test_healthz_reports_the_database(aiohttp_client, settings: Settings) -> None:
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/healthz")
    body = await resp.json()
    assert body["database"] == {"ok": True, "dialect": "sqlite"}
