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
_INDEFINITE = re.compile(r"(?<![那这哪每])个|一家|一些|几家")


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
    never_in_name: str = "是我你他她姓叫跟给了吗呢吧啊嗯喂在说想的"
    name_stops: tuple[str, ...] = ("在", "的", "是", "电话", "姓", "我", "位于", "嗯", "那个", "地址", "啊", "吧", "呢")
    max_length: int = 16
    max_bare_name: int = 8


@dataclass(frozen=True)
class EnterpriseCandidate:
    """A name heard, how it was found (suffix / naming_cue / affiliation) and how strongly it is the caller's."""

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
        self._cues = tuple(sorted(rules.naming_cues, key=len, reverse=True))
        self._boundaries = tuple(sorted(rules.lead_words, key=len, reverse=True))

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
                    if agent_asked:  # the answer to "请问公司名称", all the more if it is the whole answer
                        score += 2.0 + (1.0 if len(chunks) == 1 else 0.0)
                    just_before = (chunks[pos - 1] if pos else "") + chunks[pos].split(name)[0]
                    if just_before.endswith(self.rules.self_lead):
                        score += 2.0
                    before = " ".join(chunks[max(0, pos - 2) : pos]) + chunks[pos].split(name)[0]
                    if any(cue in before[-10:] for cue in self.rules.other_party_cues):
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
        for short in list(best.values()):
            longer = [c for c in best.values() if c.name != short.name and c.name.startswith(short.name)]
            if longer:  # "叫宏达" and later "宏达路桥工程有限公司": one enterprise, by its full name
                full = max(longer, key=lambda c: len(c.name))
                score = max(full.score, short.score) + 0.5
                best[full.name] = EnterpriseCandidate(full.name, score, full.turn_index, full.how)
                del best[short.name]
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
        out.extend((name, "suffix", 2.0) for name in suffixed)
        out.extend((name, "affiliation", 1.5) for name in self._affiliation(chunk) if name not in suffixed)
        return out

    def _after_naming_cue(self, chunks: list[str], pos: int) -> str | None:
        """The name after "叫" / "公司叫" / "名称是", up to where the sentence goes on (在…, 电话…)."""
        chunk = chunks[pos]
        for cue in self._cues:
            start = chunk.find(cue)
            while start != -1:
                rest = chunk[start + len(cue) :]
                if not rest and pos + 1 < len(chunks):
                    rest = chunks[pos + 1]
                if rest and not rest.startswith(self.rules.pronouns):
                    name = self._valid(self._cut_at_stop(rest), need_suffix=False)
                    bare = name is not None and not name.endswith(self._suffixes)
                    if name and not (bare and len(name) > self.rules.max_bare_name):
                        return name
                start = chunk.find(cue, start + 1)
        return None

    def _with_suffix(self, chunk: str) -> list[str]:
        names: list[str] = []
        for suffix in self._suffixes:
            start = chunk.find(suffix)
            while start != -1:
                end = start + len(suffix)
                following = chunk[end : end + 1]
                if not following or following not in self.rules.not_followed_by.get(suffix, ()):
                    name = self._longest_name_ending_at(chunk, end, need_suffix=True)
                    if name and not any(name in n for n in names):
                        names.append(name)
                start = chunk.find(suffix, start + 1)
        return names

    def _affiliation(self, chunk: str) -> list[str]:
        """"是顺通物流的", "宏林木业的老板": a name with a trade word or suffix, said as the caller's side."""
        names: list[str] = []
        for role in sorted(self.rules.affiliation_roles, key=len, reverse=True):
            start = chunk.find(role, 1)
            while start != -1:
                name = self._longest_name_ending_at(chunk, start, need_suffix=False, need_trade=True)
                if name and name not in names:
                    names.append(name)
                start = chunk.find(role, start + 1)
        return names

    def _longest_name_ending_at(self, text: str, end: int, need_suffix: bool, need_trade: bool = False) -> str | None:
        """The longest valid name ending at `end` that starts where a name can start (after 是, 叫, a place…).

        Works on unpunctuated recognizer text too, where "你好我是宏达路桥工程有限公司的" has no pauses.
        A name never overlaps a place name, and a stretch after an indefinite "个" ("搞个村级的冷链仓储合作社")
        describes something, it does not name it.
        """
        in_place = self._place_positions(text)
        for start in range(max(0, end - self.rules.max_length), end - 1):
            if any(in_place[start:end]):
                continue
            if start > 0 and not (in_place[start - 1] or self._boundary_before(text[:start])):
                continue
            if _INDEFINITE.search(text[max(0, start - 5) : end]):
                continue
            name = self._valid(text[start:end], need_suffix)
            if name and (not need_trade or name.endswith(self._trades) or name.endswith(self._suffixes)):
                return name
        return None

    def _place_positions(self, text: str) -> list[bool]:
        covered = [False] * len(text)
        for place in self.places:
            start = text.find(place)
            while start != -1:
                end = start + len(place)
                if not any(covered[start:end]):
                    for k in range(start, end):
                        covered[k] = True
                start = text.find(place, start + 1)
        return covered

    def _boundary_before(self, prefix: str) -> bool:
        last = prefix[-1]
        if not ("\u4e00" <= last <= "\u9fff"):
            return True
        if prefix.endswith(self._boundaries):
            return True
        return len(prefix) >= 2 and prefix[-2] == "姓"  # "姓柳联众包装有限公司的"

    def _cut_at_stop(self, rest: str) -> str:
        """Where a name said after a naming cue ends: at its suffix if it has one, else before a stop word."""
        ends = [rest.find(x) + len(x) for x in self._suffixes if 0 < rest.find(x) < self.rules.max_length]
        if ends:
            return rest[: min(ends)]
        cut = len(rest)
        for stop in (*self.rules.name_stops, *self.places):  # a unit or place named next ends the name
            at = rest.find(stop, 2)
            if at != -1:
                cut = min(cut, at)
        return rest[:cut]

    def _valid(self, name: str, need_suffix: bool) -> str | None:
        if not name or len(name) > self.rules.max_length or not _HANZI.match(name):
            return None
        if name[0] in self.rules.bad_first_chars or any(c in self.rules.never_in_name for c in name):
            return None
        if any(marker in name for marker in self.rules.descriptive_markers):
            return None
        if any(name.endswith(n) for n in self.rules.not_enterprises):
            return None
        if name.startswith(self.places):
            return None
        if need_suffix and not name.endswith(self._suffixes):
            return None
        return name if len(self.brand(name)) >= 2 else None

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
