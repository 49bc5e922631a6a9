"""Writes that must not be lost wait while the database is away (待写队列), then land by themselves.

Calls don't need the database to go on: the menu, the queue and the bridged call run from memory. What
they write — call records, the seat part of each call, agent state changes — goes through
`PendingWrites`: written at once when the database answers; otherwise kept, in order, and retried with
a growing pause (1 s … 30 s) until it answers again. A record written again while it waits replaces the
waiting version (latest state wins), so a long outage costs one entry per call, not one per change.

Only an outage waits (the connection refused, dropped or timed out): a write the database refuses for
what it is (a constraint, a bad value — a bug) is logged with its error and counted as `failed` at once,
so it can never hold the writes behind it. The queue is bounded (`limit`, 10 000 entries): beyond it the
oldest waiting write is dropped and logged as an error — never silently. `/healthz` shows `pending_writes`
(waiting, oldest age, dropped, failed, last error); the service reports unhealthy while writes wait or
after any was dropped or failed.

`RetryingCallRecordStore` and `RetryingSeatStore` put the ports (`CallRecordStore`, `SeatStore`) in
front of their SQL adapters; reads pass straight through.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from callflow.domain.call import CallRecord, VoiceMessage
from callflow.seat.domain import Agent, StateChange
from callflow.seat.records import CallbackRequest, SeatCall
from callflow.seat.services import SeatStore
from callflow.services import CallRecordStore

log = logging.getLogger(__name__)

Write = Callable[[], Awaitable[None]]


class PendingWrites:
    def __init__(self, *, limit: int = 10_000, first_retry_s: float = 1.0, max_retry_s: float = 30.0) -> None:
        self.limit = limit
        self.first_retry_s = first_retry_s
        self.max_retry_s = max_retry_s
        self.waiting: OrderedDict[tuple[str, str], Write] = OrderedDict()
        self.waiting_since: float | None = None
        self.written_late = 0
        self.dropped = 0
        self.failed = 0
        """Writes the database refused for what they were (not an outage): logged, not retried."""
        self.failures = 0
        self.last_error: str | None = None
        self._retrier: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def write(self, key: tuple[str, str], op: Write) -> None:
        """Write now if the database answers and nothing of this key waits; else keep it for later."""
        if key in self.waiting:  # an older version of the same thing waits: this one replaces it
            self.waiting[key] = op
            return
        if self.waiting:  # others wait: keep the order, don't overtake them
            self._park(key, op, None)
            return
        try:
            await op()
        except Exception as exc:
            if not is_outage(exc):
                self._refused(key, exc)
                return
            self._park(key, op, exc)

    def _refused(self, key: tuple[str, str], exc: Exception) -> None:
        self.failed += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        log.error("write of %s %s refused by the database, not retried: %s", key[0], key[1], exc, exc_info=exc)

    def _park(self, key: tuple[str, str], op: Write, exc: Exception | None) -> None:
        if exc is not None:
            self.failures += 1
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if not self.waiting:
                log.error("database unavailable (%s); writes wait and are retried", self.last_error)
        if not self.waiting:
            self.waiting_since = time.monotonic()
        while len(self.waiting) >= self.limit:
            (kind, ident), _ = self.waiting.popitem(last=False)
            self.dropped += 1
            log.error("pending writes full (%d): dropped the oldest, %s %s", self.limit, kind, ident)
        self.waiting[key] = op
        if self._retrier is None or self._retrier.done():
            self._retrier = asyncio.get_running_loop().create_task(self._retry(), name="pending-writes")

    async def _retry(self) -> None:
        pause = self.first_retry_s
        while self.waiting:
            await asyncio.sleep(pause)
            while self.waiting:
                key, op = next(iter(self.waiting.items()))
                try:
                    await op()
                except Exception as exc:
                    if not is_outage(exc):
                        self._refused(key, exc)
                        if self.waiting.get(key) is op:
                            del self.waiting[key]
                        continue
                    self.failures += 1
                    self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                    pause = min(self.max_retry_s, pause * 2)
                    log.warning("database still unavailable; %d writes wait (%s)", len(self.waiting), self.last_error)
                    break
                if self.waiting.get(key) is op:
                    del self.waiting[key]
                self.written_late += 1
                pause = self.first_retry_s
        self.waiting_since = None
        log.info("database back: every waiting write is written (%d so far)", self.written_late)

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Wait until nothing waits (tests, shutdown)."""
        async with asyncio.timeout(timeout_s):
            while self.waiting:
                if self._retrier is not None:
                    await asyncio.gather(self._retrier, return_exceptions=True)

    def close(self) -> None:
        if self._retrier is not None:
            self._retrier.cancel()
        if self.waiting:
            log.error("stopping with %d writes still waiting for the database: they are lost", len(self.waiting))

    async def probe(self) -> dict[str, Any]:
        """For /healthz."""
        oldest = None if self.waiting_since is None else round(time.monotonic() - self.waiting_since, 1)
        return {
            "ok": not self.waiting and not self.dropped and not self.failed,
            "waiting": len(self.waiting),
            "oldest_waiting_s": oldest,
            "written_late": self.written_late,
            "dropped": self.dropped,
            "failed": self.failed,
            "last_error": self.last_error,
        }


