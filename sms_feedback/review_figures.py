"""The review loop's SQL in one place: the three lists, the figures and the unrated closures.

Reports call these functions with a session; the API (sms_feedback.reviews_web) does too.

Figures, per unit and period [start, end):
- 整改回访满意率 (revisit satisfaction rate) = rectification entries closed as revisit-satisfied ÷
  rectification entries with a revisit answer, both counted by the time of the entry's latest revisit
  answer (`revisited_at`). An entry still being rectified after a dissatisfied revisit counts in the
  denominator only. Entries a supervisor closed without a revisit answer count in neither.
- 评价覆盖率 (evaluation coverage, 应评尽评) = closed work orders that are rated ÷ closed work orders,
  by the time of closure (`closed_at`, the latest closure). A rectified order closed again keeps its
  first rating, so it stays rated.
- unrated after all channels: closed, unrated work orders with no survey still under way (none was
  ever queued — e.g. no mobile number — or every survey ended unrated: unreachable by phone, expired,
  opted out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sms_feedback.adapters.orm import (
    ReviewBadReviewRow,
    ReviewRectificationRow,
    ReviewResponsibilityRow,
    SurveyRow,
)
from sms_feedback.domain.reviews import ReviewState, ratio
from ticketing.adapters.orm import UnitRow, WorkOrderRow
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


async def bad_reviews(
    session: AsyncSession, filters: ReviewFilters
) -> list[tuple[ReviewBadReviewRow, ReviewRectificationRow]]:
    """差评清单: dissatisfied ratings given in the period, with their entry, newest first."""
    stmt = (
        select(ReviewBadReviewRow, ReviewRectificationRow)
        .join(ReviewRectificationRow, ReviewRectificationRow.id == ReviewBadReviewRow.review_id)
        .order_by(ReviewBadReviewRow.rated_at.desc(), ReviewBadReviewRow.id.desc())
    )
    stmt = _scoped(stmt, ReviewBadReviewRow.unit_id, ReviewBadReviewRow.rated_at, filters)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def responsibilities(
    session: AsyncSession, filters: ReviewFilters
) -> list[tuple[ReviewResponsibilityRow, ReviewRectificationRow]]:
    """责任清单: who answers for each bad review recorded in the period, with the entry's state."""
    stmt = (
        select(ReviewResponsibilityRow, ReviewRectificationRow)
        .join(ReviewRectificationRow, ReviewRectificationRow.id == ReviewResponsibilityRow.review_id)
        .order_by(ReviewResponsibilityRow.recorded_at.desc(), ReviewResponsibilityRow.id.desc())
    )
    stmt = _scoped(stmt, ReviewResponsibilityRow.unit_id, ReviewResponsibilityRow.recorded_at, filters)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


# --- the figures ----------------------------------------------------------------------------------------


@dataclass
class ReviewFigures:
    """One unit's (or every unit's, unit_id None) review figures for a period."""

    unit_id: int | None
    unit_name: str
    bad_reviews: int = 0  # 差评 (every dissatisfied rating, revisits included)
    rectifications_opened: int = 0  # 新增整改
    revisit_answered: int = 0  # 整改后有回访结果
    revisit_satisfied: int = 0  # 回访满意销号
    closed_by_supervisor: int = 0  # 督查销号 (by closing time)
    closed: int = 0  # 办结工单
    rated: int = 0  # 其中已评价
    unrated_final: int = 0  # 其中各渠道均未评上

    @property
    def revisit_satisfaction_rate(self) -> float | None:
        return ratio(self.revisit_satisfied, self.revisit_answered)

    @property
    def evaluation_coverage(self) -> float | None:
        return ratio(self.rated, self.closed)

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "counts": {
                "bad_reviews": self.bad_reviews,
                "rectifications_opened": self.rectifications_opened,
                "revisit_answered": self.revisit_answered,
                "revisit_satisfied": self.revisit_satisfied,
                "closed_by_supervisor": self.closed_by_supervisor,
                "closed": self.closed,
                "rated": self.rated,
                "unrated_final": self.unrated_final,
            },
            "rates": {
                "revisit_satisfaction_rate": rounded(self.revisit_satisfaction_rate),
                "evaluation_coverage": rounded(self.evaluation_coverage),
            },
        }


