"""The outbox worker (发件箱): delivers side effects written in the same transaction as their cause.

A row is claimed by one worker at a time with a lease: a single `WITH picked AS (SELECT … LIMIT n)
UPDATE … WHERE id IN (SELECT id FROM picked) RETURNING` that only takes rows nobody holds (on PostgreSQL the inner select also uses
`FOR UPDATE SKIP LOCKED`, so concurrent workers skip each other's rows instead of waiting; on SQLite the
one statement is atomic under the database write lock). The claim raises `attempts` before delivering,
so a crash mid-delivery still counts as an attempt; when the lease runs out another worker (or this
one after a restart) takes the row again. Rows stay in the table until delivered: nothing is lost.

Delivery is at-least-once with an idempotency key: a delivered row is never claimed again, and the
key travels with the message so a receiver can drop the rare duplicate after a crash between the send
and the commit. Failures: an exception with `retryable = False` (e.g. `NotificationFailed` for a wrong
robot secret) ends the row (`failed_at`); anything else is retried with exponential backoff, each
attempt's error kept in `last_error`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.clock import REAL_TIME, Clock
from ticketing.adapters.orm import OutboxRow as Row

log = logging.getLogger(__name__)

DINGTALK_UNIT = "dingtalk.unit"  # payload: unit_id, title, text (markdown)


class DeliveryFailed(Exception):
    """A handler could not deliver a message (投递失败); `retryable` False ends the row."""

    error_id = "outbox-delivery-failed"

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class OutboxMessage:
    """One claimed row as a handler sees it; `attempt` counts from 1."""

    id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    work_order_id: int | None
    attempt: int


Handler = Callable[[OutboxMessage], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: base, base×factor, base×factor², … capped; `max_attempts` None = forever."""

    base_seconds: float = 10.0
    factor: float = 2.0
    max_seconds: float = 3600.0
    max_attempts: int | None = None

    def delay(self, attempt: int) -> timedelta:
        """The wait after failed attempt number `attempt` (1-based)."""
        seconds = self.base_seconds * self.factor ** max(0, attempt - 1)
        return timedelta(seconds=min(seconds, self.max_seconds))


@dataclass
class DeliveryReport:
    """What one pass did, by outbox row id."""

    delivered: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return len(self.delivered) + len(self.retried) + len(self.failed)


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    idempotency_key: str,
    *,
    work_order_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Add a message inside the caller's transaction; False when the key is already queued (no-op)."""
    dialect = session.get_bind().dialect.name
    insert_: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values: dict[str, Any] = {
        "kind": kind,
        "payload": payload,
        "idempotency_key": idempotency_key,
        "work_order_id": work_order_id,
    }
    if now is not None:
        values.update(created_at=now, next_attempt_at=now)
    stmt = insert_(Row).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


def _default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{id(object()):x}"


