"""Work orders in the database: mapping rows to the domain and back, numbers, events, outbox, search.

Every function works inside the caller's `AsyncSession` (and so inside its transaction): the service
decides where a transaction begins and ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.adapters.orm import (
    ExtensionRow,
    OutboxRow,
    ReturnRow,
    SupervisionOrderRow,
    UnitRow,
    UserRow,
    WorkOrderEventRow,
    WorkOrderNumberRow,
    WorkOrderRow,
)
from ticketing.domain.errors import NotFound
from ticketing.domain.roles import Actor
from ticketing.domain.workorder import (
    TRACKED_FIELDS,
    UNIT_STATES,
    Complexity,
    Event,
    OrderClass,
    OutboxMessage,
    PendingExtension,
    Rating,
    Service,
    Source,
    State,
    WorkOrder,
    format_number,
)

_ENUM_FIELDS: dict[str, Any] = {
    "state": State,
    "source": Source,
    "order_class": OrderClass,
    "service": Service,
    "complexity": Complexity,
    "rating": Rating,
    "revisit_rating": Rating,
}


def to_domain(row: WorkOrderRow, pending: ExtensionRow | None = None) -> WorkOrder:
    values: dict[str, Any] = {}
    for name in TRACKED_FIELDS:
        value = getattr(row, name)
        kind = _ENUM_FIELDS.get(name)
        values[name] = kind(value) if kind is not None and value is not None else value
    if pending is not None:
        values["pending_extension"] = PendingExtension(
            pending.working_days, pending.reason, pending.basis, pending.requested_at, pending.requested_by
        )
    return WorkOrder(id=row.id, **values)


def apply(row: WorkOrderRow, order: WorkOrder) -> None:
    """Copy the domain's values onto the row (only those that changed, so the version check is exact)."""
    for name in TRACKED_FIELDS:
        value = getattr(order, name)
        if isinstance(value, State | Source | OrderClass | Service | Complexity | Rating):
            value = value.value
        if getattr(row, name) != value:
            setattr(row, name, value)


def new_row(order: WorkOrder, created_by: int | None) -> WorkOrderRow:
    row = WorkOrderRow(created_by=created_by)
    for name in TRACKED_FIELDS:
        value = getattr(order, name)
        setattr(row, name, value.value if hasattr(value, "value") else value)
    return row


async def next_number(session: AsyncSession, day: date) -> str:
    """The next number of the day, atomically (an upsert that returns the new sequence)."""
    key = f"{day:%Y%m%d}"
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(WorkOrderNumberRow)
        .values(day=key, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": WorkOrderNumberRow.last + 1})
        .returning(WorkOrderNumberRow.last)
    )
    seq = (await session.execute(stmt)).scalar_one()
    return format_number(day, int(seq))


MAX_ROW_ID = 2**31 - 1  # id columns are 32-bit integers on PostgreSQL


def as_row_id(ref: int | str) -> int | None:
    """`ref` as a row id when it is one: ASCII digits that fit the id column ("²" or 2147483648 do not)."""
    if isinstance(ref, int):
        return ref if 0 <= ref <= MAX_ROW_ID else None
    if ref.isascii() and ref.isdigit() and len(ref) <= 10 and int(ref) <= MAX_ROW_ID:
        return int(ref)
    return None


def _by_ref(ref: int | str) -> Any:
    row_id = as_row_id(ref)
    if row_id is not None:
        return WorkOrderRow.id == row_id
    return WorkOrderRow.number == ref


async def load(session: AsyncSession, ref: int | str, *, for_update: bool = False) -> WorkOrderRow:
    """The row by id or number; PostgreSQL locks it for the rest of the transaction when asked."""
    stmt = select(WorkOrderRow).where(_by_ref(ref))
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.scalars(stmt)).one_or_none()
    if row is None:
        raise NotFound(f"工单 {ref} 不存在 (work order {ref} not found)")
    return row


