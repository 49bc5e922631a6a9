"""Background work of the ticketing package: the outbox worker and the supervision watcher.

`setup(app)` adds a `cleanup_ctx` that starts both as tasks once the database is up and cancels them
on shutdown. Other packages deliver their own outbox kinds by adding a handler before start-up:
`register_outbox_handler(app, "sms.caller", handler)` (or by filling `app[OUTBOX_HANDLERS]` in their own
cleanup_ctx, which runs before this one when their setup comes first). A kind without a handler waits
in the outbox untouched.

Tests that drive time themselves pass `overrides={BACKGROUND: False}` to keep both tasks off. The first
watcher pass comes one interval (60 s) after start-up, the first outbox pass one poll (5 s) after
(or as soon as something wakes the worker, e.g. the watcher queueing a notice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from aiohttp import web

from callflow.clock import REAL_TIME
from hotline.app import SESSIONS, SETTINGS
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.adapters.dingtalk_outbox import DingTalkUnitHandler
from ticketing.domain.calendar import OfficeHours
from ticketing.domain.repeats import RepeatPolicy
from ticketing.outbox import DINGTALK_UNIT, Handler, OutboxWorker
from ticketing.repeat_links import RepeatLinker
from ticketing.services import StoredCalendar
from ticketing.supervision import SupervisionWatcher, WatchPolicy
from ticketing.web import NOW

log = logging.getLogger(__name__)

BACKGROUND = web.AppKey("ticketing_background", bool)
OUTBOX_HANDLERS: web.AppKey[dict[str, Handler]] = web.AppKey("ticketing_outbox_handlers")
OUTBOX_WORKER = web.AppKey("ticketing_outbox_worker", OutboxWorker)
WATCHER = web.AppKey("ticketing_supervision_watcher", SupervisionWatcher)


def register_outbox_handler(app: web.Application, kind: str, handler: Handler) -> None:
    """Deliver outbox rows of `kind` with `handler` (call before the app starts)."""
    if OUTBOX_HANDLERS not in app:
        app[OUTBOX_HANDLERS] = {}
    app[OUTBOX_HANDLERS][kind] = handler


@dataclass(frozen=True)
class _AppClock:
    """Real-time sleeping, with "now" from the app's clock (tests move it through ticketing.web.NOW)."""

    now_fn: Callable[[], datetime]

    def now(self) -> datetime:
        return self.now_fn()

    def monotonic(self) -> float:
        return REAL_TIME.monotonic()

    async def sleep(self, seconds: float) -> None:
        await REAL_TIME.sleep(seconds)

    def real_seconds(self, seconds: float) -> float:
        return seconds


async def _background(app: web.Application) -> AsyncIterator[None]:
    if not app.get(BACKGROUND, True):
        yield
        return
    settings = app[SETTINGS]
    sessions = app[SESSIONS]
    clock = _AppClock(app[NOW]) if NOW in app else _AppClock(REAL_TIME.now)
    http = aiohttp.ClientSession()
    if OUTBOX_HANDLERS not in app:
        app[OUTBOX_HANDLERS] = {}
    handlers = app[OUTBOX_HANDLERS]
    handlers.setdefault(DINGTALK_UNIT, DingTalkUnitHandler(sessions, http))
    worker = OutboxWorker(sessions, handlers, clock=clock)
    hours = OfficeHours.parse(settings.office_hours, settings.timezone)
    watcher = SupervisionWatcher(
        sessions,
        StoredCalendar(CalendarStore(sessions), hours),
        policy=WatchPolicy(warn_hours=settings.warn_hours),
        clock=clock,
        on_queued=worker.wake,
        repeats=RepeatLinker(RepeatPolicy(window_days=settings.repeat_window_days)),
    )
    app[OUTBOX_WORKER] = worker
    app[WATCHER] = watcher

    tasks = [
        asyncio.create_task(worker.run(first_wait=worker.poll_seconds), name="ticketing-outbox"),
        asyncio.create_task(watcher.run(), name="ticketing-supervision"),
    ]
    log.info("outbox worker and supervision watcher started (warn %.1f working hours ahead)", settings.warn_hours)
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await http.close()


def setup(app: web.Application) -> None:
    """Run the outbox worker and the supervision watcher with the service."""
    app.cleanup_ctx.append(_background)
