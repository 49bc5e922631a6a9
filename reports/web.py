"""Wiring of the reports into the service: the `ReportService` under `REPORTS`, and the schedule —
a background task that writes the monthly summary and the quarterly report on the first working day
of the month and quarter, each period once (checks one minute after start-up, then every 15 minutes).

Tests that drive the schedule themselves pass `overrides={REPORT_SCHEDULE: False}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hotline.app import SESSIONS, SETTINGS
from hotline.settings import Settings
from reports.adapters.queries import ReportQueries
from reports.adapters.store import ReportFolder
from reports.domain.ranking import RankingWeights
from reports.services import ReportSchedule, ReportService
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.domain.calendar import OfficeHours
from ticketing.services import StoredCalendar
from ticketing.web import NOW

log = logging.getLogger(__name__)

REPORTS = web.AppKey("reports_service", ReportService)
REPORT_SCHEDULE = web.AppKey("reports_schedule_on", bool)
SCHEDULER = web.AppKey("reports_scheduler", ReportSchedule)
FIRST_CHECK_S = 60.0
CHECK_EVERY_S = 15 * 60.0


def reports_dir(settings: Settings) -> Path:
    return settings.reports_dir or settings.data_dir / "reports"


def ranking_weights(settings: Settings) -> RankingWeights:
    """HOTLINE_RANKING_WEIGHTS: inline `key=w,…`, inline YAML, or the path of a YAML file."""
    text = settings.ranking_weights.strip()
    if text and "=" not in text and ":" not in text and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    elif text.endswith((".yaml", ".yml")) and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    return RankingWeights.parse(text)


def build_service(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]
) -> ReportService:
    tz = ZoneInfo(settings.timezone)
    return ReportService(
        ReportQueries(sessions, tz), ReportFolder(reports_dir(settings)), tz, ranking_weights(settings), clock
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def _reports(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    clock = app[NOW] if NOW in app else _utcnow
    if REPORTS not in app:
        app[REPORTS] = build_service(settings, app[SESSIONS], clock)
    hours = OfficeHours.parse(settings.office_hours, settings.timezone)
    app[SCHEDULER] = ReportSchedule(app[REPORTS], StoredCalendar(CalendarStore(app[SESSIONS]), hours), clock)
    task = asyncio.create_task(_run_schedule(app[SCHEDULER]), name="reports-schedule") if app.get(
        REPORT_SCHEDULE, True
    ) else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _run_schedule(schedule: ReportSchedule) -> None:
    await asyncio.sleep(FIRST_CHECK_S)
    while True:
        try:
            await schedule.run_due()
        except Exception:  # a failed run is retried at the next check; the service keeps running
            log.exception("scheduled report generation failed")
        schedule.checked.set()
        await asyncio.sleep(CHECK_EVERY_S)


def setup(app: web.Application) -> None:
    """The reports service and its schedule (after ticketing: it reads ticketing's clock)."""
    app.cleanup_ctx.append(_reports)
