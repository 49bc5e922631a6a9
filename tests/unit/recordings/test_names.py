"""Recording names become file names and ARI path segments: only plain names pass."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recordings.domain.errors import UnsafeRecordingName
from recordings.domain.names import stored_path, validate_name, validate_stored_path


@pytest.mark.parametrize(
    "name",
    ["call-1f2e3d4c-mix", "vm_13800138000_20251001", "a", "call.1.caller", "X" * 128],
)
def test_plain_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "..",
        ".hidden",
        "/etc/passwd",
        "a/b",
        "..\\windows",
        "a\\b",
        "%2e%2e%2fetc",
        "..%2f..%2fetc",
        "call%00",
        "call\x00.wav",
        "call 1",
        "录音",
        "",
        "-rf",
        "X" * 129,
        "name..wav",
    ],
)
def test_names_that_could_escape_or_confuse_are_refused(name: str) -> None:
    with pytest.raises(UnsafeRecordingName) as refused:
        validate_name(name)
    assert refused.value.error_id == "recording-name-unsafe"


def test_stored_path_is_dated_by_the_utc_day() -> None:
    created = datetime(2025, 9, 30, 17, 30, tzinfo=UTC)
    assert stored_path("call-1-mix", "wav", created) == "2025/09/30/call-1-mix.wav"


@pytest.mark.parametrize("relative", ["/abs/x.wav", "2025/../../x.wav", "2025\\x.wav", "", "2025//x.wav"])
def test_stored_paths_read_back_are_checked_again(relative: str) -> None:
    with pytest.raises(UnsafeRecordingName):
        validate_stored_path(relative)


def test_a_bad_extension_is_refused() -> None:
    with pytest.raises(UnsafeRecordingName):
        stored_path("call-1", "wav/../x", datetime(2025, 1, 1, tzinfo=UTC))
