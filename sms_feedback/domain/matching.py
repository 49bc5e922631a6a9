"""Which pending survey a reply rates (回复匹配): pure, over the surveys still open for the sender.

- An opt-out applies to the number, whatever is pending.
- "尾号 数字" pairs (1037 1，2037 3) rate the surveys whose work-order numbers end with those tails.
- A single rating with a work-order number (or its tail) rates that survey.
- A single rating with exactly one open survey rates it — the latest sent to that number.
- With several open surveys and no number to tell them apart, the clarification asks which; an unclear
  reply asks again for the open surveys; a reply with nothing open rates nothing (late or unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sms_feedback.domain.reply import ParsedReply, Rating, ref_choices

RATINGS = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.DISSATISFIED)


@dataclass(frozen=True)
class OpenSurvey:
    """A survey sent to the number and not rated yet."""

    survey_id: str
    work_order_number: str
    sent_at: datetime


@dataclass(frozen=True)
class ReplyMatch:
    """What a reply does: ratings per survey, an opt-out, or a clarification naming the open surveys."""

    ratings: tuple[tuple[str, Rating], ...] = ()
    opt_out: bool = False
    clarify: tuple[str, ...] = ()  # work-order numbers to ask about; empty = no clarification
    reason: str = ""


def _by_tail(tail: str, open_surveys: Sequence[OpenSurvey]) -> OpenSurvey | None:
    found = [s for s in open_surveys if s.work_order_number.endswith(tail)]
    return found[0] if len(found) == 1 else None


def match_reply(text: str, parsed: ParsedReply, open_surveys: Sequence[OpenSurvey]) -> ReplyMatch:
    """Match one reply from a number to that number's open surveys."""
    if parsed.rating is Rating.OPT_OUT:
        return ReplyMatch(opt_out=True, reason="opt-out applies to the number")
    if not open_surveys:
        return ReplyMatch(reason="no open survey for this number (late or unknown sender)")
    latest_first = sorted(open_surveys, key=lambda s: s.sent_at, reverse=True)
    numbers = tuple(s.work_order_number for s in latest_first)

    pairs = [
        (survey, rating) for tail, rating in ref_choices(text) if (survey := _by_tail(tail, latest_first))
    ]
    if pairs:
        unique = {survey.survey_id: rating for survey, rating in pairs}
        return ReplyMatch(ratings=tuple(unique.items()), reason="rated by work-order tail")
    if parsed.rating not in RATINGS:
        return ReplyMatch(clarify=numbers, reason=f"unclear reply: {parsed.reason}")
    if parsed.work_order_ref and (named := _by_tail(parsed.work_order_ref, latest_first)):
        return ReplyMatch(ratings=((named.survey_id, parsed.rating),), reason="rated by work-order number")
    if len(latest_first) == 1:
        return ReplyMatch(ratings=((latest_first[0].survey_id, parsed.rating),), reason="the one open survey")
    return ReplyMatch(clarify=numbers, reason=f"{len(numbers)} open surveys and no work-order number")
