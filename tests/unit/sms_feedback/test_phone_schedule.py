"""The phone survey's timetable: set times on working days, holidays skipped, then unreachable."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sms_feedback.domain.phone_schedule import (
    CallNow,
    GiveUp,
    NotDue,
    PhoneSchedule,
    PhoneSurveyConfigError,
    SurveyCallFacts,
    WaitUntil,
    parse_phone_survey_options,
)
from ticketing.domain.calendar import OfficeHours, WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar(OfficeHours.parse("08:30-12:00,14:00-17:30"))
SCHEDULE = PhoneSchedule()


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def test_an_sms_rated_in_time_needs_no_call() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 10, 10), rated=True)
    assert SCHEDULE.decide(local(2025, 6, 12, 10), facts, CALENDAR) == NotDue()


def test_no_call_before_24_hours_have_passed() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 10, 10))
    assert SCHEDULE.decide(local(2025, 6, 11, 9, 45), facts, CALENDAR) == NotDue()


def test_unrated_after_24_hours_the_call_waits_for_the_next_slot() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 10, 10))  # a Tuesday
    assert SCHEDULE.decide(local(2025, 6, 11, 10, 5), facts, CALENDAR) == WaitUntil(local(2025, 6, 11, 14, 30))
    assert SCHEDULE.decide(local(2025, 6, 11, 14, 30), facts, CALENDAR) == CallNow(1)


def test_a_failed_sms_is_called_at_the_next_slot_without_waiting_a_day() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 10, 8, 5), delivery_failed_at=local(2025, 6, 10, 8, 6))
    assert SCHEDULE.decide(local(2025, 6, 10, 8, 7), facts, CALENDAR) == WaitUntil(local(2025, 6, 10, 9, 30))
    assert SCHEDULE.decide(local(2025, 6, 10, 9, 31), facts, CALENDAR) == CallNow(1)


def test_a_weekend_moves_the_call_to_monday_morning() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 13, 16))  # Friday 16:00 → due Saturday 16:00
    decision = SCHEDULE.decide(local(2025, 6, 14, 16, 1), facts, CALENDAR)
    assert decision == WaitUntil(local(2025, 6, 16, 9, 30))


def test_the_national_day_holiday_is_skipped_and_a_make_up_sunday_is_worked() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 9, 30, 15))  # due Wed 1 October, a holiday
    assert SCHEDULE.decide(local(2025, 10, 1, 15), facts, CALENDAR) == WaitUntil(local(2025, 10, 9, 9, 30))
    # Sunday 28 September 2025 is a make-up working day (调休): the slot is taken
    sunday = SurveyCallFacts(sent_at=local(2025, 9, 27, 9))
    assert SCHEDULE.decide(local(2025, 9, 28, 9, 0), sunday, CALENDAR) == WaitUntil(local(2025, 9, 28, 9, 30))


def test_after_a_missed_call_the_next_attempt_is_the_following_slot() -> None:
    facts = SurveyCallFacts(
        sent_at=local(2025, 6, 10, 10), attempts_made=1, last_attempt_at=local(2025, 6, 11, 14, 30)
    )
    assert SCHEDULE.decide(local(2025, 6, 11, 14, 31), facts, CALENDAR) == WaitUntil(local(2025, 6, 12, 9, 30))
    assert SCHEDULE.decide(local(2025, 6, 12, 9, 30), facts, CALENDAR) == CallNow(2)


def test_a_slot_missed_while_the_service_was_down_is_not_called_after_office_hours() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 10, 10), attempts_made=1, last_attempt_at=local(2025, 6, 11, 9, 30))
    # 14:30 passed while the service was down; at 19:00 the office is closed: wait for tomorrow 09:30
    assert SCHEDULE.decide(local(2025, 6, 11, 19), facts, CALENDAR) == WaitUntil(local(2025, 6, 12, 9, 30))
    # within office hours the missed slot is still taken
    assert SCHEDULE.decide(local(2025, 6, 11, 16), facts, CALENDAR) == CallNow(2)


def test_a_ringing_call_is_never_doubled() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 10, 10), attempts_made=1, call_in_progress=True)
    assert SCHEDULE.decide(local(2025, 6, 12, 10), facts, CALENDAR) == NotDue()


def test_after_the_last_attempt_the_survey_is_given_up_as_unreachable() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 10, 10), attempts_made=3, last_attempt_at=local(2025, 6, 12, 14, 30))
    assert SCHEDULE.decide(local(2025, 6, 12, 14, 31), facts, CALENDAR) == GiveUp(3)


def test_times_in_utc_give_the_same_slots() -> None:
    facts = SurveyCallFacts(sent_at=local(2025, 6, 10, 10).astimezone(ZoneInfo("UTC")))
    decision = SCHEDULE.decide(local(2025, 6, 11, 10, 5).astimezone(ZoneInfo("UTC")), facts, CALENDAR)
    assert isinstance(decision, WaitUntil) and decision.at == local(2025, 6, 11, 14, 30)


def test_options_are_read_from_one_string() -> None:
    options = parse_phone_survey_options("wait_h=12, slots=10:00/15:00, attempts=2, check_s=5, ring_s=20, retries=1")
    assert options.schedule.wait == timedelta(hours=12)
    assert options.schedule.slots == (time(10), time(15))
    assert options.schedule.max_attempts == 2
    assert (options.check_every_s, options.ring_s, options.question_retries) == (5.0, 20, 1)
    assert parse_phone_survey_options("").schedule == PhoneSchedule()
    assert not parse_phone_survey_options("off").enabled


@pytest.mark.parametrize("text", ["attempts=0", "slots=9h", "colour=red", "wait_h"])
def test_bad_options_are_refused_with_a_stable_id(text: str) -> None:
    with pytest.raises(PhoneSurveyConfigError) as caught:
        parse_phone_survey_options(text)
    assert caught.value.error_id == "phone-survey-config-invalid"
