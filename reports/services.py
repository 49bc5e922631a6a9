"""The reports' services: build a report's content from the database, write it (HTML, PDF, charts),
the ranking and accountability list on their own, and the schedule that writes each due report once.

Blocking work (TF-IDF over a quarter's orders, matplotlib, WeasyPrint) runs in a worker thread, one
report at a time, so the event loop keeps serving calls and pages meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from reports.adapters.store import ReportFolder, StoredReport
from reports.domain.accountability import AccountabilityList, OrderSigns, TrailEvent, accountability
from reports.domain.figures import PeriodFigures
from reports.domain.hot_issues import IssueText, analyse
from reports.domain.opinions import summarize
from reports.domain.periods import due_reports, previous_period, same_period_last_year
from reports.domain.ranking import RankedUnit, RankingWeights, rank_units
from reports.domain.report import BadReview, ReportContent
from sms_feedback.review_figures import LoopCounts
from ticketing.domain.kpi import Period

log = logging.getLogger(__name__)


class ReportSource(Protocol):
    """What a report reads (reports.adapters.queries.ReportQueries)."""

    async def figures(self, period: Period, as_of: datetime) -> PeriodFigures: ...

    async def texts(self, period: Period, order_class: str | None = None) -> list[IssueText]: ...

    async def signs(
        self, period: Period, as_of: datetime
    ) -> tuple[list[OrderSigns], dict[int, list[TrailEvent]], dict[int | None, tuple[str, int]]]: ...

    async def bad_reviews(self, period: Period, limit: int = 200) -> list[BadReview]: ...

    async def review_figures(self, period: Period) -> list[LoopCounts]: ...


class WorkingDays(Protocol):
    """The working-day calendar (ticketing.domain.calendar.WorkingCalendar)."""

    def is_working_day(self, day: date) -> bool: ...


class ReportService:
    def __init__(
        self,
        source: ReportSource,
        folder: ReportFolder,
        tz: ZoneInfo,
        weights: RankingWeights,
        clock: Callable[[], datetime],
    ) -> None:
        self.source = source
        self.folder = folder
        self.tz = tz
        self.weights = weights
        self.clock = clock
        self._writing = asyncio.Lock()

    async def ranking(self, period: Period, as_of: datetime | None = None) -> list[RankedUnit]:
        figures = await self.source.figures(period, as_of or self.clock())
        return rank_units(figures.units, self.weights)

    async def accountability(self, period: Period, as_of: datetime | None = None) -> AccountabilityList:
        orders, trails, made = await self.source.signs(period, as_of or self.clock())
        return accountability(orders, trails, made)

    async def content(
        self, kind: str, period: Period, as_of: datetime | None = None, recommendations: str | None = None
    ) -> ReportContent:
        at = as_of or self.clock()
        figures = await self.source.figures(period, at)
        previous = await self.source.figures(previous_period(period), at)
        last_year = await self.source.figures(same_period_last_year(period), at)
        texts = await self.source.texts(period)
        earlier = await self.source.texts(previous_period(period))
        suggestions = await self.source.texts(period, "suggestion")
        hot = await asyncio.to_thread(analyse, texts, earlier)
        opinions = await asyncio.to_thread(summarize, suggestions)
        if recommendations is None:
            recommendations = self.folder.recommendations(kind, period.label)
        return ReportContent(
            kind=kind,
            figures=figures,
            previous=previous,
            last_year=last_year,
            ranking=rank_units(figures.units, self.weights),
            weights=self.weights,
            hot_issues=hot,
            opinions=opinions,
            accountability=await self.accountability(period, at),
            bad_reviews=await self.source.bad_reviews(period),
            generated_at=self.clock(),
            as_of=at,
            recommendations=recommendations,
            reviews=await self.source.review_figures(period),
        )

    async def generate(
        self,
        kind: str,
        period: Period,
        *,
        as_of: datetime | None = None,
        recommendations: str | None = None,
        out: Path | None = None,
        trigger: str = "manual",
    ) -> tuple[StoredReport, Path]:
        """Write the report (into `out`, or its folder under the reports folder); the editor's text, when
        given, is kept for later regenerations. Returns the listing entry and the folder written."""
        if recommendations is not None:
            self.folder.save_recommendations(kind, period.label, recommendations)
        content = await self.content(kind, period, as_of, recommendations)
        target = out or self.folder.folder(kind, period.label)
        from reports.adapters.render import write_report  # matplotlib and WeasyPrint load on first use

        async with self._writing:
            await asyncio.to_thread(write_report, content, target, self.tz)
        stored = StoredReport(
            name=self.folder.name(kind, period.label),
            kind=kind,
            period=period.label,
            title=content.title_zh,
            generated_at=content.generated_at.astimezone(self.tz).isoformat(timespec="seconds"),
            draft=content.draft,
            trigger=trigger,
        )
        if out is None:
            self.folder.write_meta(stored)
        return stored, target


class ReportSchedule:
    """Writes the reports that are due (first working day of the month or quarter), each period once."""

    def __init__(
        self, service: ReportService, calendar: Callable[[], Awaitable[WorkingDays]], clock: Callable[[], datetime]
    ) -> None:
        self.service = service
        self.calendar = calendar
        self.clock = clock
        self.checked = asyncio.Event()
        """Set after each check of the background task (tests await it instead of sleeping)."""

    async def run_due(self) -> list[StoredReport]:
        now = self.clock()
        today = now.astimezone(self.service.tz).date()
        written = []
        calendar = await self.calendar()
        for due in due_reports(today, calendar.is_working_day):
            folder = self.service.folder
            if folder.exists(due.kind, due.period.label) or not folder.claim(due.kind, due.period.label):
                continue
            log.info("writing the %s report of %s (due %s)", due.kind, due.period.label, due.due_on)
            try:
                stored, _ = await self.service.generate(due.kind, due.period, as_of=now, trigger="schedule")
            except Exception:
                folder.release(due.kind, due.period.label)  # the next check tries again
                raise
            written.append(stored)
        return written

