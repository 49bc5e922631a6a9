"""The loop after a rating (评价后的闭环): `ReviewLoop` implements the surveys' `WorkOrderRatings` port.

- satisfied / basically satisfied → ticketing evaluates the work order (as the SYSTEM actor): done.
- dissatisfied → ticketing evaluates it, then ONE transaction writes a rectification entry (整改清单,
  due `rectify_days` working days later), its bad-review row (差评清单) and responsibility row (责任清单:
  the unit and the handler who replied before closure); then the work order is reopened (重新办理).
- the unit reports rectification (`report_rectified`) → a revisit survey is queued in the outbox (kind
  `survey.send`, purpose `revisit`, `review_id`) in the same transaction as the entry's change.
- a rating that answers an open entry is its revisit (整改回访): ticketing records it first, whatever the
  work order's state (`WorkOrderService.record_revisit`: a closed order is evaluated, any other keeps its
  state), so ticketing's KPI counts every revisit answer; satisfied closes the entry as 回访满意;
  dissatisfied again adds a bad-review row and starts the next round (the work order is reopened again
  when it had been closed).
- a supervisor may close an open entry with a written reason (`close`).

A rating is applied once per survey (`survey_id`, unique in `review_events`); without one, the states
keep it idempotent (ticketing evaluates only a closed work order, an entry answers each round once).
Ticketing's changes run in ticketing's own transactions, before (evaluate) and after (reopen) the
entry's; a rerun after a crash in between finds the work order rated dissatisfied with no entry and
completes the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sms_feedback.adapters.orm import (
    ReviewBadReviewRow,
    ReviewEventRow,
    ReviewRectificationRow,
    ReviewResponsibilityRow,
)
from sms_feedback.domain import reviews as rv
from ticketing import outbox
from ticketing.adapters.orm import UnitRow, WorkOrderEventRow, WorkOrderRow
from ticketing.domain import workorder as wo
from ticketing.domain.errors import TicketingError
from ticketing.domain.roles import SUPERVISORS, SYSTEM, Actor, Role
from ticketing.services import CalendarProvider, WorkOrderService

log = logging.getLogger(__name__)

SURVEY_SEND = "survey.send"  # the outbox kind sms_feedback.survey_sending delivers
RECTIFY_DAYS = 5
FINISHED = (wo.State.CLOSED.value, wo.State.EVALUATED.value)
RECTIFIERS = SUPERVISORS | {Role.UNIT_HANDLER, Role.UNIT_LEADER}


def revisit_survey_payload(order: WorkOrderRow, review_id: int) -> dict[str, Any]:
    """The `survey.send` payload of a revisit (contract shared with the survey sender)."""
    return {
        "workorder_id": order.id,
        "workorder_number": order.number,
        "phone": wo.survey_mobile(order.caller_phone),
        "matter": " ".join((order.title or order.content).split())[:40],
        "purpose": "revisit",
        "review_id": review_id,
    }


@dataclass(frozen=True)
class Rectified:
    """The result of `report_rectified`: the entry and whether a revisit survey was queued."""

    entry: ReviewRectificationRow
    survey_queued: bool


class ReviewLoop:
    """`WorkOrderRatings` plus the rectification use cases (整改、回访、销号)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        workorders: WorkOrderService,
        calendar: CalendarProvider,
        now: Callable[[], datetime],
        rectify_days: int = RECTIFY_DAYS,
    ) -> None:
        if rectify_days < 1:
            raise ValueError(f"rectify_days must be >= 1, got {rectify_days}")
        self._sessions = sessions
        self._workorders = workorders
        self._calendar = calendar
        self._now = now
        self._rectify_days = rectify_days
        self._lock = asyncio.Lock()  # one rating at a time: two channels answering at once stay ordered

    # --- the WorkOrderRatings port ------------------------------------------------------------------

    async def evaluate(
        self,
        workorder_number: str,
        rating: str,
        channel: str,
        comment: str | None,
        *,
        survey_id: int | None = None,
    ) -> None:
        """Apply one rating of the work order (by SMS, the rating link or phone)."""
        value = rv.parse_rating(rating)
        comment = (comment or "").strip() or None
        async with self._lock:
            if survey_id is not None and await self._seen(survey_id):
                log.info("survey %s was already applied to the review loop", survey_id)
                return
            order = await self._order(workorder_number)
            if order is None:
                log.warning("rating for unknown work order %s ignored", workorder_number)
                return
            entry = await self._open_entry(order.id)
            closed_again = order.state == wo.State.CLOSED.value
            if entry is not None:
                if not rv.is_revisit_answer(rv.ReviewState(entry.state), closed_again):
                    log.info(
                        "rating of %s ignored: round %d of entry %d is not reported rectified yet",
                        workorder_number, entry.round, entry.id,
                    )
                    return
                await self._ticketing_revisit(order.number, value, channel, comment)
                await self._answer_revisit(entry.id, value, channel, comment, survey_id)
                if value == rv.DISSATISFIED:
                    await self._reopen_if_dissatisfied(order.number, f"整改回访仍不满意（整改单 {entry.id}）")
                return
            if closed_again:
                if not await self._ticketing_evaluate(order.number, value, channel, comment):
                    return
            elif not (value == rv.DISSATISFIED and await self._unfinished_bad_rating(order)):
                log.info("rating of %s ignored: work order is %s", workorder_number, order.state)
                return
            if value in rv.POSITIVE:
                return
            review_id = await self._open(order.number, value, channel, comment, survey_id)
            if review_id is not None:
                await self._reopen_if_dissatisfied(order.number, f"企业评价不满意，转入整改（整改单 {review_id}）")

    async def reopen(self, workorder_number: str, reason: str) -> None:
        """Reopen for rectification, only when the work order is finished and its last rating was
        dissatisfied; `evaluate` already does so, so a second call changes nothing."""
        async with self._lock:
            await self._reopen_if_dissatisfied(workorder_number, reason)

    # --- the unit and the supervisor ------------------------------------------------------------------

    async def report_rectified(self, actor: Actor, review_id: int, text: str | None) -> Rectified:
        """The unit reports what it fixed; the revisit survey is queued in the same transaction."""
        if actor.role not in RECTIFIERS:
            raise rv.ReviewForbidden("只有承办单位或督查员可以报告整改完成 (unit staff or supervisors only)")
        now = self._now()
        async with self._sessions.begin() as session:
            entry = await self._visible_entry(session, actor, review_id, for_update=True)
            change = rv.report_rectified(_domain(entry), text, now)
            _apply(entry, change.entry, now)
            entry.rectified_by = actor.name
            order = await session.get(WorkOrderRow, entry.workorder_id)
            queued = False
            note = change.note
            if order is not None and wo.survey_mobile(order.caller_phone) is not None:
                queued = await outbox.enqueue(
                    session,
                    SURVEY_SEND,
                    revisit_survey_payload(order, entry.id),
                    f"{SURVEY_SEND}:revisit:{entry.id}:{entry.round}",
                    work_order_id=order.id,
                    now=now,
                )
            else:
                note = f"{change.note}（企业无手机号，未发送回访短信，请电话回访）"
            _event(session, entry.id, now, actor, change.action, change.state_before, change.state_after, note)
        return Rectified(entry, queued)

    async def close(self, actor: Actor, review_id: int, reason: str | None) -> ReviewRectificationRow:
        """A supervisor closes an open entry (督查销号); the written reason is required."""
        if actor.role not in SUPERVISORS:
            raise rv.ReviewForbidden("只有督查员或管理员可以销号 (supervisors and admins only)")
        now = self._now()
        async with self._sessions.begin() as session:
            entry = await self._visible_entry(session, actor, review_id, for_update=True)
            change = rv.close_by_supervisor(_domain(entry), reason, now)
            _apply(entry, change.entry, now)
            entry.closed_by = actor.name
            _event(session, entry.id, now, actor, change.action, change.state_before, change.state_after, change.note)
        return entry

    async def detail(
        self, actor: Actor, review_id: int
    ) -> tuple[
        ReviewRectificationRow, list[ReviewBadReviewRow], ReviewResponsibilityRow | None, list[ReviewEventRow]
    ]:
        """One entry with its bad reviews, responsibility row and events (unit staff: own unit only)."""
        async with self._sessions() as session:
            entry = await self._visible_entry(session, actor, review_id)
            bad = (
                await session.scalars(
                    select(ReviewBadReviewRow)
                    .where(ReviewBadReviewRow.review_id == entry.id)
                    .order_by(ReviewBadReviewRow.id)
                )
            ).all()
            duty = await session.scalar(
                select(ReviewResponsibilityRow).where(ReviewResponsibilityRow.review_id == entry.id)
            )
            events = (
                await session.scalars(
                    select(ReviewEventRow).where(ReviewEventRow.review_id == entry.id).order_by(ReviewEventRow.id)
                )
            ).all()
        return entry, list(bad), duty, list(events)

    # --- steps ----------------------------------------------------------------------------------------

    async def _seen(self, survey_id: int) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(select(ReviewEventRow.id).where(ReviewEventRow.survey_id == survey_id))
        return found is not None

    async def _order(self, number: str) -> WorkOrderRow | None:
        async with self._sessions() as session:
            return await session.scalar(select(WorkOrderRow).where(WorkOrderRow.number == number))

    async def _open_entry(self, workorder_id: int) -> ReviewRectificationRow | None:
        async with self._sessions() as session:
            return await session.scalar(_open_entry_query(workorder_id))

    async def _unfinished_bad_rating(self, order: WorkOrderRow) -> bool:
        """Evaluated dissatisfied but no entry was ever written: an earlier run stopped half-way."""
        if order.state != wo.State.EVALUATED.value or _last_rating(order) != rv.DISSATISFIED:
            return False
        async with self._sessions() as session:
            any_entry = await session.scalar(
                select(ReviewRectificationRow.id).where(ReviewRectificationRow.workorder_id == order.id).limit(1)
            )
        return any_entry is None

    async def _ticketing_evaluate(self, number: str, rating: str, channel: str, comment: str | None) -> bool:
        try:
            await self._workorders.evaluate(SYSTEM, number, wo.Rating(rating), channel, comment)
        except TicketingError as exc:
            log.info("work order %s not evaluated: %s", number, exc)
            return False
        return True

    async def _ticketing_revisit(self, number: str, rating: str, channel: str, comment: str | None) -> None:
        """Every revisit answer reaches ticketing (its `revisit_rating`, read by the 整改回访满意率 of
        ticketing's KPI): a closed order is evaluated, one in any other state records the answer."""
        try:
            await self._workorders.record_revisit(SYSTEM, number, wo.Rating(rating), channel, comment)
        except TicketingError as exc:
            log.info("revisit answer of %s not recorded in ticketing: %s", number, exc)

    async def _reopen_if_dissatisfied(self, number: str, reason: str) -> None:
        order = await self._order(number)
        if order is None or order.state not in FINISHED or _last_rating(order) != rv.DISSATISFIED:
            return
        try:
            await self._workorders.reopen(SYSTEM, number, reason)
        except TicketingError as exc:
            log.info("work order %s not reopened: %s", number, exc)

    async def _open(
        self, number: str, rating: str, channel: str, comment: str | None, survey_id: int | None
    ) -> int | None:
        """Write the three list entries of a first bad rating in one transaction."""
        now = self._now()
        calendar = await self._calendar()
        due = calendar.add_working_days(now, self._rectify_days)
        try:
            async with self._sessions.begin() as session:
                order = (
                    await session.scalars(select(WorkOrderRow).where(WorkOrderRow.number == number))
                ).one()
                if await session.scalar(_open_entry_query(order.id)) is not None:
                    return None
                change = rv.open_rectification(comment, order.title, due)
                entry = ReviewRectificationRow(
                    workorder_id=order.id,
                    workorder_number=order.number,
                    unit_id=order.unit_id,
                    matter=(order.title or order.content[:40])[:200],
                    opened_at=now,
                )
                _apply(entry, change.entry, now)
                session.add(entry)
                await session.flush()
                session.add(_bad_review(entry, 1, rating, channel, comment, now, survey_id))
                session.add(await _responsibility(session, entry, order, now))
                _event(session, entry.id, now, SYSTEM, change.action, None, change.state_after, change.note, survey_id)
        except IntegrityError:
            log.info("survey %s already opened an entry", survey_id)
            return None
        log.info("bad review of %s: rectification entry %d due %s", number, entry.id, due.isoformat())
        return entry.id

    async def _answer_revisit(
        self, review_id: int, rating: str, channel: str, comment: str | None, survey_id: int | None
    ) -> None:
        now = self._now()
        calendar = await self._calendar()
        try:
            async with self._sessions.begin() as session:
                entry = (
                    await session.scalars(
                        select(ReviewRectificationRow)
                        .where(ReviewRectificationRow.id == review_id)
                        .with_for_update()
                    )
                ).one()
                before = rv.ReviewState(entry.state)
                change = rv.answer_revisit(
                    _domain(entry), rating, now, calendar.add_working_days(now, self._rectify_days)
                )
                _apply(entry, change.entry, now)
                if rating == rv.DISSATISFIED:
                    session.add(_bad_review(entry, entry.round, rating, channel, comment, now, survey_id))
                note = f"{change.note}（{rv.CHANNEL_ZH.get(channel, channel)}）"
                if comment:
                    note = f"{note}：{comment}"
                _event(session, entry.id, now, SYSTEM, change.action, before, change.state_after, note, survey_id)
        except IntegrityError:
            log.info("survey %s already answered entry %d", survey_id, review_id)

    async def _visible_entry(
        self, session: AsyncSession, actor: Actor, review_id: int, *, for_update: bool = False
    ) -> ReviewRectificationRow:
        stmt = select(ReviewRectificationRow).where(ReviewRectificationRow.id == review_id)
        if for_update:
            stmt = stmt.with_for_update()
        entry = await session.scalar(stmt)
        if entry is None or not actor.can_see(entry.unit_id):
            raise rv.ReviewNotFound(f"整改事项 {review_id} 不存在 (no such review entry)")
        return entry


