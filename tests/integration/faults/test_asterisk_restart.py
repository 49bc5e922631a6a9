"""Asterisk restarts under a live call: the event WebSocket closes, nothing is replayed and every channel is
gone when the controller is back. The app is registered again, the vanished call's records are closed with
a clear reason, its recordings (cut at the restart) are kept, and the seat serves the next caller."""

from __future__ import annotations

from sqlalchemy import select

from callflow.adapters.orm import CallRecordRow
from callflow.seat.domain import AgentState
from callflow.seat.orm import SeatCallRow
from tests.fakes.asterisk.parties import HangUp, Wait, WaitUntilBridged, WaitUntilHungUp
from tests.integration.faults.nodes import Node, until


async def test_a_call_that_vanishes_with_asterisk_is_closed_its_recordings_kept_and_the_seat_goes_on(
    node: Node,
) -> None:
    node.add_agent("agent301", answer_after=1.0, script=[WaitUntilBridged(), Wait(30), HangUp()])
    await node.start()
    fake, controller, queue = node.fake, node.controller, node.queue
    assert controller is not None and queue is not None and node.recorder is not None
    call = await node.caller([WaitUntilHungUp()], number="13800000003")
    assert await fake.wait_until(lambda: len(fake.live_recordings) == 3, 10)
    await queue.flush()
    async with node.sessions() as db:
        [seat] = (await db.execute(select(SeatCallRow))).scalars().all()
    call_id = seat.call_id

    await fake.restart()  # the socket closes; when the controller is back, Asterisk has nothing
    await fake.wait_for_app("hotline")
    await until(lambda: controller.stats.asterisk_restarts == 1, 10, "the restart to be noticed")
    await until(lambda: not queue.callers, 10, "the vanished call's session to end")
    await queue.flush()
    await node.recorder.flush()

    async with node.sessions() as db:
        seat = await db.get(SeatCallRow, call_id)
        record = (await db.execute(select(CallRecordRow).where(CallRecordRow.id == call_id))).scalar_one()
    assert seat is not None and seat.disposition == "answered" and seat.ended_by == "asterisk-restart"
    assert seat.ended_at is not None and record.ended_at is not None
    names = {f"{call_id}-mix", f"{call_id}-caller", f"{call_id}-agent"}
    assert names <= set(fake.stored_recordings), "the files Asterisk cut at the restart are still there"
    kept = node.recordings
    assert kept is not None
    await until(lambda: {n for n, _, _ in kept.kept} == names, 5, "the three tracks kept")
    assert queue.seat.agents["agent301"].state in (AgentState.WRAP_UP, AgentState.AVAILABLE)

    after = await node.caller([WaitUntilHungUp()], number="13800000004")  # the line works again
    await after.finished(30)
    await until(lambda: not queue.callers, 10, "the next call to end")
    await queue.flush()
    async with node.sessions() as db:
        rows = {r.caller_number: r for r in (await db.execute(select(SeatCallRow))).scalars()}
    assert rows["13800000004"].disposition == "answered" and rows["13800000004"].agent_id == "agent301"
    assert not call.alive
    await fake.wait_empty()
