"""Pick up a finished recording from Asterisk's own folder when it runs on this host (本机录音目录).

Asterisk writes `<name>.<format>` under its recording spool (usually /var/spool/asterisk/recording);
the file is copied into the store atomically with its hash, and the copy's size checked against the
source. `release` removes the source only when `delete_after_pickup` is on.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from recordings.adapters.store import RecordingStore, StoredFile
from recordings.domain.errors import RecordingFetchFailed, RecordingSourceMissing
from recordings.domain.model import AudioFormat
from recordings.domain.names import validate_name


class SpoolFolder:
    """A recording source: a local folder Asterisk records into."""

    kind = "spool"

    def __init__(self, folder: Path, *, delete_after_pickup: bool = False) -> None:
        self.folder = Path(folder)
        self.delete_after_pickup = delete_after_pickup
        self._formats: dict[str, str] = {}

    def _source(self, name: str, extension: str) -> Path:
        return self.folder / f"{validate_name(name)}.{extension}"

    async def bring(self, name: str, fmt: AudioFormat, store: RecordingStore, relative: str) -> StoredFile:
        source = self._source(name, fmt.extension)
        try:
            before = (await asyncio.to_thread(source.stat)).st_size
        except FileNotFoundError as exc:
            raise RecordingSourceMissing(f"录音目录中没有 {source.name} (no such file in the spool)") from exc
        stored = await store.import_file(source, relative)
        if stored.size != before:
            await store.delete(relative)
            raise RecordingFetchFailed(f"录音 {name} 复制时大小变化 (the file changed while copying)")
        self._formats[name] = fmt.extension
        return stored

    async def release(self, name: str) -> None:
        extension = self._formats.pop(name, None)
        if not self.delete_after_pickup or extension is None:
            return
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self._source(name, extension).unlink)
