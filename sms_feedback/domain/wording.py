"""The words of the survey SMS (满意度回访短信) and how many segments they cost.

A Chinese SMS is sent as UCS-2: 70 UTF-16 units fit one segment; a longer message is split into parts of
67 units each (the rest of each part carries the concatenation header). GSM-7 (plain Latin text) fits 160
septets, 153 per part, and the extension characters (€ [ ] { } ^ ~ | \\) cost two. Every survey is kept
to at most `MAX_SEGMENTS` segments: the matter is shortened first, then the optional parts are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sms_feedback.domain.errors import SurveyTooLong

MAX_SEGMENTS = 2
BRAND = "【12345营商环境专线】"
HOW_TO_ANSWER = "1满意 2基本满意 3不满意"
OPT_OUT_HINT = "回复TD退订"
ELLIPSIS = "…"

_GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = "\f^{}\\[~]|€"


@dataclass(frozen=True)
class SegmentCount:
    """How an SMS body travels: its encoding, its length in that encoding's units, and its segments."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def _pack(unit_sizes: Sequence[int], single: int, per_part: int) -> int:
    """Segments needed when characters (of 1 or 2 units each) must not be split across parts."""
    total = sum(unit_sizes)
    if total <= single:
        return 1 if total else 0
    parts, used = 1, 0
    for size in unit_sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def count_segments(body: str) -> SegmentCount:
    """Count the segments of an SMS body the way carriers do."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in body):
        sizes = [2 if ch in _GSM7_EXTENSION else 1 for ch in body]
        return SegmentCount("GSM-7", sum(sizes), _pack(sizes, 160, 153))
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in body]  # astral characters (emoji) are surrogate pairs
    return SegmentCount("UCS-2", sum(sizes), _pack(sizes, 70, 67))


@dataclass(frozen=True)
class SurveyItem:
    """One closed work order to be rated: its number and its matter (诉求事项) in the enterprise's words."""

    work_order_number: str
    matter: str


def shorten(text: str, limit: int) -> str:
    """The first `limit` characters, with an ellipsis when something was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ""
    return text[: limit - 1] + ELLIPSIS


def _fits(body: str, max_segments: int) -> bool:
    return count_segments(body).segments <= max_segments


def _link_part(link: str | None) -> str:
    return f"或点{link}评价。" if link else ""


def survey_sms(
    item: SurveyItem, link: str | None = None, *, matter_limit: int = 16, max_segments: int = MAX_SEGMENTS
) -> str:
    """The survey for one closed work order: number, matter in a few words, how to answer, how to opt out."""
    for with_comment_hint in (True, False):
        for limit in range(matter_limit, -1, -1):
            matter = shorten(item.matter, limit)
            about = (
                f"您反映的“{matter}”（工单{item.work_order_number}）"
                if matter
                else (f"您的工单{item.work_order_number}")
            )
            hint = "，可附意见" if with_comment_hint else ""
            body = (
                f"{BRAND}{about}已办结，请评价：回复{HOW_TO_ANSWER}{hint}；{_link_part(link)}{OPT_OUT_HINT}"
            )
            if _fits(body, max_segments):
                return body
    raise SurveyTooLong(f"工单{item.work_order_number}的回访短信超过{max_segments}条（评价链接过长？）")


def short_refs(numbers: Sequence[str], minimum: int = 4) -> dict[str, str]:
    """The shortest tail of each work-order number (at least `minimum` characters) unique among them."""
    refs: dict[str, str] = {}
    for number in numbers:
        size = min(minimum, len(number))
        while size < len(number) and any(
            other != number and other.endswith(number[-size:]) for other in numbers
        ):
            size += 1
        refs[number] = number[-size:]
    return refs


def merged_survey_sms(
    items: Sequence[SurveyItem], link: str | None = None, *, max_segments: int = MAX_SEGMENTS
) -> str:
    """One survey for several closures to the same number (Twilio's China rules limit repeated messages).

    Each work order is named by its short tail number; the enterprise answers "尾号 数字", e.g. "1037 1".
    The matters shrink, then disappear, then the list itself gives way to the rating link.
    """
    if len(items) == 1:
        return survey_sms(items[0], link, max_segments=max_segments)
    if not items:
        raise ValueError("merged_survey_sms needs at least one work order")
    refs = short_refs([i.work_order_number for i in items])
    example = refs[items[0].work_order_number]
    answer = f"请回复“尾号+数字”评价，如“{example} 1”（{HOW_TO_ANSWER}）；"
    for limit in range(8, -1, -1):
        listed = "；".join(
            f"{refs[i.work_order_number]}“{shorten(i.matter, limit)}”" if limit else refs[i.work_order_number]
            for i in items
        )
        body = (
            f"{BRAND}您反映的{len(items)}件事项已办结（尾号{listed}）。{answer}"
            f"{_link_part(link)}{OPT_OUT_HINT}"
        )
        if _fits(body, max_segments):
            return body
    if link:
        body = f"{BRAND}您反映的{len(items)}件事项已办结，请点{link}逐项评价。{OPT_OUT_HINT}"
        if _fits(body, max_segments):
            return body
    raise SurveyTooLong(f"{len(items)}件工单的合并回访短信超过{max_segments}条")


def clarification_sms(pending: Sequence[str] = ()) -> str:
    """Sent once when a reply can't be read; with several pending surveys it asks which one (by tail)."""
    if len(pending) > 1:
        refs = short_refs(list(pending))
        tails = "、".join(refs[n] for n in pending)
        example = refs[pending[0]]
        return (
            f"{BRAND}您有{len(pending)}件工单待评价（尾号{tails}），请回复“尾号+数字”，"
            f"如“{example} 1”：{HOW_TO_ANSWER}。{OPT_OUT_HINT}"
        )
    about = f"（工单{pending[0]}）" if pending else ""
    return f"{BRAND}抱歉，未能识别您的回复{about}。请回复数字：{HOW_TO_ANSWER}。{OPT_OUT_HINT}"


def opt_out_confirmation_sms() -> str:
    """The one message after an opt-out: no more surveys, and where to rate if they still wish."""
    return f"{BRAND}您已退订回访短信，今后不再发送。如需评价或反映问题，请拨打12345。"


def thanks_sms(dissatisfied: bool) -> str:
    """Acknowledges a rating; a bad one is promised rectification and a revisit (整改回访)."""
    if dissatisfied:
        return f"{BRAND}收到您的评价，我们将督促承办单位整改，并再次回访。感谢您的监督。"
    return f"{BRAND}感谢您的评价，祝企业经营顺利！"
