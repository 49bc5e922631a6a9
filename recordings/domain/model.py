"""A stored call recording (通话录音) and the facts kept about it. Pure: no I/O.

One call has several recordings: the mix of the whole conversation on the mixing bridge (so an expert
in a three-way call is heard too), separate caller and agent tracks (snoop channels) for transcription,
or a voice message (留言) left outside office hours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from recordings.domain.errors import UnsupportedFormat


class RecordingKind(StrEnum):
    MIX = "mix"  # 混音: the whole conversation on the mixing bridge
    CALLER = "caller"  # 来电人声道 (snoop, spy=in on the caller's channel)
    AGENT = "agent"  # 话务员声道 (snoop on the agent's channel)
    VOICE_MESSAGE = "voice_message"  # 留言

    @property
    def label_zh(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    RecordingKind.MIX: "通话混音",
    RecordingKind.CALLER: "来电人声道",
    RecordingKind.AGENT: "话务员声道",
    RecordingKind.VOICE_MESSAGE: "留言",
}


class RecordingState(StrEnum):
    STORED = "stored"  # on disk, hash matched at the last check
    CORRUPT = "corrupt"  # the file's hash no longer matches: never served
    MISSING = "missing"  # the row exists, the file does not


@dataclass(frozen=True)
class AudioFormat:
    """How Asterisk writes one `format=` of a recording: MIME type, and bytes per second when raw."""

    name: str
    mime: str
    extension: str
    raw_bytes_per_second: float | None  # None: a container (WAV) whose header says it


FORMATS = {
    "wav": AudioFormat("wav", "audio/wav", "wav", None),
    "wav16": AudioFormat("wav16", "audio/wav", "wav16", None),
    "sln": AudioFormat("sln", "audio/L16;rate=8000", "sln", 16000.0),
    "sln16": AudioFormat("sln16", "audio/L16;rate=16000", "sln16", 32000.0),
    "ulaw": AudioFormat("ulaw", "audio/basic", "ulaw", 8000.0),
    "alaw": AudioFormat("alaw", "audio/x-alaw-basic", "alaw", 8000.0),
    "gsm": AudioFormat("gsm", "audio/x-gsm", "gsm", 1650.0),  # 33-byte frame every 20 ms
}


def audio_format(name: str) -> AudioFormat:
    """The format Asterisk recorded in; one the hotline does not know is refused."""
    found = FORMATS.get(name.lower())
    if found is None:
        raise UnsupportedFormat(f"不支持的录音格式: {name!r} (unsupported recording format; use one of {sorted(FORMATS)})")
    return found


@dataclass(frozen=True)
class AudioFacts:
    """What probing the file found: sample rate, channels and duration (seconds)."""

    sample_rate: int | None
    channels: int | None
    duration_s: float


def raw_duration(fmt: AudioFormat, size: int) -> float:
    """Duration of a headerless recording from its size."""
    if fmt.raw_bytes_per_second is None:
        raise ValueError(f"{fmt.name} has a header; probe it instead")
    return round(size / fmt.raw_bytes_per_second, 3)


@dataclass(frozen=True)
class Recording:
    """One stored recording and everything the hotline knows about it."""

    id: int | None
    name: str  # Asterisk's recording name (unique)
    call_id: str
    kind: RecordingKind
    format: str
    sample_rate: int | None
    channels: int | None
    duration_s: float
    size_bytes: int
    sha256: str
    stored_path: str  # relative to the recordings folder
    created_at: datetime
    retention_until: datetime
    state: RecordingState = RecordingState.STORED
    legal_hold: bool = False
    legal_hold_reason: str | None = None
    agent_user_id: int | None = None  # the agent who took the call, when known
    checked_at: datetime | None = None

    @property
    def mime(self) -> str:
        return audio_format(self.format).mime

    @property
    def download_name(self) -> str:
        """The file name offered to the browser (`Content-Disposition`)."""
        return f"{self.name}.{audio_format(self.format).extension}"

    def marked(self, state: RecordingState, at: datetime) -> Recording:
        return replace(self, state=state, checked_at=at)
