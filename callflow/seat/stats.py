"""Live statistics of the dedicated seat (专席实时监控): pure, fed by the queue service as things happen.

Definitions (what a supervisor reads on the board):
- offered (呼入量): callers who entered the queue within the window;
- answered (接通量) / abandoned (放弃量) / overflowed (溢出量): callers whose wait ended so within the window;
- service level (服务水平): answered within `answer_within_s` ÷ all callers whose wait ended in the window
  (answered + abandoned + overflowed + callback); None with no such callers;
- AHT (平均处理时长): talk time + wrap-up of calls that ended in the window;
- longest wait: of the callers waiting now.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from callflow.seat.domain import AgentState, Seat
from callflow.seat.erlang import StaffingAdvice, agents_needed

WINDOWS_MIN = (15, 60)


@dataclass(frozen=True)
class QueueOutcome:
    """How one caller's wait ended."""

    call_id: str
    entered_at: datetime
    left_at: datetime
    outcome: str  # answered | abandoned | overflowed | callback

    @property
    def wait_s(self) -> float:
        return (self.left_at - self.entered_at).total_seconds()


@dataclass(frozen=True)
class HandledCall:
    """A bridged call that ended: talk time plus the wrap-up that followed."""

    call_id: str
    ended_at: datetime
    talk_s: float
    wrap_up_s: float

    @property
    def handle_s(self) -> float:
        return self.talk_s + self.wrap_up_s


class SeatStatistics:
    """Rolling history of the last `keep_minutes` and the figures derived from it."""

    def __init__(self, answer_within_s: float = 20.0, target_sl: float = 0.8, keep_minutes: int = 60) -> None:
        self.answer_within_s = answer_within_s
        self.target_sl = target_sl
        self.keep = timedelta(minutes=keep_minutes)
        self.entered: deque[datetime] = deque()
        self.outcomes: deque[QueueOutcome] = deque()
        self.handled: deque[HandledCall] = deque()
        self.default_aht_s = 300.0
        """AHT assumed for staffing advice before any call has been handled."""

    def caller_entered(self, at: datetime) -> None:
        self.entered.append(at)

    def wait_ended(self, outcome: QueueOutcome) -> None:
        self.outcomes.append(outcome)

    def call_handled(self, call: HandledCall) -> None:
        self.handled.append(call)

    def _trim(self, at: datetime) -> None:
        horizon = at - self.keep
        while self.entered and self.entered[0] < horizon:
            self.entered.popleft()
        while self.outcomes and self.outcomes[0].left_at < horizon:
            self.outcomes.popleft()
        while self.handled and self.handled[0].ended_at < horizon:
            self.handled.popleft()

    def window(self, at: datetime, minutes: int) -> dict[str, Any]:
        since = at - timedelta(minutes=minutes)
        outcomes = [o for o in self.outcomes if o.left_at >= since]
        counts = Counter(o.outcome for o in outcomes)
        fast = sum(1 for o in outcomes if o.outcome == "answered" and o.wait_s <= self.answer_within_s)
        handled = [h for h in self.handled if h.ended_at >= since]
        return {
            "minutes": minutes,
            "offered": sum(1 for t in self.entered if t >= since),
            "answered": counts["answered"],
            "abandoned": counts["abandoned"],
            "overflowed": counts["overflowed"],
            "callback": counts["callback"],
            "service_level": round(fast / len(outcomes), 4) if outcomes else None,
            "aht_s": round(sum(h.handle_s for h in handled) / len(handled), 1) if handled else None,
            "average_wait_s": round(sum(o.wait_s for o in outcomes) / len(outcomes), 1) if outcomes else None,
        }

    def advice(self, at: datetime, interval_minutes: int = 30) -> StaffingAdvice:
        """Erlang C advice for the next interval, assuming the last hour's arrival rate continues."""
        self._trim(at)
        hour = self.window(at, 60)
        offered_next = hour["offered"] * interval_minutes / 60
        aht = hour["aht_s"] or self.default_aht_s
        return agents_needed(
            offered_next,
            aht,
            interval_s=interval_minutes * 60,
            target_sl=self.target_sl,
            answer_within_s=self.answer_within_s,
        )

    def snapshot(self, seat: Seat, at: datetime) -> dict[str, Any]:
        """Everything the board shows, as JSON."""
        self._trim(at)
        waits = [(at - c.entered_at).total_seconds() for c in seat.waiting]
        by_state = Counter(a.state.value for a in seat.agents.values())
        return {
            "seat": seat.name,
            "at": at.isoformat(),
            "waiting": len(seat.waiting),
            "longest_wait_s": round(max(waits), 1) if waits else 0.0,
            "agents_by_state": {s.value: by_state.get(s.value, 0) for s in AgentState},
            "windows": [self.window(at, m) for m in WINDOWS_MIN],
            "target": {"service_level": self.target_sl, "answer_within_s": self.answer_within_s},
            "staffing": self.advice(at).as_json(),
        }

    def expected_wait_s(self, seat: Seat, position: int) -> float | None:
        """A rough expected wait for a caller with `position` callers ahead: (position+1) × AHT ÷ agents
        working; None when nobody is working or no call has been handled yet."""
        working = sum(
            1 for a in seat.agents.values() if a.state not in (AgentState.OFFLINE, AgentState.PAUSED)
        )
        if working == 0 or not self.handled:
            return None
        aht = sum(h.handle_s for h in self.handled) / len(self.handled)
        return (position + 1) * aht / working
