"""Live transcription of bridged calls (通话实时转写): snoop → externalMedia → RTP → streaming recognizer.

When a `BridgedCall` is answered, `LiveTranscriber` opens one live stream per party on the ASR engine
(`Transcriber.open_stream`), and for the caller and the agent each:

1. an `RtpReceiver` on an OS-allocated UDP port (`asr.rtp`);
2. a snoop on the party's channel (`spy=in`: that party's own voice, args `snoop`);
3. an externalMedia channel (`format=slin16`, RTP over UDP to the receiver's `host:port`);
4. a mixing bridge `<app>-live-<call>-<party>` holding the snoop and the externalMedia channel, so the
   party's voice flows out as RTP.

The receiver's PCM (reordered, gaps filled) is fed to the stream in `chunk_s` pieces; the partial and
final segments go to `LiveTranscripts`, an in-process pub/sub kept for the call (the agent's console
subscribes; `GET /api/v1/calls/{id}/live` lists them). When the call ends the externalMedia and snoop
channels are hung up, the bridges destroyed, the receivers closed and the streams finished.

No engine configured, or no live slot free (`AsrCapacityExhausted`): the call goes on without live
text (one log line, no channel created); it is still transcribed from its recordings after the call.
The snoop and externalMedia channels sit in the caller session's `helper_channels` and the bridges in
its `bridges`, so a reconnect's reconcile leaves them alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from asr.ports import AsrCapacityExhausted, AsrError, LiveStream
from asr.rtp import FORMATS, RtpReceiver
from asr.transcript import Segment
from callflow.ari.client import AriClient
from callflow.ari.errors import AriError
from callflow.seat.bridged import BridgedCall
from callflow.seat.recording import SNOOP_ARGS

if TYPE_CHECKING:
    from callflow.seat.services import SeatQueue
    from callflow.session import CallSession

log = logging.getLogger(__name__)

PARTIES = ("caller", "agent")


class LiveEngine(Protocol):
    """What live transcription needs of an ASR engine (`asr.ports.Transcriber` has it)."""

    async def open_stream(self, sample_rate: int, speaker: str = ...) -> LiveStream: ...


# --- the pub/sub ---------------------------------------------------------------------------------


@dataclass
class _CallText:
    agent: str
    finals: list[Segment] = field(default_factory=list)
    partials: dict[str, Segment] = field(default_factory=dict)
    subscribers: list[asyncio.Queue[Segment | None]] = field(default_factory=list)
    ended: bool = False

    def so_far(self) -> list[Segment]:
        return sorted([*self.finals, *self.partials.values()], key=lambda s: (s.start, s.end))


class LiveTranscripts:
    """Segments of live calls (实时字幕), by call id: published as they come, kept after the call.

    `subscribe(call_id)` yields the segments so far (finals and current partials), then every new partial and final segment,
    and ends when the call ends. The last `keep_ended` ended calls stay readable (the draft, late
    viewers); older ones are forgotten.
    """

    def __init__(self, keep_ended: int = 200) -> None:
        self.keep_ended = keep_ended
        self._calls: OrderedDict[str, _CallText] = OrderedDict()

    def begin(self, call_id: str, agent: str) -> None:
        self._calls[call_id] = _CallText(agent)

    def agent_of(self, call_id: str) -> str | None:
        text = self._calls.get(call_id)
        return None if text is None else text.agent

    def publish(self, call_id: str, segment: Segment) -> None:
        text = self._calls.get(call_id)
        if text is None or text.ended:
            return
        if segment.final:
            text.partials.pop(segment.speaker, None)
            if segment.text:
                text.finals.append(segment)
        else:
            text.partials[segment.speaker] = segment
        for queue in text.subscribers:
            queue.put_nowait(segment)

    def end(self, call_id: str) -> None:
        text = self._calls.get(call_id)
        if text is None or text.ended:
            return
        text.ended = True
        text.partials.clear()
        for queue in text.subscribers:
            queue.put_nowait(None)
        text.subscribers.clear()
        self._calls.move_to_end(call_id)
        ended = [cid for cid, t in self._calls.items() if t.ended]
        for old in ended[: max(0, len(ended) - self.keep_ended)]:
            del self._calls[old]

    def segments(self, call_id: str) -> list[Segment] | None:
        """Final segments so far plus each party's current partial, by start time; None if unknown."""
        text = self._calls.get(call_id)
        return None if text is None else text.so_far()

    def is_live(self, call_id: str) -> bool:
        text = self._calls.get(call_id)
        return text is not None and not text.ended

    def subscribe(self, call_id: str) -> AsyncIterator[Segment]:
        """From this moment on nothing is missed: what was said so far (the finals and each party's
        current partial — a viewer joining mid-sentence sees it), then every update, until the end."""
        queue: asyncio.Queue[Segment | None] = asyncio.Queue()
        text = self._calls.get(call_id)
        for segment in [] if text is None else text.so_far():
            queue.put_nowait(segment)
        if text is None or text.ended:
            queue.put_nowait(None)
        else:
            text.subscribers.append(queue)
        return self._updates(text, queue)

    @staticmethod
    async def _updates(text: _CallText | None, queue: asyncio.Queue[Segment | None]) -> AsyncIterator[Segment]:
        try:
            while (update := await queue.get()) is not None:
                yield update
        finally:
            if text is not None and queue in text.subscribers:
                text.subscribers.remove(queue)


