"""The dedicated seat's queue through the fake Asterisk: every scenario ends with nothing left in Asterisk."""

from __future__ import annotations

from dataclasses import replace

from tests.fakes.asterisk.parties import HangUp, Wait, WaitUntilBridged, WaitUntilHungUp
from tests.integration.callflow.seat.seat_fixtures import TEST_CONFIG, SeatLine


async def test_a_waiting_caller_hears_music_and_position_then_the_agent_answers(seat_line: SeatLine) -> None:
    seat_line.configure(replace(TEST_CONFIG, ring_s=40))
    phone = await seat_line.agent("agent101", answer_after=30.0, script=[WaitUntilBridged(), Wait(20), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    await seat_line.until(lambda: call.music_on_hold == "default", what="music on hold")
    await seat_line.until(lambda: "sound:hotline/queue_wait" in call.heard, what="the position prompt")
    row = await seat_line.finished(call)
    assert row.disposition == "answered"
    assert row.agent_id == "agent101"
    assert row.ended_by == "agent"
    assert row.wait_s is not None and 25 <= row.wait_s <= 40
    assert row.talk_s is not None and 15 <= row.talk_s <= 30
    assert len(phone.calls) == 1
    await seat_line.empty()
