"""The review loop's SQL in one place: the three lists, the figures and the unrated closures.

Reports call these functions with a session; the API (sms_feedback.reviews_web) does too.

Figures, per unit and period [start, end) — ONE definition, ticketing's KPI (`ticketing.domain.kpi`,
docs/kpi.md), over ticketing's cohort: the work orders received in the period, for the unit responsible
for them now. This module computes no rate of its own; it runs ticketing's statement
(`ticketing.adapters.kpi_sql.cohort_counts`) and reads the rates off `UnitFigures`:
- 整改回访满意率 = work orders whose revisit after rectification was rated satisfied or basically
  satisfied ÷ work orders reopened for rectification and revisited (every revisit answer reaches
  ticketing: `WorkOrderService.record_revisit`, called by the review loop).
- 评价覆盖率 (应评尽评) = closed and rated ÷ closed.
Beside them, the loop's own counts (`LoopCounts`), each on its own time: bad reviews by rating time,
rectification entries opened (and still open) by opening time, supervisor closings by closing time, and
- unrated after all channels (应评未评): the period's closed, unrated work orders with no survey still
  under way (none was ever queued — e.g. no mobile number — or every survey ended unrated: unreachable
  by phone, expired, opted out); so closed − rated = unrated_final + those still being surveyed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sms_feedback.adapters.orm import (
    ReviewBadReviewRow,
    ReviewRectificationRow,
    ReviewResponsibilityRow,
    SurveyRow,
)
from sms_feedback.domain.reviews import OPEN_STATES, ReviewState
from ticketing.adapters.kpi_sql import HOTLINE_NAME, cohort_counts
from ticketing.adapters.orm import UnitRow, WorkOrderRow
from ticketing.domain.kpi import FIGURES, UnitFigures
from ticketing.domain.kpi import total as kpi_total
from ticketing.domain.workorder import survey_mobile

_Stmt = TypeVar("_Stmt", bound=Select)  # any select, whatever its columns
SURVEYS_UNDER_WAY = ("pending", "sending", "sent")
MAX_ROWS = 5000


@dataclass(frozen=True)
class ReviewFilters:
    """Which rows: one unit (None = all), a period [start, end) on the list's own time, entry states,
    one work order (its number), and entries still being rectified past their due time at `overdue_at`."""

    unit_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    states: tuple[str, ...] = ()
    workorder_number: str | None = None
    overdue_at: datetime | None = None
    limit: int = MAX_ROWS


def _period(stmt: _Stmt, column: Any, filters: ReviewFilters) -> _Stmt:
    if filters.start is not None:
        stmt = stmt.where(column >= filters.start)
    if filters.end is not None:
        stmt = stmt.where(column < filters.end)
    return stmt


def _scoped(stmt: _Stmt, unit_column: Any, time_column: Any, filters: ReviewFilters) -> _Stmt:
    if filters.unit_id is not None:
        stmt = stmt.where(unit_column == filters.unit_id)
    if filters.states:
        stmt = stmt.where(ReviewRectificationRow.state.in_(filters.states))
    if filters.workorder_number:
        stmt = stmt.where(ReviewRectificationRow.workorder_number == filters.workorder_number)
    if filters.overdue_at is not None:
        stmt = stmt.where(
            ReviewRectificationRow.state == ReviewState.RECTIFYING.value,
            ReviewRectificationRow.due_at < filters.overdue_at,
        )
    return _period(stmt, time_column, filters).limit(filters.limit)


# --- the lists ------------------------------------------------------------------------------------------


async def rectifications(session: AsyncSession, filters: ReviewFilters) -> list[ReviewRectificationRow]:
    """整改清单: entries opened in the period, newest first."""
    stmt: Select[Any] = select(ReviewRectificationRow).order_by(
        ReviewRectificationRow.opened_at.desc(), ReviewRectificationRow.id.desc()
    )
    stmt = _scoped(stmt, ReviewRectificationRow.unit_id, ReviewRectificationRow.opened_at, filters)
    return list((await session.scalars(stmt)).all())


_Listed = TypeVar("_Listed", ReviewBadReviewRow, ReviewResponsibilityRow)


async def _with_entry(
    session: AsyncSession, row: type[_Listed], time_column: Any, filters: ReviewFilters
) -> list[tuple[_Listed, ReviewRectificationRow]]:
    """A list's rows in the period on their own time, newest first, each with its rectification entry."""
    stmt = (
        select(row, ReviewRectificationRow)
        .join(ReviewRectificationRow, ReviewRectificationRow.id == row.review_id)
        .order_by(time_column.desc(), row.id.desc())
    )
    stmt = _scoped(stmt, row.unit_id, time_column, filters)
    return [(found[0], found[1]) for found in (await session.execute(stmt)).all()]