def _open_entry_query(workorder_id: int) -> Select[Any]:
    open_states = [s.value for s in rv.OPEN_STATES]
    return (
        select(ReviewRectificationRow)
        .where(ReviewRectificationRow.workorder_id == workorder_id, ReviewRectificationRow.state.in_(open_states))
        .order_by(ReviewRectificationRow.id.desc())
        .limit(1)
    )


def _last_rating(order: WorkOrderRow) -> str | None:
    """The rating that decides the work order now: the revisit rating once it was reopened."""
    if order.reopened_count > 0 and order.revisit_rating is not None:
        return order.revisit_rating
    return order.rating


def _domain(entry: ReviewRectificationRow) -> rv.Rectification:
    return rv.Rectification(
        state=rv.ReviewState(entry.state),
        round=entry.round,
        due_at=entry.due_at,
        task=entry.task,
        rectification=entry.rectification,
        rectified_at=entry.rectified_at,
        revisit_rating=entry.revisit_rating,
        revisited_at=entry.revisited_at,
        closed_at=entry.closed_at,
        close_reason=entry.close_reason,
    )


def _apply(entry: ReviewRectificationRow, value: rv.Rectification, now: datetime) -> None:
    entry.state = value.state.value
    entry.round = value.round
    entry.due_at = value.due_at
    entry.task = value.task
    entry.rectification = value.rectification
    entry.rectified_at = value.rectified_at
    entry.revisit_rating = value.revisit_rating
    entry.revisited_at = value.revisited_at
    entry.closed_at = value.closed_at
    entry.close_reason = value.close_reason
    entry.updated_at = now