# --- one party's tap -----------------------------------------------------------------------------


@dataclass
class LiveTap:
    """One party's voice on its way to a live stream: snoop + externalMedia in a bridge, and our receiver."""

    call_id: str
    party: str
    channel_id: str
    stream: LiveStream
    snoop_id: str
    media_id: str
    bridge_id: str
    receiver: RtpReceiver | None = None
    pump: asyncio.Task[None] | None = None
    pcm_bytes: int = 0
    segments: int = 0

    async def open(self, client: AriClient, app: str, fmt: str, host: str, publish: Publish, chunk_s: float) -> None:
        self.receiver = await RtpReceiver.open(host)
        self.pump = asyncio.get_running_loop().create_task(
            self._pump(publish, chunk_s), name=f"live-{self.call_id}-{self.party}"
        )
        await client.request(
            "POST",
            f"/channels/{self.channel_id}/snoop",
            {"spy": "in", "app": app, "appArgs": SNOOP_ARGS, "snoopId": self.snoop_id},
        )
        await client.request(
            "POST",
            "/channels/externalMedia",
            {
                "channelId": self.media_id,
                "app": app,
                "external_host": self.receiver.address,
                "encapsulation": "rtp",
                "transport": "udp",
                "format": fmt,
            },
        )
        await client.request("POST", f"/bridges/{self.bridge_id}", {"type": "mixing", "name": self.bridge_id})
        await client.request(
            "POST", f"/bridges/{self.bridge_id}/addChannel", {"channel": f"{self.snoop_id},{self.media_id}"}
        )

    async def _pump(self, publish: Publish, chunk_s: float) -> None:
        assert self.receiver is not None
        chunk_bytes = max(2, int(self.stream.sample_rate * chunk_s) * 2)
        pending = b""
        failed = False
        try:
            async for pcm in self.receiver.audio():
                self.pcm_bytes += len(pcm)
                pending += pcm
                if len(pending) >= chunk_bytes and not failed:
                    failed = not await self._feed(pending, publish)
                    pending = b""
            if not failed:
                if pending:
                    failed = not await self._feed(pending, publish)
                if not failed:
                    for segment in await self.stream.finish():
                        self._publish(segment, publish)
        except AsrError as exc:
            log.warning("call %s: live %s text ended early: %s", self.call_id, self.party, exc)
        finally:
            await self.stream.close()

    async def _feed(self, pcm: bytes, publish: Publish) -> bool:
        try:
            segments = await self.stream.accept(pcm)
        except AsrError as exc:  # the engine gave up on this leg: the rest of the call has no live text
            log.warning("call %s: live %s text stopped: %s", self.call_id, self.party, exc)
            return False
        for segment in segments:
            self._publish(segment, publish)
        return True

    def _publish(self, segment: Segment, publish: Publish) -> None:
        self.segments += 1
        publish(self.call_id, segment)

    async def release(self, client: AriClient) -> None:
        """Hang up externalMedia and the snoop, destroy the bridge, close the receiver (no more audio)."""
        for channel_id in (self.media_id, self.snoop_id):
            try:
                await client.hangup_if_present(channel_id)
            except AriError as exc:
                log.warning("call %s: could not hang up %s: %s", self.call_id, channel_id, exc)
        try:
            await client.destroy_bridge(self.bridge_id)
        except AriError as exc:
            log.warning("call %s: could not destroy bridge %s: %s", self.call_id, self.bridge_id, exc)
        if self.receiver is not None:
            self.receiver.close()
            await self.receiver.wait_closed()

    async def drain(self) -> None:
        """Let the stream decode what was received and say its last words, then release it."""
        if self.pump is not None:
            await self.pump
        else:
            await self.stream.close()


class Publish(Protocol):
    def __call__(self, call_id: str, segment: Segment) -> None: ...


# --- the hook ------------------------------------------------------------------------------------