async def bad_reviews(
    session: AsyncSession, filters: ReviewFilters
) -> list[tuple[ReviewBadReviewRow, ReviewRectificationRow]]:
    """差评清单: dissatisfied ratings given in the period, with their entry, newest first."""
    return await _with_entry(session, ReviewBadReviewRow, ReviewBadReviewRow.rated_at, filters)


async def responsibilities(
    session: AsyncSession, filters: ReviewFilters
) -> list[tuple[ReviewResponsibilityRow, ReviewRectificationRow]]:
    """责任清单: who answers for each bad review recorded in the period, with the entry's state."""
    return await _with_entry(session, ReviewResponsibilityRow, ReviewResponsibilityRow.recorded_at, filters)


# --- the figures ----------------------------------------------------------------------------------------

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # an open-ended period: the API refuses dates outside 2000–2999
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
RATES = ("revisit_satisfaction_rate", "evaluation_coverage")


@dataclass
class LoopCounts:
    """The review loop's own counts for one unit (or every unit, unit_id None) and period: list rows,
    each on its own time — counts, never rates."""

    unit_id: int | None
    unit_name: str
    bad_reviews: int = 0  # 差评 (every dissatisfied rating, revisits included), by rating time
    rectifications_opened: int = 0  # 新增整改, by opening time
    rectifications_open: int = 0  # of those, still open (整改中 or 待回访)
    closed_by_supervisor: int = 0  # 督查销号, by closing time
    unrated_final: int = 0  # 应评未评: the period's closed orders unrated after every channel

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in LOOP_COUNTS}


LOOP_COUNTS = tuple(name for name in LoopCounts.__dataclass_fields__ if name not in ("unit_id", "unit_name"))


@dataclass(frozen=True)
class ReviewFigures:
    """One unit's (or every unit's) 整改回访满意率 and 评价覆盖率 — ticketing's KPI figures (`kpi`, the one
    definition, ticketing.domain.kpi) — with the review loop's own counts beside them (`loop`)."""

    loop: LoopCounts
    kpi: UnitFigures

    @property
    def unit_id(self) -> int | None:
        return self.loop.unit_id

    @property
    def unit_name(self) -> str:
        return self.loop.unit_name

    @property
    def revisit_satisfaction_rate(self) -> float | None:
        return self.kpi.revisit_satisfaction_rate

    @property
    def evaluation_coverage(self) -> float | None:
        return self.kpi.evaluation_coverage

    def as_dict(self) -> dict[str, Any]:
        rates = self.kpi.as_dict()["rates"]
        assert isinstance(rates, dict)
        return {
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "counts": {
                **self.loop.counts(),
                "revisit_answered": self.kpi.revisited,
                "revisit_satisfied": self.kpi.revisit_satisfied,
                "closed": self.kpi.closed,
                "rated": self.kpi.closed_rated,
            },
            "rates": {key: rates[key] for key in RATES},
        }


DEFINITIONS = [
    {
        "key": f.key,
        "name_zh": f.name_zh,
        "numerator": f.numerator,
        "denominator": f.denominator,
        "target": f.target,
        "cohort": "考核期内受理的工单 (work orders received in the period), ticketing.domain.kpi",
    }
    for key in RATES
    for f in FIGURES
    if f.key == key
]


