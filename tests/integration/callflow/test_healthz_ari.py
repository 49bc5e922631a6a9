"""/healthz tells the ARI connection's state; the service serves even while Asterisk is unreachable."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from callflow.ari.events import Backoff
from callflow.web import ARI_BACKOFF, CLOCK, CONTROLLER
from hotline.app import create_app
from hotline.settings import Settings
from tests.fakes.asterisk.fake import FakeAsterisk


async def test_healthz_shows_ari_connected_then_reconnecting_since_when_asterisk_goes_away(
    aiohttp_client, settings: Settings, tmp_path: Path
) -> None:
    fake = FakeAsterisk(recordings_dir=tmp_path / "spool", time_factor=0.02)
    await fake.start()
    app = create_app(
        replace(settings, ari_url=fake.url), {CLOCK: fake.clock, ARI_BACKOFF: Backoff(0.02, 0.1)}
    )
    client = await aiohttp_client(app)
    events = app[CONTROLLER].events
    await asyncio.wait_for(events.connected.wait(), 5)

    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 200 and body["ok"] is True
    assert body["ari"]["ok"] is True and body["ari"]["state"] == "connected"
    assert body["ari"]["url"] == fake.url and body["ari"]["calls"] == 0

    before = datetime.fromisoformat(body["ari"]["since"])
    await fake.stop()
    await asyncio.wait_for(events.disconnected.wait(), 5)
    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 200, "the HTTP status is the database's; ARI is reported in the body"
    assert body["database"]["ok"] is True
    assert body["ari"]["ok"] is False and body["ari"]["state"] == "reconnecting"
    assert datetime.fromisoformat(body["ari"]["since"]) >= before
    assert "error" in body["ari"]


async def test_the_service_starts_and_serves_while_asterisk_is_unreachable(aiohttp_client, settings: Settings) -> None:
    app = create_app(settings, {ARI_BACKOFF: Backoff(0.02, 0.1)})  # settings point ARI at port 9: nobody
    client = await aiohttp_client(app)
    await asyncio.wait_for(app[CONTROLLER].events.disconnected.wait(), 5)
    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 200
    assert body["ari"]["state"] == "reconnecting" and body["ari"]["ok"] is False
    assert "127.0.0.1:9" in body["ari"]["url"]
