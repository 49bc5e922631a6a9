"""Knowledge entries: who sees them when, what a revision changes, and the history it leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from knowledge.domain.entry import (
    Entry,
    Visibility,
    history,
    is_visible,
    new_entry,
    revise,
    snapshot,
    visibility,
)
from knowledge.domain.errors import InvalidField

BASE = {
    "title": "稳岗补贴怎么申领",
    "question": "企业没有裁员，能不能领稳岗补贴？",
    "answer": "免申即享，直接返还至企业对公账户。",
    "key_points": ["足额缴纳失业保险费", "裁员率符合规定"],
    "effective_from": "2025-01-01",
    "expires_on": "2025-12-31",
}


def entry(**changes: object) -> Entry:
    return new_entry({**BASE, **changes}, unit_id=5, unit_name="县人力资源和社会保障局")


def test_an_entry_is_shown_from_its_effective_day_through_its_expiry_day() -> None:
    e = entry()
    assert visibility(e, date(2024, 12, 31)) is Visibility.PENDING
    assert is_visible(e, date(2025, 1, 1))
    assert is_visible(e, date(2025, 12, 31))  # "有效期至 12 月 31 日" includes the 31st
    assert visibility(e, date(2026, 1, 1)) is Visibility.EXPIRED
    assert not is_visible(e, date(2026, 1, 1))


def test_an_entry_without_dates_is_always_in_force() -> None:
    e = entry(effective_from=None, expires_on=None)
    assert is_visible(e, date(2000, 1, 1)) and is_visible(e, date(2100, 1, 1))


def test_title_question_and_answer_are_required_and_dates_must_be_in_order() -> None:
    with pytest.raises(InvalidField) as missing:
        new_entry({k: v for k, v in BASE.items() if k != "answer"}, 5, "县人力社保局")
    assert missing.value.field == "answer" and missing.value.error_id == "kb-invalid-input"
    with pytest.raises(InvalidField) as order:
        entry(effective_from="2025-06-01", expires_on="2025-05-31")
    assert order.value.field == "expires_on"
    with pytest.raises(InvalidField) as bad_date:
        entry(expires_on="明年")
    assert bad_date.value.field == "expires_on"
    with pytest.raises(InvalidField) as unknown:
        entry(hotline_secret="x")
    assert unknown.value.field == "hotline_secret"


def test_key_points_may_be_given_as_lines_of_text() -> None:
    e = entry(key_points="免申即享\n\n  返还至对公账户  ")
    assert e.key_points == ("免申即享", "返还至对公账户")


def test_a_revision_names_the_changed_fields_and_bumps_the_version() -> None:
    e = entry()
    revised, changes = revise(e, {"expires_on": "2026-12-31", "answer": BASE["answer"], "version": 1})
    assert revised.version == 2
    assert [(c.field, c.before, c.after, c.label_zh) for c in changes] == [
        ("expires_on", "2025-12-31", "2026-12-31", "失效日期")
    ]


def test_saving_the_same_content_is_not_a_new_version() -> None:
    e = entry()
    same, changes = revise(e, {"title": "稳岗补贴怎么申领"})
    assert changes == [] and same.version == 1


def test_an_entry_cannot_move_to_another_unit_or_lose_its_answer() -> None:
    e = entry()
    with pytest.raises(InvalidField) as moved:
        revise(e, {"unit_id": 6})
    assert moved.value.field == "unit_id"
    with pytest.raises(InvalidField):
        revise(e, {"answer": "   "})


def test_history_shows_who_changed_which_fields_when() -> None:
    first = entry()
    second, _ = revise(first, {"expires_on": "2026-12-31"})
    third, _ = revise(second, {"key_points": ["足额缴纳失业保险费"], "policy_source": "人社部发〔2025〕号"})
    t = [datetime(2025, 1, d, 9, tzinfo=UTC) for d in (1, 2, 3)]
    revisions = history(
        [
            (3, 12, "人社局 张三", t[2], snapshot(third)),
            (1, 12, "人社局 张三", t[0], snapshot(first)),
            (2, None, "命令行 root", t[1], snapshot(second)),
        ]
    )
    assert [r.version for r in revisions] == [1, 2, 3]
    assert {c.field for c in revisions[0].changes} == {
        "title",
        "question",
        "answer",
        "key_points",
        "effective_from",
        "expires_on",
    }
    assert [c.field for c in revisions[1].changes] == ["expires_on"]
    assert revisions[1].actor_name == "命令行 root" and revisions[1].at == t[1]
    assert [(c.field, c.after) for c in revisions[2].changes] == [
        ("policy_source", "人社部发〔2025〕号"),
        ("key_points", ["足额缴纳失业保险费"]),
    ]
