"""A reply rates the right survey, or asks which one."""

from __future__ import annotations

from datetime import UTC, datetime

from sms_feedback.domain.matching import OpenSurvey, match_reply
from sms_feedback.domain.reply import Rating, parse_reply

ONE = OpenSurvey("s1", "20240611037", datetime(2025, 6, 10, 2, tzinfo=UTC))
TWO = OpenSurvey("s2", "20240612111", datetime(2025, 6, 11, 2, tzinfo=UTC))


def match(text: str, *open_surveys: OpenSurvey):
    return match_reply(text, parse_reply(text), open_surveys)


def test_a_rating_with_one_open_survey_rates_it():
    assert match("3 太慢", ONE).ratings == (("s1", Rating.DISSATISFIED),)


def test_tails_rate_each_survey_of_a_merged_message():
    assert match("1037 1，2111 3", ONE, TWO).ratings == (
        ("s1", Rating.SATISFIED),
        ("s2", Rating.DISSATISFIED),
    )


def test_a_full_work_order_number_picks_its_survey():
    assert match("工单号20240612111，评价2", ONE, TWO).ratings == (("s2", Rating.BASICALLY_SATISFIED),)


def test_a_bare_rating_with_several_open_surveys_asks_which_latest_first():
    result = match("1", ONE, TWO)

    assert result.ratings == () and result.clarify == ("20240612111", "20240611037")


def test_an_unclear_reply_asks_again_about_the_open_surveys():
    assert match("你好", ONE).clarify == ("20240611037",)


def test_an_opt_out_applies_even_with_nothing_open():
    assert match("TD").opt_out and match("退订", ONE, TWO).opt_out


def test_a_reply_with_nothing_open_rates_nothing_and_asks_nothing():
    result = match("1")

    assert (result.ratings, result.clarify, result.opt_out) == ((), (), False)
    assert "no open survey" in result.reason


def test_an_unknown_tail_is_not_a_rating():
    assert match("9999 1", ONE, TWO).clarify == ("20240612111", "20240611037")
