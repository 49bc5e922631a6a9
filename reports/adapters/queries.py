"""What the reports read from the database. Work-order figures come from ticketing's KPI statements
(`ticketing.adapters.kpi_sql`, the one implementation of the definitions): per unit through
`KpiQueries`, per class and service by regrouping the same cohort statement. Calls come from the
seat's call records; texts, signs, trails and bad reviews from the work-order tables.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asr.adapters.orm import TranscriptionJobRow
from callflow.adapters.orm import CallRecordRow
from callflow.seat.orm import SeatCallRow
from reports.domain.accountability import OrderSigns, TrailEvent
from reports.domain.figures import CallFigures, ClassServiceFigures, PeriodFigures
from reports.domain.hot_issues import IssueText
from reports.domain.report import BadReview
from sms_feedback import review_figures
from sms_feedback.review_figures import LoopCounts
from ticketing.adapters.kpi_sql import HOTLINE_NAME, KpiQueries, cohort_counts
from ticketing.adapters.orm import (
    ExtensionRow,
    ReturnRow,
    UnitRow,
    WorkOrderEventRow,
    WorkOrderRow,
)
from ticketing.domain.kpi import Period, UnitFigures
from ticketing.domain.workorder import ACTION_ZH, Action

W = WorkOrderRow
SERVICE_LEVEL_S = 20.0  # answered within 20 s (the seat's default threshold, callflow/seat/stats.py)
ENDED = ("answered", "abandoned", "overflowed", "callback")
TRAIL_LIMIT = 300  # accountability entries that carry their full trail


def _action_zh(action: str) -> str:
    try:
        return ACTION_ZH[Action(action)]
    except ValueError:
        return action


def _cohort(start: datetime, end: datetime) -> Any:
    return and_(W.received_at >= start, W.received_at < end, W.state.not_in(("draft", "discarded")))


class ReportQueries:
    """Reads one period's data for a report."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tz: ZoneInfo) -> None:
        self.sessions = sessions
        self.tz = tz
        self.kpi = KpiQueries(sessions, tz)

    async def unit_names(self) -> dict[int | None, str]:
        async with self.sessions() as db:
            rows = (await db.execute(select(UnitRow.id, UnitRow.name))).all()
        names: dict[int | None, str] = {uid: name for uid, name in rows}
        names[None] = HOTLINE_NAME
        return names

    async def figures(self, period: Period, as_of: datetime) -> PeriodFigures:
        units = await self.kpi.figures(period, as_of)
        start, end = period.bounds(self.tz)
        calls, by_service = await self.calls(start, end)
        return PeriodFigures(
            period=period,
            units=units,
            calls=calls,
            calls_by_service=by_service,
            by_class_service=await self.by_class_service(start, end, as_of),
            extensions=await self.extensions(start, end),
        )

    async def by_class_service(self, start: datetime, end: datetime, as_of: datetime) -> list[ClassServiceFigures]:
        """The KPI cohort statement regrouped by class and service instead of unit."""
        stmt = cohort_counts(start, end, as_of)
        counts = [c for c in stmt.selected_columns if c.key != "unit_id"]
        regrouped = (
            stmt.with_only_columns(W.order_class, W.service, *counts, maintain_column_froms=True)
            .group_by(None)
            .group_by(W.order_class, W.service)
        )
        async with self.sessions() as db:
            rows = (await db.execute(regrouped)).mappings().all()
        out = []
        for row in rows:
            values = {k: int(v) for k, v in row.items() if k not in ("order_class", "service")}
            cls, service = row["order_class"] or "—", row["service"] or "—"
            out.append(ClassServiceFigures(cls, service, UnitFigures(None, f"{cls}/{service}", **values)))
        return sorted(out, key=lambda f: (-f.figures.received, f.order_class, f.service))

    async def extensions(self, start: datetime, end: datetime) -> dict[int | None, int]:
        """Approved extensions (延期) decided in the period, per unit of the order."""
        E = ExtensionRow
        stmt = (
            select(W.unit_id, func.count())
            .select_from(E)
            .join(W, W.id == E.work_order_id)
            .where(E.status == "approved", E.decided_at >= start, E.decided_at < end)
            .group_by(W.unit_id)
        )
        async with self.sessions() as db:
            return {uid: int(n) for uid, n in (await db.execute(stmt)).all()}

    async def calls(self, start: datetime, end: datetime) -> tuple[CallFigures, dict[str, CallFigures]]:
        """Seat calls queued in the period, in all and per service chosen in the menu."""
        S = SeatCallRow
        answered = S.disposition == "answered"
        stmt = (
            select(
                CallRecordRow.service,
                func.count(),
                func.count().filter(answered),
                func.count().filter(S.disposition == "abandoned"),
                func.count().filter(S.disposition.in_(ENDED)),
                func.count().filter(and_(answered, S.wait_s <= SERVICE_LEVEL_S)),
            )
            .select_from(S)
            .outerjoin(CallRecordRow, CallRecordRow.id == S.call_id)
            .where(S.queued_at >= start, S.queued_at < end)
            .group_by(CallRecordRow.service)
        )
        total = CallFigures()
        by_service: dict[str, CallFigures] = {}
        async with self.sessions() as db:
            for service, offered, n_answered, abandoned, ended, in_time in (await db.execute(stmt)).all():
                calls = CallFigures(int(offered), int(n_answered or 0), int(abandoned), int(ended), int(in_time))
                total = total + calls
                by_service[service or "—"] = by_service.get(service or "—", CallFigures()) + calls
        return total, by_service

    async def texts(self, period: Period, order_class: str | None = None) -> list[IssueText]:
        """The period's orders as texts (title, content, and the call transcript where one is stored)."""
        start, end = period.bounds(self.tz)
        names = await self.unit_names()
        stmt = (
            select(W.id, W.number, W.unit_id, W.title, W.content, TranscriptionJobRow.transcript)
            .outerjoin(TranscriptionJobRow, and_(W.call_id.is_not(None), TranscriptionJobRow.call_id == W.call_id))
            .where(_cohort(start, end))
            .order_by(W.received_at, W.id)
        )
        if order_class is not None:
            stmt = stmt.where(W.order_class == order_class)
        async with self.sessions() as db:
            rows = (await db.execute(stmt)).all()
        out = []
        for oid, number, unit_id, title, content, transcript in rows:
            spoken = transcript.get("text", "") if isinstance(transcript, dict) else ""
            text = f"{content or ''} {spoken}".strip()
            out.append(IssueText(oid, number, names.get(unit_id, HOTLINE_NAME), title or "", text))
        return out

    async def signs(
        self, period: Period, as_of: datetime
    ) -> tuple[list[OrderSigns], dict[int, list[TrailEvent]], dict[int | None, tuple[str, int]]]:
        """Orders with accountability signs (as in docs/kpi.md: overdue = completed after `due`, or open
        past it as of `as_of`), the trails of the first `TRAIL_LIMIT`, and the returns each unit made."""
        start, end = period.bounds(self.tz)
        names = await self.unit_names()
        completed_at = func.coalesce(W.replied_at, W.closed_at)
        limited = and_(W.dispatched_at.is_not(None), W.due.is_not(None))
        overdue = and_(
            limited, or_(and_(completed_at.is_not(None), completed_at > W.due), and_(completed_at.is_(None), W.due < as_of))
        )
        later = select(WorkOrderRow.repeat_of).where(WorkOrderRow.repeat_of.is_not(None)).distinct().subquery()
        repeated = later.c.repeat_of.is_not(None)
        stmt = (
            select(W.id, W.number, W.title, W.unit_id, W.returns_count, overdue, repeated, W.rating == "dissatisfied")
            .select_from(W.__table__.outerjoin(later, later.c.repeat_of == W.id))
            .where(_cohort(start, end))
            .where(or_(W.returns_count >= 2, overdue, repeated, W.rating == "dissatisfied"))
            .order_by(W.number)
        )
        async with self.sessions() as db:
            rows = (await db.execute(stmt)).all()
            multi = [r[0] for r in rows if (r[4] or 0) >= 2]
            returners: dict[int, list[str]] = defaultdict(list)
            if multi:
                for oid, uid in (
                    await db.execute(
                        select(ReturnRow.work_order_id, ReturnRow.unit_id)
                        .where(ReturnRow.work_order_id.in_(multi))
                        .order_by(ReturnRow.returned_at)
                    )
                ).all():
                    returners[oid].append(names.get(uid, str(uid)))
            orders = [
                OrderSigns(
                    oid, number, title or "", uid, names.get(uid, HOTLINE_NAME), int(returns or 0), bool(late),
                    bool(again), bool(bad), tuple(returners.get(oid, ())),
                )
                for oid, number, title, uid, returns, late, again, bad in rows
            ]
            ranked = sorted(orders, key=lambda o: (-len(o.signs()), o.number))[:TRAIL_LIMIT]
            trails: dict[int, list[TrailEvent]] = defaultdict(list)
            if ranked:
                E = WorkOrderEventRow
                events = await db.execute(
                    select(E.work_order_id, E.at, E.actor_name, E.action, E.reason)
                    .where(E.work_order_id.in_([o.order_id for o in ranked]))
                    .order_by(E.work_order_id, E.at, E.id)
                )
                for oid, at, actor, action, reason in events.all():
                    trails[oid].append(TrailEvent(at, actor, _action_zh(action), reason))
            made = (
                await db.execute(
                    select(ReturnRow.unit_id, func.count())
                    .where(ReturnRow.returned_at >= start, ReturnRow.returned_at < end)
                    .group_by(ReturnRow.unit_id)
                )
            ).all()
        returns_made: dict[int | None, tuple[str, int]] = {uid: (names.get(uid, str(uid)), int(n)) for uid, n in made}
        return orders, dict(trails), returns_made

    async def review_figures(self, period: Period) -> list[LoopCounts]:
        """The review loop's own counts per unit and the county total (sms_feedback.review_figures):
        counts only — the two rates (整改回访满意率, 评价覆盖率) are ticketing's, in `figures`."""
        start, end = period.bounds(self.tz)
        async with self.sessions() as db:
            rows = await review_figures.loop_counts(db, start, end)
        return [*rows, review_figures.loop_total(rows)] if rows else []

    async def bad_reviews(self, period: Period, limit: int = 200) -> list[BadReview]:
        """Orders of the period rated dissatisfied, newest rating first, with their rectification."""
        start, end = period.bounds(self.tz)
        names = await self.unit_names()
        stmt = (
            select(W.number, W.unit_id, W.title, W.rating_comment, W.rated_at, W.reopened_count, W.revisit_rating)
            .where(_cohort(start, end), W.rating == "dissatisfied")
            .order_by(W.rated_at.desc(), W.number)
            .limit(limit)
        )
        async with self.sessions() as db:
            rows = (await db.execute(stmt)).all()
        return [
            BadReview(number, names.get(uid, HOTLINE_NAME), title or "", comment, rated, (reopened or 0) > 0, revisit)
            for number, uid, title, comment, rated, reopened, revisit in rows
        ]
