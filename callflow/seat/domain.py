"""The dedicated seat (专席) as pure rules: agents and their states, the waiting callers, who rings whom.

No asyncio and no I/O. `Seat` decides; the queue service (`callflow.seat.services`) does what it
decides on ARI. Every decision is made in one synchronous step, so when answers race the first one
to arrive wins and the rest are told they lost:

- an agent is reserved for exactly one caller while their phone rings (`Agent.reserved_for`);
- a caller may ring several agents at once only when `ring_parallel` > 1 (a "ring all" group), and
  the first agent to answer takes the caller; the other ringing legs are released to be hung up;
- the agent rung first is the longest-idle available agent (the one whose last call ended longest ago).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class SeatError(Exception):
    """A request the seat refuses; `error_id` is stable for the API."""

    error_id = "seat-error"
    status = 400


class UnknownAgent(SeatError):
    error_id = "seat-unknown-agent"
    status = 404

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"坐席 {agent_id} 不是专席成员 (agent {agent_id} is not a member of the seat)")


class AgentBusy(SeatError):
    error_id = "seat-agent-busy"
    status = 409


class InvalidEndpoint(SeatError):
    error_id = "seat-invalid-endpoint"


class AgentState(StrEnum):
    """坐席状态."""

    OFFLINE = "offline"  # 未登录
    AVAILABLE = "available"  # 空闲
    RINGING = "ringing"  # 振铃
    ON_CALL = "on_call"  # 通话中
    WRAP_UP = "wrap_up"  # 话后整理
    PAUSED = "paused"  # 小休 (with a reason)


@dataclass(frozen=True)
class StateChange:
    """One timestamped change of an agent's state (kept for reports and audits)."""

    agent_id: str
    state: AgentState
    at: datetime
    reason: str | None = None


@dataclass
class Agent:
    """A member of the dedicated seat (专席坐席)."""

    id: str
    name: str = ""
    endpoint: str | None = None
    state: AgentState = AgentState.OFFLINE
    since: datetime | None = None
    reason: str | None = None
    idle_since: datetime | None = None
    """When the agent last became free to take a call (login, resume, end of wrap-up)."""
    reserved_for: str | None = None
    """The call this agent's phone rings for, or is talking to."""
    skip_until: datetime | None = None
    """After a busy signal the agent is skipped until then (marked, not paused)."""
    last_problem: str | None = None
    calls_answered: int = 0

    def is_free(self, at: datetime) -> bool:
        return (
            self.state is AgentState.AVAILABLE
            and self.reserved_for is None
            and self.endpoint is not None
            and (self.skip_until is None or self.skip_until <= at)
        )


@dataclass
class WaitingCaller:
    """A caller in the seat's queue (排队来电)."""

    call_id: str
    channel_id: str
    number: str
    entered_at: datetime
    ringing: set[str] = field(default_factory=set)
    """Agents whose phones ring for this caller right now."""
    tried: dict[str, str] = field(default_factory=dict)
    """Agents already tried without success, with why (no-answer, busy, unreachable)."""


@dataclass(frozen=True)
class Ring:
    """Ring `agent_id`'s endpoint for `call_id`."""

    call_id: str
    agent_id: str
    endpoint: str


@dataclass(frozen=True)
class Answered:
    """`agent_id` took `call_id`; `release` are the other legs still ringing for it (hang them up)."""

    call_id: str
    agent_id: str
    release: tuple[str, ...]


@dataclass(frozen=True)
class Overflow:
    """The caller leaves the queue: `reason` is `no-agents` or `wait-limit`."""

    call_id: str
    reason: str


@dataclass(frozen=True)
class SeatRules:
    """How the queue behaves (configurable per deployment)."""

    wait_limit_s: float = 180.0
    """Longest wait before overflow (溢出)."""
    overflow_when_no_agents: bool = True
    """With nobody logged in (or everybody paused), a caller overflows at once."""
    ring_parallel: int = 1
    """Agents rung at once for one caller: 1 = longest idle only; more = a ring group, first answer wins."""
    busy_skip_s: float = 30.0
    """A busy agent is skipped for this long."""
    wrap_up_s: float = 15.0