def _bad_review(
    entry: ReviewRectificationRow,
    round_: int,
    rating: str,
    channel: str,
    comment: str | None,
    at: datetime,
    survey_id: int | None,
) -> ReviewBadReviewRow:
    return ReviewBadReviewRow(
        review_id=entry.id,
        round=round_,
        workorder_id=entry.workorder_id,
        workorder_number=entry.workorder_number,
        unit_id=entry.unit_id,
        rating=rating,
        channel=channel,
        comment=comment,
        rated_at=at,
        survey_id=survey_id,
    )


async def _responsibility(
    session: AsyncSession, entry: ReviewRectificationRow, order: WorkOrderRow, at: datetime
) -> ReviewResponsibilityRow:
    """The unit, the handler whose reply preceded the closure, and who closed it."""

    async def last(action: wo.Action) -> WorkOrderEventRow | None:
        return await session.scalar(
            select(WorkOrderEventRow)
            .where(WorkOrderEventRow.work_order_id == order.id, WorkOrderEventRow.action == action.value)
            .order_by(WorkOrderEventRow.id.desc())
            .limit(1)
        )

    unit = await session.get(UnitRow, order.unit_id) if order.unit_id is not None else None
    replied = await last(wo.Action.REPLY)
    closed = await last(wo.Action.CLOSE)
    return ReviewResponsibilityRow(
        review_id=entry.id,
        workorder_id=order.id,
        workorder_number=order.number,
        unit_id=order.unit_id,
        unit_name=unit.name if unit is not None else None,
        handler_id=replied.actor_id if replied is not None else None,
        handler_name=replied.actor_name if replied is not None else None,
        closed_by=closed.actor_name if closed is not None else None,
        recorded_at=at,
    )


def _event(
    session: AsyncSession,
    review_id: int,
    at: datetime,
    actor: Actor,
    action: rv.ReviewAction,
    before: rv.ReviewState | None,
    after: rv.ReviewState,
    note: str | None,
    survey_id: int | None = None,
) -> None:
    session.add(
        ReviewEventRow(
            review_id=review_id,
            at=at,
            actor_id=actor.id,
            actor_name=actor.name,
            actor_role=actor.role.value,
            action=action.value,
            state_before=before.value if before is not None else None,
            state_after=after.value,
            note=note,
            survey_id=survey_id,
        )
    )
