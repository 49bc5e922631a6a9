"""The local disk store of recordings (录音存储), rooted at `Settings.recordings_dir`.

- Paths come only from `recordings.domain.names` and are resolved again here: a path that would leave
  the root (a symlink pointing out, say) is refused with `recording-name-unsafe`.
- Writes are atomic: a hidden temporary file in the target folder, flushed and fsynced, then renamed
  over the final name; a failed or interrupted write leaves nothing under the final name.
- SHA-256 and the size are taken while writing, from the very bytes written.
Blocking file work runs in a thread so the event loop (and live calls) never wait on the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
import wave
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from recordings.domain.errors import RecordingFileMissing, UnsafeRecordingName
from recordings.domain.model import AudioFacts, AudioFormat, raw_duration
from recordings.domain.names import validate_stored_path

CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A file as written: where (relative to the root), how many bytes, and their SHA-256."""

    relative: str
    size: int
    sha256: str


class PartialWrite:
    """A temporary file being written next to its final place, hashed as it goes."""

    def __init__(self, final: Path, relative: str) -> None:
        self.final = final
        self.relative = relative
        self.temp = final.parent / f".{final.name}.{uuid.uuid4().hex}.part"
        self._hash = hashlib.sha256()
        self.size = 0
        self._file: BinaryIO = open(self.temp, "xb")  # closed in commit() or abort()

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def commit(self) -> StoredFile:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.temp, self.final)
        _fsync_dir(self.final.parent)
        return StoredFile(self.relative, self.size, self._hash.hexdigest())

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def hash_open_file(handle: BinaryIO) -> tuple[int, str]:
    """Size and SHA-256 of an open file from its start; leaves the position at the start again."""
    handle.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return size, digest.hexdigest()


class RecordingStore:
    """Recordings on the local disk under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, relative: str) -> Path:
        """The absolute path of a stored recording; refuses anything that leaves the root."""
        parts = validate_stored_path(relative)
        root = self.root.resolve()
        path = root.joinpath(*parts)
        resolved = path.resolve()
        if not resolved.is_relative_to(root) or resolved == root:
            raise UnsafeRecordingName(relative, "解析后的路径超出录音目录 (resolves outside the recordings folder)")
        return path

    def begin(self, relative: str) -> PartialWrite:
        """Start an atomic write of `relative` (its folders are created)."""
        final = self.path_for(relative)
        final.parent.mkdir(parents=True, exist_ok=True)
        # The folder now exists: resolve again, in case a folder on the way is a symlink out.
        self.path_for(relative)
        return PartialWrite(final, relative)

    async def write_stream(self, relative: str, chunks: AsyncIterable[bytes]) -> StoredFile:
        """Write the chunks atomically, hashing as they come."""
        partial = await asyncio.to_thread(self.begin, relative)
        try:
            async for chunk in chunks:
                await asyncio.to_thread(partial.write, chunk)
            return await asyncio.to_thread(partial.commit)
        except BaseException:
            await asyncio.to_thread(partial.abort)
            raise

    async def import_file(self, source: Path, relative: str) -> StoredFile:
        """Copy a local file (e.g. Asterisk's spool on this host) into the store, atomically."""

        def copy() -> StoredFile:
            partial = self.begin(relative)
            try:
                with open(source, "rb") as handle:
                    while chunk := handle.read(CHUNK):
                        partial.write(chunk)
                return partial.commit()
            except BaseException:
                partial.abort()
                raise

        return await asyncio.to_thread(copy)

    async def hash(self, relative: str) -> tuple[int, str] | None:
        """Size and SHA-256 of the stored file now, or None when it is gone."""

        def run() -> tuple[int, str] | None:
            try:
                with open(self.path_for(relative), "rb") as handle:
                    return hash_open_file(handle)
            except FileNotFoundError:
                return None

        return await asyncio.to_thread(run)

    async def open(self, relative: str) -> BinaryIO:
        """An open handle (binary, read); `recording-file-missing` when the file is gone."""
        path = self.path_for(relative)
        try:
            return await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError as exc:
            raise RecordingFileMissing(f"录音文件丢失: {relative} (file missing)") from exc

    async def delete(self, relative: str) -> bool:
        """Remove a stored file; False when it was already gone. Empty date folders are removed too."""

        def run() -> bool:
            path = self.path_for(relative)
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            root = self.root.resolve()
            folder = path.parent
            while folder.resolve() != root and folder.resolve().is_relative_to(root):
                try:
                    folder.rmdir()
                except OSError:
                    break
                folder = folder.parent
            return True

        return await asyncio.to_thread(run)

    async def probe(self, relative: str, fmt: AudioFormat, size: int) -> AudioFacts:
        """Sample rate, channels and duration: from the WAV header, or from the size for raw formats."""
        if fmt.raw_bytes_per_second is not None:
            rate = 16000 if fmt.name == "sln16" else 8000
            return AudioFacts(rate, 1, raw_duration(fmt, size))
        path = self.path_for(relative)

        def read_header() -> AudioFacts:
            with wave.open(str(path), "rb") as wav:
                rate = wav.getframerate()
                frames = wav.getnframes()
                return AudioFacts(rate, wav.getnchannels(), round(frames / rate, 3) if rate else 0.0)

        return await asyncio.to_thread(read_header)


async def read_chunks(handle: BinaryIO, size: int = CHUNK) -> AsyncIterator[bytes]:
    """The rest of an open file in chunks, each read in a thread."""
    while chunk := await asyncio.to_thread(handle.read, size):
        yield chunk
