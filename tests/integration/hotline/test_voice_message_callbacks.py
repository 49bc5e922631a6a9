"""A voice message left after hours becomes exactly one callback work order (留言 → 回拨工单)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from callflow.adapters.orm import VoiceMessageRow
from callflow.ari.events import Backoff
from callflow.voice_messages import PendingVoiceMessage, VoiceMessagePickup
from callflow.web import ARI_BACKOFF, CLOCK, CONTROLLER
from hotline.app import SESSIONS, create_app
from hotline.callbacks import VOICE_MESSAGE_PICKUP
from hotline.db import upgrade_async
from hotline.settings import Settings
from ivr.session import OPEN_HOURS
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import Press, Speak, WaitForPlayback
from tests.integration.callflow.support import TIME_FACTOR, FixedHours, write_prompt
from ticketing.adapters.orm import WorkOrderRow
from ticketing.background import BACKGROUND


class BrokenDrafts:
    """A ticketing side that is down: every draft fails."""

    def __init__(self) -> None:
        self.tried: list[int] = []

    async def draft_for_voice_message(self, message: PendingVoiceMessage) -> str:
        self.tried.append(message.id)
        raise ConnectionError("database of work orders unreachable")


async def test_an_after_hours_message_becomes_one_callback_draft_even_if_picked_up_twice(
    aiohttp_client, settings: Settings, tmp_path: Path, menu_prompts: Path
) -> None:
    fake = FakeAsterisk(sounds={"hotline": menu_prompts}, recordings_dir=tmp_path / "spool", time_factor=TIME_FACTOR)
    await fake.start()
    try:
        settings = replace(settings, ari_url=fake.url)
        await upgrade_async(settings.database_url)
        app = create_app(
            settings,
            {CLOCK: fake.clock, ARI_BACKOFF: Backoff(0.02, 0.1), OPEN_HOURS: FixedHours(open=False), BACKGROUND: False},
        )
        client = await aiohttp_client(app)
        await asyncio.wait_for(app[CONTROLLER].events.connected.wait(), 5)
        said = tmp_path / "caller-says.wav"
        write_prompt(said, 2.0)

        call = await fake.place_call(
            number="13912345678",
            script=[WaitForPlayback("sound:hotline/closed", started=False), Speak(said), Press("#")],
        )
        await asyncio.wait_for(app[CONTROLLER].wait_finished(call.id), 10)

        sessions = app[SESSIONS]
        failing = VoiceMessagePickup(sessions, BrokenDrafts())
        assert await failing.run_once() == 0  # nothing drafted, nothing lost
        async with sessions() as s:
            (message,) = (await s.execute(select(VoiceMessageRow))).scalars().all()
        assert message.status == "new"

        pickup = app[VOICE_MESSAGE_PICKUP]
        assert await pickup.run_once() == 1
        # a crash after drafting but before marking: the message is picked up again, no second order
        async with sessions.begin() as s:
            row = await s.get(VoiceMessageRow, message.id)
            assert row is not None and row.status == "drafted"
            row.status = "new"
        assert await pickup.run_once() == 1
        assert await pickup.run_once() == 0

        async with sessions() as s:
            orders = (await s.execute(select(WorkOrderRow))).scalars().all()
        assert len(orders) == 1
        (order,) = orders
        assert (order.state, order.source, order.caller_phone) == ("draft", "voice_message", "13912345678")
        assert order.call_id == message.call_id
        assert order.recording == message.recording_name
        assert "非工作时间留言" in (order.content or "")
        await fake.wait_empty()
        assert not fake.violations and not fake.problems
        await client.close()
    finally:
        await fake.stop()
