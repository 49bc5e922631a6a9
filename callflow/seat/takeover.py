"""Taking up the seat's calls after a controller restart (接管): Asterisk kept them, we carry on.

When the controller process dies, Asterisk keeps every channel, bridge and recording. The new
controller's reconcile (`Controller.reconcilers`) calls `SeatTakeover` with what Asterisk has, before it
would treat the callers as new menu calls and our bridges and snoops as orphans:

- a mixing bridge `<app>-seat-call-<call>`: the bridged call goes on. The caller's channel gets a
  `TakenOverCaller` (stage `bridged`), the agent's leg an answered `AgentLegSession`, experts in the bridge
  are extra legs; the agent is on that call in the seat again (`SeatQueue.resume_call`), and the
  `SeatQueue.taken_over_hooks` pick up what they had started: the `CallRecorder` takes the recordings still
  running (`<call>-mix`, `-caller`, `-agent`) as they are — never started a second time. When anyone hangs up the call ends as usual: legs hung up, bridge destroyed,
  recordings stopped and registered, the call record and its seat part closed. A party who left while
  no controller listened ends the call at once (the caller gone: `caller`; the agent gone: `agent`).
- a holding bridge `<app>-seat-hold-<call>`: the caller goes back into the queue (at its end: the
  position is not kept) on a fresh holding bridge with music on hold; the seat record keeps the first
  arrival time and the agents rung so far.
- agent and expert legs that belong to no taken-up call (ringing when the controller died) are hung up;
  the caller they rang for is rung again by the new queue.

Then this controller's stale agent holds (calls that ended while it was away) are released.
A consultation (caller on hold, agent and expert in the bridge) is taken up as a three-way call: the
caller is put back into the bridge, so nobody waits on hold for a controller that is gone.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, overload

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.adapters.store import SqlCallRecordStore
from callflow.ari.errors import AriError
from callflow.domain.call import CallRecord
from callflow.seat.bridged import BridgedCall, Leg
from callflow.seat.orm import SeatCallRow
from callflow.seat.records import SeatCall
from callflow.seat.sessions import AgentLegSession, QueuedCallerSession
from callflow.services import SeatRequest
from callflow.session import Event

if TYPE_CHECKING:
    from callflow.seat.services import SeatQueue

log = logging.getLogger(__name__)


class SeatCallLookup(Protocol):
    """The call's records as the dead controller last wrote them."""

    async def seat_call(self, call_id: str) -> SeatCall | None: ...

    async def call_record(self, call_id: str) -> CallRecord | None: ...


class SqlSeatCallLookup:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def call_record(self, call_id: str) -> CallRecord | None:
        return await SqlCallRecordStore(self.sessions).get(call_id)

    async def seat_call(self, call_id: str) -> SeatCall | None:
        async with self.sessions() as db:
            row = await db.get(SeatCallRow, call_id)
        if row is None:
            return None
        return SeatCall(
            call_id=row.call_id, caller_number=row.caller_number, queued_at=_aware(row.queued_at),
            destination=row.destination, answered_at=_aware(row.answered_at), agents=list(row.agents or []),
            rung=[dict(r) for r in row.rung or []], legs=[dict(leg) for leg in row.legs or []],
            disposition=row.disposition, overflow_reason=row.overflow_reason,
        )


class TakenOverCaller(QueuedCallerSession):
    """A caller whose bridged call a previous controller started (stage `bridged` from the first event)."""

    def __init__(
        self, queue: SeatQueue, request: SeatRequest, record: CallRecord | None, seat_call: SeatCall,
        call: BridgedCall, caller_present: bool, agent_present: bool,
    ) -> None:
        super().__init__(queue, request, record)
        self.seat_call = seat_call
        self.stage = "bridged"
        self.bridged = call
        self.bridges.add(call.bridge_id)
        self.helper_channels |= {leg.channel_id for leg in call.legs if leg.role != "caller" and leg.channel_id}
        self.caller_present = caller_present
        self.agent_present = agent_present

    async def start(self, resumed: bool = False) -> None:
        self._save()
        if not self.caller_present:  # the caller hung up while no controller listened
            await self.on_StasisEnd({"type": "StasisEnd", "channel": {"id": self.channel_id}})
        elif not self.agent_present:  # the agent did
            assert self.bridged is not None
            await self.on_SeatAgentLeft({"type": "SeatAgentLeft", "channel_id": self.bridged.agent.channel_id})


