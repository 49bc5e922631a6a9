"""Formats, raw durations and integrity verdicts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recordings.domain.errors import UnsupportedFormat
from recordings.domain.integrity import check
from recordings.domain.model import (
    FORMATS,
    Recording,
    RecordingKind,
    RecordingState,
    audio_format,
    raw_duration,
)


def test_known_formats_have_their_mime_types() -> None:
    assert audio_format("wav").mime == "audio/wav"
    assert audio_format("WAV").name == "wav"
    assert audio_format("ulaw").mime == "audio/basic"


def test_an_unknown_format_is_refused_with_a_stable_error() -> None:
    with pytest.raises(UnsupportedFormat) as refused:
        audio_format("mp3")
    assert refused.value.error_id == "recording-format-unsupported"


@pytest.mark.parametrize(
    ("fmt", "size", "seconds"),
    [("sln", 160_000, 10.0), ("sln16", 320_000, 10.0), ("ulaw", 80_000, 10.0), ("gsm", 16_500, 10.0)],
)
def test_raw_formats_take_their_duration_from_the_size(fmt: str, size: int, seconds: float) -> None:
    assert raw_duration(FORMATS[fmt], size) == seconds


def test_a_container_format_must_be_probed() -> None:
    with pytest.raises(ValueError):
        raw_duration(FORMATS["wav"], 1000)


REC = Recording(
    id=5,
    name="call-9-mix",
    call_id="call-9",
    kind=RecordingKind.MIX,
    format="wav",
    sample_rate=8000,
    channels=1,
    duration_s=1.0,
    size_bytes=16044,
    sha256="ab" * 32,
    stored_path="2025/09/30/call-9-mix.wav",
    created_at=datetime(2025, 9, 30, tzinfo=UTC),
    retention_until=datetime(2026, 9, 30, tzinfo=UTC),
)


def test_integrity_verdicts() -> None:
    assert check(REC, "ab" * 32, 16044).state is RecordingState.STORED
    assert check(REC, "cd" * 32, 16044).state is RecordingState.CORRUPT
    assert check(REC, "ab" * 32, 16045).state is RecordingState.CORRUPT
    missing = check(REC, None, None)
    assert missing.state is RecordingState.MISSING and not missing.ok
    assert "哈希不符" in check(REC, "cd" * 32, 16044).describe()


def test_the_download_name_carries_the_format() -> None:
    assert REC.download_name == "call-9-mix.wav"
    assert REC.kind.label_zh == "通话混音"
