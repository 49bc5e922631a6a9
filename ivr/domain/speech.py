"""Prompt text as the synthesizer should read it (播报文本): pure text rules, no audio.

espeak-ng's Mandarin voice reads "12345" as a quantity (一万两千三百四十五) and "*"/"#" as English
words. Hotline callers expect numbers of three or more digits read digit by digit, with 1 as 幺
(phone style: 幺二三四五), and the keys named 星号 / 井号.
"""

from __future__ import annotations

import re

_DIGITS = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
_KEYS = {"*": "星号", "#": "井号"}


def spoken_text(text: str) -> str:
    """The text to synthesize for a prompt's display text."""
    text = re.sub(r"\d{3,}", lambda m: "".join(_DIGITS[d] for d in m.group()), text)
    for key, word in _KEYS.items():
        text = text.replace(f"{key}键", f"{word}键").replace(key, f"{word}键")
    return text
