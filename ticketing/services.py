"""Work-order services (async): load, apply a pure transition, store the result in ONE transaction.

Every accepted transition writes the work order, its event row, any side record (extension, return,
supervision order) and any outbox rows together, so a crash never leaves a change without its trace
or a promised SMS/DingTalk message unsent. Ports come in through the constructor: the session
factory, the working-day calendar and the clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ticketing import auth
from ticketing.adapters import repository
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.adapters.orm import (
    ExtensionRow,
    ReturnRow,
    SupervisionOrderRow,
    UnitRow,
    UserRow,
    WorkOrderEventRow,
    WorkOrderRow,
)
from ticketing.domain import workorder as wo
from ticketing.domain.calendar import OfficeHours, WorkingCalendar
from ticketing.domain.errors import ConcurrentUpdate, Forbidden, InvalidInput, NotFound
from ticketing.domain.roles import USER_ROLES, Actor, Role

CalendarProvider = Callable[[], Awaitable[WorkingCalendar]]
Step = Callable[[wo.WorkOrder, datetime, WorkingCalendar], wo.Transition]
NO_DETAILS = wo.Details()


def utcnow() -> datetime:
    return datetime.now(UTC)


def fixed_calendar(calendar: WorkingCalendar) -> CalendarProvider:
    async def provide() -> WorkingCalendar:
        return calendar

    return provide


class StoredCalendar:
    """The calendar with the database's overrides and imported years, reloaded at most every `ttl_s`."""

    def __init__(self, store: CalendarStore, hours: OfficeHours, ttl_s: float = 60.0) -> None:
        self._store = store
        self._hours = hours
        self._ttl = ttl_s
        self._cached: WorkingCalendar | None = None
        self._loaded = 0.0
        self._lock = asyncio.Lock()

    async def __call__(self) -> WorkingCalendar:
        async with self._lock:
            if self._cached is None or time.monotonic() - self._loaded > self._ttl:
                self._cached = await self._store.load_calendar(self._hours)
                self._loaded = time.monotonic()
            return self._cached


@dataclass
class Detail:
    """One work order with its trail: events, extensions, returns, supervision orders."""

    order: WorkOrderRow
    events: list[WorkOrderEventRow] = field(default_factory=list)
    extensions: list[ExtensionRow] = field(default_factory=list)
    returns: list[ReturnRow] = field(default_factory=list)
    supervision: list[SupervisionOrderRow] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    items: list[WorkOrderRow]
    total: int
    limit: int
    offset: int
    total_exact: bool = True

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self.items)
        return end if end < self.total or not self.total_exact else None