class Seat:
    """The dedicated seat: members, their states, and the callers waiting."""

    def __init__(self, name: str = "business", rules: SeatRules | None = None) -> None:
        self.name = name
        self.rules = rules or SeatRules()
        self.agents: dict[str, Agent] = {}
        self.waiting: list[WaitingCaller] = []
        self.changes: list[StateChange] = []
        """State changes not yet persisted (the service drains them)."""

    # --- members and agent states ---
    def add_member(self, agent_id: str, at: datetime, name: str = "", endpoint: str | None = None) -> Agent:
        """A supervisor adds an agent to the seat (it stays offline until it logs in, unless `endpoint`)."""
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = Agent(id=agent_id, name=name or agent_id, since=at)
            self.agents[agent_id] = agent
        elif name:
            agent.name = name
        if endpoint is not None:
            self.login(agent_id, endpoint, at)
        return agent

    def remove_member(self, agent_id: str, at: datetime) -> Agent:
        agent = self.agent(agent_id)
        if agent.reserved_for is not None:
            raise AgentBusy(f"坐席 {agent_id} 正在通话或振铃，不能移除 (agent is on a call)")
        self._set(agent, AgentState.OFFLINE, at, "removed")
        del self.agents[agent_id]
        return agent

    def agent(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def login(self, agent_id: str, endpoint: str, at: datetime) -> Agent:
        if "/" not in endpoint or endpoint.startswith("/") or endpoint.endswith("/"):
            raise InvalidEndpoint(f"终端应形如 PJSIP/agent101 (endpoint must look like PJSIP/agent101): {endpoint}")
        agent = self.agent(agent_id)
        if agent.reserved_for is not None:
            raise AgentBusy(f"坐席 {agent_id} 正在通话 (agent is on a call)")
        agent.endpoint = endpoint
        if agent.state is not AgentState.AVAILABLE:
            self._set(agent, AgentState.AVAILABLE, at)
            agent.idle_since = at
        return agent

    def logout(self, agent_id: str, at: datetime) -> Agent:
        agent = self.agent(agent_id)
        if agent.reserved_for is not None:
            raise AgentBusy(f"坐席 {agent_id} 正在通话或振铃，请结束后再签出 (agent is on a call)")
        self._set(agent, AgentState.OFFLINE, at)
        agent.endpoint = None
        return agent

    def pause(self, agent_id: str, reason: str, at: datetime) -> Agent:
        agent = self.agent(agent_id)
        if agent.state is AgentState.OFFLINE:
            raise SeatError(f"坐席 {agent_id} 未登录 (agent is not logged in)")
        if agent.reserved_for is not None:
            raise AgentBusy(f"坐席 {agent_id} 正在通话或振铃 (agent is on a call)")
        self._set(agent, AgentState.PAUSED, at, reason or "pause")
        return agent

    def resume(self, agent_id: str, at: datetime) -> Agent:
        agent = self.agent(agent_id)
        if agent.state is not AgentState.PAUSED:
            raise SeatError(f"坐席 {agent_id} 未处于小休 (agent is not paused)")
        self._set(agent, AgentState.AVAILABLE, at)
        agent.idle_since = at
        agent.skip_until = None
        return agent

    def _set(self, agent: Agent, state: AgentState, at: datetime, reason: str | None = None) -> None:
        agent.state = state
        agent.since = at
        agent.reason = reason
        self.changes.append(StateChange(agent.id, state, at, reason))

    # --- the queue ---
    def enqueue(self, call_id: str, channel_id: str, number: str, at: datetime) -> WaitingCaller:
        caller = WaitingCaller(call_id, channel_id, number, at)
        self.waiting.append(caller)
        return caller

    def caller(self, call_id: str) -> WaitingCaller | None:
        for caller in self.waiting:
            if caller.call_id == call_id:
                return caller
        return None

    def position(self, call_id: str) -> int | None:
        """How many callers wait ahead of this one (您前面还有N位), None when it no longer waits."""
        for index, caller in enumerate(self.waiting):
            if caller.call_id == call_id:
                return index
        return None

    def staffed(self) -> bool:
        """Anyone logged in and not paused (available, ringing, on a call or wrapping up)?"""
        return any(a.state not in (AgentState.OFFLINE, AgentState.PAUSED) for a in self.agents.values())

    def choose_agent(self, at: datetime, exclude: set[str] | None = None) -> Agent | None:
        """The longest-idle free agent (ties: the agent id), skipping `exclude`."""
        free = [a for a in self.agents.values() if a.is_free(at) and a.id not in (exclude or set())]
        if not free:
            return None
        return min(free, key=lambda a: (a.idle_since or at, a.id))

    def assignments(self, at: datetime) -> list[Ring]:
        """Reserve free agents for waiting callers in arrival order; each reservation is a `Ring`."""
        rings: list[Ring] = []
        for caller in self.waiting:
            want = self.rules.ring_parallel - len(caller.ringing)
            while want > 0:
                agent = self.choose_agent(at, exclude=set(caller.tried) | caller.ringing)
                if agent is None:
                    break
                self._reserve(agent, caller, at)
                assert agent.endpoint is not None
                rings.append(Ring(caller.call_id, agent.id, agent.endpoint))
                want -= 1
            if not any(a.is_free(at) for a in self.agents.values()):
                break
        return rings

    def _reserve(self, agent: Agent, caller: WaitingCaller, at: datetime) -> None:
        agent.reserved_for = caller.call_id
        caller.ringing.add(agent.id)
        self._set(agent, AgentState.RINGING, at, caller.call_id)

    def ring_failed(self, call_id: str, agent_id: str, why: str, at: datetime) -> None:
        """The agent's leg ended without an answer: `no-answer`, `busy` or `unreachable` (skip and mark)."""
        agent = self.agents.get(agent_id)
        caller = self.caller(call_id)
        if caller is not None:
            caller.ringing.discard(agent_id)
            caller.tried[agent_id] = why
            if len(caller.tried) >= len(self.agents):
                caller.tried.clear()  # everyone was tried once: start another round
        if agent is None or agent.reserved_for != call_id:
            return
        agent.reserved_for = None
        agent.last_problem = why
        if why == "unreachable":
            self._set(agent, AgentState.PAUSED, at, "unreachable")
        else:
            if why == "busy":
                agent.skip_until = at + timedelta(seconds=self.rules.busy_skip_s)
            self._set(agent, AgentState.AVAILABLE, at, why)

    def answer(self, call_id: str, agent_id: str, at: datetime) -> Answered | None:
        """An agent picked up. None when the caller is gone or already taken: that leg must hang up."""
        caller = self.caller(call_id)
        agent = self.agents.get(agent_id)
        if caller is None or agent is None or agent_id not in caller.ringing or agent.reserved_for != call_id:
            if agent is not None and agent.reserved_for == call_id:
                self._release(agent, at)
            return None
        self.waiting.remove(caller)
        release = tuple(sorted(caller.ringing - {agent_id}))
        for other in release:
            other_agent = self.agents.get(other)
            if other_agent is not None and other_agent.reserved_for == call_id:
                self._release(other_agent, at)
        agent.calls_answered += 1
        self._set(agent, AgentState.ON_CALL, at, call_id)
        return Answered(call_id, agent_id, release)

    def requeue(
        self, call_id: str, channel_id: str, number: str, entered_at: datetime, agent_id: str, at: datetime
    ) -> WaitingCaller:
        """The agent who answered was gone before the bridge was made: the caller gets their place
        back (by arrival time) and that agent is free again, marked, and not rung again for this caller."""
        agent = self.agents.get(agent_id)
        if agent is not None and agent.reserved_for == call_id:
            agent.reserved_for = None
            agent.last_problem = "hung-up-at-answer"
            self._set(agent, AgentState.AVAILABLE, at, "hung-up-at-answer")
        caller = WaitingCaller(call_id, channel_id, number, entered_at, tried={agent_id: "hung-up-at-answer"})
        index = sum(1 for c in self.waiting if c.entered_at <= entered_at)
        self.waiting.insert(index, caller)
        return caller

    def _release(self, agent: Agent, at: datetime) -> None:
        """The agent's ring ended without a call (lost the race, caller gone): free again, still idle."""
        agent.reserved_for = None
        self._set(agent, AgentState.AVAILABLE, at)

    def caller_left(self, call_id: str, at: datetime) -> tuple[str, ...]:
        """The caller hung up or overflowed while waiting; returns agents whose ringing legs to hang up."""
        caller = self.caller(call_id)
        if caller is None:
            return ()
        self.waiting.remove(caller)
        ringing = tuple(sorted(caller.ringing))
        for agent_id in ringing:
            agent = self.agents.get(agent_id)
            if agent is not None and agent.reserved_for == call_id:
                self._release(agent, at)
        return ringing

    def call_ended(self, agent_id: str, at: datetime) -> None:
        """The bridged call ended: the agent wraps up (话后整理) before the next call."""
        agent = self.agents.get(agent_id)
        if agent is None or agent.state is not AgentState.ON_CALL:
            return
        agent.reserved_for = None
        if self.rules.wrap_up_s > 0:
            self._set(agent, AgentState.WRAP_UP, at)
        else:
            self._set(agent, AgentState.AVAILABLE, at)
            agent.idle_since = at

    def wrap_up_done(self, agent_id: str, at: datetime) -> bool:
        agent = self.agents.get(agent_id)
        if agent is None or agent.state is not AgentState.WRAP_UP:
            return False
        self._set(agent, AgentState.AVAILABLE, at)
        agent.idle_since = at
        return True

    def overflow_due(self, call_id: str, at: datetime) -> Overflow | None:
        """Should this caller leave the queue now? (nobody staffed, or waited past the limit)"""
        caller = self.caller(call_id)
        if caller is None or caller.ringing:
            return None
        if self.rules.overflow_when_no_agents and not self.staffed():
            return Overflow(call_id, "no-agents")
        if (at - caller.entered_at).total_seconds() >= self.rules.wait_limit_s:
            return Overflow(call_id, "wait-limit")
        return None

    def drain_changes(self) -> list[StateChange]:
        changes, self.changes = self.changes, []
        return changes
