"""The working-day clock (工作日时钟): statutory holidays, make-up working days (调休) and office hours.

Pure domain: no I/O. The rule (docs/calendar.md, DESIGN.md "Working-day deadlines"):

- A day is a working day by, in order of precedence: a local override from the database; an imported
  year schedule (the State Council notice, `hotline calendar import`); the `chinesecalendar` package for
  the years it has data for. A year none of these knows raises `CalendarDataMissing` — weekends are never
  guessed.
- The clock starts at receipt if that is inside office hours on a working day, otherwise at the next
  opening of office hours on a working day.
- "Within N working days" ends at the same clock time on the N-th working day after the start day.

Every datetime going in must be timezone-aware (a naive one raises `NaiveDatetimeRefused`; entry points
such as the CLI attach the configured zone first); every datetime coming out is in the calendar's zone.
Office-hour periods are half-open: 12:00 is already lunch, 17:30 is already closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

__all__ = [
    "LIBRARY_YEARS",
    "CalendarDataMissing",
    "CalendarError",
    "DayOverride",
    "DayStatus",
    "InvalidOfficeHours",
    "NaiveDatetimeRefused",
    "OfficeHours",
    "WorkingCalendar",
    "YearSchedule",
]

ONE_DAY = timedelta(days=1)

# English names used by chinesecalendar → the Chinese names users read.
_HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class CalendarError(Exception):
    """Base of the calendar's domain errors; `error_id` is stable for the HTTP layer and logs."""

    error_id = "calendar-error"


class CalendarDataMissing(CalendarError):
    """No holiday data for a year (节假日数据缺失): refuse rather than guess."""

    error_id = "calendar-data-missing"

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year} 年节假日安排数据缺失，无法计算工作日，请用 `hotline calendar import` 导入国务院办公厅通知"
            f" (no holiday data for year {year}: import that year's State Council schedule)"
        )


class NaiveDatetimeRefused(CalendarError):
    """A datetime without a timezone reached the calendar."""

    error_id = "calendar-naive-datetime"

    def __init__(self, value: datetime) -> None:
        self.value = value
        super().__init__(f"时间缺少时区 (naive datetime refused, attach a timezone first): {value.isoformat()}")


class InvalidOfficeHours(CalendarError):
    """An office-hours specification that cannot be used (办公时间配置错误)."""

    error_id = "calendar-invalid-office-hours"


def _parse_clock(text: str, spec: str) -> time:
    try:
        hour, minute = text.strip().split(":")
        return time(int(hour), int(minute))
    except ValueError as exc:
        raise InvalidOfficeHours(f"办公时间格式错误 (bad office hours, expected HH:MM-HH:MM,...): {spec!r}") from exc


@dataclass(frozen=True)
class OfficeHours:
    """Daily office hours (办公时间) in one timezone, as sorted, non-overlapping half-open periods."""

    periods: tuple[tuple[time, time], ...]
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if not self.periods:
            raise InvalidOfficeHours("办公时间为空 (office hours need at least one period)")
        previous_end: time | None = None
        for start, end in self.periods:
            if not start < end:
                raise InvalidOfficeHours(f"办公时段起止颠倒 (period start must precede end): {start}-{end}")
            if previous_end is not None and start < previous_end:
                raise InvalidOfficeHours("办公时段必须按时间顺序且不重叠 (periods must be sorted, not overlapping)")
            previous_end = end

    @classmethod
    def parse(cls, spec: str = "08:30-12:00,14:00-17:30", tz: str = "Asia/Shanghai") -> OfficeHours:
        """Parse "08:30-12:00,14:00-17:30" (the HOTLINE_OFFICE_HOURS format)."""
        periods = []
        for part in spec.split(","):
            if not part.strip():
                continue
            if part.count("-") != 1:
                raise InvalidOfficeHours(f"办公时间格式错误 (bad office hours, expected HH:MM-HH:MM,...): {spec!r}")
            start, end = part.split("-")
            periods.append((_parse_clock(start, spec), _parse_clock(end, spec)))
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidOfficeHours(f"未知时区 (unknown timezone): {tz!r}") from exc
        return cls(tuple(periods), zone)

    @property
    def seconds_per_day(self) -> float:
        """Office seconds in one working day (7 h = 25200 s by default)."""
        return float(sum(_seconds(end) - _seconds(start) for start, end in self.periods))


