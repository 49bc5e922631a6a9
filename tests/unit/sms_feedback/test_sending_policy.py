"""When a survey SMS may go out: quiet hours, two per number per day with merging, opt-out for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sms_feedback.domain.policy import (
    ContactHistory,
    Defer,
    PendingSurvey,
    QuietHours,
    SendNow,
    Suppress,
    SurveyPolicy,
    needs_phone_survey,
)

SH = ZoneInfo("Asia/Shanghai")
POLICY = SurveyPolicy()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=SH)


def pending(*ids: str, closed: datetime | None = None) -> list[PendingSurvey]:
    return [PendingSurvey(i, f"2025061{n}", closed or at(10, 9, n)) for n, i in enumerate(ids)]


@pytest.mark.parametrize(
    ("now", "quiet"),
    [(at(10, 20, 59), False), (at(10, 21, 0), True), (at(10, 23, 59), True), (at(11, 0, 30), True)]
    + [(at(11, 7, 59), True), (at(11, 8, 0), False), (at(11, 12, 0), False)],
)
def test_quiet_hours_run_from_nine_at_night_to_eight_in_the_morning(now, quiet):
    assert QuietHours().contains(now) is quiet


def test_a_closure_late_in_the_evening_is_surveyed_at_eight_next_morning():
    assert POLICY.decide(at(10, 22, 15), pending("a"), ContactHistory()) == Defer(at(11, 8), "quiet-hours")


def test_a_closure_after_midnight_waits_until_eight_the_same_day():
    assert POLICY.decide(at(11, 1, 0), pending("a"), ContactHistory()) == Defer(at(11, 8), "quiet-hours")


def test_quiet_hours_are_local_to_shanghai_whatever_zone_the_clock_gives():
    utc_evening = datetime(2025, 6, 10, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai

    decision = POLICY.decide(utc_evening, pending("a"), ContactHistory())

    assert isinstance(decision, Defer) and decision.until == at(11, 8)


def test_in_the_day_the_survey_goes_now():
    assert POLICY.decide(at(10, 10), pending("a"), ContactHistory()) == SendNow(("a",))


def test_several_closures_for_one_number_go_out_as_one_merged_message_oldest_first():
    surveys = [
        PendingSurvey("late", "20250610002", at(10, 9, 30)),
        PendingSurvey("early", "20250610001", at(10, 9)),
    ]

    decision = POLICY.decide(at(10, 10), surveys, ContactHistory())

    assert decision == SendNow(("early", "late"))
    assert isinstance(decision, SendNow) and decision.merged


def test_a_third_survey_within_24_hours_waits_until_a_slot_frees():
    history = ContactHistory(survey_sent_at=[at(9, 11), at(10, 9)])

    decision = POLICY.decide(at(10, 10), pending("c"), history)

    assert decision == Defer(at(10, 11), "daily-limit")


def test_a_slot_that_frees_in_quiet_hours_waits_for_the_morning():
    history = ContactHistory(survey_sent_at=[at(9, 22, 30), at(10, 9)])

    assert POLICY.decide(at(10, 10), pending("c"), history) == Defer(at(11, 8), "daily-limit")


def test_sends_older_than_24_hours_do_not_count():
    history = ContactHistory(survey_sent_at=[at(8, 9), at(9, 9, 59)])

    assert POLICY.decide(at(10, 10), pending("c"), history) == SendNow(("c",))


def test_an_opt_out_is_honoured_for_good():
    history = ContactHistory(opted_out_at=datetime(2023, 1, 5, 10, tzinfo=SH))

    assert POLICY.decide(at(10, 10), pending("a"), history) == Suppress("opted-out")
    assert POLICY.decide(at(10, 23), pending("a"), history) == Suppress("opted-out")


def test_an_unclear_reply_gets_one_clarification_only():
    assert POLICY.clarification_allowed(0, ContactHistory())
    assert not POLICY.clarification_allowed(1, ContactHistory())
    assert not POLICY.clarification_allowed(0, ContactHistory(opted_out_at=at(9, 10)))


def test_a_reply_at_night_is_answered_in_the_morning():
    assert POLICY.send_time(at(10, 23, 40)) == at(11, 8)
    assert POLICY.send_time(at(10, 15)) == at(10, 15)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        POLICY.decide(datetime(2025, 6, 10, 10), pending("a"), ContactHistory())


def test_the_phone_survey_follows_a_failed_sms_or_a_silent_day():
    sent = at(10, 10)

    assert needs_phone_survey(sent, sent + timedelta(minutes=5), rated=False, delivery_failed=True)
    assert not needs_phone_survey(sent, sent + timedelta(hours=23), rated=False, delivery_failed=False)
    assert needs_phone_survey(sent, sent + timedelta(hours=24), rated=False, delivery_failed=False)
    assert not needs_phone_survey(sent, sent + timedelta(days=3), rated=True, delivery_failed=True)