class SeatTakeover:
    """Registered as a `Controller` reconciler by the seat's wiring."""

    def __init__(self, queue: SeatQueue, lookup: SeatCallLookup | None = None) -> None:
        self.queue = queue
        self.lookup = lookup
        self.app = queue.config.app
        self.taken_over: list[str] = []
        """Call ids taken up (bridged or queued), for the log and tests."""
        queue.controller.reconcilers.append(self.take_over)

    async def take_over(self, channels: dict[str, Event], bridges: dict[str, Event], unowned: set[str]) -> None:
        owned = {b for w in self.queue.controller.workers.values() for b in w.session.bridges}
        call_prefix, hold_prefix = f"{self.app}-seat-call-", f"{self.app}-seat-hold-"
        taken: set[str] = set()
        for bridge_id in sorted(set(bridges) - owned):  # bridged calls first: their agents are busy
            if bridge_id.startswith(call_prefix):
                taken |= await self._bridged(bridge_id[len(call_prefix):], bridges[bridge_id], channels)
        for bridge_id in sorted(set(bridges) - owned):
            if bridge_id.startswith(hold_prefix):
                taken |= await self._queued(bridge_id[len(hold_prefix):], bridges[bridge_id], channels)
        for channel_id in sorted(channels):
            if self._is_leg(channel_id) and channel_id not in taken and not self._owned(channel_id):
                log.info("take-over: hanging up leg %s (its call was not taken up)", channel_id)
                await self.queue.client.hangup_if_present(channel_id)
        try:
            released = await self.queue.release_stale_reservations()
        except Exception as exc:  # the database is away: the holds are released at the next reconcile
            log.warning("take-over: stale agent holds not released (%s)", exc)
            return
        if released:
            log.info("take-over: agents %s held for calls that ended meanwhile are free again", released)

    def _is_leg(self, channel_id: str) -> bool:
        return channel_id.startswith((f"{self.app}-seat-", f"{self.app}-expert-"))

    def _owned(self, channel_id: str) -> bool:
        return any(
            channel_id == w.session.channel_id or channel_id in w.session.helper_channels
            for w in self.queue.controller.workers.values()
        )

    async def _request(self, call_id: str, caller: Event | None, record: CallRecord | None,
                       seat_call: SeatCall | None, channel_id: str) -> SeatRequest:
        number = (seat_call.caller_number if seat_call else "") or str((caller or {}).get("caller", {}).get("number", ""))
        return SeatRequest(
            channel_id=channel_id, call_id=call_id, caller_number=number,
            destination=(seat_call.destination if seat_call else "") or (record.destination if record else "") or "",
            service=record.service if record else None, path_text="",
        )

    async def _stored(self, call_id: str) -> SeatCall | None:
        if self.lookup is None:
            return None
        try:
            return await self.lookup.seat_call(call_id)
        except Exception:
            log.exception("take-over: the seat record of %s could not be read", call_id)
            return None

    async def _record(self, channel_id: str) -> CallRecord | None:
        if self.queue.records is None or not channel_id:
            return None
        try:
            return await self.queue.records.find_open(channel_id)
        except Exception:
            log.exception("take-over: the call record of %s could not be read", channel_id)
            return None

    def _caller_channel(self, members: list[str], channels: dict[str, Event], seat_call: SeatCall | None) -> str:
        """The caller is the one party in the call that is neither our leg nor a snoop."""
        for channel_id in members:
            name = str(channels.get(channel_id, {}).get("name", ""))
            if not self._is_leg(channel_id) and not name.startswith("Snoop/"):
                return channel_id
        return ""

    async def _bridged(self, call_id: str, bridge: Event, channels: dict[str, Event]) -> set[str]:
        members = [str(c) for c in bridge.get("channels", [])]
        seat_call = await self._stored(call_id)
        caller_id = self._caller_channel(members, channels, seat_call)
        record = await self._record(caller_id)
        if not caller_id:  # the caller is not in the bridge: the record names their channel
            record = await self._stored_record(call_id)
            caller_id = record.channel_id if record is not None else ""
            if caller_id in channels:  # consulting: on hold outside the bridge
                await self._back_into_bridge(call_id, caller_id, str(bridge["id"]))
        if seat_call is not None and not seat_call.agents:  # died before writing the answer: who is held?
            ringing = [str(r["agent"]) for r in seat_call.rung if r.get("outcome") == "ringing"]
            seat_call.agents = await self._held_for(call_id) or ringing[-1:]
            seat_call.answered_at = seat_call.answered_at or self.queue.now()
            seat_call.disposition = "answered"
        if not caller_id or seat_call is None or not seat_call.agents:
            log.warning("take-over: bridge %s has no known caller or agent; left to reconcile", bridge["id"])
            return set()
        agent_id = seat_call.agents[0]
        agent_legs = [c for c in members if c.startswith(f"{self.app}-seat-")]
        experts = [c for c in members if c.startswith(f"{self.app}-expert-")]
        now = self.queue.now()
        answered = seat_call.answered_at or now
        call = BridgedCall(
            self.queue.client, call_id, str(bridge["id"]),
            caller=Leg("caller", caller_id, seat_call.caller_number, answered),
            agent=Leg("agent", agent_legs[0] if agent_legs else "", agent_id, answered),
            extra_legs=[Leg("expert", e, str(channels[e].get("caller", {}).get("number", "")), now) for e in experts],
        )
        request = await self._request(call_id, channels.get(caller_id), record, seat_call, caller_id)
        session = TakenOverCaller(
            self.queue, request, record, seat_call, call,
            caller_present=caller_id in channels, agent_present=bool(agent_legs),
        )
        self.queue.callers[call_id] = session
        self.queue.resume_call(agent_id, call_id)
        for hook in self.queue.taken_over_hooks:
            try:
                await hook(call)
            except Exception:
                log.exception("take-over: a hook failed for call %s", call_id)
        if agent_legs:
            leg = AgentLegSession(session, agent_legs[0], agent_id)
            leg.answered = True
            self.queue.controller.adopt(leg)
        self.queue.controller.adopt(session)
        self.taken_over.append(call_id)
        log.info("take-over: bridged call %s (agent %s, %d experts) carries on", call_id, agent_id, len(experts))
        return {caller_id, *agent_legs, *experts}

    async def _held_for(self, call_id: str) -> list[str]:
        try:
            holders = await self.queue.reservations.holders()
        except Exception:
            log.exception("take-over: agent holds unknown")
            return []
        return [agent for agent, (call, _) in holders.items() if call == call_id]

    async def _stored_record(self, call_id: str) -> CallRecord | None:
        if self.lookup is None:
            return None
        try:
            return await self.lookup.call_record(call_id)
        except Exception:
            log.exception("take-over: the call record of %s could not be read", call_id)
            return None

    async def _back_into_bridge(self, call_id: str, caller_id: str, bridge_id: str) -> None:
        log.info("take-over: call %s was consulting an expert; the caller joins the bridge", call_id)
        try:
            await self.queue.client.request("DELETE", f"/channels/{caller_id}/moh")
        except AriError:
            pass
        await self.queue.client.request("POST", f"/bridges/{bridge_id}/addChannel", {"channel": caller_id})

    async def _queued(self, call_id: str, bridge: Event, channels: dict[str, Event]) -> set[str]:
        members = [str(c) for c in bridge.get("channels", [])]
        seat_call = await self._stored(call_id)
        caller_id = self._caller_channel(members, channels, seat_call)
        await self.queue.client.destroy_bridge(str(bridge["id"]))  # a fresh one: the new session makes it
        if not caller_id:
            return set()
        record = await self._record(caller_id)
        request = await self._request(call_id, channels.get(caller_id), record, seat_call, caller_id)
        session = QueuedCallerSession(self.queue, request, record)
        if seat_call is not None:  # keep the caller's place (arrival time) and the agents tried so far
            session.seat_call.queued_at = _earliest(seat_call.queued_at, session.seat_call.queued_at)
            session.seat_call.rung = [
                dict(r, outcome="controller-restart") if r.get("outcome") == "ringing" else dict(r)
                for r in seat_call.rung
            ]
        self.queue.controller.adopt(session)
        self.taken_over.append(call_id)
        log.info("take-over: call %s waits in the queue again", call_id)
        return {caller_id}


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives the UTC times back without their zone."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _earliest(a: datetime, b: datetime) -> datetime:
    return a if a <= b else b
