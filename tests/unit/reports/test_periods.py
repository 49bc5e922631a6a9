"""Report periods, the periods they are compared with, and when the schedule asks for each report."""

from __future__ import annotations

from datetime import date

import pytest

from reports.domain.errors import InvalidReportPeriod
from reports.domain.periods import (
    MONTHLY,
    QUARTERLY,
    custom_period,
    due_reports,
    parse_report_period,
    previous_period,
    same_period_last_year,
)
from ticketing.domain.calendar import OfficeHours, WorkingCalendar
from ticketing.domain.kpi import Period

CALENDAR = WorkingCalendar(OfficeHours.parse())


def test_a_quarter_is_compared_with_the_quarter_before_and_the_same_quarter_last_year() -> None:
    q1 = Period.parse("2026Q1")
    assert previous_period(q1).label == "2025Q4"
    assert same_period_last_year(q1).label == "2025Q1"
    assert previous_period(Period.parse("2026-01")).label == "2025-12"
    assert same_period_last_year(Period.parse("2026-10")).label == "2025-10"


def test_a_custom_range_is_compared_with_the_range_of_equal_length_just_before() -> None:
    custom = custom_period(date(2026, 7, 1), date(2026, 7, 15))
    assert custom.label == "2026-07-01~2026-07-14"
    before = previous_period(custom)
    assert (before.start, before.end) == (date(2026, 6, 17), date(2026, 7, 1))
    assert same_period_last_year(custom).start == date(2025, 7, 1)


def test_a_monthly_report_needs_a_month_and_a_quarterly_one_a_quarter() -> None:
    assert parse_report_period(MONTHLY, "2026-10").label == "2026-10"
    assert parse_report_period(QUARTERLY, "2026q3").label == "2026Q3"
    with pytest.raises(InvalidReportPeriod) as refused:
        parse_report_period(MONTHLY, "2026Q3")
    assert refused.value.error_id == "invalid-report-period"
    with pytest.raises(InvalidReportPeriod):
        parse_report_period(QUARTERLY, "2026-13")


def test_after_the_national_day_holiday_both_reports_fall_due_on_the_first_working_day() -> None:
    # 1–7 October 2026 are holidays: the September summary and the Q3 report wait for Thursday the 8th
    assert due_reports(date(2026, 10, 7), CALENDAR.is_working_day) == []
    due = due_reports(date(2026, 10, 8), CALENDAR.is_working_day)
    assert [(d.kind, d.period.label, d.due_on) for d in due] == [
        (MONTHLY, "2026-09", date(2026, 10, 8)),
        (QUARTERLY, "2026Q3", date(2026, 10, 8)),
    ]


def test_a_month_starting_on_a_sunday_is_summarized_on_the_monday() -> None:
    # on Sunday 1 November only the quarter's report (due since 8 October) is asked for
    assert [(d.kind, d.period.label) for d in due_reports(date(2026, 11, 1), CALENDAR.is_working_day)] == [
        (QUARTERLY, "2026Q3")
    ]
    monthly = [d for d in due_reports(date(2026, 11, 2), CALENDAR.is_working_day) if d.kind == MONTHLY]
    assert [(d.period.label, d.due_on) for d in monthly] == [("2026-10", date(2026, 11, 2))]


def test_a_custom_range_is_written_with_both_days_included() -> None:
    from reports.domain.periods import parse_period, period_name_zh

    custom = parse_period("2026-07-01~2026-08-15")
    assert (custom.start, custom.end) == (date(2026, 7, 1), date(2026, 8, 16))
    assert period_name_zh(custom) == "2026年7月1日至2026年8月15日"
    assert period_name_zh(parse_period("2026Q3")) == "2026年第3季度"
    with pytest.raises(InvalidReportPeriod):
        parse_period("2026-07-01~昨天")
