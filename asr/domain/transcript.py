"""A call transcript as the draft extractor sees it: speaker-labelled turns (通话转写)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

CALLER = "caller"
AGENT = "agent"
UNKNOWN = "unknown"

_SPEAKER_ALIASES = {
    "caller": CALLER,
    "customer": CALLER,
    "来电人": CALLER,
    "来电": CALLER,
    "市民": CALLER,
    "客户": CALLER,
    "agent": AGENT,
    "operator": AGENT,
    "seat": AGENT,
    "话务员": AGENT,
    "坐席": AGENT,
    "座席": AGENT,
    "专席": AGENT,
}

_PREFIX = re.compile(r"^\s*(?P<who>[A-Za-z]+|[\u4e00-\u9fff]{2,3})\s*[:：]\s*(?P<text>.*)$")


class TranscriptError(ValueError):
    """A transcript that cannot be read."""

    error_id = "transcript-unreadable"


@dataclass(frozen=True)
class Turn:
    """One utterance: who spoke (caller / agent / unknown) and what the recognizer heard."""

    speaker: str
    text: str

    @property
    def by_caller(self) -> bool:
        return self.speaker in (CALLER, UNKNOWN)

    @property
    def by_agent(self) -> bool:
        return self.speaker in (AGENT, UNKNOWN)


def normalize_speaker(raw: str) -> str:
    return _SPEAKER_ALIASES.get(raw.strip().lower(), UNKNOWN)


def turns_from_json(document: Mapping[str, Any]) -> list[Turn]:
    """Turns from a transcript object with a "turns" list of {speaker, text} (an eval line also works)."""
    raw_turns = document.get("turns")
    if not isinstance(raw_turns, list):
        raise TranscriptError('转写文件缺少 "turns" 列表 (a "turns" list of {speaker, text} is required)')
    turns: list[Turn] = []
    for item in raw_turns:
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            raise TranscriptError('"turns" 中每一项都需要 speaker 和 text (each turn needs speaker and text)')
        turns.append(Turn(normalize_speaker(str(item.get("speaker", ""))), item["text"].strip()))
    return [t for t in turns if t.text]


def turns_from_lines(lines: Iterable[str]) -> list[Turn]:
    """Turns from plain text, one utterance a line, with optional "caller:" / "来电人：" style prefixes."""
    turns: list[Turn] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        match = _PREFIX.match(line)
        if match and normalize_speaker(match["who"]) != UNKNOWN:
            turns.append(Turn(normalize_speaker(match["who"]), match["text"].strip()))
        else:
            turns.append(Turn(UNKNOWN, line))
    return [t for t in turns if t.text]
