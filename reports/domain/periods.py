"""Report periods (报告期): the month or quarter of a report, the periods it is compared with, and the
schedule — a report of the last month (每月一汇总) and of the last quarter (每季一上报) is due on the
first working day (第一个工作日) of the next month or quarter on the working-day calendar.

A period is `ticketing.domain.kpi.Period` (the same one the KPI figures use); a custom range is a
Period with a label such as `2026-07-01~2026-08-15`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from reports.domain.errors import InvalidReportPeriod
from ticketing.domain.kpi import InvalidPeriod, Period

MONTHLY = "monthly"
QUARTERLY = "quarterly"
KINDS_ZH = {MONTHLY: "月度汇总", QUARTERLY: "季度分析报告"}
TITLES_ZH = {MONTHLY: "意见建议汇总", QUARTERLY: "分析报告"}  # after the period: 2026年10月意见建议汇总


def parse_report_period(kind: str, text: str) -> Period:
    """`2026-10` for a monthly report, `2026Q3` for a quarterly one."""
    try:
        period = Period.parse(text)
    except InvalidPeriod as exc:
        raise InvalidReportPeriod(str(exc)) from exc
    if kind == MONTHLY and "-" not in period.label:
        raise InvalidReportPeriod(f"月度报告需要月份，如 2026-10（收到 {text!r}）")
    if kind == QUARTERLY and "Q" not in period.label:
        raise InvalidReportPeriod(f"季度报告需要季度，如 2026Q3（收到 {text!r}）")
    return period


def parse_period(text: str) -> Period:
    """A month, quarter or year as the KPI takes them, or a custom range `2026-07-01~2026-08-15`
    (both days included)."""
    if "~" in text:
        first, _, last = text.partition("~")
        try:
            start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
        except ValueError as exc:
            raise InvalidReportPeriod(f"自定义期间应为 2026-07-01~2026-08-15（收到 {text!r}）") from exc
        return custom_period(start, end + timedelta(days=1))
    try:
        return Period.parse(text)
    except InvalidPeriod as exc:
        raise InvalidReportPeriod(str(exc)) from exc


def period_name_zh(period: Period) -> str:
    """2026年第3季度, 2026年10月, 2026年, or 2026年7月1日至2026年8月15日 for a custom range."""
    if "~" in period.label:
        last = period.end - timedelta(days=1)
        return f"{period.start.year}年{period.start.month}月{period.start.day}日至{last.year}年{last.month}月{last.day}日"
    return period.name_zh


def custom_period(start: date, end: date) -> Period:
    """A custom range [start, end) of local dates."""
    if end <= start:
        raise InvalidReportPeriod(f"自定义期间的结束日期须晚于开始日期：{start} ~ {end}")
    return Period(f"{start.isoformat()}~{(end - timedelta(days=1)).isoformat()}", start, end)


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def previous_period(period: Period) -> Period:
    """The period just before (环比): the month, quarter or year before; a custom range of equal length."""
    if "Q" in period.label:
        start = _shift_months(period.start, -3)
        return Period.parse(f"{start.year}Q{(start.month - 1) // 3 + 1}")
    if "~" in period.label:
        length = period.end - period.start
        return custom_period(period.start - length, period.start)
    if "-" in period.label:
        start = _shift_months(period.start, -1)
        return Period.parse(f"{start.year}-{start.month:02d}")
    return Period.parse(str(period.start.year - 1))


def same_period_last_year(period: Period) -> Period:
    """The same period one year earlier (同比)."""
    if "~" in period.label:
        return custom_period(_year_earlier(period.start), _year_earlier(period.end))
    return Period.parse(period.label.replace(str(period.start.year), str(period.start.year - 1), 1))


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def month_of(day: date) -> Period:
    return Period.parse(f"{day.year}-{day.month:02d}")


def quarter_of(day: date) -> Period:
    return Period.parse(f"{day.year}Q{(day.month - 1) // 3 + 1}")


@dataclass(frozen=True)
class DueReport:
    """A report the schedule asks for: its kind, its period, and the working day it became due."""

    kind: str
    period: Period
    due_on: date


def first_working_day(start: date, is_working_day: Callable[[date], bool]) -> date:
    day = start
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_reports(today: date, is_working_day: Callable[[date], bool]) -> list[DueReport]:
    """The reports whose due day has come by `today`: last month's summary from the first working day of
    this month on, and last quarter's report from the first working day of this quarter on. The caller
    leaves out those already generated (idempotent: each period once)."""
    out = []
    this_month = month_of(today)
    due = first_working_day(this_month.start, is_working_day)
    if today >= due:
        out.append(DueReport(MONTHLY, previous_period(this_month), due))
    this_quarter = quarter_of(today)
    due_q = first_working_day(this_quarter.start, is_working_day)
    if today >= due_q:
        out.append(DueReport(QUARTERLY, previous_period(this_quarter), due_q))
    return out
