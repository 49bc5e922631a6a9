"""SQLAlchemy models of the work-order (工单) tables, on the shared `hotline.db.Base`.

Times are stored in UTC: `UtcDateTime` refuses naive datetimes on the way in and always gives back
aware UTC datetimes (SQLite keeps no offset, so it stores naive UTC text that still sorts correctly).
Columns read by other modules (the outbox worker, the supervision watcher, the KPI queries):
`WorkOrderRow.sign_due/due/signed_at/replied_at/closed_at/overdue_at/warned_at`, the rating columns
(`rating`, `rated_at`, `revisit_rating`, `revisited_at`) filled by the SMS survey (issue 6), and
`OutboxRow` for every side effect that must not be lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UtcDateTime

try:  # the calendar tables live in the same migration chain
    import ticketing.adapters.calendar_orm  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - only while the calendar module is absent
    if exc.name != "ticketing.adapters.calendar_orm":
        raise


def utcnow() -> datetime:
    return datetime.now(UTC)


class UnitRow(Base):
    """A handling unit (承办单位): a county department, township (乡镇) or street office (街道)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="department")  # department | township | street
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    dingtalk_webhook: Mapped[str | None] = mapped_column(String(500))
    dingtalk_secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UserRow(Base):
    """A person who uses the API: agent, unit handler or leader, supervisor, admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))  # agent | unit_handler | unit_leader | supervisor | admin
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))  # issue 7 (argon2)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 hex
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WorkOrderRow(Base):
    """A work order (工单) with its class, routing, deadlines and outcome."""

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_unit_state", "unit_id", "state"),
        Index("ix_work_orders_state_due", "state", "due"),
        # the list API: a unit's orders newest first, and filters by class and service (migration t0004)
        Index("ix_work_orders_unit_received", "unit_id", "received_at"),
        Index("ix_work_orders_class_service", "order_class", "service", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # YS + yyyymmdd + 5-digit sequence
    order_class: Mapped[str | None] = mapped_column(String(20))  # consultation | complaint | suggestion
    service: Mapped[str | None] = mapped_column(String(30))  # policy_query ... suggestion (IVR codes)
    complexity: Mapped[str | None] = mapped_column(String(20))  # simple | general | difficult
    state: Mapped[str] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(20), default="call")  # call | voice_message | callback | web
    caller_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(60))
    enterprise: Mapped[str | None] = mapped_column(String(200), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    call_id: Mapped[str | None] = mapped_column(String(100), index=True)
    recording: Mapped[str | None] = mapped_column(String(200))
    suggested_unit: Mapped[str | None] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # the hotline got the matter
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the unit received it (last time)
    clock_start: Mapped[datetime | None] = mapped_column(UtcDateTime)  # working-day clock start
    sign_due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)  # reply/close due (moved by 延期)
    original_due: Mapped[datetime | None] = mapped_column(UtcDateTime)  # before any approved extension
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reply: Mapped[str | None] = mapped_column(Text)  # the unit's answer to the caller
    result: Mapped[str | None] = mapped_column(Text)  # the closing result (办理结果)
    answered_on_line: Mapped[bool] = mapped_column(Boolean, default=False)  # first-time resolution
    repeat_of: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    repeat_reason: Mapped[str | None] = mapped_column(String(300))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    returns_count: Mapped[int] = mapped_column(Integer, default=0)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)  # an extension was approved
    warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # due-soon warning sent
    overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # marked overdue by the watcher
    # Evaluation (好差评, issue 6): satisfied | basically_satisfied | dissatisfied
    rating: Mapped[str | None] = mapped_column(String(30))
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating_channel: Mapped[str | None] = mapped_column(String(20))  # sms | phone | web
    rating_comment: Mapped[str | None] = mapped_column(Text)
    revisit_rating: Mapped[str | None] = mapped_column(String(30))  # 整改回访 after rectification
    revisited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class WorkOrderEventRow(Base):
    """One accepted change of a work order (环环有痕迹): append-only, never updated or deleted."""

    __tablename__ = "work_order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    state_before: Mapped[str | None] = mapped_column(String(20))
    state_after: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExtensionRow(Base):
    """A request to extend a difficult work order's due time (延期申请), with the supervisor's decision."""

    __tablename__ = "work_order_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)  # the rule or fact the delay rests on (依据)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | rejected
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    old_due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    new_due: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReturnRow(Base):
    """A return (退单) of a work order by a unit, and its later re-dispatch."""

    __tablename__ = "work_order_returns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    returned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    returned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    redispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    redispatched_to: Mapped[int | None] = mapped_column(ForeignKey("units.id"))


class SupervisionOrderRow(Base):
    """A supervision order (督办单) on a work order: opened by a supervisor or by the overdue watcher."""

    __tablename__ = "supervision_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # manual | overdue | repeat
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the watcher
    reason: Mapped[str] = mapped_column(Text)
    due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class OutboxRow(Base):
    """A side effect to deliver (SMS to a caller, DingTalk message to a unit), written in the same
    transaction as the change that causes it and delivered by the outbox worker with retries."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. sms.caller, dingtalk.unit
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)  # claim lease of a worker
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # gave up (permanent error)
    last_error: Mapped[str | None] = mapped_column(Text)


class WorkOrderNumberRow(Base):
    """The last sequence number used per day, for numbers like YS2026113000001."""

    __tablename__ = "work_order_numbers"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # yyyymmdd (Asia/Shanghai)
    last: Mapped[int] = mapped_column(Integer, default=0)
