"""Where the matter is (地点): a street, town or township of the county, a zone, and what follows it.

The most specific place the caller names wins ("五大堡乡" then "黄坑村" gives 五大堡乡黄坑村), and a
place given in answer to the agent's "在哪里 / 地址" question outranks one mentioned in passing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asr.domain.transcript import Turn

_SPLIT = re.compile(r"[\s，,。！!？?；;：:、]+")
_ANSWER_LEADS = ("我们厂在", "我们店在", "我们在", "厂在", "店在", "就在", "就是", "在")


@dataclass(frozen=True)
class PlaceRules:
    """Editable gazetteer (asr/data/places.yaml)."""

    townships: tuple[str, ...]
    short_forms: dict[str, str]
    zones: tuple[str, ...]
    subplace_endings: tuple[str, ...]
    not_in_subplace: tuple[str, ...]
    origin_cues: tuple[str, ...]
    agent_asks_place: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every place name, longest first (so 屏都工业园区 is found before 屏都)."""
        return tuple(sorted({*self.townships, *self.zones, *self.short_forms}, key=len, reverse=True))


@dataclass(frozen=True)
class Location:
    """A place as said, and the street, town or township (乡镇街道) it lies in, when known."""

    text: str
    township: str | None
    score: float


class LocationFinder:
    def __init__(self, rules: PlaceRules) -> None:
        self.rules = rules
        self._names = rules.names
        self._endings = tuple(sorted(rules.subplace_endings, key=len, reverse=True))
        self._place_chars = "镇乡街道区园村路"

    def mentions(self, turns: list[Turn]) -> list[Location]:
        found: list[Location] = []
        agent_asked = False
        for turn in turns:
            if not turn.by_caller:
                agent_asked = any(cue in turn.text for cue in self.rules.agent_asks_place)
                continue
            chunks = [c for c in _SPLIT.split(turn.text) if c]
            named_before = len(found)
            for pos, chunk in enumerate(chunks):
                for place, start in self._places_in(chunk):
                    if any(chunk[max(0, start - len(cue)) : start] == cue for cue in self.rules.origin_cues):
                        continue
                    rest = chunk[start + len(place) :]
                    extension = self._subplace(rest)
                    if not extension and not rest and pos + 1 < len(chunks):
                        extension = self._subplace(chunks[pos + 1])
                    text = place + extension
                    score = len(text) / 4 + (3.0 if agent_asked else 0.0)
                    found.append(Location(text, self.township_of(place), score))
            if agent_asked and len(found) == named_before:
                found.extend(self._answer_without_gazetteer(chunks))
            agent_asked = False
        return found

    def find(self, turns: list[Turn]) -> Location | None:
        best: Location | None = None
        for mention in self.mentions(turns):
            if best is None or mention.score > best.score:
                best = mention
        return best

    def township_of(self, place: str) -> str | None:
        for township in self.rules.townships:
            if place.startswith(township):
                return township
        for short, township in sorted(self.rules.short_forms.items(), key=lambda kv: -len(kv[0])):
            if place.startswith(short):
                return township
        return None

    def townships_named(self, text: str) -> list[str]:
        """Townships mentioned anywhere in a text, in order of first mention."""
        seen: list[str] = []
        for chunk in _SPLIT.split(text):
            for place, _ in self._places_in(chunk):
                township = self.township_of(place)
                if township and township not in seen:
                    seen.append(township)
        return seen

    def _places_in(self, chunk: str) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []
        taken = [False] * len(chunk)
        for name in self._names:
            start = chunk.find(name)
            while start != -1:
                end = start + len(name)
                short = name in self.rules.short_forms
                bad_follow = short and end < len(chunk) and chunk[end] in self._place_chars
                if not any(taken[start:end]) and not bad_follow:
                    found.append((name, start))
                    for k in range(start, end):
                        taken[k] = True
                start = chunk.find(name, start + 1)
        return sorted(found, key=lambda item: item[1])

    def _answer_without_gazetteer(self, chunks: list[str]) -> list[Location]:
        """Asked where, the caller names a road or village the gazetteer does not know ("在 解放街")."""
        found = []
        for chunk in chunks:
            rest = chunk
            for lead in _ANSWER_LEADS:
                if rest.startswith(lead):
                    rest = rest[len(lead) :]
                    break
            head = self._subplace(rest)
            if len(head) >= 3:
                found.append(Location(head, None, len(head) / 4 + 1.5))
        return found

    def _subplace(self, stretch: str) -> str:
        """The leading part of `stretch` that names a village, road or park ("黄坑村那边" → 黄坑村)."""
        best = ""
        for i in range(1, min(len(stretch), 12) + 1):
            head = stretch[:i]
            runs_on = stretch[i : i + 1] == "道"  # 街道: the ending is part of a longer word
            if head.endswith(self._endings) and not runs_on and not any(w in head for w in self.rules.not_in_subplace):
                best = head
        return best
