"""Three-way calls with experts (三方通话): consult privately, join all three, the agent may leave.

`ExpertCalls` is attached to the `SeatQueue` (a bridged-call hook). For one bridged call the agent asks
for an expert on a topic: the caller leaves the mixing bridge and hears music on hold on their own
channel, the expert's contact is rung (originate into our app, `appArgs=expert`, 30 s), and once
the expert answers they join the agent in the mixing bridge (consulting, 咨询). Then:
`join` brings the caller back (conference, 三方), `leave` lets the agent go (caller and expert go on,
the bridge still recorded), `cancel` hangs up the expert leg and brings the caller back.
No answer → the next candidate (the backup expert, 备岗) → none left: the agent is told (stage
`no-answer`) and the caller is back with the agent. Every attempt is kept on the call record.

Events of an expert leg arrive in its own `ExpertLegSession`; they, the API and the end of the call
are serialised by one lock per expert call.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from callflow.ari.errors import AriError, NotFound
from callflow.seat.bridged import BridgedCall, Leg
from callflow.seat.domain import SeatError
from callflow.seat.hold import hold_caller, resume_caller
from callflow.seat.legs import OriginatedLeg
from callflow.session import Event

if TYPE_CHECKING:
    from callflow.seat.services import SeatQueue
    from callflow.seat.sessions import QueuedCallerSession

log = logging.getLogger(__name__)

EXPERT_ARGS = "expert"


# --- errors (stable error ids for the API) ---
class ExpertCallError(SeatError):
    error_id = "expert-call-error"
    status = 409


class NoBridgedCall(ExpertCallError):
    error_id = "expert-no-call"
    status = 404


class ExpertCallBusy(ExpertCallError):
    error_id = "expert-call-busy"


class WrongStage(ExpertCallError):
    error_id = "expert-wrong-stage"


class NoExpertOnDuty(ExpertCallError):
    error_id = "expert-none-on-duty"


# --- the directory port ---
@dataclass(frozen=True)
class ExpertContact:
    """Whom to ring: an expert of the directory (专家库) with their dial string."""

    expert_id: int | None
    name: str
    contact: str
    backup_for: int | None = None


class ExpertDirectory(Protocol):
    """On-duty experts for a topic in calling order, each followed by their backup (knowledge's `pick`)."""

    async def candidates(self, topic: str) -> Sequence[ExpertContact]: ...


@dataclass
class ExpertAttempt:
    """One expert rung for the call, and what came of it."""

    expert: ExpertContact
    channel_id: str
    rung_at: datetime
    outcome: str = "ringing"
    """ringing → answered | no-answer | busy | unreachable | cancelled | call-ended."""
    answered_at: datetime | None = None
    ended_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "role": "expert-attempt",
            "channel_id": self.channel_id,
            "who": self.expert.name,
            "expert_id": self.expert.expert_id,
            "contact": self.expert.contact,
            "backup_for": self.expert.backup_for,
            "rung_at": self.rung_at.isoformat(),
            "outcome": self.outcome,
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
        }


@dataclass
class ExpertCall:
    """The expert part of one bridged call (专家三方通话)."""

    call: BridgedCall
    topic: str
    stage: str = "ringing"
    """ringing → consulting → conference → agent-left; or no-expert, no-answer, cancelled,
    expert-left (the expert hung up), ended (the whole call ended)."""
    attempts: list[ExpertAttempt] = field(default_factory=list)
    pending: list[ExpertContact] = field(default_factory=list)
    expert_leg: Leg | None = None
    caller_on_hold: bool = False
    message: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def ringing(self) -> ExpertAttempt | None:
        last = self.attempts[-1] if self.attempts else None
        return last if last is not None and last.outcome == "ringing" else None

    def as_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call.call_id,
            "topic": self.topic,
            "stage": self.stage,
            "message": self.message,
            "caller_on_hold": self.caller_on_hold,
            "expert": self.expert_leg.as_json() if self.expert_leg else None,
            "attempts": [a.as_json() for a in self.attempts],
        }