def is_outage(exc: BaseException) -> bool:
    """Is this the database being away (worth waiting for), rather than refusing the write itself?"""
    if isinstance(exc, OSError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True  # PoolTimeout: every connection busy (overload) — the write can wait like an outage
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc.__cause__, OSError | ConnectionError | TimeoutError)


class RetryingCallRecordStore:
    """`CallRecordStore` whose writes wait out a database outage."""

    def __init__(self, inner: CallRecordStore, pending: PendingWrites) -> None:
        self.inner = inner
        self.pending = pending

    async def save(self, record: CallRecord) -> None:
        await self.pending.write(("call-record", record.id), lambda: self.inner.save(record))

    async def add_voice_message(self, message: VoiceMessage, file_path: str | None) -> None:
        key = ("voice-message", f"{message.call_id}/{message.recording_name}")
        await self.pending.write(key, lambda: self.inner.add_voice_message(message, file_path))

    async def find_open(self, channel_id: str) -> CallRecord | None:
        return await self.inner.find_open(channel_id)


class RetryingSeatStore:
    """`SeatStore` whose writes wait out a database outage (a callback request needs its row id at once)."""

    def __init__(self, inner: SeatStore, pending: PendingWrites) -> None:
        self.inner = inner
        self.pending = pending

    async def record_changes(self, changes: list[StateChange]) -> None:
        await self.pending.write(("agent-changes", uuid.uuid4().hex), lambda: self.inner.record_changes(changes))

    async def save_member(self, agent: Agent) -> None:
        await self.pending.write(("member", agent.id), lambda: self.inner.save_member(agent))

    async def remove_member(self, agent_id: str) -> None:
        await self.pending.write(("member", agent_id), lambda: self.inner.remove_member(agent_id))

    async def save_call(self, call: SeatCall) -> None:
        await self.pending.write(("seat-call", call.call_id), lambda: self.inner.save_call(call))

    async def add_callback(self, request: CallbackRequest) -> int:
        return await self.inner.add_callback(request)

    async def callback_ordered(self, request_id: int, work_order: str) -> None:
        key = ("callback", str(request_id))
        await self.pending.write(key, lambda: self.inner.callback_ordered(request_id, work_order))


def pending_writes(app: web.Application) -> PendingWrites:
    """The service's one `PendingWrites` (made on first use, shown in /healthz as `pending_writes`)."""
    from hotline.app import HEALTH

    pending = app.get(PENDING_WRITES)
    if pending is None:
        pending = app[PENDING_WRITES] = PendingWrites()
        app[HEALTH].register("pending_writes", pending.probe)

        async def close(_app: web.Application) -> None:
            pending.close()

        app.on_cleanup.append(close)
    return pending


PENDING_WRITES = web.AppKey("pending_writes", PendingWrites)
