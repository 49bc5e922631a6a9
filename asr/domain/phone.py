"""Contact phone numbers as callers say them (联系电话).

Callers read numbers in groups, in Chinese digits (幺三八 五七八…, 零/洞 for 0, 两 for 2) or Arabic
digits, and correct themselves or the agent's read-back ("不对 最后一位是幺 不是七"). The number the
caller corrects to wins. Valid numbers: Chinese mobiles 1[3-9] + 9 digits, and landlines with an area
code (0 + 2-3 digit code + 7-8 digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asr.domain.transcript import Turn

SPOKEN_DIGITS = {
    "零": "0", "〇": "0", "洞": "0", "幺": "1", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4",
    "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}  # fmt: skip
for _d in "0123456789":
    SPOKEN_DIGITS[_d] = _d
for _i, _d in enumerate("０１２３４５６７８９"):
    SPOKEN_DIGITS[_d] = str(_i)

_RUN = re.compile(r"[零〇洞幺一二两三四五六七八九0-9０-９](?:[\s\-－—]*[零〇洞幺一二两三四五六七八九0-9０-９])*")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
_CORRECTION = re.compile(r"不对|不是|错了|说错|搞错|应该是|更正")
_LAST_DIGIT_FIX = re.compile(r"最后(?:一位|一个|一个数|那个)?(?:数字)?(?:是|应该是)\s*([零〇洞幺一二两三四五六七八九0-9])")
_MIN_DIGITS = 7


@dataclass(frozen=True)
class SpokenNumber:
    """A valid phone number heard in a turn, with who said it and whether it was a correction."""

    number: str
    turn_index: int
    by_caller: bool
    correction: bool


def is_valid_phone(number: str) -> bool:
    return bool(MOBILE.match(number) or LANDLINE.match(number))


def digits_of(run: str) -> tuple[str, list[int]]:
    """The digits of a spoken run and the offsets (in digits) where the speaker paused between groups."""
    digits: list[str] = []
    breaks: list[int] = []
    for ch in run:
        if ch in SPOKEN_DIGITS:
            digits.append(SPOKEN_DIGITS[ch])
        elif digits and (not breaks or breaks[-1] != len(digits)):
            breaks.append(len(digits))
    return "".join(digits), breaks


def numbers_in(text: str) -> list[str]:
    """Valid phone numbers in one utterance, in order; long runs are searched at group boundaries."""
    found: list[str] = []
    for match in _RUN.finditer(text):
        digits, breaks = digits_of(match.group())
        if len(digits) < _MIN_DIGITS:
            continue
        if is_valid_phone(digits):
            found.append(digits)
            continue
        found.extend(_numbers_inside(digits, [0, *breaks]))
    return found


def _numbers_inside(digits: str, starts: list[int]) -> list[str]:
    """A run with extra digits around the number: try every group start, mobiles first."""
    for start in starts:
        for length in (11, 12, 10):
            candidate = digits[start : start + length]
            if len(candidate) == length and is_valid_phone(candidate):
                return [candidate]
    return []


def heard_numbers(turns: list[Turn]) -> list[SpokenNumber]:
    heard: list[SpokenNumber] = []
    for index, turn in enumerate(turns):
        for number in numbers_in(turn.text):
            heard.append(SpokenNumber(number, index, turn.by_caller, bool(_CORRECTION.search(turn.text))))
    return heard


def contact_phone(turns: list[Turn]) -> str | None:
    """The caller's contact number: their latest correction, else their latest mobile, else their latest
    number, else the agent's read-back."""
    heard = heard_numbers(turns)
    patched = _patched_last_digit(turns, heard)
    if patched:
        return patched
    corrections = [h for h in heard if h.by_caller and h.correction]
    if corrections:
        return corrections[-1].number
    by_caller = [h for h in heard if h.by_caller]
    mobiles = [h for h in by_caller if MOBILE.match(h.number)]
    if mobiles:  # a caller giving a mobile and a landline is reached fastest on the mobile
        return mobiles[-1].number
    if by_caller:
        return by_caller[-1].number
    return heard[-1].number if heard else None


def _patched_last_digit(turns: list[Turn], heard: list[SpokenNumber]) -> str | None:
    """"最后一位是幺" with no full number: fix the last digit of the number said just before."""
    for index in range(len(turns) - 1, -1, -1):
        turn = turns[index]
        fix = _LAST_DIGIT_FIX.search(turn.text)
        if not (turn.by_caller and fix):
            continue
        if any(h.turn_index == index for h in heard):
            return None  # the caller repeated the whole number: that wins
        before = [h for h in heard if h.turn_index < index]
        if before:
            return before[-1].number[:-1] + SPOKEN_DIGITS[fix.group(1)]
        return None
    return None
