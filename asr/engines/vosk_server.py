"""The vosk-server engine: transcription on a pool of vosk-server instances over WebSocket (Vosk 服务集群).

The protocol (alphacep/vosk-server, websocket/asr_server.py): a text message
`{"config": {"sample_rate": 8000, "words": 1}}` (optionally "phrase_list"), then binary chunks of
16-bit mono PCM, each answered by one message (`{"partial": ...}` or a final `{"result": [...],
"text": ...}`), then the text `{"eof" : 1}` (the server compares that exact string), answered by the
final result, after which the server closes. HOTLINE_ASR_URL holds one or more ws:// URLs separated
by commas; each job goes to the server with the fewest jobs in flight, the next one if it refuses.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from asr.domain.transcript import UNKNOWN
from asr.engines.audio import read_pcm16_mono
from asr.engines.vosk_engine import CHUNK_SECONDS
from asr.engines.vosk_result import final_segment, is_partial, parse_message, partial_segment
from asr.ports import AsrCapacityExhausted, AsrUnavailable, AudioSource
from asr.transcript import Segment, Transcript

log = logging.getLogger(__name__)

EOF_MESSAGE = '{"eof" : 1}'


def parse_server_urls(value: str) -> list[str]:
    """The ws:// URLs in HOTLINE_ASR_URL ("ws://a:2700, ws://b:2700")."""
    urls = [u.strip() for u in value.split(",") if u.strip()]
    for url in urls:
        if not url.startswith(("ws://", "wss://")):
            raise ValueError(f"HOTLINE_ASR_URL 需要 ws:// 或 wss:// 地址 (needs ws:// URLs): {url}")
    if not urls:
        raise ValueError("HOTLINE_ASR_URL is empty")
    return urls


@dataclass
class _Server:
    url: str
    in_flight: int = 0
    failures: int = 0