DEFINITIONS = [
    {
        "key": "revisit_satisfaction_rate",
        "name_zh": "整改回访满意率",
        "numerator": "回访满意销号的整改事项数 (entries closed as revisit-satisfied)",
        "denominator": "有回访结果的整改事项数 (entries with a revisit answer), 按最近一次回访时间计入期间",
        "target": 1.0,
    },
    {
        "key": "evaluation_coverage",
        "name_zh": "评价覆盖率（应评尽评）",
        "numerator": "已评价的办结工单数 (closed and rated)",
        "denominator": "办结工单数 (closed, by closing time)",
        "target": None,
    },
]


def _no_survey_under_way() -> Any:
    return ~exists().where(
        and_(SurveyRow.workorder_id == WorkOrderRow.id, SurveyRow.state.in_(SURVEYS_UNDER_WAY))
    )


async def _grouped(session: AsyncSession, stmt: Select[Any]) -> dict[int | None, int]:
    return {unit: int(n) for unit, n in (await session.execute(stmt)).all()}


async def figures(
    session: AsyncSession, start: datetime | None, end: datetime | None, unit_id: int | None = None
) -> list[ReviewFigures]:
    """The figures per unit (units with anything to count), in unit order."""
    f = ReviewFilters(unit_id=unit_id, start=start, end=end)

    def per_unit(unit_column: Any, time_column: Any, *where: Any) -> Select[Any]:
        stmt = select(unit_column, func.count()).where(*where).group_by(unit_column)
        if unit_id is not None:
            stmt = stmt.where(unit_column == unit_id)
        return _period(stmt, time_column, f)

    rr = ReviewRectificationRow
    closed_order = WorkOrderRow.closed_at.is_not(None)
    measures: dict[str, dict[int | None, int]] = {
        "bad_reviews": await _grouped(
            session, per_unit(ReviewBadReviewRow.unit_id, ReviewBadReviewRow.rated_at)
        ),
        "rectifications_opened": await _grouped(session, per_unit(rr.unit_id, rr.opened_at)),
        "revisit_answered": await _grouped(
            session, per_unit(rr.unit_id, rr.revisited_at, rr.revisit_rating.is_not(None))
        ),
        "revisit_satisfied": await _grouped(
            session, per_unit(rr.unit_id, rr.revisited_at, rr.state == ReviewState.CLOSED_SATISFIED.value)
        ),
        "closed_by_supervisor": await _grouped(
            session, per_unit(rr.unit_id, rr.closed_at, rr.state == ReviewState.CLOSED_BY_SUPERVISOR.value)
        ),
        "closed": await _grouped(session, per_unit(WorkOrderRow.unit_id, WorkOrderRow.closed_at, closed_order)),
        "rated": await _grouped(
            session,
            per_unit(WorkOrderRow.unit_id, WorkOrderRow.closed_at, closed_order, WorkOrderRow.rating.is_not(None)),
        ),
        "unrated_final": await _grouped(
            session,
            per_unit(
                WorkOrderRow.unit_id,
                WorkOrderRow.closed_at,
                closed_order,
                WorkOrderRow.rating.is_(None),
                _no_survey_under_way(),
            ),
        ),
    }
    units = {u.id: u.name for u in (await session.scalars(select(UnitRow))).all()}
    keys = sorted({k for counts in measures.values() for k in counts}, key=lambda k: (k is None, k or 0))
    out = []
    for key in keys:
        row = ReviewFigures(key, units.get(key, "未派单") if key is not None else "未派单")
        for name, counts in measures.items():
            setattr(row, name, counts.get(key, 0))
        out.append(row)
    return out


def total(rows: list[ReviewFigures]) -> ReviewFigures:
    """Every unit together (全县合计)."""
    out = ReviewFigures(None, "全县合计")
    for name in ReviewFigures.__dataclass_fields__:
        if name in ("unit_id", "unit_name"):
            continue
        setattr(out, name, sum(getattr(r, name) for r in rows))
    return out


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
    """Closed work orders in the period still unrated after every channel, oldest closure first."""
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
        .where(WorkOrderRow.closed_at.is_not(None), WorkOrderRow.rating.is_(None), _no_survey_under_way())
        .order_by(WorkOrderRow.closed_at, WorkOrderRow.id)
        .limit(MAX_ROWS)
    )
    if unit_id is not None:
        stmt = stmt.where(WorkOrderRow.unit_id == unit_id)
    stmt = _period(stmt, WorkOrderRow.closed_at, ReviewFilters(start=start, end=end))
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
