"""The controller process is killed mid-call; Asterisk keeps the calls. A new controller reconciles from
Asterisk and the database, takes the calls up, keeps their recordings (never a second one of the same
name) and closes their records when they end: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from callflow.adapters.orm import CallRecordRow
from callflow.seat.expert import ExpertCalls, ExpertContact
from callflow.seat.orm import SeatCallRow
from tests.fakes.asterisk.parties import Call, HangUp, Wait, WaitUntilBridged, WaitUntilHungUp
from tests.integration.faults.nodes import Node, until


async def settle(node: Node) -> None:
    queue = node.queue
    assert queue is not None and node.recorder is not None
    await until(lambda: not queue.callers, 10, "the seat sessions to end")
    async with asyncio.timeout(20):  # a write that never ends fails here, named, instead of hanging
        await queue.flush()
    await node.recorder.flush()


async def only_call(node: Node) -> tuple[CallRecordRow, SeatCallRow]:
    async with node.sessions() as db:
        [seat] = (await db.execute(select(SeatCallRow))).scalars().all()
        record = await db.get(CallRecordRow, seat.call_id)
    assert record is not None
    return record, seat


def seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


async def test_a_recorded_call_survives_the_controller_and_is_recorded_once_to_the_end(node: Node) -> None:
    node.add_agent("agent101", answer_after=1.0, script=[WaitUntilBridged(), Wait(30), HangUp()])
    await node.start()
    fake = node.fake
    call = await node.caller([WaitUntilHungUp()], number="13800000001")
    assert await fake.wait_until(lambda: len(fake.live_recordings) == 3, 10), "mix + caller + agent tracks"
    assert node.queue is not None
    await node.queue.flush()  # the answered call's records are written (milliseconds after the answer)

    await node.kill()  # mid-call: caller and agent go on talking, the recordings go on
    await asyncio.sleep(0.1)  # 5 s of call-flow time without a controller
    assert call.alive and call.channel.bridge is not None and len(fake.live_recordings) == 3
    await node.start()

    await call.finished(30)
    await settle(node)
    record, seat = await only_call(node)
    call_id = seat.call_id
    assert node.takeover is not None and node.takeover.taken_over == [call_id]
    assert seat.disposition == "answered" and seat.agent_id == "agent101" and seat.ended_by == "agent"
    assert seat.ended_at is not None and seat.talk_s is not None and seat.talk_s >= 28
    assert record.ended_at is not None and record.channel_id == call.id
    names = {f"{call_id}-mix", f"{call_id}-caller", f"{call_id}-agent"}
    started = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/record")]
    assert sorted(r.query.get("name") for r in started) == sorted(names), "each track started once"
    assert names <= set(fake.stored_recordings)
    assert seconds(fake.stored_recordings[f"{call_id}-mix"]) >= 28, "the mix covers the whole talk"
    kept = node.recordings
    assert kept is not None
    await until(lambda: sorted(n for n, _, _ in kept.kept) == sorted(names), 5, "the three tracks kept")
    bridge_deletes = [r for r in fake.requests if r.method == "DELETE" and r.path.endswith(f"seat-call-{call_id}")]
    assert len(bridge_deletes) == 1, "the bridge lived until the call ended"
    await fake.wait_empty()


async def test_a_caller_waiting_in_the_queue_is_taken_up_and_answered(node: Node) -> None:
    phone = node.fake.add_endpoint("PJSIP/agent201", answer_after=8.0, script=[WaitUntilBridged(), Wait(3), HangUp()])
    node.agents.append("agent201")
    await node.start()
    fake = node.fake
    call = await node.caller([WaitUntilHungUp()], number="13800000002")
    assert await fake.wait_until(lambda: len(phone.calls) == 1, 10), "the agent's phone rings"
    assert node.queue is not None
    await node.queue.flush()

    await node.kill()  # while the agent's phone rings and the caller hears music on hold
    await node.start()

    await call.finished(30)
    await settle(node)
    _, seat = await only_call(node)
    assert [r["outcome"] for r in seat.rung] == ["controller-restart", "answered"]
    assert seat.disposition == "answered" and seat.agent_id == "agent201" and seat.ended_at is not None
    first_leg = phone.calls[0]
    assert not first_leg.alive and len(phone.calls) == 2, "the leg rung by the dead controller was hung up"
    assert call.music_on_hold is None
    await fake.wait_empty()


@dataclass
class OnDuty:
    """The expert directory as `knowledge` would answer it."""

    experts: list[ExpertContact]

    async def candidates(self, topic: str) -> Sequence[ExpertContact]:
        return list(self.experts)


EXPERT = ExpertContact(201, "王专家", "PJSIP/expert201")


async def expert_call(node: Node, *, join: bool) -> tuple[Call, str, Call]:
    """A caller bridged with agent501, an expert rung and answering; joined to a conference if `join`."""
    node.add_agent("agent501", answer_after=1.0, script=[WaitUntilBridged(), Wait(90), HangUp()])
    expert_phone = node.fake.add_endpoint("PJSIP/expert201", answer_after=2.0)
    await node.start()
    assert node.queue is not None
    experts = ExpertCalls(node.queue, OnDuty([EXPERT]), ring_s=30)
    fake = node.fake
    call = await node.caller([WaitUntilHungUp()], number="13800000009")
    assert await fake.wait_until(lambda: len(fake.live_recordings) == 3, 10)
    [call_id] = list(node.queue.callers)
    await experts.start(call_id, "营业执照")
    await until(lambda: experts.calls[call_id].stage == "consulting", 10, "the expert to answer")
    if join:
        await experts.join(call_id)
        await until(lambda: experts.calls[call_id].stage == "conference", 10, "the conference")
    await node.queue.flush()
    return call, call_id, expert_phone.calls[-1]


def bridge_members(node: Node, call_id: str) -> set[str]:
    bridge = node.fake.bridges.get(f"hotline-seat-call-{call_id}")
    return set() if bridge is None else {c.id for c in bridge.channels}


@pytest.mark.parametrize("join", [True, False], ids=["in-conference", "consulting"])
async def test_a_three_way_call_survives_the_controller_and_ends_whole_when_the_agent_hangs_up(
    node: Node, join: bool
) -> None:
    call, call_id, expert = await expert_call(node, join=join)
    assert (call.id in bridge_members(node, call_id)) == join  # consulting: the caller waits on hold

    await node.kill()
    await node.start()

    # taken up as a three-way call: a consulting caller is put back with the agent and the expert
    await until(lambda: call.id in bridge_members(node, call_id) and expert.channel.id in bridge_members(node, call_id),
                10, "all three in the bridge")
    assert call.music_on_hold is None
    await call.finished(30)  # the agent hangs up after 90 s: the whole call ends
    await settle(node)
    assert not expert.alive
    record, seat = await only_call(node)
    assert seat.disposition == "answered" and seat.ended_by == "agent" and seat.ended_at is not None
    assert record.ended_at is not None
    legs = {leg["role"] for leg in seat.legs}
    assert {"caller", "agent", "expert"} <= legs
    started = [r for r in node.fake.requests if r.method == "POST" and r.path.endswith("/record")]
    assert len(started) == 3, "the three tracks were started once, before the restart"
    kept = node.recordings
    assert kept is not None
    await until(lambda: len(kept.kept) == 3, 5, "the three tracks kept")  # RecordingFinished may come last
    await node.fake.wait_empty()


async def test_a_caller_who_hangs_up_while_no_controller_listens_still_gets_a_closed_record_and_kept_tracks(
    node: Node,
) -> None:
    phone = node.fake.add_endpoint("PJSIP/agent701", answer_after=1.0, script=[WaitUntilBridged(), WaitUntilHungUp()])
    node.agents.append("agent701")
    await node.start()
    fake = node.fake
    call = await node.caller([WaitUntilHungUp()], number="13800000007")
    assert await fake.wait_until(lambda: len(fake.live_recordings) == 3, 10)
    assert node.queue is not None
    await node.queue.flush()

    await node.kill()
    await fake.remote_hangup(call.channel)  # nobody hears it
    await node.start()

    await phone.calls[-1].finished(30)  # the agent is hung up by the new controller
    await settle(node)
    record, seat = await only_call(node)
    assert seat.disposition == "answered" and seat.ended_by == "caller" and seat.ended_at is not None
    assert record.ended_at is not None
    kept = node.recordings
    assert kept is not None
    await until(lambda: len(kept.kept) == 3, 5, "the three tracks kept")
    await fake.wait_empty()