class ExpertCalls:
    """Expert calls of every bridged call of one `SeatQueue`."""

    def __init__(self, queue: SeatQueue, directory: ExpertDirectory, *, ring_s: int = 30) -> None:
        self.queue = queue
        self.client = queue.client
        self.app = queue.config.app
        self.directory = directory
        self.ring_s = ring_s
        self.bridged: dict[str, BridgedCall] = {}
        """Bridged calls in progress, by call id."""
        self.calls: dict[str, ExpertCall] = {}
        """The latest expert call of each call id (kept after the end for the record)."""
        queue.bridged_call_hooks.append(self.attach)

    def attach(self, call: BridgedCall) -> None:
        self.bridged[call.call_id] = call
        call.on_ended.append(self._call_ended)

    def state(self, call_id: str) -> dict[str, Any] | None:
        expert = self.calls.get(call_id)
        return None if expert is None else expert.as_json()

    def agent_of(self, call_id: str) -> str | None:
        call = self.bridged.get(call_id)
        return None if call is None else call.agent.who

    # --- the agent's commands (API) ---
    async def start(self, call_id: str, topic: str) -> ExpertCall:
        """Put the caller on hold and ring the first on-duty expert for `topic`."""
        call = self._bridged(call_id)
        current = self.calls.get(call_id)
        if current is not None and current.stage in ("ringing", "consulting", "conference", "agent-left"):
            raise ExpertCallBusy(f"本通话已有专家通话（{current.stage}）(an expert call is in progress)")
        expert = ExpertCall(call, topic)
        self.calls[call_id] = expert
        async with expert.lock:
            candidates = list(await self.directory.candidates(topic))
            if not candidates:
                expert.stage = "no-expert"
                expert.message = f"「{topic}」暂无在岗专家，可转为工单处理 (no expert on duty)"
                self._record(expert)
                raise NoExpertOnDuty(expert.message)
            expert.pending = candidates
            try:
                await self._hold_caller(expert)
                await self._ring_next(expert)
            except AriError:  # a party hung up meanwhile: the call is ending; nothing to resume
                expert.stage = "ended"
                expert.pending.clear()
                await self._drop_expert(expert, "call-ended")
                raise
            return expert

    async def join(self, call_id: str) -> ExpertCall:
        """Consulting → all three in one bridge."""
        expert = self._expert(call_id)
        async with expert.lock:
            self._require(expert, "consulting")
            await self._unhold_caller(expert)
            expert.stage = "conference"
            self._record(expert)
            return expert

    async def leave(self, call_id: str) -> ExpertCall:
        """The agent leaves the conference: caller and expert talk on (still recorded); the agent wraps up."""
        expert = self._expert(call_id)
        async with expert.lock:
            self._require(expert, "conference")
            call = expert.call
            session = self._session(call_id)
            now = self.queue.now()
            call.data["agent_released"] = True  # the caller's session must not end the call for it
            call.left(call.agent.channel_id, now)
            expert.stage = "agent-left"
            if session is not None:
                session.helper_channels.discard(call.agent.channel_id)
                self.queue.call_ended(session, call.agent.who, call.talk_s)
            await self.client.hangup_if_present(call.agent.channel_id)
            self._record(expert)
            await self.queue.changed_now()
            return expert

    async def cancel(self, call_id: str) -> ExpertCall:
        """Hang up the expert leg (ringing or talking) and bring the caller back to the agent."""
        expert = self._expert(call_id)
        async with expert.lock:
            self._require(expert, "ringing", "consulting", "conference")
            expert.stage = "cancelled"
            expert.pending.clear()
            await self._drop_expert(expert, "cancelled")
            await self._unhold_caller(expert)
            self._record(expert)
            return expert

    # --- the expert leg (events from ExpertLegSession) ---
    async def leg_answered(self, expert: ExpertCall, attempt: ExpertAttempt) -> None:
        async with expert.lock:
            if attempt.outcome != "ringing" or expert.stage != "ringing" or expert.call.ended_at is not None:
                await self._hangup_leg(expert, attempt.channel_id)
                return
            now = self.queue.now()
            attempt.outcome = "answered"
            attempt.answered_at = now
            leg = Leg("expert", attempt.channel_id, attempt.expert.name, now)
            expert.expert_leg = leg
            expert.stage = "consulting"
            await expert.call.add_leg(leg)
            self._record(expert)

    async def leg_gone(self, expert: ExpertCall, attempt: ExpertAttempt, why: str) -> None:
        async with expert.lock:
            now = self.queue.now()
            self._release_leg(expert, attempt.channel_id)
            if attempt.ended_at is None:
                attempt.ended_at = now
            if attempt.outcome == "ringing":  # no answer (or refused): try the next one
                attempt.outcome = why
                if expert.stage == "ringing":
                    await self._ring_next(expert)
                self._record(expert)
                return
            leg = expert.expert_leg
            if leg is None or leg.channel_id != attempt.channel_id or leg.left_at is not None:
                return  # we hung it up ourselves (cancel, end of call)
            expert.call.left(leg.channel_id, now)
            if expert.stage == "agent-left":  # only the caller was left with the expert: the call is over
                expert.stage = "ended"
                await self.client.hangup_if_present(expert.call.caller.channel_id)
            elif expert.stage in ("consulting", "conference"):
                expert.stage = "expert-left"
                await self._unhold_caller(expert)
            self._record(expert)

    # --- the end of the whole call (BridgedCall.on_ended) ---
    async def _call_ended(self, call: BridgedCall) -> None:
        self.bridged.pop(call.call_id, None)
        expert = self.calls.get(call.call_id)
        if expert is None or expert.call is not call:
            return
        async with expert.lock:
            if expert.stage in ("ringing", "consulting", "conference", "agent-left"):
                expert.stage = "ended"
            expert.pending.clear()
            await self._drop_expert(expert, "call-ended")
            expert.caller_on_hold = False
            for attempt in expert.attempts:
                self._release_leg(expert, attempt.channel_id)
            self._record(expert)

    # --- helpers ---
    async def _ring_next(self, expert: ExpertCall) -> None:
        """Ring the next candidate; none left → the caller is back with the agent, who is told."""
        while expert.pending:
            contact = expert.pending.pop(0)
            channel_id = f"{self.app}-expert-{uuid.uuid4().hex[:16]}"
            attempt = ExpertAttempt(contact, channel_id, self.queue.now())
            expert.attempts.append(attempt)
            session = self._session(expert.call.call_id)
            if session is not None:
                session.helper_channels.add(channel_id)
            leg = ExpertLegSession(self, expert, attempt)
            self.queue.controller.adopt(leg)
            try:
                await self.client.request(
                    "POST",
                    f"/channels/{channel_id}",
                    {
                        "endpoint": contact.contact,
                        "app": self.app,
                        "appArgs": EXPERT_ARGS,
                        "callerId": expert.call.caller.who or None,
                        "timeout": self.ring_s,
                    },
                )
            except AriError as exc:  # e.g. the endpoint does not exist
                log.warning("call %s: expert %s unreachable: %s", expert.call.call_id, contact.name, exc)
                attempt.outcome = "unreachable"
                attempt.ended_at = self.queue.now()
                self._release_leg(expert, channel_id)
                leg.close()
                continue
            self._record(expert)
            return
        expert.stage = "no-answer"
        tried = "、".join(a.expert.name for a in expert.attempts)
        expert.message = f"专家（{tried}）均未接听，可转为工单处理 (no expert answered)"
        await self._unhold_caller(expert)
        self._record(expert)

    async def _hold_caller(self, expert: ExpertCall) -> None:
        """The caller leaves the mixing bridge and hears music on hold (the agent talks to the expert)."""
        expert.caller_on_hold = True
        await hold_caller(self.client, expert.call, self.queue.config.moh_class)

    async def _unhold_caller(self, expert: ExpertCall) -> None:
        if not expert.caller_on_hold or expert.call.ended_at is not None:
            return
        call = expert.call
        expert.caller_on_hold = False
        try:
            await resume_caller(self.client, call)
        except AriError as exc:  # the caller hung up meanwhile: their session ends the call
            log.info("call %s: caller not brought back (%s)", call.call_id, exc)

    async def _drop_expert(self, expert: ExpertCall, outcome: str) -> None:
        """Hang up the ringing or talking expert leg (we do it: its end is not news)."""
        now = self.queue.now()
        ringing = expert.ringing
        if ringing is not None:
            ringing.outcome = outcome
            ringing.ended_at = now
            await self._hangup_leg(expert, ringing.channel_id)
        leg = expert.expert_leg
        if leg is not None and leg.left_at is None:
            expert.call.left(leg.channel_id, now)
            for attempt in expert.attempts:
                if attempt.channel_id == leg.channel_id and attempt.ended_at is None:
                    attempt.ended_at = now
            await self._hangup_leg(expert, leg.channel_id)

    async def _hangup_leg(self, expert: ExpertCall, channel_id: str) -> None:
        try:
            await self.client.hangup_if_present(channel_id)
        except AriError as exc:
            log.warning("call %s: could not hang up expert leg %s: %s", expert.call.call_id, channel_id, exc)
        self._release_leg(expert, channel_id)

    def _release_leg(self, expert: ExpertCall, channel_id: str) -> None:
        session = self._session(expert.call.call_id)
        if session is not None:
            session.helper_channels.discard(channel_id)

    def _record(self, expert: ExpertCall) -> None:
        """Every expert leg on the call record, now (the caller's session writes it in the background)."""
        attempts = [a.as_json() for a in expert.attempts]
        expert.call.data["expert_attempts"] = attempts
        session = self._session(expert.call.call_id)
        if session is not None and not session.finished:
            session.seat_call.legs = [leg.as_json() for leg in expert.call.legs] + attempts
            session._save()

    def _session(self, call_id: str) -> QueuedCallerSession | None:
        return self.queue.callers.get(call_id)

    def _bridged(self, call_id: str) -> BridgedCall:
        call = self.bridged.get(call_id)
        if call is None or call.ended_at is not None:
            raise NoBridgedCall(f"通话 {call_id} 不在坐席通话中 (no bridged call)")
        return call

    def _expert(self, call_id: str) -> ExpertCall:
        expert = self.calls.get(call_id)
        if expert is None:
            raise WrongStage(f"通话 {call_id} 没有专家通话 (no expert call)")
        return expert

    @staticmethod
    def _require(expert: ExpertCall, *stages: str) -> None:
        if expert.stage not in stages:
            raise WrongStage(
                f"专家通话处于「{expert.stage}」，此操作需要 {'/'.join(stages)} (wrong stage); {expert.message}".rstrip("; ")
            )


