"""Weighted cue words scored over a transcript, keeping the words that fired (so a draft can say why)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from asr.domain.phonetic import PhoneticText
from asr.domain.transcript import Turn

CueTable = Mapping[str, float]

_HAN = re.compile(r"[\u4e00-\u9fff]")
_PAUSE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


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
    """Turns indexed once for sound search, shared by every rule of one draft.

    The turns are joined (with a separator no term contains) into one phonetic text so each term is
    searched once per call, and each term's hits are remembered for the other tables that use it.
    """

    def __init__(self, turns: list[Turn], is_common_word: Callable[[str], bool] | None = None) -> None:
        self.turns = turns
        self.starts: list[int] = []
        pieces: list[str] = []
        offset = 0
        for turn in turns:
            # Pauses split words ("用地 审批"); cues are matched as if the speaker had not paused.
            joined_turn = _PAUSE.sub("", turn.text).replace("\n", " ")
            self.starts.append(offset)
            pieces.append(joined_turn)
            offset += len(joined_turn) + 1
        joined = "\n".join(pieces)
        self.text = PhoneticText(joined) if is_common_word is None else PhoneticText(joined, is_common_word)
        self._hits: dict[tuple[str, bool], list[tuple[int, int]]] = {}
        # Where the caller says why they called: their first turn with some substance (not just "喂 你好").
        substantive = [i for i, t in enumerate(turns) if t.by_caller and len(_HAN.findall(t.text)) >= 6]
        self.first_caller_turn = substantive[0] if substantive else -1

    def caller_text(self) -> str:
        return " ".join(t.text for t in self.turns if t.by_caller)

    def corrected_texts(self, vocabulary: list[str]) -> list[str]:
        """Each turn's text with homophones of known terms spelled as the terms (审皮 → 审批), longest first."""
        chars = list(self.text.text)
        taken = [False] * len(chars)
        for term in vocabulary:
            for _, start in self.hits(term):
                end = start + len(term)
                if any(taken[start:end]):
                    continue
                chars[start:end] = term
                for k in range(start, end):
                    taken[k] = True
        if not self.turns:
            return []  # "".split("\n") is [""]: one text for no turn
        return "".join(chars).split("\n")

    def hits(self, word: str, by_sound: bool = True) -> list[tuple[int, int]]:
        """(turn index, offset in the joined text) of every occurrence of `word`."""
        key = (word, by_sound)
        found = self._hits.get(key)
        if found is None:
            found = [(bisect_right(self.starts, pos) - 1, pos) for pos in self.text.find(word, by_sound)]
            self._hits[key] = found
        return found

    def followed_by(self, word: str, continuations: tuple[str, ...]) -> list[tuple[int, str | None]]:
        """(turn index, what came right after `word`, if one of `continuations`) for each occurrence."""
        out: list[tuple[int, str | None]] = []
        text = self.text.text
        for index, pos in self.hits(word):
            after = pos + len(word)
            follow = next((c for c in continuations if text.startswith(c, after)), None)
            out.append((index, follow))
        return out

    def _factor(self, index: int, caller: bool, agent: bool, caller_weight: float, agent_weight: float,
                first_turn_weight: float) -> float:
        """How much a cue in this turn counts; an unlabelled turn counts as the caller's, else the agent's."""
        speaker = self.turns[index].speaker
        if speaker == "agent":
            return agent_weight if agent else 0.0
        if caller:
            return caller_weight * (first_turn_weight if index == self.first_caller_turn else 1.0)
        if speaker != "caller" and agent:
            return agent_weight
        return 0.0

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
        by_sound: bool = True,
        into: CueScore | None = None,
    ) -> CueScore:
        """Add each cue's weight for every turn it occurs in (counted at most `max_hits_per_turn` a turn).

        `by_sound=False` for everyday intent words (建议, 投诉, 想问一下): recognisers rarely get those
        wrong, while their homophones are common ("想建一个" is not 建议).

        Overlapping cues in one place count once, for the longest ("拖欠工资" does not also score "工资").
        """
        result = into if into is not None else CueScore()
        covered: set[int] = set()
        for word, weight in sorted(table.items(), key=lambda kv: -len(kv[0])):
            per_turn: dict[int, int] = {}
            for index, pos in self.hits(word, by_sound):
                span = range(pos, pos + len(word))
                if any(k in covered for k in span):
                    continue
                covered.update(span)
                per_turn[index] = per_turn.get(index, 0) + 1
            points = 0.0
            for index, count in per_turn.items():
                factor = self._factor(index, caller, agent, caller_weight, agent_weight, first_turn_weight)
                points += weight * factor * min(count, max_hits_per_turn)
            if points:
                result.add(word, points)
        return result

    def mentions(
        self, words: list[str] | tuple[str, ...], *, caller: bool = True, agent: bool = True, by_sound: bool = True
    ) -> list[str]:
        """Which of `words` occur (by sound, or by spelling only) in the chosen speakers' turns."""
        found: list[str] = []
        for word in words:
            for index, _ in self.hits(word, by_sound):
                speaker = self.turns[index].speaker
                if (speaker != "caller" and agent) or (speaker != "agent" and caller):
                    found.append(word)
                    break
        return found
