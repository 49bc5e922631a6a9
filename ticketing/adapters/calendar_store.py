"""Loading and saving the calendar's local overrides and imported years (SQLAlchemy AsyncSession)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import delete, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ticketing.adapters.calendar_orm import CalendarOverrideRow, CalendarYearDayRow, CalendarYearRow
from ticketing.domain.calendar import DayOverride, OfficeHours, WorkingCalendar, YearSchedule

CALENDAR_TABLES = ("calendar_overrides", "calendar_years", "calendar_year_days")


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def calendar_tables_present(engine: AsyncEngine) -> bool:
    """Whether `hotline db upgrade` has created the calendar tables in this database."""
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync_conn: set(inspect(sync_conn).get_table_names()))
    return all(name in names for name in CALENDAR_TABLES)


class CalendarStore:
    """The database side of the calendar (日历本地调整与导入的年度安排)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], now: Callable[[], datetime] = _utcnow
    ) -> None:
        self._sessions = sessions
        self._now = now

    async def overrides(self) -> list[DayOverride]:
        async with self._sessions() as session:
            rows = (await session.scalars(select(CalendarOverrideRow).order_by(CalendarOverrideRow.day))).all()
        return [DayOverride(row.day, row.working, row.note) for row in rows]

    async def save_override(self, override: DayOverride, by: str | None = None) -> None:
        """Insert or replace the override of one day."""
        async with self._sessions.begin() as session:
            row = await session.get(CalendarOverrideRow, override.day)
            if row is None:
                row = CalendarOverrideRow(day=override.day)
                session.add(row)
            row.working = override.working
            row.note = override.note
            row.updated_by = by
            row.updated_at = self._now()

    async def remove_override(self, day: date) -> bool:
        """Drop a day's override; False when there was none."""
        async with self._sessions.begin() as session:
            result = await session.execute(delete(CalendarOverrideRow).where(CalendarOverrideRow.day == day))
        return bool(getattr(result, "rowcount", 0))

    async def imported_years(self) -> dict[int, YearSchedule]:
        async with self._sessions() as session:
            years = (await session.scalars(select(CalendarYearRow.year))).all()
            days = (await session.scalars(select(CalendarYearDayRow))).all()
        holidays: dict[int, dict[date, str]] = {year: {} for year in years}
        workdays: dict[int, dict[date, str]] = {year: {} for year in years}
        for row in days:
            (holidays if row.kind == "holiday" else workdays)[row.year][row.day] = row.note
        return {year: YearSchedule(year, holidays[year], workdays[year]) for year in years}

    async def save_year(self, schedule: YearSchedule, source: str = "", by: str | None = None) -> None:
        """Store a year's schedule, replacing any earlier import of the same year, in one transaction."""
        async with self._sessions.begin() as session:
            await session.execute(delete(CalendarYearDayRow).where(CalendarYearDayRow.year == schedule.year))
            await session.execute(delete(CalendarYearRow).where(CalendarYearRow.year == schedule.year))
            session.add(
                CalendarYearRow(year=schedule.year, source=source[:300], imported_by=by, imported_at=self._now())
            )
            await session.flush()
            for day, note in schedule.holidays.items():
                session.add(CalendarYearDayRow(day=day, year=schedule.year, kind="holiday", note=note))
            for day, note in schedule.workdays.items():
                session.add(CalendarYearDayRow(day=day, year=schedule.year, kind="workday", note=note))

    async def load_calendar(self, hours: OfficeHours) -> WorkingCalendar:
        """A calendar with this database's overrides and imported years."""
        return WorkingCalendar(hours, await self.overrides(), await self.imported_years())
