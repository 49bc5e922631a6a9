"""The monthly summary of opinions and suggestions (每月一汇总): sorted, counted, summarized.

The month's suggestions (意见建议) are grouped with the hot-issue grouping (similar texts together);
each group is counted, its units listed and summarized in one sentence from its keywords and its
first case. Groups are sorted by size; single suggestions are kept (nothing is dropped from a summary).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from reports.domain.hot_issues import HotIssue, IssueText, Tokenizer, analyse
from ticketing.domain.repeats import jieba_keywords


@dataclass(frozen=True)
class OpinionGroup:
    """One summarized group of suggestions."""

    issue: HotIssue

    @property
    def count(self) -> int:
        return self.issue.count

    @property
    def summary_zh(self) -> str:
        units = "、".join(name for name, _ in self.issue.units[:3])
        more = f"等{len(self.issue.units)}个单位" if len(self.issue.units) > 3 else ""
        return (
            f"共{self.count}件，主要涉及“{self.issue.label}”，承办：{units}{more}；"
            f"如：{self.issue.examples[0].title}"
        )


@dataclass(frozen=True)
class OpinionSummary:
    total: int
    groups: list[OpinionGroup]
    by_unit: list[tuple[str, int]]


def summarize(
    suggestions: Sequence[IssueText],
    previous: Sequence[IssueText] = (),
    *,
    limit: int = 30,
    tokenizer: Tokenizer = jieba_keywords,
) -> OpinionSummary:
    analysis = analyse(suggestions, previous, top_issues=limit, min_count=1, tokenizer=tokenizer)
    by_unit = Counter(s.unit_name for s in suggestions)
    return OpinionSummary(
        total=len(suggestions),
        groups=[OpinionGroup(issue) for issue in analysis.issues],
        by_unit=sorted(by_unit.items(), key=lambda p: (-p[1], p[0])),
    )
