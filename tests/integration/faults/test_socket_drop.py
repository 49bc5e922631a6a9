"""The ARI event WebSocket drops during a recorded call and the agent hangs up in the gap: nothing about it
is replayed. After the reconnect the call is ended for the caller too, the record closed, and the agent's
track — whose RecordingFinished nobody heard — is kept like the others."""

from __future__ import annotations

from sqlalchemy import select

from callflow.seat.orm import SeatCallRow
from tests.fakes.asterisk.parties import WaitUntilBridged, WaitUntilHungUp
from tests.integration.faults.nodes import Node, until


async def test_an_agent_who_hangs_up_while_the_socket_is_down_ends_the_call_and_no_track_is_lost(
    node: Node,
) -> None:
    phone = node.fake.add_endpoint("PJSIP/agent601", answer_after=1.0, script=[WaitUntilBridged(), WaitUntilHungUp()])
    node.agents.append("agent601")
    await node.start()
    fake, queue, recorder = node.fake, node.queue, node.recorder
    assert queue is not None and recorder is not None and node.controller is not None
    call = await node.caller([WaitUntilHungUp()], number="13800000601")
    assert await fake.wait_until(lambda: len(fake.live_recordings) == 3, 10)
    [call_id] = list(queue.callers)

    fake.refuse_websockets(True)
    await fake.drop_websockets()
    await fake.remote_hangup(phone.calls[-1].channel)  # the agent hangs up: its snoop and track end unheard
    assert await fake.wait_until(lambda: f"{call_id}-agent" not in fake.live_recordings, 5)
    fake.refuse_websockets(False)

    await call.finished(30)  # hung up by the controller once it is back and finds the agent gone
    await until(lambda: not queue.callers, 10, "the seat session to end")
    await queue.flush()
    await recorder.flush()
    async with node.sessions() as db:
        seat = (await db.execute(select(SeatCallRow))).scalar_one()
    assert seat.disposition == "answered" and seat.ended_by == "agent" and seat.ended_at is not None
    names = {f"{call_id}-mix", f"{call_id}-caller", f"{call_id}-agent"}
    kept = node.recordings
    assert kept is not None
    await until(lambda: {n for n, _, _ in kept.kept} == names, 5, "the three tracks kept")
    assert node.controller.stats.reconciles >= 2 and node.controller.stats.asterisk_restarts == 0
    await fake.wait_empty()
