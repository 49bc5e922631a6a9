"""What the seat keeps about a call (the seat part of the call record) and callback requests (回拨请求). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEAT_DISPOSITIONS = ("waiting", "answered", "abandoned", "overflowed", "callback")


@dataclass
class SeatCall:
    """The seat part of one call record: queued, answered, ended, wait, talk, agents, legs, disposition."""

    call_id: str
    caller_number: str
    queued_at: datetime
    destination: str = ""
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    agents: list[str] = field(default_factory=list)
    """Agents who took part (the answering agent first)."""
    rung: list[dict[str, Any]] = field(default_factory=list)
    """Every agent rung: agent, at, outcome (answered, no-answer, busy, unreachable, lost-race, caller-left)."""
    legs: list[dict[str, Any]] = field(default_factory=list)
    disposition: str = "waiting"
    overflow_reason: str | None = None
    ended_by: str | None = None

    @property
    def wait_s(self) -> float | None:
        end = self.answered_at or self.ended_at
        return None if end is None else round((end - self.queued_at).total_seconds(), 3)

    @property
    def talk_s(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return round((self.ended_at - self.answered_at).total_seconds(), 3)


@dataclass
class CallbackRequest:
    """A caller asked to be called back (回拨) instead of waiting; `status` new → ordered (work order made)."""

    call_id: str
    caller_number: str
    callback_number: str
    requested_at: datetime
    service: str | None = None
    id: int = 0
    status: str = "new"
    work_order: str | None = None