class VoskServerTranscriber:
    """`Transcriber` that sends audio to vosk-server instances; decoding load is theirs, not ours."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        chunk_seconds: float = CHUNK_SECONDS,
        connect_timeout: float = 5.0,
        reply_timeout: float = 60.0,
        max_streams_per_server: int = 8,
    ) -> None:
        if not urls:
            raise ValueError("at least one vosk-server URL is needed")
        self._servers = [_Server(url) for url in urls]
        self.chunk_seconds = chunk_seconds
        self.connect_timeout = connect_timeout
        self.reply_timeout = reply_timeout
        self.max_streams_per_server = max_streams_per_server
        self._session: aiohttp.ClientSession | None = None
        self._turn = 0

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self._servers]

    async def start(self) -> None:
        """Check that at least one server accepts a WebSocket connection."""
        errors = []
        for server in self._servers:
            try:
                ws = await self._connect(server)
            except AsrUnavailable as exc:
                errors.append(str(exc))
                continue
            await ws.close()
            return
        raise AsrUnavailable("; ".join(errors))

    async def transcribe(self, audio: AudioSource) -> Transcript:
        pcm, rate = await asyncio.to_thread(read_pcm16_mono, audio.path, audio.channel)
        duration = len(pcm) / 2 / rate if rate else 0.0
        segments: list[Segment] = []
        if pcm:
            ws, server = await self._connect_any()
            try:
                results = await self._exchange(ws, pcm, rate, audio.phrases)
            finally:
                server.in_flight -= 1
                await ws.close()
            segments = [s for r in results if (s := final_segment(r, audio.speaker)) is not None]
        return Transcript(
            segments=tuple(segments),
            duration=duration,
            sample_rate=rate,
            source=str(audio.path),
            speakers=(audio.speaker,),
        )

    async def _exchange(
        self, ws: aiohttp.ClientWebSocketResponse, pcm: bytes, rate: int, phrases: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Send config, audio and eof; collect the final results (one reply per message sent)."""
        await ws.send_str(json.dumps({"config": _config(rate, phrases)}, ensure_ascii=False))
        step = max(2, int(rate * self.chunk_seconds) * 2)
        chunks = [pcm[i : i + step] for i in range(0, len(pcm), step)]
        reader = asyncio.ensure_future(self._read_replies(ws, len(chunks) + 1))
        try:
            for chunk in chunks:
                await ws.send_bytes(chunk)
                if reader.done():
                    break
            if not reader.done():
                await ws.send_str(EOF_MESSAGE)
            return await reader
        except (aiohttp.ClientError, ConnectionResetError) as exc:
            raise AsrUnavailable(f"vosk-server 连接中断 (connection lost): {exc}") from exc
        finally:
            if not reader.done():
                reader.cancel()

    async def _read_replies(self, ws: aiohttp.ClientWebSocketResponse, expected: int) -> list[dict[str, Any]]:
        finals: list[dict[str, Any]] = []
        for _ in range(expected):
            result = await _receive_result(ws, self.reply_timeout)
            if not is_partial(result):
                finals.append(result)
        return finals

    async def open_stream(self, sample_rate: int, speaker: str = UNKNOWN) -> ServerLiveStream:
        ws, server = await self._connect_any(limit=self.max_streams_per_server)
        try:
            await ws.send_str(json.dumps({"config": _config(sample_rate, ())}))
        except BaseException:
            server.in_flight -= 1
            await ws.close()
            raise
        return ServerLiveStream(ws, server, sample_rate, speaker, self.reply_timeout)

    async def _connect_any(self, limit: int | None = None) -> tuple[aiohttp.ClientWebSocketResponse, _Server]:
        """A connection to the least busy server that answers; the server's in-flight count is taken."""
        self._turn += 1
        n = len(self._servers)
        rotated = [self._servers[(self._turn + i) % n] for i in range(n)]
        candidates = sorted(rotated, key=lambda s: (s.in_flight, s.failures))
        if limit is not None:
            candidates = [s for s in candidates if s.in_flight < limit]
            if not candidates:
                raise AsrCapacityExhausted("所有 vosk-server 的实时转写通道已满 (all live slots in use)")
        errors = []
        for server in candidates:
            server.in_flight += 1
            try:
                ws = await self._connect(server)
            except AsrUnavailable as exc:
                server.in_flight -= 1
                errors.append(str(exc))
                continue
            return ws, server
        raise AsrUnavailable("没有可用的 vosk-server (no vosk-server answered): " + "; ".join(errors))

    async def _connect(self, server: _Server) -> aiohttp.ClientWebSocketResponse:
        session = self._ensure_session()
        try:
            ws = await session.ws_connect(
                server.url,
                timeout=aiohttp.ClientWSTimeout(ws_close=self.connect_timeout),
                max_msg_size=0,
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            server.failures += 1
            log.warning("vosk-server %s refused: %s", server.url, exc)
            raise AsrUnavailable(f"{server.url}: {exc.__class__.__name__} {exc}") from exc
        server.failures = 0
        return ws

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class ServerLiveStream:
    """One live leg on a vosk-server connection: each chunk sent gets exactly one reply."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        server: _Server,
        sample_rate: int,
        speaker: str,
        reply_timeout: float,
    ) -> None:
        self.sample_rate = sample_rate
        self.speaker = speaker
        self._ws: aiohttp.ClientWebSocketResponse | None = ws
        self._server = server
        self._reply_timeout = reply_timeout
        self._lock = asyncio.Lock()
        self._samples = 0
        self._segment_start = 0.0

    @property
    def position(self) -> float:
        return self._samples / self.sample_rate

    async def accept(self, pcm: bytes) -> list[Segment]:
        if not pcm:
            return []
        async with self._lock:
            ws = self._require_open()
            await ws.send_bytes(pcm)
            self._samples += len(pcm) // 2
            return self._segments(await _receive_result(ws, self._reply_timeout))

    async def finish(self) -> list[Segment]:
        async with self._lock:
            ws = self._require_open()
            try:
                if self._samples == 0:  # vosk-server has no recognizer before the first audio
                    return []
                await ws.send_str(EOF_MESSAGE)
                return self._segments(await _receive_result(ws, self._reply_timeout))
            finally:
                await self._close_now()

    async def close(self) -> None:
        async with self._lock:
            await self._close_now()

    def _segments(self, result: dict[str, Any]) -> list[Segment]:
        if is_partial(result):
            segment = partial_segment(result, self.speaker, self._segment_start, self.position)
        else:
            segment = final_segment(result, self.speaker)
            self._segment_start = self.position
        return [segment] if segment is not None else []

    def _require_open(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            raise AsrUnavailable("live stream already finished")
        return self._ws

    async def _close_now(self) -> None:
        if self._ws is not None:
            ws, self._ws = self._ws, None
            self._server.in_flight -= 1
            await ws.close()


def _config(rate: int, phrases: Sequence[str]) -> dict[str, Any]:
    config: dict[str, Any] = {"sample_rate": rate, "words": 1}
    if phrases:
        config["phrase_list"] = [*phrases, "[unk]"]
    return config


async def _receive_result(ws: aiohttp.ClientWebSocketResponse, reply_timeout: float) -> dict[str, Any]:
    try:
        msg = await ws.receive(timeout=reply_timeout)
    except TimeoutError as exc:
        raise AsrUnavailable(f"vosk-server 无响应 (no reply within {reply_timeout:.0f} s)") from exc
    if msg.type == aiohttp.WSMsgType.TEXT:
        try:
            return parse_message(msg.data)
        except ValueError as exc:
            raise AsrUnavailable(f"vosk-server 返回了无法解析的消息 (bad reply): {msg.data!r}") from exc
    detail = f"{msg.type.name} {msg.data!r} {msg.extra!r}" if msg.type != aiohttp.WSMsgType.CLOSED else "closed"
    raise AsrUnavailable(f"vosk-server 提前关闭了连接 (server ended the session early: {detail})")
