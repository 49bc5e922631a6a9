"""The rules of a rectification entry (整改清单): rounds, revisits and the supervisor's closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sms_feedback.domain import reviews as rv

OPENED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DUE = OPENED + timedelta(days=7)


def opened() -> rv.Rectification:
    return rv.open_rectification("办证拖了一个月", "食品经营许可证", DUE).entry


def test_a_bad_review_opens_round_one_with_the_enterprises_words_as_the_task() -> None:
    change = rv.open_rectification("  办证拖了一个月 ", "食品经营许可证", DUE)
    assert (change.entry.state, change.entry.round, change.entry.task) == (
        rv.ReviewState.RECTIFYING, 1, "办证拖了一个月",
    )
    assert change.action is rv.ReviewAction.OPEN and change.state_before is None


def test_without_a_comment_the_task_names_the_matter_to_recheck() -> None:
    task = rv.open_rectification(None, "食品经营许可证", DUE).entry.task
    assert "未附意见" in task and "食品经营许可证" in task


def test_the_unit_reports_rectification_with_a_text_and_the_entry_awaits_its_revisit() -> None:
    change = rv.report_rectified(opened(), "已发证并致歉", OPENED)
    assert change.entry.state is rv.ReviewState.REVISITING and change.entry.rectification == "已发证并致歉"
    with pytest.raises(rv.ReviewInvalidInput) as empty:
        rv.report_rectified(opened(), "  ", OPENED)
    assert empty.value.error_id == "review-invalid-input" and empty.value.field == "text"
    with pytest.raises(rv.ReviewInvalidState):
        rv.report_rectified(change.entry, "再报一次", OPENED)


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied", "basically"])
def test_a_satisfied_revisit_closes_the_entry(rating: str) -> None:
    waiting = rv.report_rectified(opened(), "已整改", OPENED).entry
    change = rv.answer_revisit(waiting, rating, OPENED, DUE)
    assert change.entry.state is rv.ReviewState.CLOSED_SATISFIED and change.entry.closed_at == OPENED
    assert change.action is rv.ReviewAction.REVISIT_SATISFIED


def test_a_dissatisfied_revisit_starts_the_next_round_with_a_new_due_time() -> None:
    waiting = rv.report_rectified(opened(), "已整改", OPENED).entry
    later = DUE + timedelta(days=7)
    change = rv.answer_revisit(waiting, "dissatisfied", OPENED, later)
    assert (change.entry.state, change.entry.round, change.entry.due_at) == (rv.ReviewState.RECTIFYING, 2, later)
    assert change.entry.rectification is None and "第2轮" in (change.note or "")


def test_a_supervisor_closes_only_an_open_entry_and_only_with_a_reason() -> None:
    with pytest.raises(rv.ReviewInvalidInput):
        rv.close_by_supervisor(opened(), "", OPENED)
    closed = rv.close_by_supervisor(opened(), "诉求超出政策范围，已解释", OPENED).entry
    assert closed.state is rv.ReviewState.CLOSED_BY_SUPERVISOR and closed.close_reason == "诉求超出政策范围，已解释"
    with pytest.raises(rv.ReviewInvalidState) as again:
        rv.close_by_supervisor(closed, "再关一次", OPENED)
    assert again.value.status == 409


def test_a_rating_answers_the_revisit_once_rectified_or_once_the_order_was_closed_again() -> None:
    assert rv.is_revisit_answer(rv.ReviewState.REVISITING, order_closed_again=False)
    assert rv.is_revisit_answer(rv.ReviewState.RECTIFYING, order_closed_again=True)
    assert not rv.is_revisit_answer(rv.ReviewState.RECTIFYING, order_closed_again=False)


def test_unknown_ratings_are_refused_with_a_stable_id() -> None:
    with pytest.raises(rv.UnknownRating) as bad:
        rv.parse_rating("great")
    assert bad.value.error_id == "review-unknown-rating"
