"""The loop after a bad rating (差评整改闭环). Pure: no I/O, no asyncio.

A dissatisfied rating (不满意) opens one rectification entry (整改清单), with a bad-review row (差评清单)
and a responsibility row (责任清单: the unit and its handler). The entry moves:

    rectifying (整改中) --unit reports rectified--> revisiting (待回访)
    revisiting --revisit satisfied/basically--> closed_satisfied (回访满意)
    revisiting --revisit dissatisfied--> rectifying, round + 1 (再次整改)
    rectifying | revisiting --supervisor, written reason--> closed_by_supervisor (督查销号)

Every accepted change returns the new entry and a `Change` the service keeps as an event (留痕).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sms_feedback.domain.errors import SmsFeedbackError

MAX_TEXT = 2000


class ReviewState(StrEnum):
    RECTIFYING = "rectifying"
    REVISITING = "revisiting"
    CLOSED_SATISFIED = "closed_satisfied"
    CLOSED_BY_SUPERVISOR = "closed_by_supervisor"

    @property
    def label_zh(self) -> str:
        return STATE_ZH[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


STATE_ZH = {
    ReviewState.RECTIFYING: "整改中",
    ReviewState.REVISITING: "待回访",
    ReviewState.CLOSED_SATISFIED: "回访满意",
    ReviewState.CLOSED_BY_SUPERVISOR: "督查销号",
}
OPEN_STATES = frozenset({ReviewState.RECTIFYING, ReviewState.REVISITING})


class ReviewAction(StrEnum):
    OPEN = "open"  # 差评登记
    RECTIFIED = "rectified"  # 整改完成
    REVISIT_SATISFIED = "revisit_satisfied"  # 回访满意
    REVISIT_DISSATISFIED = "revisit_dissatisfied"  # 回访仍不满意
    CLOSE = "close"  # 督查销号

    @property
    def label_zh(self) -> str:
        return ACTION_ZH[self]


ACTION_ZH = {
    ReviewAction.OPEN: "差评登记",
    ReviewAction.RECTIFIED: "整改完成",
    ReviewAction.REVISIT_SATISFIED: "回访满意",
    ReviewAction.REVISIT_DISSATISFIED: "回访仍不满意",
    ReviewAction.CLOSE: "督查销号",
}

SATISFIED = "satisfied"
BASICALLY_SATISFIED = "basically_satisfied"
DISSATISFIED = "dissatisfied"
RATINGS = (SATISFIED, BASICALLY_SATISFIED, DISSATISFIED)
POSITIVE = frozenset({SATISFIED, BASICALLY_SATISFIED})
RATING_ZH = {SATISFIED: "满意", BASICALLY_SATISFIED: "基本满意", DISSATISFIED: "不满意"}
CHANNEL_ZH = {"sms": "短信", "web": "评价链接", "phone": "电话回访", "link": "评价链接"}


class ReviewError(SmsFeedbackError):
    """Base of the review loop's errors."""

    error_id = "review-error"
    status = 400


class ReviewNotFound(ReviewError):
    error_id = "review-not-found"
    status = 404


class ReviewForbidden(ReviewError):
    error_id = "review-forbidden"
    status = 403


class ReviewInvalidState(ReviewError):
    """The entry is not in a state that allows the action (e.g. closing a closed entry)."""

    error_id = "review-invalid-state"
    status = 409


class ReviewInvalidInput(ReviewError):
    error_id = "review-invalid-input"
    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownRating(ReviewInvalidInput):
    error_id = "review-unknown-rating"

    def __init__(self, value: str) -> None:
        super().__init__("rating", f"未知的评价结果 {value!r} (unknown rating)")


def parse_rating(value: str) -> str:
    """satisfied | basically_satisfied | dissatisfied ("basically" accepted for the survey table's word)."""
    text = value.strip().lower()
    if text == "basically":
        return BASICALLY_SATISFIED
    if text not in RATINGS:
        raise UnknownRating(value)
    return text


