"""`hotline survey parse-reply` and `hotline survey wording` as a user types them."""

from __future__ import annotations

import json

import pytest

from hotline.cli import main


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("3 办得太慢", "dissatisfied"),
        ("２", "basically_satisfied"),
        ("非常满意", "satisfied"),
        ("回复TD", "opt_out"),
        ("你好", "unclear"),
    ],
)
def test_parse_reply_prints_exactly_one_label(capsys, text, printed):
    assert main(["survey", "parse-reply", text]) == 0

    assert capsys.readouterr().out == printed + "\n"


def test_parse_reply_can_explain_itself(capsys):
    main(["survey", "parse-reply", "--explain", "3 办得太慢"])

    label, explanation = capsys.readouterr().out.splitlines()
    assert label == "dissatisfied"
    assert json.loads(explanation) == {
        "comment": "办得太慢",
        "reason": "choice 3 (不满意)",
        "work_order_ref": None,
        "cues": ["3"],
    }


def test_wording_previews_the_survey_and_its_segments(capsys):
    code = main(["survey", "wording", "--number", "20240611037", "--matter", "营业执照变更"])

    out = capsys.readouterr().out
    assert code == 0
    assert "20240611037" in out and "回复TD退订" in out
    assert "UCS-2" in out and "2 条" in out
