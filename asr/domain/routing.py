"""The suggested responsible unit (承办单位建议) with a confidence and the words that pointed there.

Each unit has a keyword table (asr/data/units.yaml). The caller's words count fully and the agent's
at a discount; the names callers give a unit count little, since callers often guess the wrong one
("这个归环保局管吧" about night-time building noise, which is a matter for 综合行政执法), unless the unit
acted in the matter ("市场监管罚了我们", "交通局那边说…"). Matters for the
street, town or township itself (属地: a road blocked by villagers, a park the street office runs) go
to the township the caller is in.
"""

from __future__ import annotations

from dataclasses import dataclass

from asr.domain.cues import CueScore, CueTable, IndexedTranscript


@dataclass(frozen=True)
class UnitRules:
    """Editable unit keyword tables."""

    keywords: dict[str, CueTable]
    aliases: dict[str, tuple[str, ...]]
    local_cues: CueTable
    counterpart_cues: tuple[str, ...] = ()
    alias_weight: float = 1.0
    agent_alias_weight: float = 2.5
    counterpart_weight: float = 3.0
    agent_weight: float = 0.7
    local_threshold: float = 3.0
    min_score: float = 2.0


@dataclass(frozen=True)
class Routing:
    """The suggestion: unit (None when nothing points anywhere), confidence 0–1, reason and runners-up."""

    unit: str | None
    confidence: float
    words: list[str]
    reason: str
    runners_up: list[tuple[str, float]]


def suggest_unit(ix: IndexedTranscript, rules: UnitRules, township: str | None) -> Routing:
    scores: dict[str, CueScore] = {}
    for unit, table in rules.keywords.items():
        score = ix.score(table, caller=True, agent=True, agent_weight=rules.agent_weight, max_hits_per_turn=2)
        _score_caller_aliases(ix, rules, rules.aliases.get(unit, ()), score)
        # The agent knows the units: "我们转人社部门" is a decision, not a guess.
        agent_aliases = {alias: rules.agent_alias_weight for alias in rules.aliases.get(unit, ())}
        ix.score(agent_aliases, caller=False, agent=True, into=score)
        scores[unit] = score
    if township:
        local = ix.score(rules.local_cues, caller=True, agent=True, agent_weight=1.0, by_sound=False)
        if local.score >= rules.local_threshold:
            scores[township] = local
    ranked = sorted(scores.items(), key=lambda kv: -kv[1].score)
    if not ranked or ranked[0][1].score < rules.min_score:
        return Routing(None, 0.0, [], "没有指向具体承办单位的关键词", [])
    unit, best = ranked[0]
    total = sum(s.score for _, s in ranked[:3])
    runner_up = ranked[1][1].score if len(ranked) > 1 else 0.0
    margin = (best.score - runner_up) / best.score
    strength = min(1.0, best.score / 8.0)
    confidence = round(min(0.99, 0.5 * margin + 0.3 * strength + 0.2 * best.score / total), 2)
    words = best.top_words()
    local_words = "属地事项" if unit == township else "关键词"
    reason = f"{local_words}“{'、'.join(words)}”指向{unit}"
    runners = [(name, round(s.score, 2)) for name, s in ranked[1:4] if s.score > 0]
    return Routing(unit, confidence, words, reason, runners)


def _score_caller_aliases(ix: IndexedTranscript, rules: UnitRules, aliases: tuple[str, ...], into: CueScore) -> None:
    """A unit the caller names counts little ("是不是归经信局管"), unless it acted in the matter
    ("市场监管罚了我们", "交通局那边说…"): then it counts like a strong keyword."""
    for alias in sorted(aliases, key=len, reverse=True):
        seen_turns: set[int] = set()
        for index, continuation in ix.followed_by(alias, _longest_first(rules.counterpart_cues)):
            if index in seen_turns or ix.turns[index].speaker == "agent":
                continue
            seen_turns.add(index)
            if continuation is None:
                into.add(alias, rules.alias_weight)
            else:
                into.add(alias + continuation, rules.counterpart_weight)


def _longest_first(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(words, key=len, reverse=True))
