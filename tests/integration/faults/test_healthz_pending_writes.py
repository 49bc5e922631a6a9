"""The service shows its pending writes in /healthz, and turns unhealthy while writes wait for the database."""

from __future__ import annotations

from typing import Any

from callflow.adapters.pending_writes import PENDING_WRITES
from hotline.app import create_app
from hotline.settings import Settings


async def test_healthz_shows_the_pending_writes_and_fails_while_some_wait(aiohttp_client: Any, settings: Settings) -> None:
    client = await aiohttp_client(create_app(settings))
    body = await (await client.get("/healthz")).json()
    assert body["pending_writes"]["ok"] and body["pending_writes"]["waiting"] == 0

    pending = client.app[PENDING_WRITES]

    async def database_away() -> None:
        raise ConnectionRefusedError("the database is away")

    await pending.write(("call-record", "c1"), database_away)
    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 503 and not body["ok"]
    assert body["pending_writes"]["waiting"] == 1 and "database is away" in body["pending_writes"]["last_error"]
    pending.waiting.clear()  # (the test's write can never land; the app's cleanup would log it as lost)
