"""The speech-recognition port (语音转写接口): what the rest of the service asks of an ASR engine.

Two engines implement it: `asr.engines.vosk_engine.VoskTranscriber` (in-process Vosk, decoding in
worker processes) and `asr.engines.vosk_server.VoskServerTranscriber` (a pool of vosk-server instances
over their WebSocket protocol). `asr.engines.make_transcriber(settings)` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from asr.domain.transcript import UNKNOWN
from asr.transcript import Segment, Transcript


class AsrError(Exception):
    """Base of the ASR errors; each has a stable `error_id`."""

    error_id = "asr-error"


class AsrModelInvalid(AsrError):
    """VOSK_MODEL_PATH is unset, missing, or not a Vosk model folder (a model is never downloaded)."""

    error_id = "asr-model-invalid"


class AudioUnreadable(AsrError):
    """A recording that is missing or in a format that cannot be turned into 16-bit mono PCM."""

    error_id = "asr-audio-unreadable"


class AsrUnavailable(AsrError):
    """No engine could take the work: every vosk-server refused, or the worker pool broke."""

    error_id = "asr-unavailable"


class AsrCapacityExhausted(AsrError):
    """All live-stream slots are taken; the caller goes on without live text (transcribed after the call)."""

    error_id = "asr-capacity-exhausted"


@dataclass(frozen=True)
class AudioSource:
    """A recording to transcribe: a WAV file (any PCM/μ-law/A-law WAV, or raw .sln/.sln16) and its speaker.

    `phrases` restricts the recognizer to a phrase list (a Vosk grammar), for short answers with known
    wording; empty means free speech. `channel` (1-based) takes one channel of a multi-channel file,
    e.g. the caller's side of a stereo call recording; None mixes all channels.
    """

    path: Path
    speaker: str = UNKNOWN
    phrases: tuple[str, ...] = ()
    channel: int | None = None


class LiveStream(Protocol):
    """A streaming recognizer for one audio leg, fed 16-bit mono PCM as it arrives (实时转写)."""

    sample_rate: int
    speaker: str

    async def accept(self, pcm: bytes) -> list[Segment]:
        """Feed audio; returns the partial (final=False) and/or final segments it produced."""
        ...

    async def finish(self) -> list[Segment]:
        """End of audio: the last final segment, if any words were pending. The stream is then closed."""
        ...

    async def close(self) -> None:
        """Release the stream without a final result (idempotent)."""
        ...


class Transcriber(Protocol):
    """Turns recordings into transcripts and audio streams into segments, never blocking the event loop."""

    async def start(self) -> None:
        """Make sure the engine can work (model loaded / server reachable); raises an AsrError if not."""
        ...

    async def transcribe(self, audio: AudioSource) -> Transcript:
        """Transcribe one whole recording; segment times are seconds from its start."""
        ...

    async def open_stream(self, sample_rate: int, speaker: str = UNKNOWN) -> LiveStream:
        """A live recognizer at `sample_rate` Hz; raises AsrCapacityExhausted when no slot is free."""
        ...

    async def close(self) -> None:
        """Stop the workers / sessions (idempotent)."""
        ...
