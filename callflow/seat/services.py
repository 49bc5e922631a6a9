"""The seat queue on ARI (专席排队): `SeatQueue` implements the `SeatHandoff` port of the voice menu.

The menu hands a caller over with `enqueue`; from then on a `QueuedCallerSession` owns the caller's
channel (holding bridge with music on hold, position announcements, callback by keypad, overflow) and
an `AgentLegSession` owns each agent leg we originate. Seat-wide decisions (which agent rings for whom,
who wins when answers race) are taken by the pure `Seat` in one synchronous step; the sessions carry
them out on ARI. The queue also keeps the live statistics and persists what must be kept through the
`SeatStore` port (agent state changes, the seat part of call records, callback requests).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from callflow.ari.client import AriClient
from callflow.clock import Clock
from callflow.domain.call import CallRecord
from callflow.seat.bridged import BridgedCall
from callflow.seat.domain import Agent, AgentState, Ring, Seat, SeatRules, StateChange
from callflow.seat.records import CallbackRequest, SeatCall
from callflow.seat.reservations import MemorySeatReservations, SeatReservations
from callflow.seat.stats import HandledCall, QueueOutcome, SeatStatistics
from callflow.services import CallRecordStore, SeatRequest

if TYPE_CHECKING:
    from callflow.controller import Controller
    from callflow.seat.sessions import QueuedCallerSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeatPrompts:
    """Prompt names (under the menu's `sound:hotline/`), from the menu's `prompts:` section."""

    wait: str = "queue_wait"
    position_prefix: str = "queue_position_prefix"
    position_suffix: str = "queue_position_suffix"
    position_many: str = "queue_position_many"
    number: str = "number_{n}"
    """`number_1` … `number_10` (一 … 十); beyond `numbers_up_to` the position_many prompt is said."""
    numbers_up_to: int = 10
    expected_prefix: str = "queue_expected_prefix"
    expected_suffix: str = "queue_expected_suffix"
    """预计还需等待约 N 分钟 (N ≤ `numbers_up_to`; longer waits are not announced)."""
    callback_offer: str = "queue_callback_offer"
    callback_number_is: str = "callback_number_is"
    callback_confirm: str = "callback_confirm"
    callback_enter: str = "callback_enter_number"
    callback_registered: str = "callback_registered"
    transfer_general: str = "transfer_general"


@dataclass(frozen=True)
class SeatConfig:
    app: str = "hotline"
    ring_s: int = 15
    """Ring time per agent (the originate `timeout`), then the next agent."""
    announce_every_s: float = 30.0
    moh_class: str = "default"
    media_prefix: str = "sound:hotline/"
    overflow_context: str = "hotline-general"
    overflow_extension: str = "s"
    callback_offer_s: float = 8.0
    """After the overflow announcement: how long the caller has to press 1 for a callback."""
    digit_timeout_s: float = 10.0
    """Entering a callback number: the time allowed before the first digit and between two digits."""
    confirm_timeout_s: float = 8.0
    """After the number is read back: the time to press 1 or 2 (twice, then the overflow destination)."""
    held_elsewhere_retry_s: float = 5.0
    """An agent another controller holds (its claim failed) is tried again after this long."""
    rules: SeatRules = field(default_factory=SeatRules)
    prompts: SeatPrompts = field(default_factory=SeatPrompts)


class SeatStore(Protocol):
    """Persistence of the seat (SQLAlchemy adapter: `callflow.seat.store.SqlSeatStore`)."""

    async def record_changes(self, changes: list[StateChange]) -> None: ...

    async def save_member(self, agent: Agent) -> None: ...

    async def remove_member(self, agent_id: str) -> None: ...

    async def save_call(self, call: SeatCall) -> None: ...

    async def add_callback(self, request: CallbackRequest) -> int: ...

    async def callback_ordered(self, request_id: int, work_order: str) -> None: ...


class CallbackOrders(Protocol):
    """Turns a confirmed callback request into a callback work order (ticketing); returns its number."""

    async def create(self, request: CallbackRequest) -> str: ...


@dataclass
class MemorySeatStore:
    """Keeps everything in memory (bench, unit tests)."""

    changes: list[StateChange] = field(default_factory=list)
    members: dict[str, Agent] = field(default_factory=dict)
    calls: dict[str, SeatCall] = field(default_factory=dict)
    callbacks: list[CallbackRequest] = field(default_factory=list)

    async def record_changes(self, changes: list[StateChange]) -> None:
        self.changes.extend(changes)

    async def save_member(self, agent: Agent) -> None:
        self.members[agent.id] = agent

    async def remove_member(self, agent_id: str) -> None:
        self.members.pop(agent_id, None)

    async def save_call(self, call: SeatCall) -> None:
        self.calls[call.call_id] = call

    async def add_callback(self, request: CallbackRequest) -> int:
        self.callbacks.append(request)
        return len(self.callbacks)

    async def callback_ordered(self, request_id: int, work_order: str) -> None:
        self.callbacks[request_id - 1].work_order = work_order
        self.callbacks[request_id - 1].status = "ordered"


class SeatQueue:
    """The dedicated seat's queue. One per controller (per Asterisk node)."""

    def __init__(
        self,
        client: AriClient,
        controller: Controller,
        clock: Clock,
        store: SeatStore,
        *,
        config: SeatConfig | None = None,
        records: CallRecordStore | None = None,
        callback_orders: CallbackOrders | None = None,
        seat: Seat | None = None,
        reservations: SeatReservations | None = None,
    ) -> None:
        self.client = client
        self.controller = controller
        self.clock = clock
        self.store = store
        self.config = config or SeatConfig()
        self.records = records
        self.callback_orders = callback_orders
        self.seat = seat or Seat(rules=self.config.rules)
        self.reservations: SeatReservations = reservations or MemorySeatReservations()
        """Where agents are held across controllers: an agent is claimed there before it rings."""
        self._rings: dict[tuple[str, str], Ring] = {}
        """Rings decided but not yet claimed, by (agent, call)."""
        self._claimed: dict[str, str] = {}
        """agent → the call this controller holds it for."""
        self._agent_ops: dict[str, asyncio.Task[None]] = {}
        """The last claim/release of each agent: the next one waits for it (they run in decision order)."""
        self._retries: set[asyncio.TimerHandle] = set()
        self.stats = SeatStatistics()
        self.callers: dict[str, QueuedCallerSession] = {}
        self.stats_entered: dict[str, datetime] = {}
        """When each caller joined the queue (its place if it has to be put back)."""
        """Sessions of callers in the queue or in a bridged call, by call id."""
        self.bridged_call_hooks: list[Callable[[BridgedCall], None]] = []
        """Called with every new `BridgedCall` before it opens (attach on_answered/on_ended there)."""
        self.taken_over_hooks: list[Callable[[BridgedCall], Awaitable[None]]] = []
        """Called with every bridged call a restarted controller takes up (`callflow.seat.takeover`): it is
        answered already; pick up what you had started for it (e.g. recordings still running)."""
        self.changed = asyncio.Condition()
        """Notified after every change of the seat (tests and the bench wait on it)."""
        self._wrap_up: dict[str, asyncio.TimerHandle] = {}
        self._persisting: set[asyncio.Task[None]] = set()
        self._origin = clock.now()
        self._origin_mono = clock.monotonic()

    # --- the SeatHandoff port ---
    async def enqueue(self, call: SeatRequest, destination: str) -> None:
        """Take the caller from the menu: a queue session owns the channel from now on."""
        from callflow.seat.sessions import QueuedCallerSession

        previous = self.controller.session(call.channel_id)
        record = getattr(previous, "record", None)
        session = QueuedCallerSession(self, call, record if isinstance(record, CallRecord) else None)
        self.controller.adopt(session)

    # --- agents (API, CLI) ---
    def now(self) -> datetime:
        """Call-flow time as a datetime: wall time at start-up, then advancing on the clock's (scaled)
        time line, so waits, ring times and wrap-up are call-flow seconds in tests as in production."""
        return self._origin + timedelta(seconds=self.clock.monotonic() - self._origin_mono)

    async def add_member(self, agent_id: str, name: str = "", endpoint: str | None = None) -> Agent:
        agent = self.seat.add_member(agent_id, self.now(), name, endpoint)
        await self.store.save_member(agent)
        await self.changed_now()
        return agent

    async def remove_member(self, agent_id: str) -> Agent:
        agent = self.seat.remove_member(agent_id, self.now())
        await self.store.remove_member(agent_id)
        await self.changed_now()
        return agent

    async def login(self, agent_id: str, endpoint: str) -> Agent:
        agent = self.seat.login(agent_id, endpoint, self.now())
        await self.store.save_member(agent)
        await self.changed_now()
        return agent

    async def logout(self, agent_id: str) -> Agent:
        agent = self.seat.logout(agent_id, self.now())
        await self.store.save_member(agent)
        await self.changed_now()
        return agent

    async def pause(self, agent_id: str, reason: str) -> Agent:
        agent = self.seat.pause(agent_id, reason, self.now())
        await self.changed_now()
        return agent

    async def resume(self, agent_id: str) -> Agent:
        agent = self.seat.resume(agent_id, self.now())
        await self.changed_now()
        return agent

    # --- the queue's heartbeat ---
    async def changed_now(self) -> None:
        """Something changed: ring free agents for waiting callers, overflow the unstaffed, persist."""
        self.dispatch()
        async with self.changed:
            self.changed.notify_all()

    def dispatch(self) -> None:
        """Reserve agents for callers (pure decision) and tell each caller's session whom to ring."""
        now = self.now()
        for call_id, session in list(self.callers.items()):
            overflow = self.seat.overflow_due(call_id, now)
            if overflow is not None:  # out of the queue now, so no agent is reserved for it meanwhile
                self.wait_ended(session, "overflowed")
                session.post({"type": "SeatOverflow", "reason": overflow.reason})
        for ring in self.seat.assignments(now):
            ringing = self.callers.get(ring.call_id)
            if ringing is None:  # cannot happen: every waiting caller has a session; undo the reservation
                self.seat.ring_failed(ring.call_id, ring.agent_id, "no-session", now)
                continue
            self._rings[(ring.agent_id, ring.call_id)] = ring  # rung once claimed (`_claim_and_ring`)
        self._persist_changes()

    def _persist_changes(self) -> None:
        changes = self.seat.drain_changes()
        if changes:
            self._hold_agents(changes)
            self.track(asyncio.get_running_loop().create_task(self._write_changes(changes)))

    # --- reservations across controllers (the `SeatReservations` port) ---
    def _hold_agents(self, changes: list[StateChange]) -> None:
        """Claim an agent when it starts ringing, release it when it is free again — in the order the
        seat decided, one operation after the other per agent."""
        for change in changes:
            if change.state is AgentState.RINGING and change.reason is not None:
                self._agent_op(change.agent_id, self._claim_and_ring(change.agent_id, change.reason))
            elif change.state in (AgentState.AVAILABLE, AgentState.OFFLINE, AgentState.PAUSED):
                self._agent_op(change.agent_id, self._release(change.agent_id))

    def _agent_op(self, agent_id: str, op: Coroutine[Any, Any, None]) -> None:
        previous = self._agent_ops.get(agent_id)

        async def after_previous() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await op

        task = asyncio.get_running_loop().create_task(after_previous(), name=f"seat-hold-{agent_id}")
        self._agent_ops[agent_id] = task
        task.add_done_callback(lambda t: self._agent_ops.pop(agent_id, None) if self._agent_ops.get(agent_id) is t else None)
        self.track(task)

    async def _claim_and_ring(self, agent_id: str, call_id: str) -> None:
        ring = self._rings.pop((agent_id, call_id), None)
        try:
            claimed = await self.reservations.claim(agent_id, call_id)
        except Exception as exc:  # the database is away: callers are served on this node's word alone
            log.error("seat: agent %s rung for call %s without a shared claim (%s)", agent_id, call_id, exc)
            claimed = True
        agent = self.seat.agents.get(agent_id)
        session = self.callers.get(call_id)
        wanted = ring is not None and session is not None and agent is not None and agent.reserved_for == call_id
        if claimed and not wanted:  # the caller left (or took another agent) meanwhile
            self._claimed[agent_id] = call_id
            await self._release(agent_id)
            return
        if claimed:
            assert ring is not None and session is not None
            self._claimed[agent_id] = call_id
            session.post({"type": "SeatRing", "agent_id": ring.agent_id, "endpoint": ring.endpoint})
            return
        if wanted:  # another controller holds the agent: ring someone else, try this one again later
            assert agent is not None
            log.info("seat: agent %s is held elsewhere; call %s rings someone else", agent_id, call_id)
            now = self.now()
            self.seat.ring_failed(call_id, agent_id, "held-elsewhere", now)
            waiting = self.seat.caller(call_id)
            if waiting is not None:  # not "tried" for this caller: skipped by everyone for a while instead
                waiting.tried.pop(agent_id, None)
            retry = self.config.held_elsewhere_retry_s
            agent.skip_until = now + timedelta(seconds=retry)
            self._retry_after(retry)
            await self.changed_now()

    async def _release(self, agent_id: str) -> None:
        call_id = self._claimed.pop(agent_id, None)
        if call_id is None:
            return
        try:
            await self.reservations.release(agent_id, call_id)
        except Exception:
            log.exception("seat: agent %s still held for call %s (not released)", agent_id, call_id)

    def _retry_after(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._retries.discard(handle)
            self.track(loop.create_task(self.changed_now()))

        handle = loop.call_later(self.clock.real_seconds(seconds), fire)
        self._retries.add(handle)

    def resume_call(self, agent_id: str, call_id: str) -> None:
        """A restarted controller took up a bridged call (`callflow.seat.takeover`): its agent is on that
        call here too (a member again if need be), and stays held until the call and wrap-up are over."""
        now = self.now()
        agent = self.seat.agents.get(agent_id) or self.seat.add_member(agent_id, now)
        agent.reserved_for = call_id
        agent.state, agent.since, agent.reason = AgentState.ON_CALL, now, call_id
        self.seat.changes.append(StateChange(agent_id, AgentState.ON_CALL, now, call_id))
        self._claimed[agent_id] = call_id

    async def release_stale_reservations(self) -> list[str]:
        """After a restart: let go of agents this controller held for calls it no longer has."""
        keep = set(self.callers) | set(self._claimed.values())
        return await self.reservations.release_stale(keep)

    async def _write_changes(self, changes: list[StateChange]) -> None:
        try:
            await self.store.record_changes(changes)
        except Exception:
            log.exception("seat: %d agent state changes not saved", len(changes))

    def track(self, task: asyncio.Task[None]) -> None:
        """A write in flight that `flush` must wait for."""
        self._persisting.add(task)
        task.add_done_callback(self._persisting.discard)

    async def flush(self) -> None:
        """Wait until pending writes (state changes, call records) are done (tests, shutdown)."""
        while self._persisting:
            await asyncio.gather(*list(self._persisting), return_exceptions=True)

    # --- called by the sessions ---
    def caller_entered(self, session: QueuedCallerSession) -> None:
        self.callers[session.call_id] = session
        self.stats_entered[session.call_id] = self.now()
        self.seat.enqueue(session.call_id, session.channel_id, session.request.caller_number, self.now())
        self.stats.caller_entered(self.now())

    def wait_ended(self, session: QueuedCallerSession, outcome: str) -> tuple[str, ...]:
        """The caller leaves the queue (abandoned, overflowed, callback); returns agent legs to hang up."""
        release = self.seat.caller_left(session.call_id, self.now())
        self.stats.wait_ended(QueueOutcome(session.call_id, session.seat_call.queued_at, self.now(), outcome))
        return release

    def answered(self, session: QueuedCallerSession, agent_id: str) -> tuple[str, ...] | None:
        """An agent answered for this caller; None when that agent lost (hang its leg up)."""
        result = self.seat.answer(session.call_id, agent_id, self.now())
        if result is None:
            return None
        self.stats.wait_ended(QueueOutcome(session.call_id, session.seat_call.queued_at, self.now(), "answered"))
        return result.release

    def requeue(self, session: QueuedCallerSession, agent_id: str) -> None:
        """The answering agent vanished before the bridge: back in the queue at the caller's old place."""
        entered = self.stats_entered.get(session.call_id, session.seat_call.queued_at)
        self.seat.requeue(
            session.call_id, session.channel_id, session.request.caller_number, entered, agent_id, self.now()
        )
        self.stats.outcomes = type(self.stats.outcomes)(
            o for o in self.stats.outcomes if not (o.call_id == session.call_id and o.outcome == "answered")
        )

    def call_ended(self, session: QueuedCallerSession, agent_id: str, talk_s: float) -> None:
        """The bridged call is over: the agent wraps up, then is available again."""
        now = self.now()
        self.seat.call_ended(agent_id, now)
        wrap_up = self.config.rules.wrap_up_s
        self.stats.call_handled(HandledCall(session.call_id, now, talk_s, wrap_up))
        if wrap_up > 0:
            loop = asyncio.get_running_loop()
            self._wrap_up[agent_id] = loop.call_later(
                self.clock.real_seconds(wrap_up), lambda: loop.create_task(self._wrap_up_done(agent_id))
            )

    async def _wrap_up_done(self, agent_id: str) -> None:
        self._wrap_up.pop(agent_id, None)
        if self.seat.wrap_up_done(agent_id, self.now()):
            await self.changed_now()

    def forget(self, session: QueuedCallerSession) -> None:
        if self.callers.get(session.call_id) is session:
            del self.callers[session.call_id]
        self.stats_entered.pop(session.call_id, None)

    async def request_callback(self, session: QueuedCallerSession, number: str) -> CallbackRequest:
        """Store a confirmed callback request and turn it into a callback work order when ticketing is wired."""
        request = CallbackRequest(
            call_id=session.call_id,
            caller_number=session.request.caller_number,
            callback_number=number,
            requested_at=self.now(),
            service=session.request.service,
        )
        request.id = await self.store.add_callback(request)
        if self.callback_orders is not None:
            try:
                request.work_order = await self.callback_orders.create(request)
                request.status = "ordered"
                await self.store.callback_ordered(request.id, request.work_order)
            except Exception:
                log.exception("call %s: callback request %s kept as new; no work order yet", session.call_id, request.id)
        return request

    def expected_wait_s(self, call_id: str) -> float | None:
        position = self.seat.position(call_id)
        return None if position is None else self.stats.expected_wait_s(self.seat, position)

    def snapshot(self) -> dict[str, object]:
        return self.stats.snapshot(self.seat, self.now())

    def close(self) -> None:
        for handle in self._wrap_up.values():
            handle.cancel()
        self._wrap_up.clear()
        for retry in self._retries:
            retry.cancel()
        self._retries.clear()
