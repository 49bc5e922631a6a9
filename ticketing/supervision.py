"""The supervision watcher (督办巡检): warns before deadlines, marks overdue work orders, opens supervision.

Every pass (default each minute):

- **due soon (临期预警)**: a work order the unit still holds (dispatched, signed, handling) whose close
  or reply due time — or, while unsigned, its sign-for due time — falls within the next `warn_hours`
  working hours (default 2, office time only) is marked `warned_at`, and its unit gets a DingTalk
  warning through the outbox — once per deadline: after signing, the close due time is warned about
  in its turn, and so is a due time an approved extension moved (a warning at `warned_at` covered a
  deadline only if that deadline was then within the window).
- **repeat complaints (重复投诉)**: complaints registered since the last pass are checked against the
  caller's or enterprise's earlier work orders (`ticketing.repeat_links`); a repeat is linked, flagged
  and supervised (services may also link at registration; linking twice is a no-op).
- **overdue (超期)**: such a work order past its due time (or past its sign-for time while unsigned) is
  marked `overdue_at`, gets ONE supervision order (督办单, kind "overdue", idempotency key
  `overdue:<id>`), a "supervise" event by the system on its trail, and a DingTalk supervision notice for
  its unit — all in one transaction, so a crash leaves either all of it or none.

A notice is queued only when the unit has a DingTalk webhook; the outbox worker delivers it with
retries. The conditional `UPDATE … WHERE overdue_at IS NULL` makes two watchers (two service instances)
safe: only one wins a work order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.clock import REAL_TIME, Clock
from ticketing.adapters.orm import SupervisionOrderRow, UnitRow, WorkOrderEventRow, WorkOrderRow
from ticketing.domain.calendar import CalendarError, WorkingCalendar
from ticketing.domain.workorder import UNIT_STATES, State
from ticketing.outbox import DINGTALK_UNIT, enqueue
from ticketing.repeat_links import CHECKED_CLASSES, RepeatLinker

log = logging.getLogger(__name__)

W = WorkOrderRow
HELD_STATES = sorted(s.value for s in UNIT_STATES)
WATCHER_NAME = "督办巡检"

CalendarSource = Callable[[], Awaitable[WorkingCalendar]]


@dataclass(frozen=True)
class WatchPolicy:
    """How the watcher works: warn `warn_hours` working hours ahead, scan every `interval_seconds`."""

    warn_hours: float = 2.0
    interval_seconds: float = 60.0
    supervision_days: int = 1  # the unit answers a supervision order within this many working days
    batch: int = 500


@dataclass
class ScanReport:
    """Work-order numbers warned and supervised in one pass."""

    warned: list[str] = field(default_factory=list)
    supervised: list[str] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Candidate:
    id: int
    number: str
    title: str
    state: str
    due: datetime | None
    sign_due: datetime | None
    unit_id: int | None
    webhook: str | None
    warned_at: datetime | None


def _when(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日{local:%H:%M}"


def _matter(c: _Candidate) -> str:
    return c.title or "未命名事项"


class SupervisionWatcher:
    """Finds work orders due soon or overdue and acts on each in its own transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        calendar: CalendarSource,
        *,
        policy: WatchPolicy = WatchPolicy(),
        clock: Clock = REAL_TIME,
        on_queued: Callable[[], None] | None = None,
        repeats: RepeatLinker | None = None,
    ) -> None:
        self._sessions = sessions
        self._calendar = calendar
        self.policy = policy
        self._clock = clock
        self._on_queued = on_queued
        self._repeats = repeats
        self._repeats_checked_until: datetime | None = None

    async def run(self) -> None:
        """Scan every `interval_seconds` (the first scan after one interval) until cancelled."""
        last_error = ""
        while True:
            await self._clock.sleep(self.policy.interval_seconds)
            try:
                report = await self.scan()
                last_error = ""
                if report.warned or report.supervised or report.repeats:
                    log.info("督办巡检: warned %s, supervised %s, repeats %s",
                             report.warned, report.supervised, report.repeats)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if repr(exc) != last_error:  # a lasting failure is logged once, not every minute
                    log.exception("supervision scan failed; scanning again every %.0fs", self.policy.interval_seconds)
                last_error = repr(exc)

    async def scan(self, now: datetime | None = None) -> ScanReport:
        now = now or self._clock.now()
        calendar = await self._calendar()
        report = ScanReport()
        if self._repeats is not None:
            report.repeats = await self._link_repeats(now)
        for c in await self._overdue(now):
            if await self._supervise(c, now, calendar):
                report.supervised.append(c.number)
        try:
            horizon = calendar.add_working_hours(now, self.policy.warn_hours)
        except CalendarError as exc:
            log.error("due-soon warnings skipped: %s", exc)
            horizon = None
        if horizon is not None:
            for c in await self._due_soon(now, horizon):
                if await self._warn(c, now, horizon, calendar):
                    report.warned.append(c.number)
        if (report.warned or report.supervised or report.repeats) and self._on_queued is not None:
            self._on_queued()
        return report

    # --- finding ----------------------------------------------------------------------------------

    async def _candidates(self, condition: Any) -> list[_Candidate]:
        stmt = (
            select(
                W.id, W.number, W.title, W.state, W.due, W.sign_due, W.unit_id, UnitRow.dingtalk_webhook, W.warned_at
            )
            .outerjoin(UnitRow, UnitRow.id == W.unit_id)
            .where(W.state.in_(HELD_STATES), W.overdue_at.is_(None), condition)
            .order_by(W.warned_at.is_not(None), W.id)  # never warned first, so a full batch starves none
            .limit(self.policy.batch)
        )
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [_Candidate(*row) for row in rows]

    async def _overdue(self, now: datetime) -> list[_Candidate]:
        unsigned_late = and_(W.state == State.DISPATCHED.value, W.sign_due < now)
        return await self._candidates(or_(W.due < now, unsigned_late))

    async def _due_soon(self, now: datetime, horizon: datetime) -> list[_Candidate]:
        due_soon = and_(W.due >= now, W.due <= horizon)
        sign_soon = and_(W.state == State.DISPATCHED.value, W.sign_due >= now, W.sign_due <= horizon)
        return await self._candidates(or_(due_soon, sign_soon))

    async def _link_repeats(self, now: datetime) -> list[str]:
        """Check complaints registered since the last pass (on start: the last day)."""
        assert self._repeats is not None
        since = self._repeats_checked_until or now - timedelta(days=1)
        stmt = (
            select(W.id, W.number, W.registered_at)
            .where(
                W.registered_at > since,
                W.registered_at <= now,
                W.order_class.in_(CHECKED_CLASSES),
                W.repeat_of.is_(None),
            )
            .order_by(W.registered_at, W.id)
            .limit(self.policy.batch)
        )
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        fresh = [(order_id, number, at) for order_id, number, at in rows if at is not None]
        linked: list[str] = []
        checked_until = now
        if len(fresh) == self.policy.batch:  # more to come: continue next pass from the last one seen
            checked_until = fresh[-1][2] - timedelta(microseconds=1)
        for order_id, number, registered_at in fresh:
            try:
                async with self._sessions.begin() as session:
                    row = await session.get(W, order_id)
                    if row is not None and await self._repeats.link(session, row, now) is not None:
                        linked.append(number)
            except SQLAlchemyError as exc:  # e.g. the order changed under us: check it again next pass
                log.warning("repeat check of %s postponed: %r", number, exc)
                checked_until = min(checked_until, registered_at - timedelta(microseconds=1))
        self._repeats_checked_until = checked_until
        return linked

    # --- acting -----------------------------------------------------------------------------------

    async def _supervise(self, c: _Candidate, now: datetime, calendar: WorkingCalendar) -> bool:
        unsigned = c.state == State.DISPATCHED.value and c.sign_due is not None and c.sign_due < now
        missed = c.sign_due if unsigned else c.due
        assert missed is not None
        what = "签收" if unsigned else "办结"
        reason = f"超期未{what}：办理时限{_when(missed, calendar.tz)}已过，系统自动督办"
        try:
            answer_by: datetime | None = calendar.add_working_days(now, self.policy.supervision_days)
        except CalendarError:
            answer_by = None
        async with self._sessions.begin() as session:
            won = await session.execute(
                update(W)
                .where(W.id == c.id, W.overdue_at.is_(None), W.state.in_(HELD_STATES))
                .values(overdue_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) != 1:
                return False  # another watcher got there first, or the unit just answered
            order = SupervisionOrderRow(
                work_order_id=c.id, unit_id=c.unit_id, kind="overdue", opened_at=now, reason=reason,
                due=answer_by, idempotency_key=f"overdue:{c.id}",
            )
            session.add(order)
            await session.flush()
            session.add(
                WorkOrderEventRow(
                    work_order_id=c.id, at=now, actor_id=None, actor_name=WATCHER_NAME, actor_role="system",
                    action="supervise", state_before=c.state, state_after=c.state, reason=reason,
                    before={"overdue_at": None},
                    after={"overdue_at": now.isoformat(), "supervision_order": order.id},
                )
            )
            if c.webhook and c.unit_id is not None:
                reply_by = f"请于{_when(answer_by, calendar.tz)}前办结并反馈" if answer_by else "请立即办理并反馈"
                await enqueue(
                    session,
                    DINGTALK_UNIT,
                    {
                        "unit_id": c.unit_id,
                        "work_order": c.number,
                        "title": f"督办：工单{c.number}已超期",
                        "text": f"### 超期督办通知\n\n工单 **{c.number}**：{_matter(c)}\n\n"
                        f"- 办理时限：{_when(missed, calendar.tz)}（已超期未{what}）\n"
                        f"- 督办单号：DB{order.id:06d}\n\n{reply_by}。",
                    },
                    f"overdue:{c.id}",
                    work_order_id=c.id,
                    now=now,
                )
        return True

    async def _warn(self, c: _Candidate, now: datetime, horizon: datetime, calendar: WorkingCalendar) -> bool:
        signing = c.state == State.DISPATCHED.value and c.sign_due is not None and now <= c.sign_due <= horizon
        due = c.sign_due if signing else c.due
        assert due is not None
        if c.warned_at is not None and due <= calendar.add_working_hours(c.warned_at, self.policy.warn_hours):
            return False  # this deadline was already in the window when the last warning went out
        what = "签收" if signing else "办结"
        tz = calendar.tz
        previous = W.warned_at.is_(None) if c.warned_at is None else W.warned_at == c.warned_at
        async with self._sessions.begin() as session:
            won = await session.execute(
                update(W)
                .where(W.id == c.id, previous, W.overdue_at.is_(None))
                .values(warned_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) != 1:
                return False
            if c.webhook and c.unit_id is not None:
                await enqueue(
                    session,
                    DINGTALK_UNIT,
                    {
                        "unit_id": c.unit_id,
                        "work_order": c.number,
                        "title": f"临期预警：工单{c.number}",
                        "text": f"### 工单临期预警\n\n工单 **{c.number}**：{_matter(c)}\n\n"
                        f"- {what}时限：{_when(due, tz)}\n\n请抓紧{what}，避免超期。",
                    },
                    f"warn:{c.id}:{due.astimezone(tz):%Y%m%d%H%M}",
                    work_order_id=c.id,
                    now=now,
                )
        return True


def fixed_calendar(calendar: WorkingCalendar) -> CalendarSource:
    """A calendar source that always returns `calendar` (tests, the CLI)."""

    async def source() -> WorkingCalendar:
        return calendar

    return source