def _no_survey_under_way() -> Any:
    return ~exists().where(
        and_(SurveyRow.workorder_id == WorkOrderRow.id, SurveyRow.state.in_(SURVEYS_UNDER_WAY))
    )


def _received_in(start: datetime | None, end: datetime | None) -> Any:
    """Ticketing's cohort of a period (考核期工单): received in it, drafts and discarded excluded."""
    return and_(
        WorkOrderRow.received_at >= (start or EARLIEST),
        WorkOrderRow.received_at < (end or LATEST),
        WorkOrderRow.state.not_in(("draft", "discarded")),
    )


async def _grouped(session: AsyncSession, stmt: Select[Any]) -> dict[int | None, int]:
    return {unit: int(n) for unit, n in (await session.execute(stmt)).all()}


async def _unit_names(session: AsyncSession) -> dict[int | None, str]:
    names: dict[int | None, str] = {u.id: u.name for u in (await session.scalars(select(UnitRow))).all()}
    names[None] = HOTLINE_NAME
    return names


def _in_unit_order(keys: set[int | None]) -> list[int | None]:
    return sorted(keys, key=lambda k: (k is None, k or 0))


async def loop_counts(
    session: AsyncSession, start: datetime | None, end: datetime | None, unit_id: int | None = None
) -> list[LoopCounts]:
    """The review loop's counts per unit (units with anything to count), in unit order."""
    f = ReviewFilters(unit_id=unit_id, start=start, end=end)

    def per_unit(unit_column: Any, time_column: Any, *where: Any) -> Select[Any]:
        stmt = select(unit_column, func.count()).where(*where).group_by(unit_column)
        if unit_id is not None:
            stmt = stmt.where(unit_column == unit_id)
        return _period(stmt, time_column, f)

    rr = ReviewRectificationRow
    order_unit: Any = WorkOrderRow.unit_id
    unrated_final = (
        select(order_unit, func.count())
        .where(
            _received_in(start, end),
            WorkOrderRow.closed_at.is_not(None),
            WorkOrderRow.rating.is_(None),
            _no_survey_under_way(),
        )
        .group_by(WorkOrderRow.unit_id)
    )
    if unit_id is not None:
        unrated_final = unrated_final.where(WorkOrderRow.unit_id == unit_id)
    open_states = [s.value for s in OPEN_STATES]
    measures: dict[str, dict[int | None, int]] = {
        "bad_reviews": await _grouped(
            session, per_unit(ReviewBadReviewRow.unit_id, ReviewBadReviewRow.rated_at)
        ),
        "rectifications_opened": await _grouped(session, per_unit(rr.unit_id, rr.opened_at)),
        "rectifications_open": await _grouped(session, per_unit(rr.unit_id, rr.opened_at, rr.state.in_(open_states))),
        "closed_by_supervisor": await _grouped(
            session, per_unit(rr.unit_id, rr.closed_at, rr.state == ReviewState.CLOSED_BY_SUPERVISOR.value)
        ),
        "unrated_final": await _grouped(session, unrated_final),
    }
    names = await _unit_names(session)
    out = []
    for key in _in_unit_order({k for counts in measures.values() for k in counts}):
        row = LoopCounts(key, names.get(key, str(key)))
        for name, counts in measures.items():
            setattr(row, name, counts.get(key, 0))
        out.append(row)
    return out


def loop_total(rows: list[LoopCounts]) -> LoopCounts:
    """Every unit's loop counts together (全县合计)."""
    out = LoopCounts(None, "全县合计")
    for name in LOOP_COUNTS:
        setattr(out, name, sum(getattr(r, name) for r in rows))
    return out


