"""The disk store on real WAV files: hashes while writing, atomic writes, durations, no way out of its root."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from recordings.adapters.store import RecordingStore
from recordings.domain.errors import UnsafeRecordingName
from recordings.domain.model import FORMATS
from tests.integration.recordings.support import write_wav


async def _chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_written_recording_has_the_hash_and_size_of_its_bytes(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "src.wav", 3.25).read_bytes()
    store = RecordingStore(tmp_path / "store")
    stored = await store.write_stream("2025/09/30/call-1-mix.wav", _chunks(wav))
    assert stored.sha256 == hashlib.sha256(wav).hexdigest()
    assert stored.size == len(wav)
    assert (tmp_path / "store/2025/09/30/call-1-mix.wav").read_bytes() == wav
    assert await store.hash(stored.relative) == (len(wav), stored.sha256)
    facts = await store.probe(stored.relative, FORMATS["wav"], stored.size)
    assert (facts.sample_rate, facts.channels, facts.duration_s) == (8000, 1, 3.25)


async def test_a_16_khz_recording_reports_its_own_rate_and_length(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    source = write_wav(tmp_path / "spool/vm.wav", 1.5, rate=16000)
    stored = await store.import_file(source, "2025/10/01/vm.wav")
    facts = await store.probe(stored.relative, FORMATS["wav"], stored.size)
    assert (facts.sample_rate, facts.duration_s) == (16000, 1.5)


async def test_a_write_that_fails_midway_leaves_nothing_under_the_final_name(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)

    async def broken() -> AsyncIterator[bytes]:
        yield b"RIFF" + b"\0" * 5000
        raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        await store.write_stream("2025/09/30/call-2-mix.wav", broken())
    folder = tmp_path / "2025/09/30"
    assert list(folder.iterdir()) == []  # neither the final file nor the temporary one


async def test_an_existing_recording_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    first = await store.write_stream("2025/09/30/a.wav", _chunks(b"first" * 100))

    async def broken() -> AsyncIterator[bytes]:
        yield b"second"
        raise OSError("disk full")

    with pytest.raises(OSError):
        await store.write_stream("2025/09/30/a.wav", broken())
    assert await store.hash("2025/09/30/a.wav") == (first.size, first.sha256)


@pytest.mark.parametrize(
    "relative",
    ["../outside.wav", "/etc/passwd", "2025/../../outside.wav", "..%2foutside.wav", "2025/09/30/a b.wav"],
)
async def test_paths_that_would_leave_the_root_are_refused(tmp_path: Path, relative: str) -> None:
    store = RecordingStore(tmp_path / "store")
    with pytest.raises(UnsafeRecordingName):
        await store.write_stream(relative, _chunks(b"x"))
    with pytest.raises(UnsafeRecordingName):
        store.path_for(relative)
    assert not (tmp_path / "outside.wav").exists()


async def test_a_symlinked_folder_pointing_out_of_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = tmp_path / "store"
    root.mkdir()
    os.symlink(outside, root / "2025")
    store = RecordingStore(root)
    with pytest.raises(UnsafeRecordingName):
        await store.write_stream("2025/09/30/x.wav", _chunks(b"data"))
    assert list(outside.rglob("*")) == []
    with pytest.raises(UnsafeRecordingName):
        await store.hash("2025/09/30/x.wav")


async def test_deleting_removes_the_file_and_its_empty_date_folders(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "store")
    await store.write_stream("2025/09/30/a.wav", _chunks(b"a"))
    await store.write_stream("2025/09/30/b.wav", _chunks(b"b"))
    assert await store.delete("2025/09/30/a.wav")
    assert (tmp_path / "store/2025/09/30/b.wav").exists()
    assert await store.delete("2025/09/30/b.wav")
    assert not (tmp_path / "store/2025").exists()
    assert (tmp_path / "store").is_dir()
    assert not await store.delete("2025/09/30/b.wav")