class ExpertLegSession(OriginatedLeg):
    """A leg we originate to an expert: answer and hang-up go to `ExpertCalls` (专家呼叫腿)."""

    def __init__(self, calls: ExpertCalls, expert: ExpertCall, attempt: ExpertAttempt) -> None:
        super().__init__(attempt.channel_id, [EXPERT_ARGS], calls.queue.clock, calls.client)
        self.calls = calls
        self.expert = expert
        self.attempt = attempt
        self.gone = False

    async def resume(self, channel: Event | None) -> None:
        """After a reconnect: did the leg answer, or end, while we could not hear? (A ringing leg is
        not in the app yet, so `channel` is None for it: ask Asterisk.)"""
        try:
            current = await self.calls.client.get_channel(self.channel_id)
        except NotFound:
            await (self.on_StasisEnd({"type": "StasisEnd"}) if self.answered else self._gone("no-answer"))
            return
        if not self.answered and current.get("state") == "Up":
            await self.on_StasisStart({"type": "StasisStart"})

    async def on_StasisStart(self, event: Event) -> None:
        self.answered = True
        await self.calls.leg_answered(self.expert, self.attempt)

    async def on_StasisEnd(self, event: Event) -> None:
        await self._gone("hung-up")

    async def on_ChannelDestroyed(self, event: Event) -> None:
        await self._gone(self.ring_failure(event))

    async def _gone(self, why: str) -> None:
        if not self.gone:
            self.gone = True
            await self.calls.leg_gone(self.expert, self.attempt, why)
        self.finish()