async def kpi_figures(
    session: AsyncSession, start: datetime | None, end: datetime | None, unit_id: int | None = None
) -> dict[int | None, UnitFigures]:
    """Ticketing's KPI counts (its own statement, `ticketing.adapters.kpi_sql.cohort_counts`) per unit
    for the work orders received in [start, end); an open end is the whole history on that side."""
    upper = end or LATEST  # `as_of` only judges running deadlines, which these two figures never read
    stmt = cohort_counts(start or EARLIEST, upper, upper, unit_id)
    names = await _unit_names(session)
    return {
        row["unit_id"]: UnitFigures(
            unit_id=row["unit_id"],
            unit_name=names.get(row["unit_id"], str(row["unit_id"])),
            **{k: int(v) for k, v in row.items() if k != "unit_id"},
        )
        for row in (await session.execute(stmt)).mappings().all()
    }


async def figures(
    session: AsyncSession, start: datetime | None, end: datetime | None, unit_id: int | None = None
) -> list[ReviewFigures]:
    """Per unit with anything to count, in unit order: ticketing's two rates and the loop's counts."""
    loops = {row.unit_id: row for row in await loop_counts(session, start, end, unit_id)}
    kpis = await kpi_figures(session, start, end, unit_id)
    measured = {k for k, v in kpis.items() if v.closed or v.reopened}
    names = await _unit_names(session)
    return [
        ReviewFigures(
            loops.get(key) or LoopCounts(key, names.get(key, str(key))),
            kpis.get(key) or UnitFigures(key, names.get(key, str(key))),
        )
        for key in _in_unit_order(set(loops) | measured)
    ]


def total(rows: list[ReviewFigures]) -> ReviewFigures:
    """Every unit together (全县合计): the loop's counts and ticketing's counts summed, rates recomputed."""
    return ReviewFigures(loop_total([r.loop for r in rows]), kpi_total([r.kpi for r in rows]))


# --- closed but unrated ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnratedOrder:
    """A closed work order no channel could get a rating for (应评未评)."""

    workorder_id: int
    number: str
    unit_id: int | None
    unit_name: str | None
    title: str
    closed_at: datetime
    survey_state: str | None  # the latest survey's state; None: no survey was ever queued
    has_mobile: bool = field(default=True)

    @property
    def reason_zh(self) -> str:
        if self.survey_state is None:
            return "未发起回访（无企业手机号）" if not self.has_mobile else "未发起回访"
        return SURVEY_END_ZH.get(self.survey_state, f"回访结束未评价（{self.survey_state}）")


SURVEY_END_ZH = {
    "unreachable": "电话回访未接通",
    "expired": "短信回访已过期",
    "opted_out": "企业已退订短信",
    "suppressed": "企业已退订短信",
}


async def unrated(
    session: AsyncSession, start: datetime | None, end: datetime | None, unit_id: int | None = None
) -> list[UnratedOrder]:
    """The period's (received in it, as the coverage counts) closed work orders still unrated after
    every channel, oldest closure first."""
    latest = (
        select(SurveyRow.state)
        .where(SurveyRow.workorder_id == WorkOrderRow.id)
        .order_by(SurveyRow.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(WorkOrderRow, UnitRow.name, latest)
        .outerjoin(UnitRow, UnitRow.id == WorkOrderRow.unit_id)
        .where(
            _received_in(start, end),
            WorkOrderRow.closed_at.is_not(None),
            WorkOrderRow.rating.is_(None),
            _no_survey_under_way(),
        )
        .order_by(WorkOrderRow.closed_at, WorkOrderRow.id)
        .limit(MAX_ROWS)
    )
    if unit_id is not None:
        stmt = stmt.where(WorkOrderRow.unit_id == unit_id)
    out = []
    for order, unit_name, survey_state in (await session.execute(stmt)).all():
        assert order.closed_at is not None
        out.append(
            UnratedOrder(
                workorder_id=order.id,
                number=order.number,
                unit_id=order.unit_id,
                unit_name=unit_name,
                title=order.title,
                closed_at=order.closed_at,
                survey_state=survey_state,
                has_mobile=survey_mobile(order.caller_phone) is not None,
            )
        )
    return out
