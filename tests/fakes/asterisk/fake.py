"""The fake Asterisk: state, event bus, call life cycle. REST handlers live in `rest.py`, media in `media.py`."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from callflow.clock import ScaledClock

from .audio import CORE_SOUNDS, SOUND_EXTENSIONS, VoiceSegment, sound_file_duration
from .dialplan import CAUSES, DEFAULT_DIALPLAN, BusyExten, DialplanExten, StasisExten
from .media import RtpImpairment, RtpStream, finalize_recording
from .model import (
    AriError,
    Bridge,
    Channel,
    ChannelGone,
    CommandQueue,
    Dialplan,
    Heard,
    Ids,
    LiveRecording,
    Playback,
    ari_timestamp,
)
from .parties import Call, Endpoint, Step
from .records import Application, EventSocket, RequestRecord, Violation
from .spec import AriSpec, EventValidator, load_spec

RTPAUDIOQOS = ("RTPAUDIOQOS", "RTPAUDIOQOSJITTER", "RTPAUDIOQOSLOSS", "RTPAUDIOQOSRTT", "RTPAUDIOQOSMES")


class FakeAsterisk:
    """A protocol-faithful local ARI server for tests. See README.md next to this file."""

    def __init__(
        self,
        *,
        sounds: dict[str, Path] | None = None,
        recordings_dir: Path,
        time_factor: float = 0.02,
        username: str = "asterisk",
        password: str = "asterisk",
        asterisk_id: str = "02:fc:00:00:00:01",
        spec: AriSpec | None = None,
        dialplan: dict[tuple[str, str], StasisExten | DialplanExten | BusyExten] | None = None,
        system_name: str = "",
    ) -> None:
        self.sounds = dict(sounds or {})
        self.recordings_dir = recordings_dir
        self.clock = ScaledClock(time_factor)
        self.time_factor = time_factor
        self.username = username
        self.password = password
        self.asterisk_id = asterisk_id
        self.spec = spec or load_spec()
        self.validator = EventValidator(self.spec)
        self.dialplan = dict(DEFAULT_DIALPLAN if dialplan is None else dialplan)
        self.ids = Ids(system_name=system_name)  # system_name: asterisk.conf `systemname` of a node
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.playbacks: dict[str, Playback] = {}
        self.live_recordings: dict[str, LiveRecording] = {}
        self.finished_recordings: dict[str, LiveRecording] = {}  # by name, with call-flow start/end times
        self._heard_by_playback: dict[str, list[tuple[Channel, Heard]]] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.apps: dict[str, Application] = {}
        self.global_vars: dict[str, str] = {}
        self.device_states: dict[str, str] = {}
        self.calls: list[Call] = []
        self.rtp_streams: dict[str, RtpStream] = {}
        self.rtp_impairment = RtpImpairment()  # e.g. RtpImpairment(drop_every=50, swap_every=20)
        self.requests: list[RequestRecord] = []
        self.events_sent: list[dict[str, Any]] = []
        self.violations: list[Violation] = []
        self.expected_violations: list[Violation] = []
        self.problems: list[str] = []
        self._expecting = 0
        self._change = asyncio.Event()
        self._sockets: list[EventSocket] = []
        self._refuse_ws = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.started_at = ari_timestamp()
        self.add_endpoint("PJSIP/anonymous", answer_after=None, context="from-caller")

    # ----------------------------------------------------------------- life cycle
    @property
    def url(self) -> str:
        """Base URL to give the ARI client (like `http://127.0.0.1:8088`); REST is under `/ari`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ari_url(self) -> str:
        return self.url + "/ari"

    async def start(self) -> None:
        from .server import build_app

        self._change = asyncio.Event()
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        self._runner = web.AppRunner(build_app(self), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self._drop_everything()
        await self.drop_websockets()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeAsterisk:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def spawn(self, coro: Any, name: str = "") -> asyncio.Task[Any]:
        """A background task of the fake; its failure is reported as a problem of the fake."""
        task = asyncio.get_running_loop().create_task(coro, name=name or None)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                exc = t.exception()
                if not isinstance(exc, ChannelGone | AssertionError):
                    self.report_problem(f"task {t.get_name()} failed: {exc!r}")

        task.add_done_callback(done)
        return task

    def report_problem(self, text: str) -> None:
        """A failure inside the fake (or a script that could not run): fails the test at teardown."""
        self.problems.append(text)

    # ----------------------------------------------------------------- waiting
    def notify(self) -> None:
        """Something changed: wake everybody waiting in `wait_until` without a channel."""
        self._change.set()
        self._change = asyncio.Event()

    def poke(self, *channels: Channel) -> None:
        """Something about these channels changed: wake their parties (and the general waiters)."""
        for channel in channels:
            channel.changed.set()
            channel.changed = asyncio.Event()
        self.notify()

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float | None = None,  # noqa: ASYNC109
        channel: Channel | None = None,
    ) -> bool:
        """Wait (real seconds) until `predicate()` holds; False on timeout.

        With `channel`, the predicate is only looked at again when that channel changes (cheap with
        hundreds of scripted parties); without, at every change in the fake."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not predicate():
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            event = channel.changed if channel is not None else self._change
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()
        return True

    async def wait_call_flow(
        self, seconds: float, until: Callable[[], bool] | None = None, channel: Channel | None = None
    ) -> bool:
        """Sleep `seconds` of call-flow time; return early (True) when `until()` becomes true."""
        if until is None:
            await self.clock.sleep(seconds)
            return False
        return await self.wait_until(until, self.clock.real_seconds(seconds), channel)

    async def wait_flag(self, flag: asyncio.Event, seconds: float) -> bool:
        """Sleep `seconds` of call-flow time or until `flag` is set (True)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.clock.real_seconds(seconds)):
                await flag.wait()
        return flag.is_set()

    async def wait_for_event(
        self,
        type: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        after: int = 0,
    ) -> dict[str, Any]:
        """The first event of `type` sent (from index `after` of `events_sent`) matching `predicate`."""
        found: list[dict[str, Any]] = []

        def seen() -> bool:
            for event in self.events_sent[after:]:
                if event["type"] == type and (predicate is None or predicate(event)):
                    found.append(event)
                    return True
            return False

        if not await self.wait_until(seen, timeout):
            raise AssertionError(f"no {type} event within {timeout} s")
        return found[0]

    # ----------------------------------------------------------------- violations
    @contextlib.contextmanager
    def expect_violations(self) -> Iterator[list[Violation]]:
        """Requests inside this block may break the protocol (a test of the fake's strictness)."""
        before = len(self.violations)
        self._expecting += 1
        caught: list[Violation] = []
        try:
            yield caught
        finally:
            self._expecting -= 1
            caught.extend(self.violations[before:])
            del self.violations[before:]
            self.expected_violations.extend(caught)
        if not caught:
            raise AssertionError("expected a protocol violation, none happened")

    def record_violation(self, method: str, path: str, problems: list[str]) -> None:
        self.violations.append(Violation(method, path, problems))

    # ----------------------------------------------------------------- events
    def emit(self, type: str, apps: set[str] | str | None, **fields: Any) -> None:
        """Validate an event against events.json and send it to the active sockets of `apps`."""
        targets = {apps} if isinstance(apps, str) else set(apps or ())
        for app in sorted(targets):
            event = {"type": type, "timestamp": ari_timestamp(), **fields}
            event["asterisk_id"] = self.asterisk_id
            event["application"] = app
            self.validator.validate_event(event)
            application = self.apps.get(app)
            if application is None or not application.active:
                continue  # nobody listening: lost, never replayed
            self.events_sent.append(event)
            text = _dumps(event)
            for sock in application.sockets:
                sock.queue.put_nowait(text)
        self.notify()

    def channel_event(self, type: str, channel: Channel, **fields: Any) -> None:
        self.emit(type, channel.subscribed, **fields, channel=channel.to_json())
        self.poke(channel)

    def varset(self, channel: Channel, name: str, value: str) -> None:
        self.emit("ChannelVarset", channel.subscribed, variable=name, value=value, channel=channel.to_json())

    async def flush_events(self, limit: float = 1.0) -> None:
        """Wait until every socket has written what was queued (events before the HTTP response)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        for sock in list(self._sockets):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    await sock.queue.join()

    # ----------------------------------------------------------------- websockets
    def refuse_websockets(self, refuse: bool = True) -> None:
        """While set, `GET /ari/events` is answered 503 instead of upgrading."""
        self._refuse_ws = refuse

    async def drop_websockets(self) -> None:
        """Close every event WebSocket. Events that fire before a client reconnects are lost."""
        for sock in list(self._sockets):
            await self.close_socket(sock)

    def open_socket(self, apps: list[str], ws: web.WebSocketResponse) -> EventSocket:
        sock = EventSocket(apps, ws)
        for name in apps:
            app = self.apps.setdefault(name, Application(name))
            for old in list(app.sockets):
                # One connection per application: the newer replaces the older one.
                replaced = {
                    "type": "ApplicationReplaced",
                    "timestamp": ari_timestamp(),
                    "asterisk_id": self.asterisk_id,
                    "application": name,
                }
                self.validator.validate_event(replaced)
                old.queue.put_nowait(_dumps(replaced))
                app.sockets.remove(old)
            app.sockets.append(sock)
        self._sockets.append(sock)
        sock.writer = asyncio.get_running_loop().create_task(self._write(sock))
        self.notify()
        return sock

    async def _write(self, sock: EventSocket) -> None:
        while True:
            text = await sock.queue.get()
            try:
                if not sock.ws.closed:
                    await sock.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                pass
            finally:
                sock.queue.task_done()

    async def close_socket(self, sock: EventSocket) -> None:
        if sock in self._sockets:
            self._sockets.remove(sock)
        for name in sock.apps:
            app = self.apps.get(name)
            if app is not None and sock in app.sockets:
                app.sockets.remove(sock)
        if sock.writer is not None:
            sock.writer.cancel()
        if not sock.ws.closed:
            with contextlib.suppress(Exception):
                await sock.ws.close()
        self.notify()

    @property
    def refusing_websockets(self) -> bool:
        return self._refuse_ws

    async def wait_for_app(self, app: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait (real seconds) until a client has the application registered over a WebSocket."""
        if not await self.wait_until(lambda: app in self.apps and self.apps[app].active, timeout):
            raise AssertionError(f"no client registered the Stasis application {app!r} within {timeout} s")

    # ----------------------------------------------------------------- faults
    async def restart(self) -> None:
        """Asterisk restarts: every channel, bridge, playback and live recording vanishes without an
        event, every WebSocket closes and every application registration is forgotten. Stored
        recordings (files) survive — and so do the files of recordings that were running, cut at the
        restart, as Asterisk leaves them on disk (their RecordingFinished goes to no socket).
        Clients reconnect and find nothing (`GET /channels` → [])."""
        await self.drop_websockets()
        for rec in list(self.live_recordings.values()):
            if rec.state == "recording":
                rec.ended_by = "restart"
                finalize_recording(self, rec)
        await self._drop_everything()
        self.apps.clear()
        self.ids = Ids(after=self.ids.epoch, system_name=self.ids.system_name)
        self.started_at = ari_timestamp()
        self.notify()

    async def _drop_everything(self) -> None:
        for channel in list(self.channels.values()):
            self._forget_channel(channel)
        for bridge in list(self.bridges.values()):
            bridge.alive = False
            if bridge.queue:
                bridge.queue.close()
        self.bridges.clear()
        for pb in self.playbacks.values():
            pb.stopped_by = "gone"
            pb.stop.set()
        self.playbacks.clear()
        for rec in self.live_recordings.values():
            rec.ended_by = "cancel"
            rec.end.set()
        self.live_recordings.clear()
        tasks = [t for t in self._tasks if not t.done()]
        for t in tasks:
            t.cancel()
        for call in self.calls:
            if call.task is not None and not call.task.done():
                call.task.cancel()
                tasks.append(call.task)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ----------------------------------------------------------------- introspection
    def leftovers(self) -> list[str]:
        out = [f"channel {c.name} ({c.id}, {c.state})" for c in self.channels.values()]
        out += [
            f"bridge {b.id} ({b.bridge_type} {b.name!r}, channels {[c.id for c in b.channels]})"
            for b in self.bridges.values()
        ]
        out += [
            f"playback {p.id} ({p.media[p.index]} on {p.target_uri}, {p.state})"
            for p in self.playbacks.values()
        ]
        out += [f"live recording {r.name} ({r.target_uri}, {r.state})" for r in self.live_recordings.values()]
        return out

    def assert_empty(self) -> None:
        """No channel, bridge, playback, snoop or live recording is left; else a readable list."""
        left = self.leftovers()
        if left:
            raise AssertionError("the fake Asterisk still holds:\n  " + "\n  ".join(left))

    async def wait_empty(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait (real seconds) until nothing is left, then `assert_empty()`."""
        await self.wait_until(lambda: not self.leftovers(), timeout)
        self.assert_empty()

    @property
    def stored_recordings(self) -> dict[str, Path]:
        """Stored recordings by name (path relative to recordings_dir without the extension)."""
        out: dict[str, Path] = {}
        if self.recordings_dir.is_dir():
            for path in sorted(self.recordings_dir.rglob("*.wav")):
                out[str(path.relative_to(self.recordings_dir).with_suffix(""))] = path
        return out

    def events_of(self, type: str) -> list[dict[str, Any]]:
        return [e for e in self.events_sent if e["type"] == type]

    # ----------------------------------------------------------------- sounds
    def sound_duration(self, name: str) -> float | None:
        """Real duration (call-flow seconds) of `sound:<name>`, or None if Asterisk has no such sound."""
        for prefix, folder in self.sounds.items():
            if name.startswith(prefix + "/"):
                rest = name[len(prefix) + 1 :]
                for ext in SOUND_EXTENSIONS:
                    path = folder / f"{rest}{ext}"
                    if path.is_file():
                        return sound_file_duration(path)
        return CORE_SOUNDS.get(name)

    def known_sounds(self) -> dict[str, list[str]]:
        """Sound id -> formats."""
        out: dict[str, list[str]] = {name: ["wav"] for name in CORE_SOUNDS}
        for prefix, folder in self.sounds.items():
            if folder.is_dir():
                for path in sorted(folder.rglob("*")):
                    if path.suffix in SOUND_EXTENSIONS:
                        sid = f"{prefix}/{path.relative_to(folder).with_suffix('')}"
                        out.setdefault(sid, []).append(path.suffix.lstrip("."))
        return out

    # ----------------------------------------------------------------- parties
    def add_endpoint(
        self,
        resource: str,
        *,
        answer_after: float | None = 2.0,
        busy: bool = False,
        unreachable: bool = False,
        silent: bool = False,
        script: list[Step] | None = None,
        context: str = "from-agents",
    ) -> Endpoint:
        """A dialable endpoint such as `PJSIP/agent101` (originate to it rings it).

        `answer_after=None` rings until the originate timeout; `busy` answers 486; `unreachable` gives
        CHANUNAVAIL at once; `silent` never answers the INVITE at all (no ringing) until the timeout.
        """
        endpoint = Endpoint(resource, answer_after, busy, unreachable, silent, list(script or []), context)
        self.endpoints[resource] = endpoint
        return endpoint

    async def place_call(
        self,
        number: str = "13800138000",
        *,
        endpoint: str = "anonymous",
        app: str = "hotline",
        args: list[str] | None = None,
        script: list[Step] | None = None,
        caller_name: str = "",
        context: str = "from-caller",
        exten: str = "12345",
        app_timeout: float = 5.0,
    ) -> Call:
        """An inbound SIP call: `PJSIP/<endpoint>-0000000N` in state Ring enters Stasis(app,args).

        Waits up to `app_timeout` real seconds for a client to register `app` (Stasis() fails otherwise).
        """
        await self.wait_for_app(app, app_timeout)
        args = ["inbound"] if args is None else list(args)
        seq = self.ids.sequence("PJSIP")
        channel = Channel(
            id=self.ids.unique(),
            name=f"PJSIP/{endpoint}-{seq:08x}",
            state="Ring",
            kind="inbound",
            caller=(caller_name, number),
            connected=("", ""),
            dialplan=Dialplan(context, exten, 2, "Stasis", ",".join([app, *args])),
            creationtime=ari_timestamp(),
            protocol_id=f"{seq + 1}-{secrets.randbelow(9000) + 1000}@127.0.0.1",
            endpoint=f"PJSIP/{endpoint}",
        )
        self._add_channel(channel)
        call = Call(self, channel, list(script or []))
        self.calls.append(call)
        self.enter_stasis(channel, app, args, varset=False)
        call.start()
        return call

    # ----------------------------------------------------------------- channels
    def _add_channel(self, channel: Channel) -> None:
        channel.queue = CommandQueue(lambda exc: self.report_problem(f"{channel.name}: {exc!r}"))
        self.channels[channel.id] = channel
        self.notify()

    def new_id(self, given: str | None) -> str:
        if given:
            if given in self.channels:
                raise AriError(409, "Channel with given unique ID already exists")
            return given
        return self.ids.unique()

    def enter_stasis(self, channel: Channel, app: str, args: list[str], varset: bool = True) -> None:
        channel.app = app
        channel.app_args = list(args)
        channel.subscribed.add(app)
        channel.dialplan = Dialplan(
            channel.dialplan.context,
            channel.dialplan.exten,
            channel.dialplan.priority,
            "Stasis",
            ",".join([app, *args]),
        )
        if varset:
            self.varset(channel, "STASISSTATUS", "")
        self.channel_event("StasisStart", channel, args=list(args))

    def leave_stasis(self, channel: Channel) -> None:
        if channel.app is None:
            return
        self.channel_event("StasisEnd", channel)
        channel.app = None
        if channel.created_by_ari:
            self.varset(channel, "STASISSTATUS", "SUCCESS")
        else:
            channel.subscribed.clear()

    def exit_stasis(self, channel: Channel) -> None:
        """The channel leaves the application for the dialplan (continue, redirect): out of its bridge,
        what is still queued for it fails, then StasisEnd."""
        from .media import fail_target_playbacks

        fail_target_playbacks(self, f"channel:{channel.id}")
        if channel.bridge is not None:
            self.leave_bridge(channel, channel.bridge, moved=False)
        self.leave_stasis(channel)

    def get_channel(self, channel_id: str, missing_status: int = 404) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None or not channel.alive:
            raise AriError(missing_status, "Channel not found")
        return channel

    def stasis_channel(self, channel_id: str, not_in_stasis: int = 409) -> Channel:
        channel = self.get_channel(channel_id)
        if channel.app is None:
            raise AriError(not_in_stasis, "Channel not in Stasis application")
        return channel

    async def channel_sync(self, channel: Channel, job: Callable[[], Any]) -> Any:
        """Run a synchronous command on the channel's command thread (after a running playback)."""
        assert channel.queue is not None

        async def run() -> Any:
            if not channel.alive:
                raise ChannelGone()
            return job()

        try:
            return await channel.queue.call(run)
        except ChannelGone:
            raise AriError(404, "Channel not found") from None

    def set_state(self, channel: Channel, state: str) -> None:
        if channel.state != state:
            channel.state = state
            self.channel_event("ChannelStateChange", channel)

    def answer(self, channel: Channel) -> None:
        if channel.state == "Up":
            return
        self.set_state(channel, "Up")
        peer = channel.peer
        if channel.kind == "local2" and peer is not None and peer.alive:
            self.set_state(peer, "Up")

    def voice_started(self, channel: Channel, segment: VoiceSegment) -> None:
        """The party starts saying something; with TALK_DETECT set, the app hears about it."""
        channel.voice.append(segment)
        self.poke(channel)
        if channel.talk_detect is None or not channel.alive:
            return
        if channel.talking_since is None:
            channel.talking_since = segment.start
            self.channel_event("ChannelTalkingStarted", channel)
        self.spawn(self._talking_ends(channel, segment), f"talk detect {channel.name}")

    async def _talking_ends(self, channel: Channel, segment: VoiceSegment) -> None:
        """`ChannelTalkingFinished` once the silence threshold has passed after the last voice, with the
        talking time (not counting the threshold) as Asterisk's func_talkdetect reports it."""
        threshold = (channel.talk_detect or 2500) / 1000
        await self.clock.sleep(segment.end + threshold - self.clock.monotonic())
        if not channel.alive or channel.talking_since is None or channel.talk_detect is None:
            return
        if max(s.end for s in channel.voice) > segment.end:
            return  # talked again before the silence threshold: a later segment ends it
        duration = int(round((segment.end - channel.talking_since) * 1000))
        channel.talking_since = None
        self.channel_event("ChannelTalkingFinished", channel, duration=duration)

    def write_function(self, channel: Channel, name: str, value: str) -> None:
        """`POST /variable` of a dialplan function (`TALK_DETECT(set)`): no ChannelVarset, like Asterisk."""
        if name == "TALK_DETECT(set)":
            first = value.split(",", 1)[0].strip()
            channel.talk_detect = int(first) if first.isdigit() else 2500
        elif name == "TALK_DETECT(remove)":
            channel.talk_detect = None
            channel.talking_since = None
        else:
            channel.variables[name] = value

    def party_dtmf(self, channel: Channel, digit: str, duration_ms: int) -> None:
        """A digit from the party on `channel` (emitted at the end of the digit)."""
        if not channel.alive:
            return
        for rec in list(self.live_recordings.values()):
            if rec.target_uri == f"channel:{channel.id}" and rec.state == "recording":
                if rec.terminate_on == "any" or rec.terminate_on == digit:
                    rec.ended_by = "dtmf"
                    rec.end.set()
        self.channel_event("ChannelDtmfReceived", channel, digit=digit, duration_ms=duration_ms)

    def hangup_events(self, channel: Channel, cause: int | None, soft: bool | None) -> None:
        fields: dict[str, Any] = {}
        if cause is not None:
            fields["cause"] = cause
        if soft is not None:
            fields["soft"] = soft
        self.channel_event("ChannelHangupRequest", channel, **fields)

    def rtp_qos(self, channel: Channel) -> None:
        if channel.tech == "PJSIP" and channel.state == "Up":
            for name in RTPAUDIOQOS:
                self.varset(channel, name, _qos_value(name))

    async def app_hangup(self, channel: Channel, reason_cause: int = 16) -> None:
        """DELETE /channels/{id}: the 204 goes first, then these events."""
        if not channel.alive:
            return
        channel.hangup_cause = reason_cause
        self.rtp_qos(channel)
        self.hangup_events(channel, 32, True)
        self._tear_down(channel)
        if channel.kind in ("local1", "local2") and channel.peer is not None and channel.peer.alive:
            peer = channel.peer
            self.hangup_events(peer, 16, None)
            self._destroy(channel, reason_cause)
            self._tear_down(peer)
            self.hangup_events(peer, 16, True)
            self._destroy(peer, 16)
            return
        self._destroy(channel, reason_cause)

    async def remote_hangup(self, channel: Channel, cause: int = 16) -> None:
        """The party hangs up (SIP BYE): no cause on ChannelHangupRequest."""
        if not channel.alive:
            return
        if channel.app is None and not channel.subscribed:
            self._forget_channel(channel)
            return
        self.rtp_qos(channel)
        self.hangup_events(channel, None, None)
        self._tear_down(channel)
        self._destroy(channel, cause)
        for snoop in [c for c in self.channels.values() if c.snoop_of is channel and c.alive]:
            await self.remote_hangup(snoop)

    def _tear_down(self, channel: Channel) -> None:
        """Stop what runs on the channel, leave its bridge, leave Stasis."""
        from .media import fail_target_playbacks, finish_target_recordings

        fail_target_playbacks(self, f"channel:{channel.id}")
        finish_target_recordings(self, f"channel:{channel.id}", "hangup")
        emptied: Bridge | None = None
        if channel.bridge is not None:
            bridge = channel.bridge
            self.leave_bridge(channel, bridge, moved=False, fail_when_empty=False)
            emptied = bridge if not bridge.channels else None
        self.leave_stasis(channel)
        if emptied is not None:
            # The last channel's StasisEnd comes before its bridge's playback fails (snoop trace).
            fail_target_playbacks(self, f"bridge:{emptied.id}")

    def _destroy(self, channel: Channel, cause: int) -> None:
        if channel.created_by_ari and channel.subscribed:
            self.channel_event(
                "ChannelDestroyed",
                _dialplan_after(channel),
                cause=cause,
                cause_txt=CAUSES.get(cause, "Unknown"),
            )
        self._forget_channel(channel)

    def _forget_channel(self, channel: Channel) -> None:
        channel.alive = False
        if channel.queue is not None:
            channel.queue.close()
        for task in channel.tasks:
            task.cancel()
        stream = self.rtp_streams.get(channel.id)
        if stream is not None:
            stream.close()
        if channel.bridge is not None and channel in channel.bridge.channels:
            channel.bridge.channels.remove(channel)
        channel.bridge = None
        self.channels.pop(channel.id, None)
        for app in self.apps.values():
            app.channel_ids.discard(channel.id)
        self.poke(channel)

    # ----------------------------------------------------------------- bridges
    def new_bridge(self, bridge_id: str | None, types: str, name: str) -> Bridge:
        tokens = [t for t in types.split(",") if t] or ["mixing"]
        known = {"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"}
        if any(t not in known for t in tokens) or (bridge_id and bridge_id in self.bridges):
            raise AriError(
                500, f"Unable to create bridge. Possible duplicate bridge id '{bridge_id or '(null)'}'"
            )
        bridge = Bridge(
            id=bridge_id or str(uuid.uuid4()),
            bridge_type="holding" if "holding" in tokens else "mixing",
            name=name,
            creationtime=ari_timestamp(),
        )
        bridge.queue = CommandQueue(lambda exc: self.report_problem(f"bridge {bridge.id}: {exc!r}"))
        self.bridges[bridge.id] = bridge
        self.notify()
        return bridge

    def get_bridge(self, bridge_id: str) -> Bridge:
        bridge = self.bridges.get(bridge_id)
        if bridge is None:
            raise AriError(404, "Bridge not found")
        return bridge

    def join_bridge(self, channel: Channel, bridge: Bridge) -> None:
        if channel.bridge is bridge:
            return
        if channel.bridge is not None:
            self.leave_bridge(channel, channel.bridge, moved=True)
        self.send_due_rtp(bridge)
        stream = self.rtp_streams.get(channel.id)
        if stream is not None:
            stream.send_due()  # its time outside any bridge was silence
        bridge.channels.append(channel)
        if channel not in bridge.past_channels:
            bridge.past_channels.append(channel)
        channel.bridge = bridge
        bridge.apps |= set(channel.subscribed)
        self.emit("ChannelEnteredBridge", bridge.apps, bridge=bridge.to_json(), channel=channel.to_json())
        self.poke(*bridge.channels)
        from .media import started_bridge_media

        started_bridge_media(self, bridge, channel)

    def send_due_rtp(self, bridge: Bridge) -> None:
        """Before what `bridge` carries changes: its externalMedia streams send what it carried so far.

        Asterisk sends RTP in real time, so by now it has left; the fake's sender may be behind.
        """
        for member in bridge.channels:
            stream = self.rtp_streams.get(member.id)
            if stream is not None:
                stream.send_due()

    def update_connected_lines(self, bridge: Bridge) -> None:
        """Two parties in a mixing bridge see each other as connected line; one left alone sees nobody."""
        parties = [c for c in bridge.channels if c.kind in ("inbound", "originated", "local1", "local2")]
        if bridge.bridge_type != "mixing":
            return
        if len(parties) == 2:
            a, b = parties
            for me, other in ((a, b), (b, a)):
                if me.connected != other.caller:
                    me.connected = other.caller
                    self.channel_event("ChannelConnectedLine", me)
        elif len(parties) == 1 and parties[0].connected != ("", ""):
            parties[0].connected = ("", "")
            self.channel_event("ChannelConnectedLine", parties[0])

    def leave_bridge(
        self, channel: Channel, bridge: Bridge, moved: bool, fail_when_empty: bool = True
    ) -> None:
        self.send_due_rtp(bridge)
        if channel in bridge.channels:
            technology = bridge.technology
            bridge.channels.remove(channel)
            snapshot = bridge.to_json()
            snapshot["technology"] = technology
            self.emit("ChannelLeftBridge", bridge.apps, bridge=snapshot, channel=channel.to_json())
        channel.bridge = None
        self.poke(channel, *bridge.channels)
        self.update_connected_lines(bridge)
        if moved:
            # Moved to another bridge by the application: Asterisk drops the app's subscription to
            # the old bridge, so deleting it later gives no BridgeDestroyed (queue-bridge-agent trace).
            for app in list(bridge.apps):
                if not any(app in c.subscribed for c in bridge.channels):
                    bridge.apps.discard(app)
        if not bridge.channels and fail_when_empty:
            from .media import fail_target_playbacks

            fail_target_playbacks(self, f"bridge:{bridge.id}")
        self.notify()

    def destroy_bridge(self, bridge: Bridge) -> None:
        from .media import fail_target_playbacks, finish_target_recordings

        for channel in list(bridge.channels):
            self.leave_bridge(channel, bridge, moved=False)
        fail_target_playbacks(self, f"bridge:{bridge.id}")
        finish_target_recordings(self, f"bridge:{bridge.id}", "hangup")
        bridge.alive = False
        if bridge.queue is not None:
            bridge.queue.close()
        self.bridges.pop(bridge.id, None)
        if bridge.apps:
            self.emit("BridgeDestroyed", bridge.apps, bridge=bridge.to_json())
        for app in self.apps.values():
            app.bridge_ids.discard(bridge.id)
        self.notify()

    # ----------------------------------------------------------------- heard media
    def mark_heard(self, target_uri: str, pb: Playback) -> None:
        now = self.clock.monotonic()
        for channel in self.target_channels(target_uri):
            self.add_heard(channel, Heard(pb.media[pb.index], pb.id, now))
            source = channel.snoop_of
            if source is not None and channel.whisper in ("out", "both") and source.alive:
                # Whispering into a snoop: the spied-on party hears it (a supervisor coaching an agent).
                self.add_heard(source, Heard(pb.media[pb.index], pb.id, now))
        self.notify()

    def add_heard(self, channel: Channel, heard: Heard) -> None:
        channel.heard.append(heard)
        self._heard_by_playback.setdefault(heard.playback_id, []).append((channel, heard))
        self.poke(channel)

    def mark_finished(self, pb: Playback) -> None:
        for channel, heard in self._heard_by_playback.pop(pb.id, []):
            heard.finished = True
            self.poke(channel)
        self.notify()

    def target_channels(self, target_uri: str) -> list[Channel]:
        kind, _, ident = target_uri.partition(":")
        if kind == "channel":
            channel = self.channels.get(ident)
            return [channel] if channel is not None else []
        bridge = self.bridges.get(ident)
        return list(bridge.channels) if bridge is not None else []

    def target_apps(self, target_uri: str) -> set[str]:
        kind, _, ident = target_uri.partition(":")
        if kind == "channel":
            channel = self.channels.get(ident)
            return set(channel.subscribed) if channel is not None else set()
        bridge = self.bridges.get(ident)
        return set(bridge.apps) if bridge is not None else set()


def _dialplan_after(channel: Channel) -> Channel:
    """ChannelDestroyed shows where the channel's dialplan ended up (AppDial2 for dialled channels)."""
    if channel.kind in ("originated", "external", "local1") and channel.left_to is None:
        channel.dialplan = Dialplan(
            channel.dialplan.context,
            channel.dialplan.exten,
            channel.dialplan.priority,
            "AppDial2",
            "(Outgoing Line)",
        )
    elif channel.kind == "local2":
        channel.dialplan = Dialplan(
            channel.dialplan.context, channel.dialplan.exten, channel.dialplan.priority
        )
    return channel


def _qos_value(name: str) -> str:
    values = {
        "RTPAUDIOQOS": "ssrc=1718354869;themssrc=1718354869;lp=0;rxjitter=0.000000;rxcount=230;txjitter=0.001000;txcount=230;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=88.087887",
        "RTPAUDIOQOSJITTER": "minrxjitter=000.000000;maxrxjitter=000.001000;avgrxjitter=000.000005;stdevrxjitter=000.000068;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;",
        "RTPAUDIOQOSLOSS": "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;",
        "RTPAUDIOQOSRTT": "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     stdevrtt=000.000000;",
        "RTPAUDIOQOSMES": "   minrxmes=088.087887;   maxrxmes=088.087887;   avgrxmes=088.087887;   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   stdevtxmes=000.000000;",
    }
    return values[name]


def _dumps(event: dict[str, Any]) -> str:
    import json

    return json.dumps(event, ensure_ascii=False)
