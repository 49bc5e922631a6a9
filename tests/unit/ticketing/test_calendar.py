"""The working-day clock (工作日时钟) around real holidays: National Day 2025, New Year, Spring Festival
and May Day 2026, with lunch breaks, after-hours receipts, overrides and imported years."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketing.domain.calendar import (
    CalendarDataMissing,
    DayOverride,
    InvalidOfficeHours,
    NaiveDatetimeRefused,
    OfficeHours,
    WorkingCalendar,
    YearSchedule,
)

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(OfficeHours.parse("08:30-12:00,14:00-17:30", "Asia/Shanghai"))


# --- National Day 2025: 1-8 October off, Sunday 28 September and Saturday 11 October worked ---------


def test_national_day_2025_days_off_and_make_up_days(calendar):
    assert not any(calendar.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert calendar.is_working_day(date(2025, 9, 28))  # Sunday, make-up day
    assert calendar.is_working_day(date(2025, 10, 9))
    assert calendar.is_working_day(date(2025, 10, 11))  # Saturday, make-up day
    assert not calendar.is_working_day(date(2025, 10, 12))


def test_received_on_the_eve_of_national_day_is_due_after_the_holiday(calendar):
    due = calendar.add_working_days(at(2025, 9, 30, 16), 1)
    assert due.isoformat() == "2025-10-09T16:00:00+08:00"


def test_received_on_saturday_starts_on_the_make_up_sunday(calendar):
    received = at(2025, 9, 27, 10)
    assert calendar.clock_start(received) == at(2025, 9, 28, 8, 30)
    assert calendar.add_working_days(received, 1) == at(2025, 9, 29, 8, 30)


def test_make_up_saturday_counts_as_a_working_day(calendar):
    assert calendar.add_working_days(at(2025, 10, 10, 16), 1) == at(2025, 10, 11, 16)
    assert calendar.add_working_days(at(2025, 10, 10, 16), 2) == at(2025, 10, 13, 16)


def test_received_after_closing_starts_at_the_next_opening(calendar):
    received = at(2025, 9, 30, 17, 45)
    assert calendar.clock_start(received) == at(2025, 10, 9, 8, 30)
    assert calendar.add_working_days(received, 1) == at(2025, 10, 10, 8, 30)


# --- New Year 2026: 1-3 January off, Sunday 4 January worked -----------------------------------------


def test_new_year_2026_make_up_sunday_is_the_next_working_day(calendar):
    assert [calendar.is_working_day(date(2026, 1, d)) for d in range(1, 6)] == [False, False, False, True, True]
    assert calendar.add_working_days(at(2025, 12, 31, 10), 1) == at(2026, 1, 4, 10)
    assert calendar.add_working_days(at(2025, 12, 31, 10), 2) == at(2026, 1, 5, 10)


# --- Spring Festival 2026 (from chinesecalendar): Sat 14 Feb worked, 15-23 Feb off, Sat 28 Feb worked --


def test_spring_festival_2026_as_the_library_knows_it(calendar):
    assert calendar.is_working_day(date(2026, 2, 14))
    assert not any(calendar.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert calendar.is_working_day(date(2026, 2, 24))
    assert calendar.is_working_day(date(2026, 2, 28))


def test_simple_and_general_complaints_over_spring_festival(calendar):
    received = at(2026, 2, 13, 15)  # Friday before the holiday
    assert calendar.add_working_days(received, 1) == at(2026, 2, 14, 15)
    assert calendar.add_working_days(received, 2) == at(2026, 2, 24, 15)
    assert calendar.add_working_days(received, 5) == at(2026, 2, 27, 15)


def test_lunch_break_on_a_make_up_saturday_starts_the_clock_at_two(calendar):
    received = at(2026, 2, 14, 12, 30)
    assert calendar.clock_start(received) == at(2026, 2, 14, 14)
    assert calendar.add_working_days(received, 1) == at(2026, 2, 24, 14)


# --- May Day 2026: 1-5 May off, Saturday 9 May worked ------------------------------------------------


def test_may_day_2026_two_and_five_working_days(calendar):
    received = at(2026, 4, 30, 9)
    assert calendar.add_working_days(received, 2) == at(2026, 5, 7, 9)
    assert calendar.add_working_days(received, 5) == at(2026, 5, 11, 9)  # 6, 7, 8, 9 (Sat), 11


# --- office hours -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "start"),
    [
        (at(2025, 9, 16, 7), at(2025, 9, 16, 8, 30)),  # before opening
        (at(2025, 9, 16, 8, 30), at(2025, 9, 16, 8, 30)),  # exactly at opening
        (at(2025, 9, 16, 11, 59), at(2025, 9, 16, 11, 59)),  # inside the morning
        (at(2025, 9, 16, 12), at(2025, 9, 16, 14)),  # 12:00 is already lunch
        (at(2025, 9, 16, 12, 30), at(2025, 9, 16, 14)),  # lunch break
        (at(2025, 9, 16, 17, 29), at(2025, 9, 16, 17, 29)),
        (at(2025, 9, 19, 17, 30), at(2025, 9, 22, 8, 30)),  # Friday closing → Monday
        (at(2025, 9, 20, 11), at(2025, 9, 22, 8, 30)),  # ordinary Saturday
    ],
)
def test_clock_start(calendar, received, start):
    assert calendar.clock_start(received) == start


def test_receipt_in_lunch_break_is_due_at_two_the_next_working_day(calendar):
    assert calendar.add_working_days(at(2025, 9, 16, 12, 30), 1) == at(2025, 9, 17, 14)


def test_zero_days_is_the_clock_start_and_negative_is_refused(calendar):
    assert calendar.add_working_days(at(2025, 9, 20, 11), 0) == at(2025, 9, 22, 8, 30)
    with pytest.raises(ValueError):
        calendar.add_working_days(at(2025, 9, 16, 9), -1)


def test_is_open(calendar):
    assert calendar.is_open(at(2025, 9, 28, 9))  # make-up Sunday
    assert not calendar.is_open(at(2025, 10, 2, 9))  # holiday
    assert not calendar.is_open(at(2025, 9, 29, 13))  # lunch
    assert not calendar.is_open(at(2025, 9, 29, 17, 30))


def test_configured_office_hours_change_the_opening(calendar):
    summer = WorkingCalendar(OfficeHours.parse("08:00-12:00,14:30-18:00"))
    assert summer.clock_start(at(2025, 9, 16, 12, 10)) == at(2025, 9, 16, 14, 30)
    assert summer.clock_start(at(2025, 9, 19, 18)) == at(2025, 9, 22, 8)


def test_bad_office_hours_are_refused():
    for spec in ("08:30-12:00,11:00-17:30", "12:00-08:30", "morning", "", "8-12"):
        with pytest.raises(InvalidOfficeHours):
            OfficeHours.parse(spec)
    with pytest.raises(InvalidOfficeHours):
        OfficeHours.parse(tz="Mars/Olympus")


# --- working hours -------------------------------------------------------------------------------------


def test_working_hours_skip_lunch_nights_and_holidays(calendar):
    assert calendar.add_working_hours(at(2025, 9, 16, 10), 2) == at(2025, 9, 16, 12)  # ends at closing
    assert calendar.add_working_hours(at(2025, 9, 16, 11), 2) == at(2025, 9, 16, 15)
    assert calendar.add_working_hours(at(2025, 9, 30, 16), 2) == at(2025, 10, 9, 9)
    assert calendar.add_working_hours(at(2025, 9, 16, 12, 30), 0.5) == at(2025, 9, 16, 14, 30)


def test_two_working_hours_before_the_due_time(calendar):
    assert calendar.subtract_working_hours(at(2025, 10, 9, 16), 2) == at(2025, 10, 9, 14)
    assert calendar.subtract_working_hours(at(2025, 10, 9, 15), 2) == at(2025, 10, 9, 11)
    assert calendar.subtract_working_hours(at(2025, 10, 9, 8, 30), 2) == at(2025, 9, 30, 15, 30)


def test_working_seconds_between(calendar):
    assert calendar.working_seconds_between(at(2025, 9, 30, 16), at(2025, 10, 9, 16)) == 7 * 3600
    assert calendar.working_seconds_between(at(2025, 10, 9, 16), at(2025, 9, 30, 16)) == -7 * 3600
    assert calendar.working_seconds_between(at(2025, 9, 16, 12), at(2025, 9, 16, 14)) == 0


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 9, 30)),
    minutes=st.integers(min_value=1, max_value=60 * 40),
)
def test_adding_working_hours_adds_exactly_that_much_office_time(start, minutes):
    calendar = WorkingCalendar(OfficeHours.parse())
    begin = start.replace(tzinfo=TZ)
    end = calendar.add_working_hours(begin, minutes / 60)
    assert calendar.working_seconds_between(begin, end) == pytest.approx(minutes * 60, abs=1e-3)
    assert calendar.working_seconds_between(calendar.subtract_working_hours(end, minutes / 60), end) == (
        pytest.approx(minutes * 60, abs=1e-3)
    )


# --- time zones ---------------------------------------------------------------------------------------


def test_naive_datetimes_are_refused(calendar):
    with pytest.raises(NaiveDatetimeRefused) as err:
        calendar.add_working_days(datetime(2025, 9, 30, 16), 1)
    assert err.value.error_id == "calendar-naive-datetime"


def test_times_in_another_zone_are_read_in_the_calendar_zone(calendar):
    due = calendar.add_working_days(datetime(2025, 9, 30, 8, tzinfo=UTC), 1)  # 16:00 in Beijing
    assert due.isoformat() == "2025-10-09T16:00:00+08:00"


# --- unknown years, overrides, imports ------------------------------------------------------------------


def test_a_year_without_data_is_refused_not_guessed(calendar):
    with pytest.raises(CalendarDataMissing) as err:
        calendar.is_working_day(date(2027, 1, 4))
    assert err.value.year == 2027
    assert err.value.error_id == "calendar-data-missing"
    assert "2027" in str(err.value)
    with pytest.raises(CalendarDataMissing) as crossing:
        calendar.add_working_days(at(2026, 12, 31, 16), 1)  # the next working day lies in 2027
    assert crossing.value.year == 2027


def test_overrides_win_over_the_library():
    calendar = WorkingCalendar(
        OfficeHours.parse(),
        overrides=[
            DayOverride(date(2025, 10, 8), working=True, note="县政府通知：10月8日正常上班"),
            DayOverride(date(2025, 10, 9), working=False, note="台风停工"),
        ],
    )
    assert calendar.add_working_days(at(2025, 9, 30, 16), 1) == at(2025, 10, 8, 16)
    assert calendar.add_working_days(at(2025, 9, 30, 16), 2) == at(2025, 10, 10, 16)
    assert calendar.day_status(date(2025, 10, 9)).source == "override"


def test_an_imported_schedule_makes_its_year_known_and_wins_over_the_library():
    # A fictitious schedule, only for this test: the real 2027 notice is imported by the admin.
    year_2027 = YearSchedule(
        2027,
        holidays={date(2027, 1, 1): "元旦"},
        workdays={date(2027, 1, 2): "元旦调休上班"},
    )
    changed_2026 = YearSchedule(2026, holidays={date(2026, 3, 2): "测试假日"})
    calendar = WorkingCalendar(OfficeHours.parse(), imported={2027: year_2027, 2026: changed_2026})
    assert 2027 in calendar.known_years()
    assert calendar.add_working_days(at(2026, 12, 31, 16), 1) == at(2027, 1, 2, 16)
    assert calendar.is_working_day(date(2027, 1, 4))
    assert not calendar.is_working_day(date(2026, 3, 2))
    assert calendar.is_working_day(date(2026, 2, 16))  # the library's Spring Festival no longer applies
    with pytest.raises(CalendarDataMissing):
        calendar.is_working_day(date(2028, 1, 3))


def test_an_override_in_an_unknown_year_answers_only_for_its_own_day():
    calendar = WorkingCalendar(OfficeHours.parse(), overrides=[DayOverride(date(2027, 1, 4), True, "")])
    assert calendar.is_working_day(date(2027, 1, 4))
    with pytest.raises(CalendarDataMissing):
        calendar.is_working_day(date(2027, 1, 5))


def test_year_listing_shows_holidays_and_make_up_days(calendar):
    days = calendar.exceptions_in(2026)
    make_up = [s.day for s in days if s.working]
    assert make_up == [date(2026, m, d) for m, d in ((1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10))]
    assert next(s for s in days if s.day == date(2026, 2, 17)).note == "春节"