def _seconds(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


@dataclass(frozen=True)
class DayOverride:
    """A local decision for one day (本地调整), stored in the database; wins over everything."""

    day: date
    working: bool
    note: str = ""


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule (国务院办公厅节假日安排): days off and make-up working days (调休).

    Days not listed follow the week: Monday to Friday work, Saturday and Sunday rest.
    """

    year: int
    holidays: Mapping[date, str] = field(default_factory=dict)
    workdays: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for day in (*self.holidays, *self.workdays):
            if day.year != self.year:
                raise ValueError(f"{day.isoformat()} is not in year {self.year}")
        both = set(self.holidays) & set(self.workdays)
        if both:
            raise ValueError(f"days listed as both holiday and workday: {sorted(both)}")

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


@dataclass(frozen=True)
class DayStatus:
    """What the calendar says about one day and why (for `hotline calendar check`)."""

    day: date
    working: bool
    note: str
    source: str  # "override" | "imported" | "chinesecalendar" | "week"


def _library_years() -> frozenset[int]:
    return frozenset(d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays))


LIBRARY_YEARS = _library_years()
_EMPTY: Mapping[int, YearSchedule] = MappingProxyType({})


class WorkingCalendar:
    """Working days and office time (工作日与办公时间) for deadlines, warnings and overdue checks."""

    def __init__(
        self,
        hours: OfficeHours,
        overrides: Iterable[DayOverride] = (),
        imported: Mapping[int, YearSchedule] = _EMPTY,
    ) -> None:
        self.hours = hours
        self.tz = hours.tz
        self.overrides: Mapping[date, DayOverride] = MappingProxyType({o.day: o for o in overrides})
        self.imported: Mapping[int, YearSchedule] = MappingProxyType(dict(imported))
        self._periods = hours.periods
        self._working: dict[date, bool] = {}

    # --- days -------------------------------------------------------------------------------------

    def known_years(self) -> frozenset[int]:
        """Years with holiday data (library or imported); other years raise `CalendarDataMissing`."""
        return LIBRARY_YEARS | frozenset(self.imported)

    def is_working_day(self, day: date) -> bool:
        cached = self._working.get(day)
        if cached is None:
            cached = self.day_status(day).working
            self._working[day] = cached
        return cached

    def day_status(self, day: date) -> DayStatus:
        """Whether `day` is worked, with the note and the source that decided it."""
        override = self.overrides.get(day)
        if override is not None:
            return DayStatus(day, override.working, override.note, "override")
        schedule = self.imported.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return DayStatus(day, True, schedule.workdays[day], "imported")
            if day in schedule.holidays:
                return DayStatus(day, False, schedule.holidays[day], "imported")
            return DayStatus(day, day.weekday() < 5, "", "week")
        if day.year in LIBRARY_YEARS:
            if day in chinese_calendar.workdays:
                name = _HOLIDAY_NAMES_ZH.get(chinese_calendar.workdays[day], chinese_calendar.workdays[day])
                return DayStatus(day, True, f"{name}调休", "chinesecalendar")
            if day in chinese_calendar.holidays:
                name = _HOLIDAY_NAMES_ZH.get(chinese_calendar.holidays[day], chinese_calendar.holidays[day])
                return DayStatus(day, False, name, "chinesecalendar")
            return DayStatus(day, day.weekday() < 5, "", "week")
        raise CalendarDataMissing(day.year)

    def exceptions_in(self, year: int) -> list[DayStatus]:
        """Days of `year` that differ from the ordinary week: holidays on weekdays, worked weekends
        (调休), and every override. Raises `CalendarDataMissing` for an unknown year."""
        out = []
        day = date(year, 1, 1)
        while day.year == year:
            status = self.day_status(day)
            ordinary = day.weekday() < 5
            if status.working != ordinary or status.source == "override" or (status.note and not ordinary):
                out.append(status)
            day += ONE_DAY
        return out

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before `day`."""
        day -= ONE_DAY
        while not self.is_working_day(day):
            day -= ONE_DAY
        return day

    # --- instants ---------------------------------------------------------------------------------

    def local(self, at: datetime) -> datetime:
        """`at` in the calendar's zone; naive datetimes are refused."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise NaiveDatetimeRefused(at)
        return at.astimezone(self.tz)

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    def _office_periods(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for start, end in self._periods:
            yield self._at(day, start), self._at(day, end)

    def is_open(self, at: datetime) -> bool:
        """A working day and inside office hours (在办公时间内)."""
        at = self.local(at)
        if not self.is_working_day(at.date()):
            return False
        clock = at.time()
        return any(start <= clock < end for start, end in self._periods)

    def clock_start(self, received: datetime) -> datetime:
        """When the deadline clock starts (起算时间): receipt itself inside office hours, else the next opening."""
        at = self.local(received)
        day = at.date()
        if self.is_working_day(day):
            clock = at.time()
            for start, end in self._periods:
                if clock < start:
                    return self._at(day, start)
                if clock < end:
                    return at
        return self._at(self.next_working_day(day), self._periods[0][0])

    def add_working_days(self, received: datetime, n: int) -> datetime:
        """The due time of "within N working days" (N个工作日内): the clock start's clock time on the N-th
        working day after the start day."""
        if n < 0:
            raise ValueError(f"working days must be >= 0, got {n}")
        start = self.clock_start(received)
        day = start.date()
        for _ in range(n):
            day = self.next_working_day(day)
        return self._at(day, start.time())

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` of office time after `start` (counting only office time on working days).

        Ending exactly at the close of a period gives that close (12:00, 17:30), not the next opening.
        """
        if hours < 0:
            return self.subtract_working_hours(start, -hours)
        at = self.local(start)
        remaining = timedelta(hours=hours)
        if not remaining:
            return at
        day = at.date()
        while True:
            if self.is_working_day(day):
                for period_start, period_end in self._office_periods(day):
                    if period_end <= at:
                        continue
                    begin = max(period_start, at)
                    available = period_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day = self.next_working_day(day)
            at = self._at(day, time(0))

    def subtract_working_hours(self, due: datetime, hours: float) -> datetime:
        """The instant `hours` of office time before `due` ("2 working hours before the due time").

        Landing exactly on the opening of a period gives that opening (14:00, 08:30).
        """
        if hours < 0:
            return self.add_working_hours(due, -hours)
        at = self.local(due)
        remaining = timedelta(hours=hours)
        if not remaining:
            return at
        day = at.date()
        while True:
            if self.is_working_day(day):
                for period_start, period_end in reversed(list(self._office_periods(day))):
                    if period_start >= at:
                        continue
                    end = min(period_end, at)
                    available = end - period_start
                    if remaining <= available:
                        return end - remaining
                    remaining -= available
            day = self.previous_working_day(day)
            at = self._at(day + ONE_DAY, time(0))

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Office seconds between `a` and `b`; negative when `b` is before `a` (e.g. time left to a due
        time already passed)."""
        a, b = self.local(a), self.local(b)
        if b < a:
            return -self.working_seconds_between(b, a)
        total = timedelta(0)
        day = a.date()
        last = b.date()
        while day <= last:
            if self.is_working_day(day):
                for period_start, period_end in self._office_periods(day):
                    begin, end = max(period_start, a), min(period_end, b)
                    if begin < end:
                        total += end - begin
            day += ONE_DAY
        return total.total_seconds()
