"""A realistic quarter of data for the reports' tests and `bench/report_load.py` (deterministic by seed).

It extends the KPI benchmark's generator (`bench/kpi_load.py`, `Generator`: 2026Q3 work orders across
the seeded units with their event trails, returns, extensions, ratings, rectification revisits and
supervision orders — one generator, not a second one) with what the reports read besides:

- **calls** of the dedicated seat: one queued call per order that came in by phone, answered after a
  realistic wait, plus callers who gave up (放弃) or were overflowed, with the menu's service;
- **second returns** (反复退单): some returned orders were returned by a second unit before landing;
- **comments** of dissatisfied callers (差评意见).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from bench.kpi_load import AS_OF, PERIOD, Generator, load
from callflow.adapters.orm import CallRecordRow
from callflow.seat.orm import SeatCallRow
from hotline.db import make_engine

__all__ = ["AS_OF", "PERIOD", "QuarterSample", "load_sample"]

BAD_COMMENTS = [
    "答复敷衍，问题没有实际解决",
    "承办人员态度推诿，让我找别的部门",
    "超过时限才回复，影响企业生产",
    "只打了个电话，没有到现场核实",
    "说法前后不一致，反复让补材料",
]


class QuarterSample(Generator):
    """The KPI generator's quarter plus seat calls, second returns and bad-review comments."""

    def __init__(self, n: int, unit_ids: list[int], seed: int = 2026) -> None:
        super().__init__(n, unit_ids, seed)
        self.seat_calls: list[dict[str, Any]] = []
        self.call_records: list[dict[str, Any]] = []

    def generate(self) -> None:
        super().generate()
        for row in self.orders:
            if row.get("returns_count") == 1 and self.rng.random() < 0.25:
                self._second_return(row)
            if row.get("rating") == "dissatisfied":
                row["rating_comment"] = self.rng.choice(BAD_COMMENTS)
            if row["source"] == "call":
                self._call(row, "answered")
        for _ in range(len(self.orders) // 12):  # callers who never reached an agent
            template = self.rng.choice(self.orders)
            self._call(template, self.rng.choices(["abandoned", "overflowed"], [0.8, 0.2])[0])

    def _second_return(self, row: dict[str, Any]) -> None:
        first = next(r for r in self.returns if r["work_order_id"] == row["id"])
        other = self.rng.choice([u for u in self.units if u not in (first["unit_id"], row["unit_id"])])
        at = first["returned_at"] - timedelta(hours=self.rng.uniform(2, 20))
        self.returns.append(
            dict(work_order_id=row["id"], unit_id=other, returned_at=at, reason="职责不清，建议改派",
                 redispatched_at=first["returned_at"] - timedelta(minutes=30), redispatched_to=first["unit_id"])
        )
        row["returns_count"] = 2
        self._event(row["id"], "return", at, "dispatched", "registered", "unit_handler")
        self.events[-1]["reason"] = "职责不清，建议改派"

    def _call(self, row: dict[str, Any], disposition: str) -> None:
        rng = self.rng
        call_id = str(uuid.UUID(int=rng.getrandbits(128)))
        queued = row["received_at"] - timedelta(minutes=rng.uniform(3, 12))
        wait = rng.expovariate(1 / 14) if disposition == "answered" else rng.uniform(10, 180)
        answered = queued + timedelta(seconds=wait) if disposition == "answered" else None
        ended = (answered or queued + timedelta(seconds=wait)) + timedelta(minutes=rng.uniform(1, 9))
        self.call_records.append(
            dict(id=call_id, channel_id=f"sample-{call_id[:8]}", caller_number=row["caller_phone"] or "",
                 started_at=queued - timedelta(seconds=20), menu_path=[], destination="seat",
                 service=row["service"], disposition=disposition, ended_at=ended)
        )
        self.seat_calls.append(
            dict(call_id=call_id, caller_number=row["caller_phone"] or "", destination="seat", queued_at=queued,
                 answered_at=answered, ended_at=ended, wait_s=round(wait, 3),
                 talk_s=round((ended - answered).total_seconds(), 3) if answered else None,
                 agent_id="agent101" if answered else None, agents=["agent101"] if answered else [], rung=[],
                 legs=[], disposition=disposition, overflow_reason="queue-full" if disposition == "overflowed" else None,
                 ended_by="caller")
        )
        if disposition == "answered" and row.get("call_id") is None:
            row["call_id"] = call_id


async def load_sample(url: str, sample: QuarterSample) -> dict[str, float]:
    """Insert the sample into a migrated database (the KPI bench's loader, then the calls)."""
    figures = await load(url, sample)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for k in range(0, len(sample.call_records), 5000):
                await conn.execute(insert(CallRecordRow), sample.call_records[k : k + 5000])
                await conn.execute(insert(SeatCallRow), sample.seat_calls[k : k + 5000])
    finally:
        await engine.dispose()
    return figures
