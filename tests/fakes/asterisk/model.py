"""State of the fake Asterisk: channels, bridges, playbacks, recordings, and ARI errors."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .audio import VoiceSegment


def ari_timestamp(moment: datetime | None = None) -> str:
    """`2026-11-30T10:00:29.658+0000`, as Asterisk writes dates."""
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class AriError(Exception):
    """An ARI error response: `status` and `{"message": ...}` (or `{"error": ...}`)."""

    def __init__(self, status: int, message: str, key: str = "message") -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.key = key

    @property
    def body(self) -> dict[str, str]:
        return {self.key: self.message}


class ChannelGone(Exception):
    """The channel hung up while a command waited for it."""


class Ids:
    """Channel unique ids (`1796032829.12`) and name sequence numbers, as Asterisk hands them out."""

    def __init__(self, after: int = 0, system_name: str = "") -> None:
        # A restarted Asterisk starts a new epoch: its ids never repeat the old ones.
        self.epoch = max(int(time.time()), after + 1)
        self.system_name = system_name
        """asterisk.conf `systemname`: prefixes every unique id (`node-a-1796032829.12`), so the ids of
        several Asterisk nodes never collide."""
        self._unique = itertools.count()
        self._names: dict[str, itertools.count[int]] = {}

    def unique(self) -> str:
        prefix = f"{self.system_name}-" if self.system_name else ""
        return f"{prefix}{self.epoch}.{next(self._unique)}"

    def sequence(self, tech: str) -> int:
        return next(self._names.setdefault(tech, itertools.count()))


@dataclass
class Dialplan:
    context: str
    exten: str
    priority: int
    app_name: str = ""
    app_data: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "exten": self.exten,
            "priority": self.priority,
            "app_name": self.app_name,
            "app_data": self.app_data,
        }


Job = Callable[[], Awaitable[Any]]


class CommandQueue:
    """A channel's (or bridge's) Stasis command thread: commands run one at a time, in order."""

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._queue: asyncio.Queue[tuple[Job, asyncio.Future[Any] | None]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._on_error = on_error
        self._closed = False
        self.busy = False

    def _ensure(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            job, future = await self._queue.get()
            self.busy = True
            try:
                result = await job()
            except asyncio.CancelledError:
                if future is not None and not future.done():
                    future.set_exception(ChannelGone())
                raise
            except BaseException as exc:  # reported to the waiter or to the fake
                if future is not None and not future.done():
                    future.set_exception(exc)
                elif not isinstance(exc, ChannelGone):
                    self._on_error(exc)
            else:
                if future is not None and not future.done():
                    future.set_result(result)
            finally:
                self.busy = False

    def submit(self, job: Job) -> None:
        """An asynchronous command: runs after everything queued before it."""
        if self._closed:
            raise ChannelGone()
        self._ensure()
        self._queue.put_nowait((job, None))

    async def call(self, job: Job) -> Any:
        """A synchronous command: waits its turn (e.g. until a running playback ends)."""
        if self._closed:
            raise ChannelGone()
        self._ensure()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((job, future))
        return await future

    def close(self) -> None:
        self._closed = True
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            if future is not None and not future.done():
                future.set_exception(ChannelGone())
        if self._task is not None:
            self._task.cancel()


@dataclass(eq=False)
class Channel:
    id: str
    name: str
    state: str
    kind: str  # inbound | originated | local1 | local2 | snoop | external
    caller: tuple[str, str]
    connected: tuple[str, str]
    dialplan: Dialplan
    creationtime: str
    protocol_id: str = ""
    language: str = "en"
    queue: CommandQueue | None = None
    app: str | None = None  # the Stasis application the channel is in, if any
    app_args: list[str] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)
    variables: dict[str, str] = field(default_factory=dict)
    channelvars: dict[str, str] | None = None
    bridge: Bridge | None = None
    peer: Channel | None = None  # the other half of a Local channel
    snoop_of: Channel | None = None
    spy: str = "none"
    whisper: str = "none"
    voice: list[VoiceSegment] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)
    dtmf_heard: list[str] = field(default_factory=list)
    moh_class: str | None = None
    on_hold: bool = False
    silenced: bool = False
    muted: str | None = None
    talk_detect: int | None = None  # TALK_DETECT(set): silence threshold in ms
    talking_since: float | None = None
    ringing: bool = False
    alive: bool = True
    hangup_cause: int = 16
    left_to: Dialplan | None = None  # where continueInDialplan sent it
    redirected_to: str | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # poked when something about it changes
    endpoint: str = ""
    dialstring: str = ""  # what an originate dialled (`agent1`, `13800138000@trunk`)

    @property
    def created_by_ari(self) -> bool:
        """Channels created through ARI get ChannelDestroyed; inbound SIP and Snoop ones do not."""
        return self.kind in ("originated", "local1", "local2", "external")

    @property
    def tech(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def in_stasis(self) -> bool:
        return self.alive and self.app is not None

    def to_json(self, with_vars: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.protocol_id,
            "caller": {"name": self.caller[0], "number": self.caller[1]},
            "connected": {"name": self.connected[0], "number": self.connected[1]},
            "accountcode": "",
            "dialplan": self.dialplan.to_json(),
            "creationtime": self.creationtime,
            "language": self.language,
        }
        if with_vars and self.channelvars is not None:
            out["channelvars"] = dict(self.channelvars)
        return out

    def voices(self) -> list[VoiceSegment]:
        """What this channel sends into a bridge. A Snoop channel sends what it spies on: `in` is what
        its channel says, `out` what its channel hears from the others in its bridge, `both` the two."""
        source = self.snoop_of
        if source is None:
            return list(self.voice)
        out: list[VoiceSegment] = []
        if self.spy in ("in", "both"):
            out.extend(source.voice)
        if self.spy in ("out", "both") and source.bridge is not None:
            for other in source.bridge.channels:
                if other is not source and other is not self:
                    out.extend(other.voices())
        return out


@dataclass
class Heard:
    """A playback a channel heard (on itself or on its bridge)."""

    media: str
    playback_id: str
    started_at: float
    finished: bool = False


@dataclass(eq=False)
class Bridge:
    id: str
    bridge_type: str  # mixing | holding
    name: str
    creationtime: str
    channels: list[Channel] = field(default_factory=list)
    apps: set[str] = field(default_factory=set)
    queue: CommandQueue | None = None
    moh_class: str | None = None
    playing: int = 0
    recording: int = 0
    past_channels: list[Channel] = field(default_factory=list)
    alive: bool = True
    announcer_id: str = ""  # the hidden Announcer channel that plays media into the bridge

    @property
    def technology(self) -> str:
        if self.bridge_type == "holding":
            return "holding_bridge"
        return "softmix" if len(self.channels) + self.playing + self.recording > 2 else "simple_bridge"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "technology": self.technology,
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": [c.id for c in self.channels] or ([self.announcer_id] if self.playing else []),
            "creationtime": self.creationtime,
            "video_mode": "talker",
        }


@dataclass(eq=False)
class Playback:
    id: str
    media: list[str]
    target_uri: str
    language: str = "en"
    state: str = "queued"
    index: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    stopped_by: str = ""  # "" | "stop" | "gone"
    control: asyncio.Event = field(default_factory=asyncio.Event)
    control_op: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "media_uri": self.media[self.index]}
        if self.index + 1 < len(self.media):
            out["next_media_uri"] = self.media[self.index + 1]
        out.update({"target_uri": self.target_uri, "language": self.language, "state": self.state})
        return out


@dataclass(eq=False)
class LiveRecording:
    name: str
    format: str
    target_uri: str
    path: Path
    max_duration: int = 0
    max_silence: int = 0
    if_exists: str = "fail"
    beep: bool = False
    terminate_on: str = "none"
    state: str = "queued"
    started_at: float = 0.0
    ended_at: float = 0.0
    end: asyncio.Event = field(default_factory=asyncio.Event)
    ended_by: str = ""  # stop | cancel | max_duration | silence | dtmf | hangup
    paused_since: float | None = None
    paused: list[tuple[float, float]] = field(default_factory=list)
    muted_since: float | None = None
    muted: list[tuple[float, float]] = field(default_factory=list)
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "format": self.format,
            "state": self.state,
            "target_uri": self.target_uri,
        }
        for key in ("duration", "talking_duration", "silence_duration", "cause"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out
