"""The survey's Chinese wording, and how many SMS segments each message costs."""

from __future__ import annotations

import pytest

from sms_feedback.domain.errors import SurveyTooLong
from sms_feedback.domain.reply import Rating, parse_reply, ref_choices
from sms_feedback.domain.wording import (
    HOW_TO_ANSWER,
    OPT_OUT_HINT,
    SurveyItem,
    clarification_sms,
    count_segments,
    merged_survey_sms,
    short_refs,
    survey_sms,
)

LINK = "https://hotline.example.gov.cn/r/Ab12Cd34Ef"
LONG_MATTER = "开办餐饮店时食品经营许可证办理进度缓慢，多次到窗口催办仍无结果，影响开业"


@pytest.mark.parametrize(
    ("body", "encoding", "units", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters cost two septets
        ("中" * 70, "UCS-2", 70, 1),
        ("中" * 71, "UCS-2", 71, 2),
        ("中" * 134, "UCS-2", 134, 2),
        ("中" * 135, "UCS-2", 135, 3),
        ("a" * 69 + "中", "UCS-2", 70, 1),  # one Chinese character turns the whole message UCS-2
        ("😀" * 35, "UCS-2", 70, 1),  # emoji are surrogate pairs
        ("中" + "😀" * 34, "UCS-2", 69, 1),
        ("中" * 66 + "😀" * 2, "UCS-2", 70, 1),
        ("中" * 66 + "😀" + "中" * 66, "UCS-2", 134, 3),  # a pair is never split across parts
        ("", "GSM-7", 0, 0),
    ],
)
def test_segment_counts(body, encoding, units, segments):
    count = count_segments(body)

    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_a_survey_names_the_work_order_the_matter_how_to_answer_and_how_to_opt_out():
    body = survey_sms(SurveyItem("20240611037", "营业执照变更"), LINK)

    assert "20240611037" in body
    assert "“营业执照变更”" in body
    assert f"回复{HOW_TO_ANSWER}" in body
    assert LINK in body
    assert body.endswith(OPT_OUT_HINT)
    assert count_segments(body).segments <= 2


def test_a_long_matter_is_shortened_to_keep_two_segments():
    body = survey_sms(SurveyItem("20240611037", LONG_MATTER), LINK)

    assert count_segments(body).segments == 2
    assert "…”" in body and LONG_MATTER not in body
    assert body.count("20240611037") == 1


def test_without_a_link_the_survey_has_no_link_sentence():
    body = survey_sms(SurveyItem("20240611037", "营业执照变更"))

    assert "点" not in body and "http" not in body


def test_a_link_too_long_for_two_segments_is_refused():
    with pytest.raises(SurveyTooLong) as caught:
        survey_sms(SurveyItem("20240611037", "营业执照变更"), "https://example.gov.cn/" + "x" * 150)

    assert caught.value.error_id == "survey-too-long"


@pytest.mark.parametrize("body", ["1", "2", "3"])
def test_the_survey_explains_the_answers_the_parser_reads(body):
    """The three numbers in HOW_TO_ANSWER mean what the parser takes them to mean."""
    word = {"1": "满意", "2": "基本满意", "3": "不满意"}[body]
    assert f"{body}{word}" in HOW_TO_ANSWER
    assert (
        parse_reply(body).rating.value
        == {"1": "satisfied", "2": "basically_satisfied", "3": "dissatisfied"}[body]
    )


def test_short_refs_are_the_shortest_unique_tails():
    refs = short_refs(["20240611037", "20240612037", "20240612111"])

    assert refs == {"20240611037": "1037", "20240612037": "2037", "20240612111": "2111"}
    assert short_refs(["20240611037", "20250611037"]) == {
        "20240611037": "40611037",
        "20250611037": "50611037",
    }


def test_a_merged_survey_lists_each_closure_by_its_tail_and_the_example_answer_parses():
    items = [SurveyItem("20240611037", "许可证办理缓慢"), SurveyItem("20240612037", "违规设卡收费")]

    body = merged_survey_sms(items)

    assert "2件事项" in body and "1037“许可证办理缓慢”" in body and "2037“违规设卡收费”" in body
    assert count_segments(body).segments <= 2
    assert ref_choices("1037 1，2037 3") == [("1037", Rating.SATISFIED), ("2037", Rating.DISSATISFIED)]
    assert "如“1037 1”" in body


def test_a_merged_survey_of_many_closures_gives_way_to_the_link():
    items = [SurveyItem(f"2024061{i:04d}", LONG_MATTER) for i in range(9)]

    body = merged_survey_sms(items, LINK)

    assert "9件事项" in body and LINK in body and body.endswith(OPT_OUT_HINT)
    assert count_segments(body).segments <= 2


def test_a_merged_survey_of_one_is_the_plain_survey():
    item = SurveyItem("20240611037", "营业执照变更")

    assert merged_survey_sms([item], LINK) == survey_sms(item, LINK)


def test_the_clarification_asks_for_a_number_or_for_which_work_order():
    single = clarification_sms(["20240611037"])
    several = clarification_sms(["20240611037", "20240612111"])

    assert "未能识别" in single and HOW_TO_ANSWER in single and "20240611037" in single
    assert "2件工单" in several and "1037、2111" in several
    assert count_segments(single).segments == 1 and count_segments(several).segments <= 2