class OutboxWorker:
    """Claims due rows whose kind has a handler, delivers them, records the outcome."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler],
        *,
        retry: RetryPolicy = RetryPolicy(),
        lease: timedelta = timedelta(minutes=5),
        batch: int = 20,
        poll_seconds: float = 5.0,
        worker_id: str | None = None,
        clock: Clock = REAL_TIME,
    ) -> None:
        self._sessions = sessions
        self._handlers = handlers
        self.retry = retry
        self.lease = lease
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.worker_id = worker_id or _default_worker_id()
        self._clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, first_wait: float = 0.0) -> None:
        """Deliver until cancelled: a pass, then a wait of one poll unless woken or the batch was full.

        A failing pass (database down) is logged and retried at the next poll.
        """
        wait = first_wait
        last_error = ""
        while True:
            if wait > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), self._clock.real_seconds(wait))
                except TimeoutError:
                    pass
            self._wake.clear()  # a wake-up during the pass below makes the next wait end at once
            try:
                report = await self.run_once()
                last_error = ""
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # the same failure every poll (database down, tables not migrated) is logged once
                if repr(exc) != last_error:
                    log.exception("outbox pass failed; retrying every %.0fs", self.poll_seconds)
                last_error = repr(exc)
                report = DeliveryReport()
            wait = 0.0 if report.claimed >= self.batch else self.poll_seconds

    @property
    def send_timeout(self) -> float:
        """Seconds one delivery may take: a whole batch ends within 80 % of the lease, so no other worker
        can take a row back while this one may still be sending it."""
        return self.lease.total_seconds() * 0.8 / self.batch

    async def run_once(self, now: datetime | None = None) -> DeliveryReport:
        """One pass: claim up to `batch` due rows and deliver them one by one.

        `now` fixes the pass's time (tests); by default outcomes are stamped with the clock after each send.
        """
        claimed_at = now or self._clock.now()
        report = DeliveryReport()
        for message in await self.claim(claimed_at):
            outcome = await self._deliver(message, now)
            getattr(report, outcome).append(message.id)
        return report

    async def claim(self, now: datetime) -> list[OutboxMessage]:
        """Take up to `batch` due rows for this worker's lease (attempts + 1)."""
        if not self._handlers:
            return []
        async with self._sessions.begin() as session:
            due = (
                select(Row.id)
                .where(
                    Row.delivered_at.is_(None),
                    Row.failed_at.is_(None),
                    Row.next_attempt_at <= now,
                    or_(Row.locked_until.is_(None), Row.locked_until < now),
                    Row.kind.in_(list(self._handlers)),
                )
                .order_by(Row.next_attempt_at, Row.id)
                .limit(self.batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            # A CTE runs once; a LIMIT … SKIP LOCKED subquery under IN may be re-run by the planner.
            picked = due.cte("picked")
            stmt = (
                update(Row)
                .where(
                    Row.id.in_(select(picked.c.id)),
                    Row.delivered_at.is_(None),
                    or_(Row.locked_until.is_(None), Row.locked_until < now),
                )
                .values(locked_until=now + self.lease, claimed_by=self.worker_id, attempts=Row.attempts + 1)
                .returning(Row.id, Row.kind, Row.payload, Row.idempotency_key, Row.work_order_id, Row.attempts)
                .execution_options(synchronize_session=False)
            )
            rows = (await session.execute(stmt)).all()
        return sorted(
            (OutboxMessage(r.id, r.kind, dict(r.payload), r.idempotency_key, r.work_order_id, r.attempts) for r in rows),
            key=lambda m: m.id,
        )

    async def _deliver(self, message: OutboxMessage, fixed_now: datetime | None) -> str:
        handler = self._handlers[message.kind]
        try:
            await asyncio.wait_for(handler(message), self._clock.real_seconds(self.send_timeout))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            now = fixed_now or self._clock.now()
            retryable = bool(getattr(exc, "retryable", True))
            error = f"{type(exc).__name__}: {exc}"[:2000]
            gave_up = not retryable or (
                self.retry.max_attempts is not None and message.attempt >= self.retry.max_attempts
            )
            if gave_up:
                log.error("outbox %s (%s) failed for good: %s", message.id, message.kind, error)
                await self._finish(message, last_error=error, failed_at=now)
                return "failed"
            next_at = now + self.retry.delay(message.attempt)
            log.warning("outbox %s (%s) attempt %d failed, next at %s: %s",
                        message.id, message.kind, message.attempt, next_at.isoformat(), error)
            await self._finish(message, last_error=error, next_attempt_at=next_at)
            return "retried"
        await self._finish(message, delivered_at=fixed_now or self._clock.now(), last_error=None)
        return "delivered"

    async def _finish(self, message: OutboxMessage, **values: Any) -> None:
        """Record the outcome and release the lease, only while this worker still holds the row."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Row)
                .where(Row.id == message.id, Row.claimed_by == self.worker_id, Row.delivered_at.is_(None))
                .values(locked_until=None, **values)
                .execution_options(synchronize_session=False)
            )
