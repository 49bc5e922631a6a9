"""How well drafts match labelled calls (the eval set's "gold"): per-field exact accuracy and overlaps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

EXACT_FIELDS = (
    "class", "service", "complexity", "department", "answered_on_line", "enterprise", "contact_phone", "location",
)  # fmt: skip

# Targets of issue 5 on ../shared/eval/calls-dev.jsonl (and on calls not seen while writing the rules).
TARGETS = {"class": 0.90, "service": 0.80, "department": 0.80, "contact_phone": 0.95, "enterprise": 0.85}


@dataclass
class AccuracyReport:
    """Per-field accuracy over `calls` drafts, the misses by call id, and whether each target is met."""

    calls: int = 0
    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXACT_FIELDS, 0))
    misses: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in EXACT_FIELDS})
    keyword_recall_sum: float = 0.0
    summary_f1_sum: float = 0.0

    def accuracy(self, name: str) -> float:
        return self.correct[name] / self.calls if self.calls else 0.0

    @property
    def keyword_recall(self) -> float:
        """Share of gold keywords that a drafted keyword covers (either contains the other)."""
        return self.keyword_recall_sum / self.calls if self.calls else 0.0

    @property
    def summary_f1(self) -> float:
        """Character-bigram F1 between drafted and gold summaries."""
        return self.summary_f1_sum / self.calls if self.calls else 0.0

    def met(self) -> dict[str, bool]:
        return {name: self.accuracy(name) >= target for name, target in TARGETS.items()}

    def figures(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "accuracy": {name: round(self.accuracy(name), 3) for name in EXACT_FIELDS},
            "keyword_recall": round(self.keyword_recall, 3),
            "summary_bigram_f1": round(self.summary_f1, 3),
            "targets": TARGETS,
            "met": self.met(),
        }


def score_drafts(pairs: Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any]]]) -> AccuracyReport:
    """Score (call id, gold, draft) triples; drafts use the gold field names."""
    report = AccuracyReport()
    for call_id, gold, draft in pairs:
        report.calls += 1
        for name in EXACT_FIELDS:
            if draft.get(name) == gold.get(name):
                report.correct[name] += 1
            else:
                report.misses[name].append(call_id)
        report.keyword_recall_sum += keyword_recall(gold.get("keywords") or [], draft.get("keywords") or [])
        report.summary_f1_sum += bigram_f1(str(gold.get("summary") or ""), str(draft.get("summary") or ""))
    return report


def keyword_recall(gold: list[str], drafted: list[str]) -> float:
    if not gold:
        return 1.0
    covered = sum(1 for g in gold if any(g in d or d in g for d in drafted))
    return covered / len(gold)


def bigram_f1(gold: str, drafted: str) -> float:
    def bigrams(text: str) -> dict[str, int]:
        chars = [c for c in text if "\u4e00" <= c <= "\u9fff" or c.isalnum()]
        counts: dict[str, int] = {}
        for a, b in zip(chars, chars[1:], strict=False):
            counts[a + b] = counts.get(a + b, 0) + 1
        return counts

    g, d = bigrams(gold), bigrams(drafted)
    overlap = sum(min(n, d.get(k, 0)) for k, n in g.items())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(d.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)
