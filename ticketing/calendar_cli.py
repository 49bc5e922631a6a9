"""`hotline calendar due|check|import|override`: the working-day calendar from the command line.

Naive times given on the command line (`--from 2025-09-30T16:00`) are read in the configured timezone
(HOTLINE_TIMEZONE); the domain itself refuses naive datetimes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from ticketing.adapters.calendar_store import CalendarStore, calendar_tables_present
from ticketing.domain.calendar import (
    LIBRARY_YEARS,
    CalendarError,
    DayOverride,
    OfficeHours,
    WorkingCalendar,
)
from ticketing.domain.calendar_import import parse_year_schedule

_WEEKDAYS = "一二三四五六日"


def _sqlite_file_missing(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1]
    if not path or path == ":memory:" or Path(path).exists():
        return None
    return Path(path)


async def load_calendar(settings: Settings, err: TextIO | None = None) -> WorkingCalendar:
    """The calendar with the database's overrides and imports, or without them (and a note on `err`,
    default stderr) when the database or its calendar tables are not there yet."""
    err = err or sys.stderr
    hours = OfficeHours.parse(settings.office_hours, settings.timezone)
    missing = _sqlite_file_missing(settings.database_url)
    if missing is not None:
        print(f"提示：未找到数据库 {missing}，未加载本地日历调整 (no database yet; no local overrides)", file=err)
        return WorkingCalendar(hours)
    engine = make_engine(settings.database_url)
    try:
        if not await calendar_tables_present(engine):
            print(
                "提示：数据库中还没有日历表，未加载本地日历调整，可运行 `hotline db upgrade`"
                " (calendar tables missing; no local overrides)",
                file=err,
            )
            return WorkingCalendar(hours)
        return await CalendarStore(make_sessionmaker(engine)).load_calendar(hours)
    except (OSError, SQLAlchemyError) as exc:
        print(f"提示：无法连接数据库，未加载本地日历调整 (database unreachable: {exc})", file=err)
        return WorkingCalendar(hours)
    finally:
        await engine.dispose()


async def _store_or_explain(settings: Settings) -> tuple[CalendarStore, AsyncEngine] | None:
    """The store and its engine (caller disposes), or None with a message when the tables are missing."""
    if _sqlite_file_missing(settings.database_url) is None:
        engine = make_engine(settings.database_url)
        if await calendar_tables_present(engine):
            return CalendarStore(make_sessionmaker(engine)), engine
        await engine.dispose()
    print(
        "错误：数据库中没有日历表，请先运行 `hotline db upgrade` (calendar tables missing: run hotline db upgrade)",
        file=sys.stderr,
    )
    return None


def _parse_from(text: str, settings: Settings) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"时间格式应为 ISO 8601 (bad --from): {text!r}") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=OfficeHours.parse(settings.office_hours, settings.timezone).tz)
    return at


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds" if not at.microsecond else "microseconds")


async def _due(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        received = _parse_from(args.from_, settings)
        calendar = await load_calendar(settings)
        if args.working_days is not None:
            due = calendar.add_working_days(received, args.working_days)
        else:
            due = calendar.add_working_hours(calendar.clock_start(received), args.hours)
    except (CalendarError, argparse.ArgumentTypeError) as exc:
        print(f"错误 (error): {exc}", file=sys.stderr)
        return 1
    print(_iso(due))
    return 0


async def _check(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        calendar = await load_calendar(settings)
        days = calendar.exceptions_in(args.year)
        working_total = sum(
            calendar.is_working_day(d) for d in (date.fromordinal(o) for o in _ordinals(args.year))
        )
    except CalendarError as exc:
        print(f"错误 (error): {exc}", file=sys.stderr)
        return 1
    source = "导入的年度安排" if args.year in calendar.imported else "chinesecalendar"
    print(f"{args.year} 年放假与调休安排（数据来源：{source}）")
    for status in days:
        kind = "上班" if status.working else "放假"
        origin = "（本地调整）" if status.source == "override" else ""
        print(f"{status.day.isoformat()} 周{_WEEKDAYS[status.day.weekday()]} {kind} {status.note}{origin}".rstrip())
    off = sum(1 for s in days if not s.working)
    makeup = sum(1 for s in days if s.working and s.day.weekday() >= 5)
    print(f"共 {off} 个放假日（含周末）、{makeup} 个调休上班日；全年工作日 {working_total} 天")
    return 0


def _ordinals(year: int) -> range:
    return range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal())


async def _import(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    path = Path(args.file)
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"错误：无法读取文件 (cannot read {path}): {exc}", file=sys.stderr)
        return 1
    try:
        schedule = parse_year_schedule(text, str(path))
    except CalendarError as exc:
        print(f"错误 (error): {exc}", file=sys.stderr)
        return 1
    opened = await _store_or_explain(settings)
    if opened is None:
        return 1
    store, engine = opened
    try:
        await store.save_year(schedule, source=path.name, by=args.by)
    finally:
        await engine.dispose()
    print(
        f"已导入 {schedule.year} 年节假日安排：{len(schedule.holidays)} 个放假日、"
        f"{len(schedule.workdays)} 个调休上班日 (imported {path.name})"
    )
    if schedule.year in LIBRARY_YEARS:
        print(f"提示：{schedule.year} 年的导入数据将取代 chinesecalendar 自带的数据", file=sys.stderr)
    return 0


async def _override(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        day = date.fromisoformat(args.day)
    except ValueError:
        print(f"错误：日期应为 YYYY-MM-DD (bad date): {args.day!r}", file=sys.stderr)
        return 1
    opened = await _store_or_explain(settings)
    if opened is None:
        return 1
    store, engine = opened
    try:
        if args.remove:
            removed = await store.remove_override(day)
            print(f"已删除 {day} 的本地调整" if removed else f"{day} 没有本地调整 (no override)")
            return 0
        await store.save_override(DayOverride(day, args.working, args.note), by=args.by)
    finally:
        await engine.dispose()
    print(f"已将 {day} 设为{'工作日' if args.working else '休息日'}（本地调整）: {args.note}".rstrip(": "))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `hotline calendar ...` to the `hotline` command."""
    cal = sub.add_parser("calendar", help="working-day calendar (工作日历): due times, holidays, overrides")
    calsub = cal.add_subparsers(dest="calendar_command", required=True)

    due = calsub.add_parser("due", help="due time of a limit in working days or working hours")
    due.add_argument("--from", dest="from_", required=True, help="receipt time, ISO 8601 (naive = HOTLINE_TIMEZONE)")
    limit = due.add_mutually_exclusive_group(required=True)
    limit.add_argument("--working-days", type=int, help="within N working days")
    limit.add_argument("--hours", type=float, help="after H working hours (office time only)")
    due.set_defaults(func=_due)

    check = calsub.add_parser("check", help="list a year's holidays and make-up working days")
    check.add_argument("--year", type=int, required=True)
    check.set_defaults(func=_check)

    imp = calsub.add_parser("import", help="import a year's schedule file (date,kind,note lines)")
    imp.add_argument("file")
    imp.add_argument("--by", default=None, help="who imports (kept with the year)")
    imp.set_defaults(func=_import)

    ovr = calsub.add_parser("override", help="set a local working day or day off (wins over everything)")
    ovr.add_argument("day", help="YYYY-MM-DD")
    kind = ovr.add_mutually_exclusive_group(required=True)
    kind.add_argument("--working", dest="working", action="store_true", help="make it a working day")
    kind.add_argument("--holiday", dest="working", action="store_false", help="make it a day off")
    kind.add_argument("--remove", action="store_true", help="drop the override of that day")
    ovr.add_argument("--note", default="", help="why (shown by `calendar check`)")
    ovr.add_argument("--by", default=None, help="who decides")
    ovr.set_defaults(func=_override)