async def pending_extension(session: AsyncSession, work_order_id: int) -> ExtensionRow | None:
    stmt = (
        select(ExtensionRow)
        .where(ExtensionRow.work_order_id == work_order_id, ExtensionRow.status == "pending")
        .order_by(ExtensionRow.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).one_or_none()


def add_event(session: AsyncSession, work_order_id: int, event: Event) -> WorkOrderEventRow:
    row = WorkOrderEventRow(
        work_order_id=work_order_id,
        at=event.at,
        actor_id=event.actor.id,
        actor_name=event.actor.name,
        actor_role=event.actor.role.value,
        action=event.action.value,
        state_before=event.state_before.value if event.state_before is not None else None,
        state_after=event.state_after.value,
        reason=event.reason,
        before=event.before,
        after=event.after,
    )
    session.add(row)
    return row


def add_message(
    session: AsyncSession, work_order_id: int | None, message: OutboxMessage, now: datetime
) -> None:
    session.add(
        OutboxRow(
            kind=message.kind,
            payload=message.payload,
            idempotency_key=message.idempotency_key,
            work_order_id=work_order_id,
            created_at=now,
            next_attempt_at=now,
        )
    )


async def events_of(session: AsyncSession, work_order_id: int) -> list[WorkOrderEventRow]:
    stmt = (
        select(WorkOrderEventRow)
        .where(WorkOrderEventRow.work_order_id == work_order_id)
        .order_by(WorkOrderEventRow.at, WorkOrderEventRow.id)
    )
    return list((await session.scalars(stmt)).all())


async def extensions_of(session: AsyncSession, work_order_id: int) -> list[ExtensionRow]:
    stmt = select(ExtensionRow).where(ExtensionRow.work_order_id == work_order_id).order_by(ExtensionRow.id)
    return list((await session.scalars(stmt)).all())


async def open_return(session: AsyncSession, work_order_id: int) -> ReturnRow | None:
    stmt = (
        select(ReturnRow)
        .where(ReturnRow.work_order_id == work_order_id, ReturnRow.redispatched_at.is_(None))
        .order_by(ReturnRow.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).one_or_none()


async def returns_of(session: AsyncSession, work_order_id: int) -> list[ReturnRow]:
    stmt = select(ReturnRow).where(ReturnRow.work_order_id == work_order_id).order_by(ReturnRow.id)
    return list((await session.scalars(stmt)).all())


async def unit_returned(session: AsyncSession, work_order_id: int, unit_id: int) -> bool:
    """Whether this unit once returned the work order (it may still read it)."""
    stmt = select(ReturnRow.id).where(ReturnRow.work_order_id == work_order_id, ReturnRow.unit_id == unit_id)
    return (await session.scalars(stmt.limit(1))).first() is not None


async def supervision_of(session: AsyncSession, work_order_id: int) -> list[SupervisionOrderRow]:
    stmt = (
        select(SupervisionOrderRow)
        .where(SupervisionOrderRow.work_order_id == work_order_id)
        .order_by(SupervisionOrderRow.id)
    )
    return list((await session.scalars(stmt)).all())


# --- search ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """List filters of the API and CLI; all optional and combined with AND."""

    states: tuple[str, ...] = ()
    unit_id: int | None = None
    order_class: str | None = None
    service: str | None = None
    source: str | None = None
    due_before: datetime | None = None
    overdue_at: datetime | None = None  # only orders overdue at this instant
    phone: str | None = None
    enterprise: str | None = None
    text: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    limit: int = 50
    offset: int = 0


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(stmt: Select[Any], filters: SearchFilters, actor: Actor) -> Select[Any]:
    wo = WorkOrderRow
    if actor.role.is_unit_staff:
        stmt = stmt.where(wo.unit_id == actor.unit_id)
    if filters.states:
        stmt = stmt.where(wo.state.in_(filters.states))
    if filters.unit_id is not None:
        stmt = stmt.where(wo.unit_id == filters.unit_id)
    if filters.order_class:
        stmt = stmt.where(wo.order_class == filters.order_class)
    if filters.service:
        stmt = stmt.where(wo.service == filters.service)
    if filters.source:
        stmt = stmt.where(wo.source == filters.source)
    if filters.due_before is not None:
        stmt = stmt.where(wo.due < filters.due_before)
    if filters.overdue_at is not None:
        now = filters.overdue_at
        stmt = stmt.where(
            wo.state.in_([s.value for s in UNIT_STATES]),
            or_(wo.due < now, (wo.state == State.DISPATCHED.value) & (wo.sign_due < now)),
        )
    if filters.phone:
        stmt = stmt.where(wo.caller_phone == filters.phone)
    if filters.enterprise:
        stmt = stmt.where(wo.enterprise.like(f"%{_escape_like(filters.enterprise)}%", escape="\\"))
    if filters.text:
        pattern = f"%{_escape_like(filters.text)}%"
        stmt = stmt.where(
            or_(
                wo.title.like(pattern, escape="\\"),
                wo.content.like(pattern, escape="\\"),
                wo.number.like(pattern, escape="\\"),
                wo.enterprise.like(pattern, escape="\\"),
                wo.reply.like(pattern, escape="\\"),
            )
        )
    if filters.received_from is not None:
        stmt = stmt.where(wo.received_at >= filters.received_from)
    if filters.received_to is not None:
        stmt = stmt.where(wo.received_at < filters.received_to)
    return stmt


# Counting every match costs more than the page itself once matches run into the tens of thousands
# (and a text search scans the table), so totals stop at these caps: the answer then says
# `total_exact: false` and a reader sees "10000+". Exact figures per period are the KPI report's job.
COUNT_CAP = 10_000
TEXT_COUNT_CAP = 1_000


async def search(
    session: AsyncSession, filters: SearchFilters, actor: Actor
) -> tuple[list[WorkOrderRow], int, bool]:
    """One page of matching work orders, newest receipt first, the total count and whether it is exact
    (it is unless there are more matches than the cap, or than the end of the page asked for)."""
    cap = max(TEXT_COUNT_CAP if filters.text else COUNT_CAP, filters.offset + filters.limit)
    matches = _filtered(select(WorkOrderRow.id), filters, actor).limit(cap + 1).subquery()
    total = int((await session.execute(select(func.count()).select_from(matches))).scalar_one())
    exact = total <= cap
    total = min(total, cap)
    stmt = (
        _filtered(select(WorkOrderRow), filters, actor)
        .order_by(WorkOrderRow.received_at.desc(), WorkOrderRow.id.desc())
        .limit(filters.limit)
        .offset(filters.offset)
    )
    return list((await session.scalars(stmt)).all()), total, exact


# --- units and users --------------------------------------------------------------------------------


async def list_units(session: AsyncSession, include_inactive: bool = False) -> list[UnitRow]:
    stmt = select(UnitRow).order_by(UnitRow.kind, UnitRow.id)
    if not include_inactive:
        stmt = stmt.where(UnitRow.active.is_(True))
    return list((await session.scalars(stmt)).all())


async def find_unit(session: AsyncSession, ref: int | str) -> UnitRow:
    """A unit by id, code or name."""
    row_id = as_row_id(ref)
    if row_id is not None:
        row = await session.get(UnitRow, row_id)
    else:
        stmt = select(UnitRow).where(or_(UnitRow.code == ref, UnitRow.name == ref, UnitRow.short_name == ref))
        row = (await session.scalars(stmt.limit(1))).one_or_none()
    if row is None:
        raise NotFound(f"承办单位 {ref} 不存在 (unit {ref} not found)")
    return row


async def user_by_token_hash(session: AsyncSession, token_hash: str) -> UserRow | None:
    stmt = select(UserRow).where(UserRow.api_token_hash == token_hash, UserRow.active.is_(True))
    return (await session.scalars(stmt)).one_or_none()
