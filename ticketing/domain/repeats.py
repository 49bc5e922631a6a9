"""Repeat complaints (重复投诉): is a new work order the same matter raised again by the same caller?

A new work order repeats an earlier one when all three hold:

1. the same person: the same caller phone (normalised: digits only, without +86) or the same
   enterprise (normalised: whitespace and full-width brackets folded);
2. within the window: the earlier one was received at most `window_days` (default 30) calendar days
   before the new one;
3. the same matter: the keyword similarity of title + content reaches `text_threshold`, or it reaches
   the lower `related_threshold` and the service and the location are the same as well.

Keyword similarity is an IDF-weighted Jaccard index over jieba search-mode tokens with stop words and
one-character tokens removed: the weight of the shared keywords divided by the weight of all keywords of
both texts. Rare words (工程款, 催讨) weigh much more than common ones (公司, 问题), so two texts about
unpaid project money in the same park match although their wording differs.

Every decision is explainable: `RepeatMatch.reason` names the shared caller or enterprise, the shared
keywords with the score, and the shared service and location, in Chinese for the work-order trail.
Pure: no I/O; the tokenizer is a parameter (jieba's dictionary is loaded lazily on first use).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

Tokenizer = Callable[[str], Sequence[str]]
Weigher = Callable[[str], float]

STOP_WORDS = frozenset(
    """
    我们 你们 他们 她们 它们 我 你 他 她 它 自己 这个 那个 这里 那里 这些 那些 什么 怎么 为什么 如何 是否
    一直 已经 还是 但是 因为 所以 如果 而且 并且 或者 以及 然后 现在 目前 今天 昨天 之前 之后 期间 时候
    没有 不是 可以 能够 需要 希望 要求 请求 请求 反映 投诉 举报 咨询 建议 来电 来电人 市民 群众 企业 公司
    单位 部门 有关 相关 问题 情况 事情 事项 处理 解决 办理 回复 答复 尽快 及时 协调 帮助 帮忙 核实 多次
    一个 一下 一些 进行 表示 认为 觉得 知道 告知 称 说 讲 到 在 的 了 和 与 及 是 有 被 把 对 向 从 给 也 都 就
    """.split()
)

_NON_TOKEN = re.compile(r"^[\W_]+$", re.UNICODE)
_DIGITS = re.compile(r"\D+")
_BRACKETS = str.maketrans({"（": "(", "）": ")", "　": " "})


@dataclass(frozen=True)
class ComplaintFacts:
    """What repeat detection needs to know of one work order (工单)."""

    id: int
    number: str
    received_at: datetime
    phone: str | None
    enterprise: str | None
    service: str
    location: str | None
    title: str
    content: str


@dataclass(frozen=True)
class RepeatPolicy:
    """How strict the check is; `window_days` is the plan's 30 days, configurable."""

    window_days: int = 30
    text_threshold: float = 0.30
    related_threshold: float = 0.15


@dataclass(frozen=True)
class RepeatMatch:
    """The earlier work order the new one repeats, and why (reason in Chinese for the trail)."""

    earlier: ComplaintFacts
    similarity: float
    shared_keywords: tuple[str, ...]
    same_phone: bool
    same_enterprise: bool
    same_service: bool
    same_location: bool
    reason: str = field(compare=False)


def normalise_phone(phone: str | None) -> str | None:
    """Digits only, without the country prefix: '+86 138-0000-1111' → '13800001111'."""
    if not phone:
        return None
    digits = _DIGITS.sub("", phone)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def normalise_enterprise(name: str | None) -> str | None:
    """Fold full-width brackets and all whitespace so '某某 （县）有限公司' equals '某某(县)有限公司'."""
    if not name:
        return None
    folded = "".join(name.translate(_BRACKETS).split())
    return folded or None


def _normalise_location(location: str | None) -> str | None:
    return normalise_enterprise(location)


@lru_cache(maxsize=1)
def _jieba_idf() -> tuple[dict[str, float], float]:
    import jieba.analyse

    tfidf = jieba.analyse.default_tfidf
    return tfidf.idf_freq, float(tfidf.median_idf)


