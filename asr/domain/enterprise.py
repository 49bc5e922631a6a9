"""The caller's own enterprise name (企业名称) from what they said.

Names are found three ways: a registered-name suffix (…有限公司, …合作社, …厂, …店, …经营部), a naming
cue ("叫 悦来客栈", "公司叫 …"), or a stated affiliation ("是顺通物流的", "宏林木业的老板"). A name must
keep a brand of at least two characters once the suffix and trade words are taken off, so "五金店",
"小厂" or "香菇合作社" (a description, not a name) are not enterprises. Names of government units and
places are never enterprises, and names marked as someone else's (隔壁, 对面, 同行) rank below the
caller's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from asr.domain.transcript import Turn

_SPLIT = re.compile(r"[\s，,。.！!？?；;：:、“”\"'（）()]+")
_HANZI = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9]+$")


@dataclass(frozen=True)
class EnterpriseRules:
    """Editable vocabulary for enterprise names (asr/data/enterprise.yaml)."""

    suffixes: tuple[str, ...]
    trade_words: tuple[str, ...]
    naming_cues: tuple[str, ...]
    affiliation_roles: tuple[str, ...]
    lead_words: tuple[str, ...]
    descriptive_markers: tuple[str, ...]
    bad_first_chars: str
    not_followed_by: dict[str, tuple[str, ...]]
    self_cues: tuple[str, ...]
    other_party_cues: tuple[str, ...]
    agent_asks_name: tuple[str, ...]
    not_enterprises: tuple[str, ...] = field(default=())
    pronouns: tuple[str, ...] = ("我", "你", "他", "她", "它", "大家", "人")
    self_lead: tuple[str, ...] = ("我是", "我们是", "我们", "我们公司", "本公司", "我家")
    max_length: int = 16


@dataclass(frozen=True)
class EnterpriseCandidate:
    name: str
    score: float
    turn_index: int
    how: str


class EnterpriseFinder:
    """Finds the enterprise a caller speaks for; places and units to exclude are given by the caller."""

    def __init__(self, rules: EnterpriseRules, places: tuple[str, ...] = ()) -> None:
        self.rules = rules
        self.places = tuple(sorted(places, key=len, reverse=True))
        self._suffixes = tuple(sorted(rules.suffixes, key=len, reverse=True))
        self._trades = tuple(sorted(rules.trade_words, key=len, reverse=True))

    def candidates(self, turns: list[Turn]) -> list[EnterpriseCandidate]:
        found: list[EnterpriseCandidate] = []
        agent_asked = False
        for index, turn in enumerate(turns):
            if not turn.by_caller:
                agent_asked = any(cue in turn.text for cue in self.rules.agent_asks_name)
                continue
            chunks = [c for c in _SPLIT.split(turn.text) if c]
            self_spoken = any(cue in turn.text for cue in self.rules.self_cues)
            for pos in range(len(chunks)):
                for name, how, base in self._from_chunk(chunks, pos):
                    score = base
                    if self_spoken:
                        score += 1.0
                    if agent_asked:
                        score += 1.0
                    just_before = (chunks[pos - 1] if pos else "") + chunks[pos].split(name)[0]
                    if just_before.endswith(self.rules.self_lead):
                        score += 2.0
                    before = " ".join(chunks[max(0, pos - 2) : pos + 1])
                    if any(cue in before for cue in self.rules.other_party_cues):
                        score -= 3.0
                    found.append(EnterpriseCandidate(name, score, index, how))
            agent_asked = False
        return found

    def find(self, turns: list[Turn]) -> EnterpriseCandidate | None:
        """The best-supported name; a name found several ways or times keeps its best score plus a little."""
        best: dict[str, EnterpriseCandidate] = {}
        for candidate in self.candidates(turns):
            seen = best.get(candidate.name)
            if seen is None:
                best[candidate.name] = candidate
            else:
                top = max(seen, candidate, key=lambda c: c.score)
                best[candidate.name] = EnterpriseCandidate(top.name, top.score + 0.5, seen.turn_index, top.how)
        if not best:
            return None
        return max(best.values(), key=lambda c: (c.score, -c.turn_index))

    def _from_chunk(self, chunks: list[str], pos: int) -> list[tuple[str, str, float]]:
        chunk = chunks[pos]
        out: list[tuple[str, str, float]] = []
        named = self._after_naming_cue(chunks, pos)
        if named:
            out.append((named, "naming_cue", 3.0))
        suffixed = self._with_suffix(chunk)
        if suffixed:
            out.append((suffixed, "suffix", 2.0))
        affiliated = self._affiliation(chunk)
        if affiliated and affiliated != suffixed:
            out.append((affiliated, "affiliation", 1.5))
        return out

    def _after_naming_cue(self, chunks: list[str], pos: int) -> str | None:
        chunk = chunks[pos]
        for cue in self.rules.naming_cues:
            if chunk.endswith(cue) and pos + 1 < len(chunks):
                return self._clean(chunks[pos + 1], need_suffix=False)
            rest = chunk[len(cue) :]
            if chunk.startswith(cue) and rest and not rest.startswith(self.rules.pronouns):
                return self._clean(rest, need_suffix=False)
        return None

    def _with_suffix(self, chunk: str) -> str | None:
        for suffix in self._suffixes:
            start = chunk.find(suffix)
            while start != -1:
                end = start + len(suffix)
                following = chunk[end : end + 1]
                if following not in self.rules.not_followed_by.get(suffix, ()) or not following:
                    name = self._clean(chunk[:end], need_suffix=True)
                    if name:
                        return name
                start = chunk.find(suffix, start + 1)
        return None

    def _affiliation(self, chunk: str) -> str | None:
        for role in sorted(self.rules.affiliation_roles, key=len, reverse=True):
            if chunk.endswith(role) and len(chunk) > len(role):
                body = chunk[: -len(role)]
                name = self._clean(body, need_suffix=False)
                if name and (name.endswith(self._trades) or name.endswith(self._suffixes)):
                    return name
        return None

    def _clean(self, raw: str, need_suffix: bool) -> str | None:
        name = self._strip_lead(raw)
        if not name or len(name) > self.rules.max_length or not _HANZI.match(name):
            return None
        if name[0] in self.rules.bad_first_chars:
            return None
        if any(marker in name for marker in self.rules.descriptive_markers):
            return None
        if any(name == n or name.endswith(n) for n in self.rules.not_enterprises):
            return None
        if name in self.places:
            return None
        if need_suffix and not name.endswith(self._suffixes):
            return None
        return name if len(self.brand(name)) >= 2 else None

    def _strip_lead(self, raw: str) -> str:
        name = raw
        changed = True
        while changed and name:
            changed = False
            for lead in sorted(self.rules.lead_words, key=len, reverse=True):
                if name.startswith(lead) and len(name) > len(lead):
                    name, changed = name[len(lead) :], True
                    break
            for place in self.places:
                if name.startswith(place) and len(name) > len(place):
                    name, changed = name[len(place) :], True
                    break
        return name

    def brand(self, name: str) -> str:
        """What is left of a name without its suffix and trade words: 恒丰竹木制品厂 → 恒丰."""
        core = name
        changed = True
        while changed and core:
            changed = False
            for word in (*self._suffixes, *self._trades):
                if core.endswith(word):
                    core, changed = core[: -len(word)], True
                    break
        return core
