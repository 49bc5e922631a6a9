"""The unit's ratings and the review lists (评价与整改): 满意/基本满意/不满意 counts for the month and the
recent ratings with their channel, the bad-review list (差评清单), the responsibility list (责任清单) and
the month's 评价覆盖率 and 整改回访满意率 as ticketing's KPI counts them (the one definition, over the work
orders received this month), the rectification tasks (整改清单) with due dates coloured by urgency, a form to report a rectification
done and, for supervisors, one to close an entry with a written reason (督查销号).

Unit staff see their own unit; supervisors and admins every unit (or one, `?unit=`), with CSV links to
the review API (`/api/v1/reviews/...?format=csv`). The lists come from `sms_feedback.review_figures`;
every change goes through `sms_feedback.review_loop.ReviewLoop`, so its rules apply unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.auth.services import SignedIn
from console.domain import URGENCY_ZH, Urgency
from console.pages_kb import number
from console.web import forbidden, now, page, render, tz
from hotline.app import SESSIONS
from sms_feedback import review_figures
from sms_feedback.adapters.orm import ReviewRectificationRow
from sms_feedback.domain import reviews as rv
from sms_feedback.review_figures import ReviewFilters
from sms_feedback.reviews_web import REVIEW_LOOP
from ticketing.adapters.orm import WorkOrderRow
from ticketing.domain.kpi import Period, format_rate
from ticketing.domain.kpi import total as kpi_total
from ticketing.domain.roles import SUPERVISORS, UNIT_STAFF
from ticketing.web import DIRECTORY

log = logging.getLogger("console.reviews")
REVIEW_ROLES = (*UNIT_STAFF, *SUPERVISORS)
RECENT = 20
LIST_ROWS = 200


def rectification_urgency(entry: ReviewRectificationRow, at: datetime, zone: ZoneInfo) -> Urgency:
    """Red once an entry being rectified is past its due time, amber on its last (local) day.
    An entry waiting for the enterprise's revisit, or closed, is not the unit's clock."""
    if entry.state != rv.ReviewState.RECTIFYING.value:
        return Urgency.NORMAL
    if at > entry.due_at:
        return Urgency.OVERDUE
    if entry.due_at.astimezone(zone).date() == at.astimezone(zone).date():
        return Urgency.DUE_TODAY
    return Urgency.NORMAL


@dataclass(frozen=True)
class TaskRow:
    entry: ReviewRectificationRow
    urgency: Urgency

    @property
    def urgency_zh(self) -> str:
        return URGENCY_ZH[self.urgency]

    @property
    def state_zh(self) -> str:
        return rv.ReviewState(self.entry.state).label_zh


async def unit_ratings(
    sessions: async_sessionmaker[AsyncSession], unit_id: int | None, start: datetime, end: datetime
) -> tuple[dict[str, int], list[WorkOrderRow]]:
    """The ratings given in [start, end) by rating (the work order's first rating), and the latest ones."""
    counted = (
        select(WorkOrderRow.rating, func.count())
        .where(WorkOrderRow.rating.is_not(None), WorkOrderRow.rated_at >= start, WorkOrderRow.rated_at < end)
        .group_by(WorkOrderRow.rating)
    )
    recent = (
        select(WorkOrderRow)
        .where(WorkOrderRow.rating.is_not(None))
        .order_by(WorkOrderRow.rated_at.desc(), WorkOrderRow.id.desc())
        .limit(RECENT)
    )
    if unit_id is not None:
        counted = counted.where(WorkOrderRow.unit_id == unit_id)
        recent = recent.where(WorkOrderRow.unit_id == unit_id)
    async with sessions() as session:
        counts = {str(rating): int(n) for rating, n in (await session.execute(counted)).all()}
        rows = list((await session.scalars(recent)).all())
    return {r: counts.get(r, 0) for r in rv.RATINGS}, rows


def _unit_scope(request: web.Request, signed: SignedIn) -> int | None:
    if signed.actor.role.is_unit_staff:
        return signed.actor.unit_id
    return number(request.query.get("unit", ""))


async def _page(
    request: web.Request, signed: SignedIn, errors: dict[int, str] | None = None, status: int = 200
) -> web.Response:
    at = now(request)
    zone = tz(request)
    unit_id = _unit_scope(request, signed)
    period = Period.parse(at.astimezone(zone).strftime("%Y-%m"))
    start, end = period.bounds(zone)
    counts, recent = await unit_ratings(request.app[SESSIONS], unit_id, start, end)
    rated = sum(counts.values())
    filters = ReviewFilters(unit_id=unit_id, limit=LIST_ROWS)
    async with request.app[SESSIONS]() as session:
        entries = await review_figures.rectifications(session, filters)
        bad = await review_figures.bad_reviews(session, filters)
        duty = await review_figures.responsibilities(session, filters)
        kpis = await review_figures.kpi_figures(session, start, end, unit_id)
    def open_first(entry: ReviewRectificationRow) -> tuple[bool, datetime]:
        is_open = rv.ReviewState(entry.state).is_open
        return (not is_open, entry.due_at if is_open else at)  # open ones by due time, then the closed

    entries = sorted(entries, key=open_first)
    units = sorted(((u.id, u.name) for u in await request.app[DIRECTORY].units(include_inactive=True)), key=lambda u: u[1])
    names = dict(units)
    csv_unit = f"&unit={unit_id}" if unit_id is not None else ""
    return render(
        request,
        "reviews.html",
        status=status,
        unit_id=unit_id,
        unit_name=names.get(unit_id, "") if unit_id is not None else "",
        units=units,
        names=names,
        period=period.name_zh,
        counts=counts,
        rated=rated,
        satisfied_share=f"{(counts[rv.SATISFIED] + counts[rv.BASICALLY_SATISFIED]) / rated * 100:.1f}%" if rated else "—",
        recent=recent,
        kpi=kpi_total(list(kpis.values())),  # ticketing's figures: the one definition (docs/kpi.md)
        format_rate=format_rate,
        tasks=[TaskRow(e, rectification_urgency(e, at, zone)) for e in entries],
        bad=bad,
        duty=duty,
        rating_zh=rv.RATING_ZH,
        channel_zh=rv.CHANNEL_ZH,
        state_zh=lambda s: rv.ReviewState(s).label_zh,
        csv_unit=csv_unit,
        errors=errors or {},
        supervisor=signed.actor.role in SUPERVISORS,
    )


@page(*REVIEW_ROLES)
async def reviews(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    return await _page(request, signed)


@page(*REVIEW_ROLES)
async def review_action(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """报告整改完成 (`rectified`, unit staff of the entry's unit or supervisors) or 督查销号 (`close`)."""
    review_id = number(request.match_info["review_id"])
    action = request.match_info["action"]
    if review_id is None or action not in ("rectified", "close"):
        raise web.HTTPNotFound(text="整改单不存在 (no such entry)")
    form = await request.post()
    text = form.get("text" if action == "rectified" else "reason")
    loop = request.app[REVIEW_LOOP]
    try:
        if action == "rectified":
            await loop.report_rectified(signed.actor, review_id, text if isinstance(text, str) else None)
        else:
            await loop.close(signed.actor, review_id, text if isinstance(text, str) else None)
    except rv.ReviewForbidden as exc:
        return forbidden(request, signed, exc.message)
    except rv.ReviewNotFound:
        raise web.HTTPNotFound(text="整改单不存在 (no such entry)") from None
    except rv.ReviewError as exc:
        return await _page(request, signed, {review_id: exc.message}, exc.status)
    log.info("review %s: %s by %s", review_id, action, signed.login)
    back = f"&unit={request.query['unit']}" if "unit" in request.query else ""
    raise web.HTTPSeeOther(f"/unit/reviews?done={'rectified' if action == 'rectified' else 'review-closed'}{back}")


ROUTES = [
    ("GET", "/unit/reviews", reviews),
    ("POST", "/unit/reviews/{review_id}/{action}", review_action),
]
