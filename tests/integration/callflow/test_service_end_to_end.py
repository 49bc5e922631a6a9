"""The service as `hotline serve` builds it (create_app, migrated database, shipped menu) takes calls."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from callflow.adapters.store import SqlCallRecordStore
from callflow.ari.events import Backoff
from callflow.web import ARI_BACKOFF, CLOCK, CONTROLLER
from hotline.app import SESSIONS, create_app
from hotline.db import upgrade_async
from hotline.settings import Settings
from ivr.session import OPEN_HOURS
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import Press, WaitForPlayback, WaitUntilHungUp
from tests.integration.callflow.support import TIME_FACTOR, FixedHours


async def test_the_served_app_runs_the_menu_and_keeps_the_record(
    aiohttp_client, settings: Settings, tmp_path: Path, menu_prompts: Path
) -> None:
    fake = FakeAsterisk(sounds={"hotline": menu_prompts}, recordings_dir=tmp_path / "spool", time_factor=TIME_FACTOR)
    await fake.start()
    try:
        settings = replace(settings, ari_url=fake.url, seat_context="business-seat", seat_extension="queue")
        await upgrade_async(settings.database_url)
        app = create_app(
            settings, {CLOCK: fake.clock, ARI_BACKOFF: Backoff(0.02, 0.1), OPEN_HOURS: FixedHours(open=True)}
        )
        client = await aiohttp_client(app)
        controller = app[CONTROLLER]
        await asyncio.wait_for(controller.events.connected.wait(), 5)

        call = await fake.place_call(
            number="13512345678",
            script=[WaitForPlayback("sound:hotline/greeting"), Press("1"),
                    WaitForPlayback("sound:hotline/business_menu"), Press("2"), WaitUntilHungUp()],
        )
        assert await fake.wait_until(lambda: call.dialplan is not None, 10), call.heard
        assert call.dialplan is not None
        assert (call.dialplan["context"], call.dialplan["exten"]) == ("business-seat", "queue")  # from settings
        assert call.channel.variables["HOTLINE_SERVICE"] == "matter_consultation"
        await fake.remote_hangup(call.channel)
        await asyncio.wait_for(controller.wait_finished(call.id), 5)

        record = await SqlCallRecordStore(app[SESSIONS]).by_channel(call.id)
        assert record is not None
        assert (record.caller_number, record.destination, record.disposition) == (
            "13512345678",
            "matter_consultation",
            "routed-to-seat",
        )
        await fake.wait_empty()
        assert not fake.violations and not fake.problems
        await client.close()  # stops the controller while Asterisk is still there
    finally:
        await fake.stop()
