"""What a recognizer heard, with timings: words, segments and a whole call transcript (通话转写稿).

Pure data: no I/O, no Vosk. The engines build these; the draft extractor reads `Transcript.to_turns()`.
A call's caller and agent tracks are transcribed apart and merged with `merge_tracks`, which orders
the segments of both speakers by time into one speaker-labelled transcript.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from asr.domain.transcript import AGENT, CALLER, UNKNOWN

SPEAKERS = (CALLER, AGENT, UNKNOWN)

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Chinese models put a space between every word ("我 想 咨询 一下"); Chinese text has none.
_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}])\s+(?=[{_HAN}])")


class TranscriptFormatError(ValueError):
    """A transcript JSON document that does not have the expected fields."""

    error_id = "transcript-format-invalid"


def join_words(text: str) -> str:
    """Recognizer text as people write it: no spaces between Chinese characters, single spaces elsewhere."""
    collapsed = " ".join(text.split())
    return _SPACE_BETWEEN_HAN.sub("", collapsed)


@dataclass(frozen=True)
class Word:
    """One recognized word with its time span in seconds from the start of the audio and a confidence 0–1."""

    text: str
    start: float
    end: float
    conf: float

    def shifted(self, offset: float) -> Word:
        return replace(self, start=self.start + offset, end=self.end + offset)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": _r(self.start), "end": _r(self.end), "conf": _r(self.conf)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Word:
        try:
            text = data["text"] if "text" in data else data["word"]
            return cls(str(text), float(data["start"]), float(data["end"]), float(data.get("conf", 1.0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise TranscriptFormatError(f"词条格式错误 (bad word entry): {data!r}") from exc


@dataclass(frozen=True)
class Segment:
    """One utterance (一句话) of one speaker: final once the recognizer has settled it, partial before."""

    speaker: str
    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()
    final: bool = True

    @property
    def confidence(self) -> float | None:
        """Mean word confidence, or None for a segment without word timings (a partial)."""
        if not self.words:
            return None
        return sum(w.conf for w in self.words) / len(self.words)

    def shifted(self, offset: float) -> Segment:
        return replace(
            self,
            start=self.start + offset,
            end=self.end + offset,
            words=tuple(w.shifted(offset) for w in self.words),
        )

    def by(self, speaker: str) -> Segment:
        return replace(self, speaker=speaker)

    def to_json(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "text": self.text,
            "start": _r(self.start),
            "end": _r(self.end),
            "final": self.final,
            "words": [w.to_json() for w in self.words],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Segment:
        try:
            words = tuple(Word.from_json(w) for w in data.get("words", ()))
            return cls(
                speaker=str(data.get("speaker", UNKNOWN)),
                text=str(data["text"]),
                start=float(data["start"]),
                end=float(data["end"]),
                words=words,
                final=bool(data.get("final", True)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TranscriptFormatError(f"语句格式错误 (bad segment entry): {data!r}") from exc


@dataclass(frozen=True)
class Transcript:
    """A recording's (or a whole call's) final segments in time order, its duration and sample rate."""

    segments: tuple[Segment, ...]
    duration: float
    sample_rate: int
    source: str | None = None
    speakers: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.speakers:  # who speaks, in order of first appearance, unless the track said so
            object.__setattr__(self, "speakers", _speakers_in(self.segments))

    @property
    def text(self) -> str:
        return join_words(" ".join(s.text for s in self.segments))

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def by(self, speaker: str) -> Transcript:
        """The same transcript with every segment attributed to `speaker` (one track = one speaker)."""
        return replace(self, segments=tuple(s.by(speaker) for s in self.segments), speakers=(speaker,))

    def to_turns(self) -> list[dict[str, str]]:
        """{speaker, text} turns for the draft extractor; a speaker's consecutive segments form one turn."""
        turns: list[dict[str, str]] = []
        for segment in self.segments:
            text = join_words(segment.text)
            if not text:
                continue
            if turns and turns[-1]["speaker"] == segment.speaker:
                turns[-1]["text"] = join_words(f"{turns[-1]['text']} {text}")
            else:
                turns.append({"speaker": segment.speaker, "text": text})
        return turns

    def to_json(self) -> dict[str, Any]:
        """The JSON document `hotline transcribe` writes; its "turns" list is what `hotline draft` reads."""
        return {
            "source": self.source,
            "duration": _r(self.duration),
            "sample_rate": self.sample_rate,
            "speakers": list(self.speakers),
            "text": self.text,
            "segments": [s.to_json() for s in self.segments],
            "turns": self.to_turns(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Transcript:
        raw = data.get("segments")
        if not isinstance(raw, list):
            raise TranscriptFormatError('转写稿缺少 "segments" 列表 (a "segments" list is required)')
        try:
            segments = tuple(Segment.from_json(s) for s in raw)
            return cls(
                segments=segments,
                duration=float(data.get("duration", max((s.end for s in segments), default=0.0))),
                sample_rate=int(data.get("sample_rate", 0)),
                source=data.get("source"),
                speakers=tuple(data.get("speakers") or _speakers_in(segments)),
            )
        except (TypeError, ValueError) as exc:
            raise TranscriptFormatError(f"转写稿格式错误 (bad transcript): {exc}") from exc


def merge_tracks(tracks: Sequence[Transcript], *, source: str | None = None) -> Transcript:
    """One speaker-labelled transcript of a call from its separately transcribed tracks (caller, agent).

    The tracks were recorded on the same bridge and start together, so their times are comparable;
    segments are ordered by start time (ties: the earlier end first, then the caller first).
    """
    if not tracks:
        raise ValueError("merge_tracks needs at least one track")
    order = {speaker: i for i, speaker in enumerate(SPEAKERS)}
    segments = sorted(
        (s for t in tracks for s in t.segments),
        key=lambda s: (s.start, s.end, order.get(s.speaker, len(order))),
    )
    speakers: list[str] = []
    for track in tracks:
        for speaker in track.speakers:
            if speaker not in speakers:
                speakers.append(speaker)
    return Transcript(
        segments=tuple(segments),
        duration=max(t.duration for t in tracks),
        sample_rate=max(t.sample_rate for t in tracks),
        source=source,
        speakers=tuple(speakers),
    )


def _speakers_in(segments: Iterable[Segment]) -> tuple[str, ...]:
    seen: list[str] = []
    for s in segments:
        if s.speaker not in seen:
            seen.append(s.speaker)
    return tuple(seen)


def _r(value: float) -> float:
    return round(value, 3)
