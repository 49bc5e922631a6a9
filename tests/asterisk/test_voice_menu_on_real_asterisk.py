"""The voice menu on a real Asterisk 22: what the fake Asterisk promises, Asterisk itself does."""

from __future__ import annotations

import asyncio

from callflow.cli import run_call_test
from tests.asterisk.conftest import RealHotline


async def _our_channels(hotline: RealHotline, within_s: float = 5.0) -> list[str]:
    """The test call's channels still in Asterisk once their hang-up has had `within_s` to finish (a Local
    channel's second half is torn down asynchronously, just after the call test returns)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        left = [c["name"] for c in await hotline.client.list_channels() if "hotline-local" in c["name"]]
        if not left or loop.time() >= deadline:
            return left
        await asyncio.sleep(0.1)


async def test_a_caller_pressing_1_then_3_reaches_the_complaint_service(real_hotline: RealHotline) -> None:
    result = await run_call_test(real_hotline.client, real_hotline.settings.ari_app, ["1", "3"], key_gap_s=0.8)
    assert result.path is not None
    assert "main 按1 → goto:business" in result.path
    assert "business 按3 → route:complaint" in result.path
    assert result.destination == "complaint"
    assert result.service == "complaint"
    assert not result.hung_up
    assert result.ended_in is not None and result.ended_in["context"] in ("hotline-seat", "hotline-general")
    assert await _our_channels(real_hotline) == []


async def test_a_caller_choosing_another_line_is_sent_on_in_the_dialplan(real_hotline: RealHotline) -> None:
    result = await run_call_test(real_hotline.client, real_hotline.settings.ari_app, ["2"])
    assert result.path is not None and "main 按2" in result.path
    assert result.ended_in is not None and result.ended_in["context"] == "hotline-general"
    assert await _our_channels(real_hotline) == []


async def test_an_invalid_key_is_refused_and_the_next_key_still_counts(real_hotline: RealHotline) -> None:
    result = await run_call_test(
        real_hotline.client, real_hotline.settings.ari_app, ["1", "8", "5"], key_gap_s=1.5
    )
    assert result.path is not None
    assert "business 按8 → invalid" in result.path
    assert result.service == "suggestion"
    assert await _our_channels(real_hotline) == []


async def test_after_hours_the_caller_hears_the_closed_message_and_the_call_ends_cleanly(
    closed_real_hotline: RealHotline,
) -> None:
    from sqlalchemy import select

    from callflow.adapters.orm import CallRecordRow, VoiceMessageRow
    from hotline.db import make_engine, make_sessionmaker

    result = await run_call_test(
        closed_real_hotline.client, closed_real_hotline.settings.ari_app, [], settle_timeout_s=60
    )
    assert result.hung_up
    engine = make_engine(closed_real_hotline.settings.database_url)
    try:
        for _ in range(50):  # the record is written in the background, just after the hang-up
            async with make_sessionmaker(engine)() as session:
                records = (await session.execute(select(CallRecordRow))).scalars().all()
                messages = (await session.execute(select(VoiceMessageRow))).scalars().all()
            if records and records[0].ended_at is not None:
                break
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    assert len(records) == 1
    assert records[0].menu_path[0]["outcome"] == "closed"
    assert records[0].ended_at is not None
    # A Local channel carries no audio: Asterisk may keep an empty file or none (then no message is
    # stored); either way the call ends cleanly and nothing is left in Asterisk.
    assert len(messages) <= 1
    assert await _our_channels(closed_real_hotline) == []
