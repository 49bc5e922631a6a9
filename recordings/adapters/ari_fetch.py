"""Bring a finished recording over from Asterisk on another host (ARI stored recordings, 录音拉取).

`GET /ari/recordings/stored/{name}` (it exists, in the format we expect), then
`GET /ari/recordings/stored/{name}/file` streamed straight into the store, then checks: the bytes
received equal `Content-Length`, and the file re-read from our disk has the hash taken while writing.
Only after the caller has committed its row does `release(name)` delete the recording in Asterisk
(`DELETE /ari/recordings/stored/{name}`), when `delete_after_fetch` is on, so a crash in between
leaves the recording in Asterisk rather than nowhere.

Uses callflow's `AriClient` (its session, URL and credentials); only the file download is done here,
because the client's `stored_recording_file` reads the whole file into memory.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import aiohttp

from callflow.ari.client import AriClient
from callflow.ari.errors import AriError, AriUnavailable, NotFound
from recordings.adapters.store import CHUNK, RecordingStore, StoredFile
from recordings.domain.errors import RecordingFetchFailed, RecordingSourceMissing
from recordings.domain.model import AudioFormat
from recordings.domain.names import validate_name

log = logging.getLogger(__name__)


class AriStoredRecordings:
    """A recording source: Asterisk's stored recordings over ARI."""

    kind = "ari"

    def __init__(
        self, client: AriClient, *, delete_after_fetch: bool = True, read_timeout_s: float = 30.0
    ) -> None:
        self.client = client
        self.delete_after_fetch = delete_after_fetch
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=5.0, sock_read=read_timeout_s)

    async def bring(self, name: str, fmt: AudioFormat, store: RecordingStore, relative: str) -> StoredFile:
        """Download `name` into the store at `relative`; refuses a short, long or altered transfer."""
        validate_name(name)
        await self._check_exists(name, fmt)
        url = f"{self.client.base_url}/ari/recordings/stored/{quote(name, safe='')}/file"
        try:
            async with self.client.session.get(url, headers=self.client.headers, timeout=self.timeout) as resp:
                if resp.status == 404:
                    raise RecordingSourceMissing(f"Asterisk 中没有录音 {name} (no stored recording)")
                if resp.status >= 400:
                    body = (await resp.text())[:200]
                    raise RecordingFetchFailed(f"拉取录音 {name} 失败: HTTP {resp.status} {body} (download failed)")
                expected = resp.content_length
                stored = await store.write_stream(relative, resp.content.iter_chunked(CHUNK))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RecordingFetchFailed(
                f"拉取录音 {name} 中断: {type(exc).__name__}: {exc} (download interrupted)"
            ) from exc
        if expected is not None and stored.size != expected:
            await store.delete(relative)
            raise RecordingFetchFailed(
                f"录音 {name} 大小不符: 收到 {stored.size} 字节, 应为 {expected} 字节 (size mismatch)"
            )
        on_disk = await store.hash(relative)
        if on_disk != (stored.size, stored.sha256):
            await store.delete(relative)
            raise RecordingFetchFailed(f"录音 {name} 写入磁盘后哈希不符 (hash changed on disk)")
        return stored

    async def _check_exists(self, name: str, fmt: AudioFormat) -> None:
        try:
            meta = await self.client.request("GET", f"/recordings/stored/{quote(name, safe='')}")
        except NotFound as exc:
            raise RecordingSourceMissing(f"Asterisk 中没有录音 {name} (no stored recording)") from exc
        except AriUnavailable as exc:
            raise RecordingFetchFailed(f"无法连接 Asterisk: {exc.message} (Asterisk unreachable)") from exc
        except AriError as exc:
            raise RecordingFetchFailed(f"查询录音 {name} 失败: {exc} (lookup failed)") from exc
        found = str((meta or {}).get("format", ""))
        if found and found != fmt.name:
            raise RecordingFetchFailed(
                f"录音 {name} 的格式为 {found}, 而登记为 {fmt.name} (format differs from what was recorded)"
            )

    async def release(self, name: str) -> None:
        """Delete the recording in Asterisk once we hold it (when configured); failures only log."""
        if not self.delete_after_fetch:
            return
        try:
            await self.client.request("DELETE", f"/recordings/stored/{quote(name, safe='')}")
        except NotFound:
            return
        except AriError as exc:
            log.warning("could not delete stored recording %s in Asterisk: %s", name, exc)
