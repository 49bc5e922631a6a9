"""Hot issues of enterprises (涉企热点): keywords by TF-IDF and groups of similar work orders.

Each work order (and its call transcript where one is stored) becomes a bag of jieba keywords —
`ticketing.domain.repeats.jieba_keywords`, the tokenizer of the repeat check, minus numbers. Weights
are TF-IDF over the period's own orders (smoothed idf = ln((1+N)/(1+df)) + 1, vectors L2-normalised).

- **Keywords (热词)**: the sum of a term's TF-IDF weights over the period's orders, highest first.
- **Groups (热点问题)**: a single greedy pass in time order puts each order into the group whose
  centroid is most similar (cosine ≥ `threshold`, default 0.45) or opens a new group. Candidate
  groups come from an inverted index of each group's leading terms, so the pass stays near-linear.
- **Trend (趋势)**: the previous period's orders are assigned to the same groups (no new groups).
- **Common across units (共性问题)**: a group that involves three units or more.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ticketing.domain.repeats import jieba_keywords

Tokenizer = Callable[[str], Sequence[str]]
COMMON_UNITS = 3
_NUMBER = re.compile(r"^[\d.,%]+$")
_LEADING_TERMS = 4
# words that say nothing about the matter in an enterprise's complaint (on top of the repeat check's)
REPORT_STOP_WORDS = frozenset("影响 申请 至今 迟迟 万元 个月 正常 无法 今年 去年 县里 能否 哪些 多少 已经 仍未 未果".split())


@dataclass(frozen=True)
class IssueText:
    """What hot-issue mining reads of one work order."""

    order_id: int
    number: str
    unit_name: str
    title: str
    text: str


def tokens(text: str, tokenizer: Tokenizer = jieba_keywords) -> list[str]:
    return [t for t in tokenizer(text) if not _NUMBER.match(t) and t not in REPORT_STOP_WORDS]


Vector = dict[str, float]


class TfIdf:
    """Document frequencies of one corpus (the period's orders) and the vectors they give."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.n = len(documents)
        self.df: Counter[str] = Counter()
        for doc in documents:
            self.df.update(set(doc))

    def idf(self, term: str) -> float:
        return math.log((1 + self.n) / (1 + self.df.get(term, 0))) + 1.0

    def vector(self, doc: Sequence[str]) -> Vector:
        counts = Counter(doc)
        weights = {t: c * self.idf(t) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}


@dataclass
class _Group:
    centroid: Vector = field(default_factory=dict)  # sum of member vectors
    norm2: float = 0.0
    members: list[int] = field(default_factory=list)  # indexes into the period's orders
    previous: int = 0

    def similarity(self, vec: Vector) -> float:
        if self.norm2 <= 0:
            return 0.0
        dot = sum(w * self.centroid.get(t, 0.0) for t, w in vec.items())
        return dot / math.sqrt(self.norm2)

    def add(self, vec: Vector, index: int) -> None:
        dot = sum(w * self.centroid.get(t, 0.0) for t, w in vec.items())
        self.norm2 += 2 * dot + sum(w * w for w in vec.values())
        for t, w in vec.items():
            self.centroid[t] = self.centroid.get(t, 0.0) + w
        self.members.append(index)

    def top_terms(self, n: int) -> list[str]:
        return [t for t, _ in sorted(self.centroid.items(), key=lambda p: (-p[1], p[0]))[:n]]


@dataclass(frozen=True)
class Keyword:
    term: str
    score: float
    orders: int
    previous_orders: int

    @property
    def trend(self) -> int:
        return self.orders - self.previous_orders


@dataclass(frozen=True)
class HotIssue:
    """One group of similar work orders (热点问题)."""

    keywords: tuple[str, ...]
    count: int
    previous_count: int
    units: tuple[tuple[str, int], ...]  # unit name, orders — most first
    examples: tuple[IssueText, ...]

    @property
    def label(self) -> str:
        return "、".join(self.keywords)

    @property
    def common_across_units(self) -> bool:
        return len(self.units) >= COMMON_UNITS

    @property
    def trend(self) -> int:
        return self.count - self.previous_count

    @property
    def trend_zh(self) -> str:
        if self.previous_count == 0:
            return "新出现" if self.count else "—"
        change = self.trend / self.previous_count
        return f"{'上升' if change > 0 else '下降' if change < 0 else '持平'}{abs(change) * 100:.0f}%"


@dataclass(frozen=True)
class HotIssueAnalysis:
    orders: int
    keywords: list[Keyword]
    issues: list[HotIssue]

    @property
    def common(self) -> list[HotIssue]:
        return [i for i in self.issues if i.common_across_units]


class Grouping:
    """The greedy single pass over one period's orders (see the module docstring)."""

    def __init__(self, model: TfIdf, threshold: float) -> None:
        self.model = model
        self.threshold = threshold
        self.groups: list[_Group] = []
        self.index: dict[str, set[int]] = {}

    def _best(self, vec: Vector) -> tuple[int | None, float]:
        leading = sorted(vec, key=lambda t: -vec[t])[:_LEADING_TERMS]
        candidates: set[int] = set()
        for term in leading:
            candidates |= self.index.get(term, set())
        best, best_sim = None, 0.0
        for g in candidates:
            sim = self.groups[g].similarity(vec)
            if sim > best_sim:
                best, best_sim = g, sim
        return best, best_sim

    def add(self, vec: Vector, index: int) -> None:
        if not vec:
            return
        best, sim = self._best(vec)
        if best is None or sim < self.threshold:
            best = len(self.groups)
            self.groups.append(_Group())
            for term in sorted(vec, key=lambda t: -vec[t])[:_LEADING_TERMS]:
                self.index.setdefault(term, set()).add(best)
        self.groups[best].add(vec, index)

    def count_previous(self, vec: Vector) -> None:
        best, sim = self._best(vec)
        if best is not None and sim >= self.threshold:
            self.groups[best].previous += 1


def analyse(
    current: Sequence[IssueText],
    previous: Iterable[IssueText] = (),
    *,
    threshold: float = 0.45,
    top_keywords: int = 20,
    top_issues: int = 10,
    examples: int = 3,
    min_count: int = 2,
    tokenizer: Tokenizer = jieba_keywords,
) -> HotIssueAnalysis:
    """Keywords and hot issues of the period's orders (in time order), with the previous period's trend."""
    docs = [tokens(f"{o.title} {o.text}", tokenizer) for o in current]
    model = TfIdf(docs)
    grouping = Grouping(model, threshold)
    scores: Counter[str] = Counter()
    for i, doc in enumerate(docs):
        vec = model.vector(doc)
        scores.update(vec)
        grouping.add(vec, i)
    previous_df: Counter[str] = Counter()
    for order in previous:
        doc = tokens(f"{order.title} {order.text}", tokenizer)
        previous_df.update(set(doc))
        grouping.count_previous(model.vector(doc))
    keywords = [
        Keyword(term, round(score, 3), model.df[term], previous_df.get(term, 0))
        for term, score in sorted(scores.items(), key=lambda p: (-p[1], p[0]))[:top_keywords]
    ]
    issues = []
    for group in sorted(grouping.groups, key=lambda g: (-len(g.members), g.members[0]))[:top_issues]:
        if len(group.members) < min_count:
            break
        units = Counter(current[i].unit_name for i in group.members)
        issues.append(
            HotIssue(
                keywords=tuple(group.top_terms(3)),
                count=len(group.members),
                previous_count=group.previous,
                units=tuple(sorted(units.items(), key=lambda p: (-p[1], p[0]))),
                examples=tuple(current[i] for i in group.members[:examples]),
            )
        )
    return HotIssueAnalysis(len(current), keywords, issues)
