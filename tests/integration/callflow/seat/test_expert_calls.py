"""Recording of bridged calls and three-way calls with experts, through the fake Asterisk.

Every scenario ends with nothing left in Asterisk: no channel, bridge, snoop, playback or recording.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from callflow.seat.domain import AgentState
from callflow.seat.expert import ExpertCall, ExpertCalls, ExpertContact, NoExpertOnDuty, WrongStage
from callflow.seat.recording import CallRecorder
from callflow.seat.sessions import QueuedCallerSession
from hotline.db import Base
from recordings.adapters.ari_fetch import AriStoredRecordings
from recordings.adapters.orm import RecordingAccessRow, RecordingPurgeRow, RecordingRow
from recordings.adapters.store import RecordingStore
from recordings.services import RecordingService
from tests.fakes.asterisk.parties import Call, Endpoint, Wait, WaitUntilBridged, WaitUntilHungUp
from tests.integration.callflow.seat.seat_fixtures import SeatLine


class NoWorkOrders:
    async def units_for_call(self, call_id: str) -> frozenset[int]:
        return frozenset()


@dataclass
class OnDuty:
    """The expert directory as `knowledge` would answer: on-duty experts, each followed by their backup."""

    experts: list[ExpertContact]

    async def candidates(self, topic: str) -> Sequence[ExpertContact]:
        return list(self.experts)


@dataclass
class ThreeWay:
    line: SeatLine
    recorder: CallRecorder
    experts: ExpertCalls
    directory: OnDuty
    recordings: RecordingService

    async def bridged(self, phone: Endpoint | None = None) -> tuple[Call, QueuedCallerSession]:
        """A caller answered by the agent, talking in the mixing bridge (recordings running)."""
        call = await self.line.caller([WaitUntilBridged(), WaitUntilHungUp()])

        def talking() -> bool:
            return any(
                s.channel_id == call.id and s.stage == "bridged" and s.holding_bridge is None
                for s in self.line.queue.callers.values()
            )

        await self.line.until(talking, what="caller and agent in the mixing bridge")
        [session] = [s for s in self.line.queue.callers.values() if s.channel_id == call.id]
        await self.line.until(lambda: len(self.line.fake.live_recordings) == 3, what="three recordings")
        return call, session

    async def stage(self, call_id: str, stage: str) -> ExpertCall:
        await self.line.until(lambda: self.experts.calls[call_id].stage == stage, what=f"expert stage {stage}")
        return self.experts.calls[call_id]

    def in_bridge(self, session: QueuedCallerSession) -> set[str]:
        assert session.bridged is not None
        bridge = self.line.fake.bridges.get(session.bridged.bridge_id)
        return set() if bridge is None else {c.id for c in bridge.channels}

    async def hang_up(self, phone: Endpoint) -> None:
        await self.line.fake.remote_hangup(phone.calls[-1].channel)


@pytest.fixture
async def three_way(seat_line: SeatLine, tmp_path: Path) -> AsyncIterator[ThreeWay]:
    sessions = seat_line.hotline.store.sessions
    tables = [RecordingRow.__table__, RecordingAccessRow.__table__, RecordingPurgeRow.__table__]
    async with sessions.kw["bind"].begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))
    service = RecordingService(
        sessions,
        RecordingStore(tmp_path / "kept"),
        NoWorkOrders(),
        source=AriStoredRecordings(seat_line.hotline.client, delete_after_fetch=False),
    )
    recorder = CallRecorder(seat_line.queue, service)
    directory = OnDuty([])
    experts = ExpertCalls(seat_line.queue, directory, ring_s=30)
    yield ThreeWay(seat_line, recorder, experts, directory, service)
    await recorder.flush()


EXPERT = ExpertContact(201, "王专家", "PJSIP/expert201")
BACKUP = ExpertContact(202, "李专家", "PJSIP/expert202", backup_for=201)


async def test_a_bridged_call_is_recorded_mixed_and_per_party_and_kept_by_the_recordings_service(
    three_way: ThreeWay,
) -> None:
    line = three_way.line
    await line.agent("agent131", answer_after=1.0, script=[WaitUntilBridged(), Wait(6), WaitUntilHungUp()])
    call, session = await three_way.bridged()
    snoops = [c for c in line.fake.channels.values() if c.name.startswith("Snoop/")]
    assert len(snoops) == 2 and {c.id for c in snoops} <= session.helper_channels
    await line.fake.clock.sleep(4)
    await line.hotline.hang_up(call)
    await line.finished(call)
    names = {f"{session.call_id}-{kind}" for kind in ("mix", "caller", "agent")}
    await line.until(lambda: len(three_way.recorder.registered) == 3, what="three recordings registered")
    assert names <= set(line.fake.stored_recordings)
    async with line.hotline.store.sessions() as db:
        rows = (await db.execute(select(RecordingRow).where(RecordingRow.call_id == session.call_id))).scalars().all()
    assert {(r.name, r.kind) for r in rows} == {(n, n.rsplit("-", 1)[1]) for n in names}
    mix = next(r for r in rows if r.name.endswith("-mix"))
    assert mix.duration_s is not None and mix.duration_s >= 3.5  # answer to hang-up
    await line.empty()


async def test_consult_join_and_the_agent_leaves_the_caller_and_expert_talk_on_still_recorded(
    three_way: ThreeWay,
) -> None:
    line = three_way.line
    three_way.directory.experts = [EXPERT]
    phone = await line.agent("agent141", answer_after=1.0)
    expert_phone = line.fake.add_endpoint("PJSIP/expert201", answer_after=3.0)
    call, session = await three_way.bridged()
    agent_leg = session.bridged.agent.channel_id if session.bridged else ""

    started = await three_way.experts.start(session.call_id, "营业执照")
    assert started.stage == "ringing" and call.music_on_hold == "default"
    expert = await three_way.stage(session.call_id, "consulting")
    assert expert.expert_leg is not None
    assert three_way.in_bridge(session) == {agent_leg, expert.expert_leg.channel_id}  # the caller hears music

    await three_way.experts.join(session.call_id)
    assert three_way.in_bridge(session) == {call.id, agent_leg, expert.expert_leg.channel_id}
    assert call.music_on_hold is None

    await three_way.experts.leave(session.call_id)
    await line.until(lambda: not phone.calls[0].alive, what="the agent's phone hung up")
    assert three_way.in_bridge(session) == {call.id, expert.expert_leg.channel_id}
    assert f"{session.call_id}-mix" in line.fake.live_recordings  # still recorded
    assert line.queue.seat.agents["agent141"].state is AgentState.WRAP_UP
    await line.fake.clock.sleep(2)
    assert call.alive

    await line.hotline.hang_up(call)
    row = await line.finished(call)
    assert not expert_phone.calls[0].alive
    roles = [leg["role"] for leg in row.legs]
    assert roles == ["caller", "agent", "expert", "expert-attempt"]
    assert row.legs[3]["outcome"] == "answered" and row.legs[3]["who"] == "王专家"
    await line.until(lambda: len(three_way.recorder.registered) == 3, what="recordings registered")
    await line.empty()


async def test_an_expert_who_does_not_answer_in_30_seconds_gives_way_to_the_backup(three_way: ThreeWay) -> None:
    line = three_way.line
    three_way.directory.experts = [EXPERT, BACKUP]
    phone = await line.agent("agent151", answer_after=1.0)
    line.fake.add_endpoint("PJSIP/expert201", answer_after=None)
    line.fake.add_endpoint("PJSIP/expert202", answer_after=2.0)
    call, session = await three_way.bridged()
    await three_way.experts.start(session.call_id, "税务")
    expert = await three_way.stage(session.call_id, "consulting")
    assert [(a.expert.name, a.outcome) for a in expert.attempts] == [("王专家", "no-answer"), ("李专家", "answered")]
    rung = [a.answered_at or a.ended_at for a in expert.attempts]
    assert rung[0] is not None and (rung[0] - expert.attempts[0].rung_at).total_seconds() >= 29
    await three_way.hang_up(phone)  # the agent hangs up while consulting: the whole call ends
    row = await line.finished(call)
    assert row.ended_by == "agent"
    assert [leg["outcome"] for leg in row.legs if leg["role"] == "expert-attempt"] == ["no-answer", "answered"]
    await line.empty()


async def test_nobody_answering_brings_the_caller_back_and_the_agent_is_told(three_way: ThreeWay) -> None:
    line = three_way.line
    three_way.directory.experts = [EXPERT]
    await line.agent("agent161", answer_after=1.0)
    line.fake.add_endpoint("PJSIP/expert201", busy=True)
    call, session = await three_way.bridged()
    await three_way.experts.start(session.call_id, "税务")
    expert = await three_way.stage(session.call_id, "no-answer")
    assert "王专家" in expert.message and "工单" in expert.message
    await line.until(lambda: call.id in three_way.in_bridge(session), what="the caller back with the agent")
    assert call.music_on_hold is None
    with pytest.raises(WrongStage):
        await three_way.experts.join(session.call_id)
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()


async def test_with_no_expert_on_duty_the_agent_is_told_and_the_caller_stays(three_way: ThreeWay) -> None:
    line = three_way.line
    await line.agent("agent171", answer_after=1.0)
    call, session = await three_way.bridged()
    with pytest.raises(NoExpertOnDuty) as told:
        await three_way.experts.start(session.call_id, "不动产登记")
    assert told.value.error_id == "expert-none-on-duty" and "工单" in str(told.value)
    assert three_way.experts.state(session.call_id)["stage"] == "no-expert"  # type: ignore[index]
    assert call.id in three_way.in_bridge(session) and call.music_on_hold is None
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()


async def test_cancel_hangs_up_the_expert_and_returns_the_caller(three_way: ThreeWay) -> None:
    line = three_way.line
    three_way.directory.experts = [EXPERT]
    await line.agent("agent181", answer_after=1.0)
    expert_phone = line.fake.add_endpoint("PJSIP/expert201", answer_after=1.0)
    call, session = await three_way.bridged()
    await three_way.experts.start(session.call_id, "税务")
    await three_way.stage(session.call_id, "consulting")
    await three_way.experts.cancel(session.call_id)
    await line.until(lambda: not expert_phone.calls[0].alive, what="the expert hung up")
    agent_leg = session.bridged.agent.channel_id if session.bridged else ""
    assert three_way.in_bridge(session) == {call.id, agent_leg}
    assert call.music_on_hold is None
    await line.hotline.hang_up(call)
    row = await line.finished(call)
    assert [leg["role"] for leg in row.legs] == ["caller", "agent", "expert", "expert-attempt"]
    await line.empty()


@pytest.mark.parametrize(
    ("stage", "who"),
    [
        ("ringing", "caller"),
        ("ringing", "agent"),
        ("consulting", "caller"),
        ("consulting", "expert"),
        ("conference", "agent"),
        ("conference", "expert"),
        ("agent-left", "expert"),
    ],
)
async def test_a_hang_up_at_any_stage_leaves_nothing_behind(three_way: ThreeWay, stage: str, who: str) -> None:
    line = three_way.line
    three_way.directory.experts = [EXPERT]
    phone = await line.agent("agent191", answer_after=1.0)
    expert_phone = line.fake.add_endpoint("PJSIP/expert201", answer_after=None if stage == "ringing" else 1.0)
    call, session = await three_way.bridged()
    await three_way.experts.start(session.call_id, "税务")
    if stage == "ringing":
        ringing = three_way.experts.calls[session.call_id].attempts[0].channel_id
        await line.until(lambda: ringing in line.fake.channels, what="the expert's phone ringing")
    else:
        await three_way.stage(session.call_id, "consulting")
    if stage in ("conference", "agent-left"):
        await three_way.experts.join(session.call_id)
    if stage == "agent-left":
        await three_way.experts.leave(session.call_id)
    if who == "caller":
        await line.hotline.hang_up(call)
    elif who == "agent":
        await three_way.hang_up(phone)
    else:
        await three_way.hang_up(expert_phone)
        if stage != "agent-left":  # caller and agent talk on, then the caller hangs up
            await three_way.stage(session.call_id, "expert-left")
            await line.until(lambda: call.id in three_way.in_bridge(session), what="caller with the agent")
            await line.hotline.hang_up(call)
    await line.finished(call)
    assert all(not c.alive for c in phone.calls + expert_phone.calls)
    await line.empty()


async def test_an_expert_answering_while_the_event_socket_is_down_is_joined_after_the_reconnect(
    three_way: ThreeWay,
) -> None:
    line = three_way.line
    three_way.directory.experts = [EXPERT]
    await line.agent("agent211", answer_after=1.0)
    line.fake.add_endpoint("PJSIP/expert201", answer_after=3.0)
    call, session = await three_way.bridged()
    await three_way.experts.start(session.call_id, "税务")
    ringing = three_way.experts.calls[session.call_id].attempts[0].channel_id
    line.fake.refuse_websockets(True)
    await line.fake.drop_websockets()
    await line.until(
        lambda: ringing in line.fake.channels and line.fake.channels[ringing].state == "Up", what="the answer"
    )
    line.fake.refuse_websockets(False)
    expert = await three_way.stage(session.call_id, "consulting")
    assert expert.expert_leg is not None and expert.expert_leg.channel_id == ringing
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()
