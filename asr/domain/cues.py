"""Weighted cue words scored over a transcript, keeping the words that fired (so a draft can say why)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from asr.domain.phonetic import PhoneticText
from asr.domain.transcript import Turn

CueTable = Mapping[str, float]


@dataclass
class CueScore:
    """The score of one outcome (a class, a unit…) and the words behind it, heaviest first."""

    score: float = 0.0
    words: dict[str, float] = field(default_factory=dict)

    def add(self, word: str, points: float) -> None:
        self.score += points
        self.words[word] = self.words.get(word, 0.0) + points

    def top_words(self, n: int = 5) -> list[str]:
        return [w for w, _ in sorted(self.words.items(), key=lambda kv: -kv[1])[:n]]


class IndexedTranscript:
    """Turns with a phonetic index each; built once per draft and shared by every rule."""

    def __init__(self, turns: list[Turn], is_common_word: Callable[[str], bool] | None = None) -> None:
        self.turns = turns
        if is_common_word is None:
            self.indexed = [PhoneticText(t.text) for t in turns]
        else:
            self.indexed = [PhoneticText(t.text, is_common_word) for t in turns]
        caller_turns = [i for i, t in enumerate(turns) if t.by_caller]
        self.first_caller_turn = caller_turns[0] if caller_turns else -1

    def caller_text(self) -> str:
        return " ".join(t.text for t in self.turns if t.by_caller)

    def agent_text(self) -> str:
        return " ".join(t.text for t in self.turns if t.speaker == "agent")

    def score(
        self,
        table: CueTable,
        *,
        caller: bool = True,
        agent: bool = False,
        caller_weight: float = 1.0,
        agent_weight: float = 1.0,
        first_turn_weight: float = 1.0,
        max_hits_per_turn: int = 1,
        into: CueScore | None = None,
    ) -> CueScore:
        """Add each cue's weight for every turn it occurs in (counted at most `max_hits_per_turn` a turn).

        Overlapping cues in one place count once, for the longest ("拖欠工资" does not also score "工资").
        """
        result = into if into is not None else CueScore()
        ordered = sorted(table.items(), key=lambda kv: -len(kv[0]))
        for index, (turn, text) in enumerate(zip(self.turns, self.indexed, strict=True)):
            if turn.speaker == "agent":
                if not agent:
                    continue
                factor = agent_weight
            elif turn.by_caller:
                if not caller:
                    continue
                factor = caller_weight * (first_turn_weight if index == self.first_caller_turn else 1.0)
            else:
                continue
            covered = [False] * len(text.text)
            for word, weight in ordered:
                hits = 0
                for start in text.find(word):
                    end = start + len(word)
                    if any(covered[start:end]):
                        continue
                    for k in range(start, end):
                        covered[k] = True
                    hits += 1
                if hits:
                    result.add(word, weight * factor * min(hits, max_hits_per_turn))
        return result

    def mentions(self, words: list[str] | tuple[str, ...], *, caller: bool = True, agent: bool = True) -> list[str]:
        """Which of `words` occur (by sound or spelling) in the chosen speakers' turns."""
        found: list[str] = []
        for turn, text in zip(self.turns, self.indexed, strict=True):
            if (turn.speaker == "agent" and not agent) or (turn.speaker != "agent" and not caller):
                continue
            for word in words:
                if word not in found and text.contains(word):
                    found.append(word)
        return found