def require_text(value: str | None, field: str, name_zh: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ReviewInvalidInput(field, f"请填写{name_zh} ({field} is required)")
    if len(text) > MAX_TEXT:
        raise ReviewInvalidInput(field, f"{name_zh}不能超过 {MAX_TEXT} 字 ({field} too long)")
    return text


def what_to_fix(comment: str | None, matter: str) -> str:
    """The rectification task in the enterprise's words; without a comment, the matter to re-check."""
    words = (comment or "").strip()
    if words:
        return words
    return f"企业评价不满意（未附意见），请核查“{matter or '该事项'}”的办理情况并整改"


@dataclass(frozen=True)
class Rectification:
    """One rectification entry (整改清单) as the rules see it."""

    state: ReviewState
    round: int
    due_at: datetime
    task: str
    rectification: str | None = None
    rectified_at: datetime | None = None
    revisit_rating: str | None = None
    revisited_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None


@dataclass(frozen=True)
class Change:
    """One accepted change of an entry, for the event trail."""

    entry: Rectification
    action: ReviewAction
    state_before: ReviewState | None
    state_after: ReviewState
    note: str | None


def open_rectification(comment: str | None, matter: str, due_at: datetime) -> Change:
    """A dissatisfied rating opens round 1, due on the working-day clock."""
    entry = Rectification(state=ReviewState.RECTIFYING, round=1, due_at=due_at, task=what_to_fix(comment, matter))
    return Change(entry, ReviewAction.OPEN, None, entry.state, entry.task)


def _require_state(entry: Rectification, allowed: frozenset[ReviewState], action: ReviewAction) -> None:
    if entry.state not in allowed:
        raise ReviewInvalidState(
            f"整改事项当前为“{entry.state.label_zh}”，不能{action.label_zh} "
            f"(entry is {entry.state.value}; {action.value} not allowed)"
        )


def report_rectified(entry: Rectification, text: str | None, at: datetime) -> Change:
    """The unit reports what it fixed (整改情况); a revisit survey follows."""
    _require_state(entry, frozenset({ReviewState.RECTIFYING}), ReviewAction.RECTIFIED)
    body = require_text(text, "text", "整改情况")
    updated = replace(entry, state=ReviewState.REVISITING, rectification=body, rectified_at=at)
    return Change(updated, ReviewAction.RECTIFIED, entry.state, updated.state, body)


def answer_revisit(entry: Rectification, rating: str, at: datetime, next_due: datetime) -> Change:
    """The enterprise's revisit answer (整改回访): satisfied closes; dissatisfied starts the next round."""
    _require_state(entry, OPEN_STATES, ReviewAction.REVISIT_SATISFIED)
    value = parse_rating(rating)
    if value in POSITIVE:
        updated = replace(
            entry, state=ReviewState.CLOSED_SATISFIED, revisit_rating=value, revisited_at=at, closed_at=at
        )
        return Change(updated, ReviewAction.REVISIT_SATISFIED, entry.state, updated.state, RATING_ZH[value])
    updated = replace(
        entry,
        state=ReviewState.RECTIFYING,
        round=entry.round + 1,
        due_at=next_due,
        revisit_rating=value,
        revisited_at=at,
        rectification=None,
        rectified_at=None,
    )
    note = f"第{entry.round}轮回访仍不满意，进入第{updated.round}轮整改"
    return Change(updated, ReviewAction.REVISIT_DISSATISFIED, entry.state, updated.state, note)


def close_by_supervisor(entry: Rectification, reason: str | None, at: datetime) -> Change:
    """A supervisor closes the entry (督查销号) with a written reason, e.g. the demand is unreasonable."""
    _require_state(entry, OPEN_STATES, ReviewAction.CLOSE)
    why = require_text(reason, "reason", "销号理由")
    updated = replace(entry, state=ReviewState.CLOSED_BY_SUPERVISOR, closed_at=at, close_reason=why)
    return Change(updated, ReviewAction.CLOSE, entry.state, updated.state, why)


def is_revisit_answer(state: ReviewState, order_closed_again: bool) -> bool:
    """A rating answers the open entry's revisit once the unit reported rectification, or once the work
    order went back through the loop and was closed again (its closure survey is then the revisit)."""
    return state is ReviewState.REVISITING or (state is ReviewState.RECTIFYING and order_closed_again)
