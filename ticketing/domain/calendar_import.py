"""Reading a year's holiday schedule (节假日安排导入) from the simple file an admin writes from the
State Council notice. Pure: takes the text, gives a `YearSchedule` or every error with its line number.

Format (UTF-8, one year per file; docs/calendar.md):

    # 2027 年部分节假日安排（国办发明电〔2026〕X号）
    2027-01-01,holiday,元旦
    2027-02-06,workday,春节调休上班

Each line is `date,kind,note`: an ISO date, `holiday` (also 放假/休) or `workday` (also 上班/班), and a
non-empty note. Blank lines and lines starting with `#` are ignored; a Chinese comma (，) works too.
Days not listed follow the ordinary week. A `workday` must be a Saturday or Sunday (a make-up day, 调休).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ticketing.domain.calendar import CalendarError, YearSchedule

_KINDS = {
    "holiday": "holiday",
    "放假": "holiday",
    "休": "holiday",
    "workday": "workday",
    "上班": "workday",
    "班": "workday",
}
_SEPARATOR = re.compile(r"\s*[,，]\s*")


@dataclass(frozen=True)
class ScheduleLineError:
    """One problem in the file, by line number (1-based)."""

    line: int
    message: str


class ScheduleFileInvalid(CalendarError):
    """The schedule file has errors; nothing was imported (导入文件有误)."""

    error_id = "calendar-import-invalid"

    def __init__(self, source: str, errors: list[ScheduleLineError]) -> None:
        self.source = source
        self.errors = errors
        lines = "\n".join(f"  第 {e.line} 行 (line {e.line}): {e.message}" for e in errors)
        super().__init__(f"节假日安排文件有误，未导入 (schedule file rejected): {source}\n{lines}")


def parse_year_schedule(text: str, source: str = "<text>") -> YearSchedule:
    """Parse and validate a whole file; raises `ScheduleFileInvalid` listing every error."""
    errors: list[ScheduleLineError] = []
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    seen: dict[date, int] = {}
    years: dict[int, int] = {}
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = _SEPARATOR.split(line, maxsplit=2)
        if len(parts) != 3:
            errors.append(ScheduleLineError(number, f"应为“日期,类型,说明”三项 (expected date,kind,note): {line!r}"))
            continue
        day_text, kind_text, note = (p.strip() for p in parts)
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            errors.append(ScheduleLineError(number, f"日期无效，应为 YYYY-MM-DD (bad date): {day_text!r}"))
            continue
        kind = _KINDS.get(kind_text.lower())
        if kind is None:
            errors.append(
                ScheduleLineError(number, f"类型应为 holiday 或 workday (kind must be holiday or workday): {kind_text!r}")
            )
            continue
        if not note:
            errors.append(ScheduleLineError(number, "缺少说明 (note is empty), 例如 元旦 / 春节调休上班"))
            continue
        if day in seen:
            errors.append(ScheduleLineError(number, f"{day.isoformat()} 重复，已在第 {seen[day]} 行 (duplicate date)"))
            continue
        if kind == "workday" and day.weekday() < 5:
            errors.append(
                ScheduleLineError(
                    number,
                    f"{day.isoformat()} 是工作日，调休上班日应为周六或周日 (a make-up working day must be a weekend day)",
                )
            )
            continue
        seen[day] = number
        years.setdefault(day.year, number)
        (holidays if kind == "holiday" else workdays)[day] = note
    if len(years) > 1:
        first, *others = sorted(years)
        for year in others:
            errors.append(
                ScheduleLineError(years[year], f"一个文件只能包含一个年份，已有 {first} 年 (one year per file): {year}")
            )
    if not errors and not holidays:
        errors.append(ScheduleLineError(0, "文件中没有任何放假日期 (no holiday lines: is this the right file?)"))
    if errors:
        raise ScheduleFileInvalid(source, sorted(errors, key=lambda e: e.line))
    return YearSchedule(year=next(iter(years)), holidays=holidays, workdays=workdays)


def format_year_schedule(schedule: YearSchedule) -> str:
    """The file form of a schedule (the inverse of `parse_year_schedule`), sorted by date."""
    rows = [(d, "holiday", n) for d, n in schedule.holidays.items()]
    rows += [(d, "workday", n) for d, n in schedule.workdays.items()]
    return "".join(f"{d.isoformat()},{kind},{note}\n" for d, kind, note in sorted(rows))
