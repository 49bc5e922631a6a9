"""Homophone-tolerant term search (同音匹配).

Speech recognition writes the right sound with the wrong character (审皮 for 审批, 社宝 for 社保,
经营一场 for 经营异常). A term therefore matches where every character shares a toneless pinyin reading
with the text, as well as where the characters are identical.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin


@lru_cache(maxsize=20000)
def readings(char: str) -> frozenset[str]:
    """Toneless pinyin readings of one character (all of a polyphone's); the character itself otherwise."""
    if "\u4e00" <= char <= "\u9fff":
        found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
        if found and found[0]:
            return frozenset(found[0])
    return frozenset((char.lower(),))


def _no_word(_: str) -> bool:
    return False


@lru_cache(maxsize=20000)
def primary_reading(char: str) -> frozenset[str]:
    """The everyday reading of a character (大 → da), the character itself when it is not Chinese."""
    if "\u4e00" <= char <= "\u9fff":
        found = pinyin(char, style=Style.NORMAL, heteronym=False, errors="ignore")
        if found and found[0]:
            return frozenset(found[0][:1])
    return frozenset((char.lower(),))


@lru_cache(maxsize=20000)
def term_sounds(term: str) -> tuple[frozenset[str], ...]:
    """A term's sound as read in context (招工 is zhao gong, never qiao gong), one reading a character."""
    if all("\u4e00" <= c <= "\u9fff" for c in term):
        spoken = lazy_pinyin(term, style=Style.NORMAL)
        if len(spoken) == len(term):
            return tuple(frozenset((s,)) for s in spoken)
    return tuple(readings(c) for c in term)


class PhoneticText:
    """A text indexed by the sound of each character, searched for terms by sound or by spelling.

    A sound match must keep at least half of the term's characters (社宝 for 社保, not 桥工 for 招工), and
    `is_common_word` guards two-character ones: when the text there is itself an everyday word (工地 for
    the term 供地), the speaker said that word, not a misheard term.
    """

    def __init__(self, text: str, is_common_word: Callable[[str], bool] = _no_word) -> None:
        self.text = text
        self.is_common_word = is_common_word
        self._sounds = [readings(c) for c in text]
        self._primary = [primary_reading(c) for c in text]
        self._starts: dict[str, list[int]] = {}
        for i, sounds in enumerate(self._sounds):
            for sound in sounds:
                self._starts.setdefault(sound, []).append(i)

    def find(self, term: str, by_sound: bool = True) -> list[int]:
        """Start offsets where `term` occurs; single characters and non-Chinese terms match only exactly."""
        if not term:
            return []
        if not by_sound or len(term) < 2 or not any("\u4e00" <= c <= "\u9fff" for c in term):
            return _exact(self.text, term)
        sounds = term_sounds(term)
        candidates: set[int] = set()
        for sound in sounds[0]:
            candidates.update(self._starts.get(sound, ()))
        if not candidates:
            return []
        exact = set(_exact(self.text, term))
        hits = []
        n = len(term)
        for start in sorted(candidates | exact):
            if start in exact:
                hits.append(start)
                continue
            if start + n > len(self.text):
                continue
            # A two-character term matches on the everyday reading only (大货 is da huo, not 带货);
            # longer terms carry enough context to allow a polyphone's other readings.
            text_sounds = self._primary if n == 2 else self._sounds
            if not all(text_sounds[start + k] & sounds[k] for k in range(n)):
                continue
            if not _plausible_mishearing(self.text[start : start + n], term, self.is_common_word):
                continue
            hits.append(start)
        return hits

    def contains(self, term: str, by_sound: bool = True) -> bool:
        return bool(self.find(term, by_sound))


def _plausible_mishearing(surface: str, term: str, is_common_word: Callable[[str], bool]) -> bool:
    """Recognizers get one character of a word wrong, rarely most: half the characters must agree,
    and a two-character stretch that is an everyday word in its own right was meant as said."""
    same = sum(1 for a, b in zip(surface, term, strict=True) if a == b)
    if same * 2 < len(term):
        return False
    return not (len(term) == 2 and is_common_word(surface))


def _exact(text: str, term: str) -> list[int]:
    hits = []
    start = text.find(term)
    while start != -1:
        hits.append(start)
        start = text.find(term, start + 1)
    return hits
