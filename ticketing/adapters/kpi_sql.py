"""The effectiveness figures (效能评估) computed in SQL: three aggregate queries per period, any unit count.

One `GROUP BY unit_id` over the period's work orders with a `CASE` per count (a left join on the
distinct `repeat_of` ids finds matters that were complained about again), one over returns, one over supervision orders. The
same statements run on SQLite and PostgreSQL. Definitions: `ticketing.domain.kpi` and docs/kpi.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, not_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from ticketing.adapters.orm import ReturnRow, SupervisionOrderRow, UnitRow, WorkOrderRow
from ticketing.domain.kpi import SATISFIED_RATINGS, Period, UnitFigures

HOTLINE_NAME = "12345热线（当场办结）"

W = WorkOrderRow


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 for an empty group."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), literal(0))


def cohort_counts(start: datetime, end: datetime, as_of: datetime, unit_id: int | None = None) -> Any:
    """The per-unit counts over work orders received in [start, end), judged as of `as_of`."""
    later = aliased(WorkOrderRow)
    # Matters someone complained about again: one hash join on the distinct repeat_of ids. (A correlated
    # EXISTS per row costs 100k index probes and makes PostgreSQL spend more on JIT than on the query.)
    repeated_ids = (
        select(later.repeat_of.label("earlier_id")).where(later.repeat_of.is_not(None)).distinct().subquery("repeated")
    )
    repeated = repeated_ids.c.earlier_id.is_not(None)
    completed_at = func.coalesce(W.replied_at, W.closed_at)
    dispatched = and_(W.dispatched_at.is_not(None), W.sign_due.is_not(None))
    limited = and_(W.dispatched_at.is_not(None), W.due.is_not(None))
    reopened = W.reopened_count > 0
    satisfied = W.rating.in_(SATISFIED_RATINGS)
    stmt = (
        select(
            W.unit_id,
            func.count().label("received"),
            _count(dispatched).label("dispatched"),
            _count(and_(dispatched, W.signed_at.is_not(None), W.signed_at <= W.sign_due)).label("signed_in_time"),
            _count(and_(limited, completed_at.is_not(None))).label("completed"),
            _count(and_(limited, completed_at.is_not(None), completed_at <= W.due)).label("completed_in_time"),
            _count(and_(limited, completed_at.is_(None), W.due < as_of)).label("overdue_open"),
            _count(W.closed_at.is_not(None)).label("closed"),
            _count(
                and_(W.closed_at.is_not(None), W.reopened_count == 0, W.returns_count == 0, not_(repeated))
            ).label("first_time_resolved"),
            _count(W.rating.is_not(None)).label("rated"),
            _count(satisfied).label("satisfied"),
            _count(and_(W.closed_at.is_not(None), W.rating.is_not(None))).label("closed_rated"),
            _count(reopened).label("reopened"),
            _count(and_(reopened, W.revisit_rating.is_not(None))).label("revisited"),
            _count(and_(reopened, W.revisit_rating.in_(SATISFIED_RATINGS))).label("revisit_satisfied"),
            _count(W.repeat_of.is_not(None)).label("repeat_complaints"),
            _count(repeated).label("repeated"),
        )
        .select_from(W.__table__.outerjoin(repeated_ids, repeated_ids.c.earlier_id == W.id))
        .where(W.received_at >= start, W.received_at < end, W.state.not_in(("draft", "discarded")))
        .group_by(W.unit_id)
    )
    if unit_id is not None:
        stmt = stmt.where(W.unit_id == unit_id)
    return stmt


def returns_counts(start: datetime, end: datetime, unit_id: int | None = None) -> Any:
    """Returns (退单) per returning unit in [start, end)."""
    stmt = (
        select(ReturnRow.unit_id, func.count().label("returns"))
        .where(ReturnRow.returned_at >= start, ReturnRow.returned_at < end)
        .group_by(ReturnRow.unit_id)
    )
    if unit_id is not None:
        stmt = stmt.where(ReturnRow.unit_id == unit_id)
    return stmt


def supervision_counts(start: datetime, end: datetime, unit_id: int | None = None) -> Any:
    """Supervision orders (督办单) per unit opened in [start, end)."""
    S = SupervisionOrderRow
    stmt = select(S.unit_id, func.count().label("supervision_orders")).where(
        S.opened_at >= start, S.opened_at < end
    ).group_by(S.unit_id)
    if unit_id is not None:
        stmt = stmt.where(S.unit_id == unit_id)
    return stmt


class KpiQueries:
    """Reads the figures of one period for every unit (or one), as of a given instant."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tz: ZoneInfo) -> None:
        self._sessions = sessions
        self._tz = tz

    async def figures(self, period: Period, as_of: datetime, unit_id: int | None = None) -> list[UnitFigures]:
        """Every active unit (and units with figures), plus the hotline row when it has matters."""
        start, end = period.bounds(self._tz)
        async with self._sessions() as session:
            cohort = (await session.execute(cohort_counts(start, end, as_of, unit_id))).mappings().all()
            returns = (await session.execute(returns_counts(start, end, unit_id))).all()
            supervised = (await session.execute(supervision_counts(start, end, unit_id))).all()
            units_q = select(UnitRow.id, UnitRow.name, UnitRow.active).order_by(UnitRow.id)
            if unit_id is not None:
                units_q = units_q.where(UnitRow.id == unit_id)
            units = (await session.execute(units_q)).all()
        counts: dict[int | None, dict[str, int]] = {
            row["unit_id"]: {k: int(v) for k, v in row.items() if k != "unit_id"} for row in cohort
        }
        for uid, n in returns:
            counts.setdefault(uid, {})["returns"] = int(n)
        for uid, n in supervised:
            counts.setdefault(uid, {})["supervision_orders"] = int(n)
        out = [
            UnitFigures(unit_id=uid, unit_name=name, **counts.get(uid, {}))
            for uid, name, active in units
            if active or uid in counts
        ]
        if None in counts and unit_id is None:
            out.append(UnitFigures(unit_id=None, unit_name=HOTLINE_NAME, **counts[None]))
        return out
