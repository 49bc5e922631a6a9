"""Class (咨询 / 投诉 / 建议), service (五项服务) and complexity (简单 / 一般 / 疑难) of a call, by cue words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from asr.domain.cues import CueScore, CueTable, IndexedTranscript

CONSULTATION = "consultation"
COMPLAINT = "complaint"
SUGGESTION = "suggestion"
CLASSES = (CONSULTATION, COMPLAINT, SUGGESTION)

POLICY_QUERY = "policy_query"
MATTER_CONSULTATION = "matter_consultation"
COMPLAINT_SERVICE = "complaint"
COORDINATION = "coordination"
SUGGESTION_SERVICE = "suggestion"
SERVICES = (POLICY_QUERY, MATTER_CONSULTATION, COMPLAINT_SERVICE, COORDINATION, SUGGESTION_SERVICE)

SIMPLE, GENERAL, DIFFICULT = "simple", "general", "difficult"


@dataclass(frozen=True)
class ClassRules:
    """Editable cue tables (asr/data/classes.yaml)."""

    class_caller: dict[str, CueTable]
    class_agent: dict[str, CueTable]
    agent_weight: float
    first_turn_weight: float
    transfer_cues: tuple[str, ...]
    coordination_cues: CueTable
    service_cues: dict[str, CueTable]
    difficult_cues: CueTable
    difficult_patterns: dict[str, float]
    simple_cues: CueTable
    difficult_threshold: float
    simple_threshold: float


@dataclass(frozen=True)
class Verdict:
    """A chosen value with the words that decided it."""

    value: str | None
    words: list[str]
    scores: dict[str, float]


def answered_on_line(ix: IndexedTranscript, rules: ClassRules, phone_taken: bool) -> tuple[bool, list[str]]:
    """Answered on the spot (当场答复): the agent handed nothing on and took no number for a call-back.

    Returns the verdict and the words that show the matter was handed on.
    """
    handed_on = ix.mentions(rules.transfer_cues, caller=False, agent=True, by_sound=False)
    words = handed_on + (["联系电话"] if phone_taken else [])
    return not words, words


def call_class(ix: IndexedTranscript, rules: ClassRules, answered: bool) -> Verdict:
    scores: dict[str, CueScore] = {}
    for name in CLASSES:
        score = ix.score(
            rules.class_caller.get(name, {}), caller=True, first_turn_weight=rules.first_turn_weight, by_sound=False
        )
        ix.score(
            rules.class_agent.get(name, {}),
            caller=False,
            agent=True,
            agent_weight=rules.agent_weight,
            by_sound=False,
            into=score,
        )
        scores[name] = score
    allowed = [c for c in CLASSES if not (answered and c == COMPLAINT)]
    best = max(allowed, key=lambda c: (scores[c].score, c == CONSULTATION))
    return Verdict(best, scores[best].top_words(), {c: round(s.score, 2) for c, s in scores.items()})


def service(ix: IndexedTranscript, rules: ClassRules, klass: str) -> Verdict:
    if klass == SUGGESTION:
        return Verdict(SUGGESTION_SERVICE, [], {})
    if klass == COMPLAINT:
        coordination = ix.score(rules.coordination_cues, caller=True, agent=True, agent_weight=1.0, by_sound=False)
        if coordination.score >= 3:
            return Verdict(COORDINATION, coordination.top_words(), {COORDINATION: coordination.score})
        return Verdict(COMPLAINT_SERVICE, [], {COORDINATION: coordination.score})
    scores = {
        name: ix.score(table, caller=True, first_turn_weight=rules.first_turn_weight, by_sound=False)
        for name, table in rules.service_cues.items()
    }
    policy, matter = scores[POLICY_QUERY], scores[MATTER_CONSULTATION]
    best = POLICY_QUERY if policy.score > matter.score else MATTER_CONSULTATION
    return Verdict(best, scores[best].top_words(), {k: round(v.score, 2) for k, v in scores.items()})


def complexity(ix: IndexedTranscript, rules: ClassRules, klass: str) -> Verdict:
    """A hint for complaints only: 疑难 may need an extension, 简单 is due in 2 working days."""
    if klass != COMPLAINT:
        return Verdict(None, [], {})
    difficult = ix.score(rules.difficult_cues, caller=True, agent=True, agent_weight=1.0, by_sound=False)
    caller_text = ix.caller_text()
    for pattern, weight in rules.difficult_patterns.items():
        found = re.search(pattern, caller_text)
        if found:
            difficult.add(found.group(), weight)
    simple = ix.score(rules.simple_cues, caller=True, agent=True, agent_weight=1.0, by_sound=False)
    scores = {DIFFICULT: round(difficult.score, 2), SIMPLE: round(simple.score, 2)}
    if difficult.score >= rules.difficult_threshold:
        return Verdict(DIFFICULT, difficult.top_words(), scores)
    if simple.score >= rules.simple_threshold and simple.score > difficult.score:
        return Verdict(SIMPLE, simple.top_words(), scores)
    return Verdict(GENERAL, [], scores)