def jieba_keywords(text: str) -> list[str]:
    """jieba search-mode tokens minus stop words, punctuation and single characters."""
    import jieba

    return [
        token
        for token in jieba.lcut_for_search(text)
        if len(token) > 1 and token not in STOP_WORDS and not _NON_TOKEN.match(token)
    ]


def idf_weight(token: str) -> float:
    """Inverse document frequency from jieba's corpus; unknown words weigh as the median."""
    idf, median = _jieba_idf()
    return float(idf.get(token, median))


def keyword_similarity(
    a: str, b: str, tokenize: Tokenizer = jieba_keywords, weigh: Weigher = idf_weight
) -> tuple[float, tuple[str, ...]]:
    """IDF-weighted Jaccard index of the two texts' keywords, and the shared keywords (heaviest first)."""
    left, right = set(tokenize(a)), set(tokenize(b))
    union = left | right
    if not union:
        return 0.0, ()
    shared = left & right
    total = sum(weigh(t) for t in union)
    score = sum(weigh(t) for t in shared) / total if total > 0 else 0.0
    ordered = tuple(sorted(shared, key=lambda t: (-weigh(t), t)))
    return score, ordered


def find_repeat(
    new: ComplaintFacts,
    earlier: Iterable[ComplaintFacts],
    policy: RepeatPolicy = RepeatPolicy(),
    tokenize: Tokenizer = jieba_keywords,
    weigh: Weigher = idf_weight,
) -> RepeatMatch | None:
    """The earlier work order `new` repeats (highest similarity, then most recent), or None."""
    phone = normalise_phone(new.phone)
    enterprise = normalise_enterprise(new.enterprise)
    location = _normalise_location(new.location)
    window_start = new.received_at - timedelta(days=policy.window_days)
    text = f"{new.title}\n{new.content}"
    best: RepeatMatch | None = None
    for old in earlier:
        if old.id == new.id or not (window_start <= old.received_at <= new.received_at):
            continue
        same_phone = phone is not None and normalise_phone(old.phone) == phone
        same_enterprise = enterprise is not None and normalise_enterprise(old.enterprise) == enterprise
        if not (same_phone or same_enterprise):
            continue
        similarity, shared = keyword_similarity(text, f"{old.title}\n{old.content}", tokenize, weigh)
        same_service = old.service == new.service
        same_location = location is not None and _normalise_location(old.location) == location
        related = similarity >= policy.related_threshold and same_service and same_location
        if similarity < policy.text_threshold and not related:
            continue
        match = RepeatMatch(
            earlier=old,
            similarity=round(similarity, 3),
            shared_keywords=shared,
            same_phone=same_phone,
            same_enterprise=same_enterprise,
            same_service=same_service,
            same_location=same_location,
            reason=_reason(new, old, similarity, shared, same_phone, same_enterprise, same_service, same_location),
        )
        if best is None or (match.similarity, old.received_at) > (best.similarity, best.earlier.received_at):
            best = match
    return best


def _reason(
    new: ComplaintFacts,
    old: ComplaintFacts,
    similarity: float,
    shared: tuple[str, ...],
    same_phone: bool,
    same_enterprise: bool,
    same_service: bool,
    same_location: bool,
) -> str:
    days = (new.received_at - old.received_at).total_seconds() / 86400
    parts = [f"与{days:.0f}天前的工单{old.number}重复"]
    if same_phone:
        parts.append(f"同一来电号码{_mask(normalise_phone(new.phone) or '')}")
    if same_enterprise:
        parts.append(f"同一企业“{new.enterprise}”")
    words = "、".join(shared[:6]) or "无"
    parts.append(f"诉求关键词相同：{words}（相似度{similarity:.2f}）")
    if same_service:
        parts.append(f"同一服务类别{new.service}")
    if same_location:
        parts.append(f"同一地点“{new.location}”")
    return "；".join(parts)


def _mask(phone: str) -> str:
    """138****1111: the trail names the number without exposing it whole."""
    if len(phone) < 7:
        return phone
    return f"{phone[:3]}****{phone[-4:]}"
