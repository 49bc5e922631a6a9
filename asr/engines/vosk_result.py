"""Vosk's JSON results (the same from the library and from vosk-server) turned into Segments."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from asr.transcript import Segment, Word


def parse_message(raw: str | bytes) -> dict[str, Any]:
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"not a Vosk result object: {raw!r}")
    return data


def final_segment(result: Mapping[str, Any], speaker: str) -> Segment | None:
    """A final segment from a Result()/FinalResult() object with word timings; None if nothing was heard."""
    words = tuple(
        Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
        for w in result.get("result", ())
    )
    text = str(result.get("text", "")).strip() or " ".join(w.text for w in words)
    if not text:
        return None
    start = words[0].start if words else 0.0
    end = words[-1].end if words else start
    return Segment(speaker=speaker, text=text, start=start, end=end, words=words, final=True)


def partial_segment(result: Mapping[str, Any], speaker: str, start: float, end: float) -> Segment | None:
    """A partial segment from a PartialResult() object, spanning the audio since the last final one."""
    text = str(result.get("partial", "")).strip()
    if not text:
        return None
    return Segment(speaker=speaker, text=text, start=start, end=end, words=(), final=False)


def is_partial(result: Mapping[str, Any]) -> bool:
    return "partial" in result