class LiveTranscriber:
    """Taps every bridged call of a `SeatQueue` for live text, and releases the taps when it ends."""

    def __init__(
        self,
        queue: SeatQueue,
        engine: LiveEngine | None,
        transcripts: LiveTranscripts,
        *,
        host: str = "127.0.0.1",
        fmt: str = "slin16",
        chunk_s: float = 0.2,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"externalMedia format {fmt!r}: slin16 or ulaw")
        self.queue = queue
        self.client = queue.client
        self.app = queue.config.app
        self.engine = engine
        self.transcripts = transcripts
        self.host = host
        self.fmt = fmt
        self.chunk_s = chunk_s
        self.taps: dict[str, list[LiveTap]] = {}
        """The live taps of each call in progress, by call id."""
        self.without_text: dict[str, str] = {}
        """Calls that went on without live text, and why (`no-engine`, `asr-capacity-exhausted`)."""
        self._setups: dict[str, asyncio.Task[None]] = {}
        self._told_no_engine = False
        queue.bridged_call_hooks.append(self.attach)

    def attach(self, call: BridgedCall) -> None:
        call.on_answered.append(self._start)
        call.on_ended.append(self._stop)

    async def _start(self, call: BridgedCall) -> None:
        """Set up in the background: opening streams may load a model, the call's session must not wait."""
        task = asyncio.get_running_loop().create_task(self._open(call), name=f"live-setup-{call.call_id}")
        self._setups[call.call_id] = task
        self.queue.track(task)

    async def _open(self, call: BridgedCall) -> None:
        if self.engine is None:
            self.without_text[call.call_id] = "no-engine"
            if not self._told_no_engine:
                self._told_no_engine = True
                log.info("no ASR engine configured (VOSK_MODEL_PATH / HOTLINE_ASR_URL): calls have no live text")
            return
        rate = FORMATS[self.fmt][1]
        streams: list[LiveStream] = []
        try:
            for party in PARTIES:
                streams.append(await self.engine.open_stream(rate, party))
        except AsrError as exc:
            for stream in streams:
                await stream.close()
            self.without_text[call.call_id] = exc.error_id
            level = logging.INFO if isinstance(exc, AsrCapacityExhausted) else logging.WARNING
            log.log(level, "call %s goes on without live text (transcribed after the call): %s", call.call_id, exc)
            return
        self.transcripts.begin(call.call_id, call.agent.who)
        session = self._session(call.call_id)
        taps = self.taps.setdefault(call.call_id, [])
        for party, leg, stream in zip(PARTIES, (call.caller, call.agent), streams, strict=True):
            tap = LiveTap(
                call.call_id,
                party,
                leg.channel_id,
                stream,
                snoop_id=f"{self.app}-live-snoop-{call.call_id}-{party}",
                media_id=f"{self.app}-live-rtp-{call.call_id}-{party}",
                bridge_id=f"{self.app}-live-{call.call_id}-{party}",
            )
            taps.append(tap)
            if session is not None:
                session.helper_channels |= {tap.snoop_id, tap.media_id}
                session.bridges.add(tap.bridge_id)
            try:
                await tap.open(self.client, self.app, self.fmt, self.host, self.transcripts.publish, self.chunk_s)
            except AriError as exc:  # that party is gone already: the call is ending
                log.warning("call %s: no live %s text (%s)", call.call_id, party, exc)

    def _session(self, call_id: str) -> CallSession | None:
        return self.queue.callers.get(call_id)

    async def _stop(self, call: BridgedCall) -> None:
        setup = self._setups.pop(call.call_id, None)
        if setup is not None:
            with contextlib.suppress(Exception):
                await setup
        session = self._session(call.call_id)
        taps = self.taps.pop(call.call_id, [])
        for tap in taps:  # first stop every party's audio, then let the streams catch up
            await tap.release(self.client)
            if session is not None:
                session.helper_channels -= {tap.snoop_id, tap.media_id}
                session.bridges.discard(tap.bridge_id)
        await asyncio.gather(*(tap.drain() for tap in taps))
        self.transcripts.end(call.call_id)

    async def sweep_orphans(self) -> int:
        """Hang up live-text channels no call of ours owns (left by a previous run of the service).

        Reconcile already hangs up orphaned snoops and destroys our orphaned bridges; an externalMedia
        channel would otherwise stay in our app for good. Ours are told by their id prefix.
        """
        owned = {cid for taps in self.taps.values() for t in taps for cid in (t.snoop_id, t.media_id)}
        swept = 0
        for channel in await self.client.list_channels():
            channel_id = str(channel.get("id", ""))
            if channel_id.startswith(f"{self.app}-live-") and channel_id not in owned:
                try:
                    if await self.client.hangup_if_present(channel_id):
                        swept += 1
                except AriError as exc:
                    log.warning("could not hang up orphaned live channel %s: %s", channel_id, exc)
        if swept:
            log.info("hung up %d orphaned live-text channel(s)", swept)
        return swept

    def state(self) -> dict[str, Any]:
        return {"live_calls": len(self.taps), "without_text": len(self.without_text)}