class WorkOrderService:
    """The closed loop (闭环) as use cases: draft, register, dispatch, sign, … reopen, search."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        calendar: CalendarProvider,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._calendar = calendar
        self._now = now
        # SQLite allows one writer; serializing our writes avoids "database is locked" on lock upgrade.
        self._write_lock: asyncio.Lock | None = None
        bind = sessions.kw.get("bind")
        if bind is not None and bind.dialect.name == "sqlite":
            self._write_lock = asyncio.Lock()
        # Lists only read: without a transaction there is no BEGIN/ROLLBACK round trip per request.
        self._reads = sessions
        if isinstance(bind, AsyncEngine):
            self._reads = async_sessionmaker(
                bind.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
            )

    def _writing(self) -> AbstractAsyncContextManager[Any]:
        return self._write_lock if self._write_lock is not None else nullcontext()

    # --- creation ---------------------------------------------------------------------------------

    async def create_draft(
        self,
        actor: Actor,
        *,
        source: wo.Source = wo.Source.CALL,
        details: wo.Details = NO_DETAILS,
        call_id: str | None = None,
        recording: str | None = None,
        received_at: datetime | None = None,
        order_class: wo.OrderClass | None = None,
        service: wo.Service | None = None,
        complexity: wo.Complexity | None = None,
    ) -> WorkOrderRow:
        """A draft from a call, a voice message (留言) or a callback request (回拨), optionally with the
        class, service and complexity the transcript suggested."""
        now = self._now()
        received = received_at or now
        calendar = await self._calendar()
        async with self._writing(), self._sessions.begin() as session:
            number = await repository.next_number(session, received.astimezone(calendar.tz).date())
            t = wo.new_draft(
                number=number,
                actor=actor,
                at=now,
                source=source,
                details=details,
                call_id=call_id,
                recording=recording,
                received_at=received,
                order_class=order_class,
                service=service,
                complexity=complexity,
            )
            row = repository.new_row(t.order, actor.id)
            row.created_at = now
            session.add(row)
            await session.flush()
            repository.add_event(session, row.id, t.event)
        return row

    async def draft_for_call_once(
        self,
        actor: Actor,
        *,
        source: wo.Source,
        call_id: str,
        details: wo.Details = NO_DETAILS,
        recording: str | None = None,
        received_at: datetime | None = None,
        order_class: wo.OrderClass | None = None,
        service: wo.Service | None = None,
        complexity: wo.Complexity | None = None,
    ) -> WorkOrderRow:
        """The draft of a call's voice message or callback request, made at most once per call and
        source: a pickup that crashed after drafting and runs again finds the same work order."""
        async with self._sessions() as session:
            existing = (
                await session.execute(
                    select(WorkOrderRow)
                    .where(WorkOrderRow.call_id == call_id, WorkOrderRow.source == source.value)
                    .order_by(WorkOrderRow.id)
                    .limit(1)
                )
            ).scalar_one_or_none()
        if existing is not None:
            return existing
        return await self.create_draft(
            actor,
            source=source,
            details=details,
            call_id=call_id,
            recording=recording,
            received_at=received_at,
            order_class=order_class,
            service=service,
            complexity=complexity,
        )

    # --- transitions ------------------------------------------------------------------------------

    async def _act(self, actor: Actor, ref: int | str, step: Step) -> WorkOrderRow:
        now = self._now()
        calendar = await self._calendar()
        try:
            async with self._writing(), self._sessions.begin() as session:
                row = await repository.load(session, ref, for_update=True)
                if not actor.can_see(row.unit_id):
                    raise NotFound(f"工单 {ref} 不存在 (work order {ref} not found)")
                pending = await repository.pending_extension(session, row.id)
                t = step(repository.to_domain(row, pending), now, calendar)
                repository.apply(row, t.order)
                if t.event.action in (wo.Action.DISPATCH, wo.Action.APPROVE_EXTENSION):
                    row.warned_at = None  # new deadlines: the watcher may warn and mark overdue again
                    row.overdue_at = None
                row.updated_at = now
                await session.flush()
                repository.add_event(session, row.id, t.event)
                await self._store_record(session, row, t, pending, actor, now)
                for message in await self._deliverable(session, t.messages):
                    repository.add_message(session, row.id, message, now)
        except StaleDataError as exc:
            raise ConcurrentUpdate(
                "工单已被他人修改，请刷新后重试 (work order changed concurrently)"
            ) from exc
        return row

    async def _store_record(
        self,
        session: AsyncSession,
        row: WorkOrderRow,
        t: wo.Transition,
        pending: ExtensionRow | None,
        actor: Actor,
        now: datetime,
    ) -> None:
        record = t.record
        if isinstance(record, wo.ExtensionRequested):
            session.add(
                ExtensionRow(
                    work_order_id=row.id,
                    requested_at=now,
                    requested_by=actor.id,
                    working_days=record.working_days,
                    reason=record.reason,
                    basis=record.basis,
                    status="pending",
                    old_due=row.due,
                )
            )
        elif isinstance(record, wo.ExtensionDecided) and pending is not None:
            pending.status = "approved" if record.approved else "rejected"
            pending.decided_at = now
            pending.decided_by = actor.id
            pending.decision_note = record.note
            pending.old_due = record.old_due
            pending.new_due = record.new_due
        elif isinstance(record, wo.Returned):
            session.add(
                ReturnRow(
                    work_order_id=row.id,
                    unit_id=record.unit_id,
                    returned_at=now,
                    returned_by=actor.id,
                    reason=record.reason,
                )
            )
        elif isinstance(record, wo.Redispatched):
            open_return = await repository.open_return(session, row.id)
            if open_return is not None:
                open_return.redispatched_at = now
                open_return.redispatched_to = record.unit_id
        elif isinstance(record, wo.SupervisionOpened):
            session.add(
                SupervisionOrderRow(
                    work_order_id=row.id,
                    unit_id=record.unit_id,
                    kind="manual",
                    opened_at=now,
                    opened_by=actor.id,
                    reason=record.reason,
                    due=record.due,
                    status="open",
                )
            )

    async def _deliverable(
        self, session: AsyncSession, messages: tuple[wo.OutboxMessage, ...]
    ) -> list[wo.OutboxMessage]:
        """DingTalk messages go only to units that have a robot configured; the rest always go."""
        out = []
        for message in messages:
            if message.kind == wo.DINGTALK_TO_UNIT:
                unit = await session.get(UnitRow, message.payload["unit_id"])
                if unit is None or not unit.dingtalk_webhook:
                    continue
            out.append(message)
        return out

    async def _unit_exists(self, unit_id: int) -> None:
        async with self._sessions() as session:
            unit = await session.get(UnitRow, unit_id)
        if unit is None or not unit.active:
            raise InvalidInput("unit_id", f"承办单位 {unit_id} 不存在或已停用 (unknown or inactive unit)")

    async def register(
        self,
        actor: Actor,
        ref: int | str,
        *,
        order_class: wo.OrderClass | None = None,
        service: wo.Service | None = None,
        complexity: wo.Complexity | None = None,
        answered_on_line: bool = False,
        result: str | None = None,
        details: wo.Details = NO_DETAILS,
    ) -> WorkOrderRow:
        return await self._act(
            actor,
            ref,
            lambda o, at, _c: wo.register(
                o,
                actor,
                at,
                order_class=order_class,
                service=service,
                complexity=complexity,
                answered_on_line=answered_on_line,
                result=result,
                details=details,
            ),
        )

    async def discard(self, actor: Actor, ref: int | str, reason: str) -> WorkOrderRow:
        return await self._act(actor, ref, lambda o, at, _c: wo.discard(o, actor, at, reason=reason))

    async def dispatch(self, actor: Actor, ref: int | str, unit_id: int | None) -> WorkOrderRow:
        if unit_id is not None:
            await self._unit_exists(unit_id)
        return await self._act(
            actor, ref, lambda o, at, c: wo.dispatch(o, actor, at, unit_id=unit_id, calendar=c)
        )

    async def sign(self, actor: Actor, ref: int | str) -> WorkOrderRow:
        return await self._act(actor, ref, lambda o, at, _c: wo.sign(o, actor, at))

    async def start_handling(self, actor: Actor, ref: int | str) -> WorkOrderRow:
        return await self._act(actor, ref, lambda o, at, _c: wo.start_handling(o, actor, at))

    async def reply(self, actor: Actor, ref: int | str, text: str) -> WorkOrderRow:
        return await self._act(actor, ref, lambda o, at, _c: wo.reply(o, actor, at, text=text))

    async def close(self, actor: Actor, ref: int | str, result: str) -> WorkOrderRow:
        return await self._act(actor, ref, lambda o, at, _c: wo.close(o, actor, at, result=result))

    async def return_order(self, actor: Actor, ref: int | str, reason: str) -> WorkOrderRow:
        return await self._act(actor, ref, lambda o, at, _c: wo.return_order(o, actor, at, reason=reason))

    async def evaluate(
        self,
        actor: Actor,
        ref: int | str,
        rating: wo.Rating,
        channel: str = "phone",
        comment: str | None = None,
    ) -> WorkOrderRow:
        return await self._act(
            actor,
            ref,
            lambda o, at, _c: wo.evaluate(o, actor, at, rating=rating, channel=channel, comment=comment),
        )

    async def record_revisit(
        self, actor: Actor, ref: int | str, rating: wo.Rating, channel: str, comment: str | None = None
    ) -> WorkOrderRow:
        """The revisit answer after rectification (整改回访) in whatever state the reopened order is."""
        revisit = partial(wo.record_revisit, rating=rating, channel=channel, comment=comment)
        return await self._act(actor, ref, lambda o, at, _c: revisit(o, actor, at))

    async def reopen(self, actor: Actor, ref: int | str, reason: str) -> WorkOrderRow:
        return await self._act(actor, ref, lambda o, at, _c: wo.reopen(o, actor, at, reason=reason))

    async def request_extension(
        self, actor: Actor, ref: int | str, working_days: int, reason: str, basis: str
    ) -> WorkOrderRow:
        return await self._act(
            actor,
            ref,
            lambda o, at, _c: wo.request_extension(
                o, actor, at, working_days=working_days, reason=reason, basis=basis
            ),
        )

    async def approve_extension(self, actor: Actor, ref: int | str, note: str | None = None) -> WorkOrderRow:
        return await self._act(
            actor, ref, lambda o, at, c: wo.approve_extension(o, actor, at, calendar=c, note=note)
        )

    async def reject_extension(self, actor: Actor, ref: int | str, note: str) -> WorkOrderRow:
        return await self._act(actor, ref, lambda o, at, _c: wo.reject_extension(o, actor, at, note=note))

    async def supervise(
        self, actor: Actor, ref: int | str, reason: str, due: datetime | None = None
    ) -> WorkOrderRow:
        def step(o: wo.WorkOrder, at: datetime, c: WorkingCalendar) -> wo.Transition:
            return wo.supervise(o, actor, at, reason=reason, due=c.local(due) if due is not None else None)

        return await self._act(actor, ref, step)

    # --- reading ----------------------------------------------------------------------------------

    async def detail(self, actor: Actor, ref: int | str) -> Detail:
        async with self._sessions() as session:
            row = await repository.load(session, ref)
            if not actor.can_see(row.unit_id) and not await self._was_ours(session, actor, row.id):
                raise NotFound(f"工单 {ref} 不存在 (work order {ref} not found)")
            return Detail(
                order=row,
                events=await repository.events_of(session, row.id),
                extensions=await repository.extensions_of(session, row.id),
                returns=await repository.returns_of(session, row.id),
                supervision=await repository.supervision_of(session, row.id),
            )

    async def _was_ours(self, session: AsyncSession, actor: Actor, work_order_id: int) -> bool:
        """Unit staff may still read an order their unit returned (but not act on it)."""
        if not actor.role.is_unit_staff or actor.unit_id is None:
            return False
        return await repository.unit_returned(session, work_order_id, actor.unit_id)

    async def search(self, actor: Actor, filters: repository.SearchFilters) -> Page:
        if actor.role.is_unit_staff and filters.unit_id not in (None, actor.unit_id):
            return Page([], 0, filters.limit, filters.offset)
        async with self._reads() as session:
            rows, total, exact = await repository.search(session, filters, actor)
        return Page(rows, total, filters.limit, filters.offset, exact)

    def now(self) -> datetime:
        return self._now()


class Directory:
    """Units (承办单位) and users (账号): the admin side used by the CLI and the API."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cache_seconds: float = 30.0) -> None:
        self._sessions = sessions
        self._cache_seconds = cache_seconds
        self._cached: dict[bool, tuple[list[UnitRow], float]] = {}

    async def units(self, include_inactive: bool = False) -> list[UnitRow]:
        """The units, kept for `cache_seconds` (the list API shows names on every call; units change
        rarely, and edits made by another process show within that time)."""
        cached = self._cached.get(include_inactive)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._sessions() as session:
            units = await repository.list_units(session, include_inactive)
        self._cached[include_inactive] = (units, now + self._cache_seconds)
        return units

    async def unit(self, ref: int | str) -> UnitRow:
        async with self._sessions() as session:
            return await repository.find_unit(session, ref)

    async def add_unit(
        self,
        code: str,
        name: str,
        *,
        kind: str = "department",
        short_name: str | None = None,
        dingtalk_webhook: str | None = None,
        dingtalk_secret: str | None = None,
    ) -> UnitRow:
        if kind not in ("department", "township", "street"):
            raise InvalidInput("kind", "单位类型须为 department/township/street (unknown unit kind)")
        row = UnitRow(
            code=code,
            name=name,
            short_name=short_name,
            kind=kind,
            active=True,
            dingtalk_webhook=dingtalk_webhook,
            dingtalk_secret=dingtalk_secret,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as exc:
            raise InvalidInput("code", f"单位代码或名称已存在: {code} / {name} (unit exists)") from exc
        self._cached.clear()
        return row

    async def update_unit(
        self,
        ref: int | str,
        *,
        name: str | None = None,
        short_name: str | None = None,
        kind: str | None = None,
        active: bool | None = None,
        dingtalk_webhook: str | None = None,
        dingtalk_secret: str | None = None,
    ) -> UnitRow:
        """Change a unit; an empty string clears the DingTalk webhook or secret."""
        if kind is not None and kind not in ("department", "township", "street"):
            raise InvalidInput("kind", "单位类型须为 department/township/street (unknown unit kind)")
        try:
            async with self._sessions.begin() as session:
                unit = await repository.find_unit(session, ref)
                if name is not None:
                    unit.name = name
                if short_name is not None:
                    unit.short_name = short_name or None
                if kind is not None:
                    unit.kind = kind
                if active is not None:
                    unit.active = active
                if dingtalk_webhook is not None:
                    unit.dingtalk_webhook = dingtalk_webhook or None
                if dingtalk_secret is not None:
                    unit.dingtalk_secret = dingtalk_secret or None
        except IntegrityError as exc:
            raise InvalidInput("name", f"单位名称已存在: {name} (unit name exists)") from exc
        self._cached.clear()
        return unit

    async def add_user(
        self, login: str, name: str, role: Role, unit: int | str | None = None
    ) -> tuple[UserRow, str]:
        """A new user with a fresh API token; the token is returned once and only its hash is kept."""
        if role not in USER_ROLES:
            raise Forbidden(role.value, "add_user")
        token = auth.new_token()
        async with self._sessions.begin() as session:
            unit_id: int | None = None
            if role.is_unit_staff:
                if unit is None:
                    raise InvalidInput("unit", "承办单位账号须指定单位 (unit staff need --unit)")
                unit_id = (await repository.find_unit(session, unit)).id
            elif unit is not None:
                raise InvalidInput("unit", "只有承办单位账号属于单位 (only unit staff belong to a unit)")
            row = UserRow(
                login=login,
                name=name,
                role=role.value,
                unit_id=unit_id,
                api_token_hash=auth.hash_token(token),
            )
            session.add(row)
            try:
                await session.flush()
            except IntegrityError as exc:
                raise InvalidInput("login", f"账号已存在: {login} (login exists)") from exc
        return row, token
