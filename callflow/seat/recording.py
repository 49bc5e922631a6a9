"""Recording of bridged calls (通话录音): the whole conversation and one track per party.

When a `BridgedCall` is answered, `CallRecorder` records the mixing bridge (`<call>-mix`: the expert of a
three-way call is heard too) and snoops the caller and the agent (`spy=in`: each one's own voice), each
snoop recorded as `<call>-caller` / `<call>-agent` for transcription. When the call ends it stops what
still runs and hangs the snoops up. Every `RecordingFinished` is handed to the `RecordingRegistry` port
(`recordings.services.RecordingService.register_finished`), which fetches, hashes and keeps the file.

Snoop channels enter our app with the argument `snoop`; the controller has no route for it and leaves
them alone, and they sit in the caller session's `helper_channels` so reconcile does not hang them up.
`RecordingFinished` is heard through `Controller.listen`, not through a session: a bridge recording
finishes when the bridge is destroyed, which is when the call's sessions are ending.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from callflow.ari.errors import AriError, NotFound
from callflow.seat.bridged import BridgedCall
from callflow.session import Event

if TYPE_CHECKING:
    from callflow.adapters.pending_writes import PendingWrites
    from callflow.seat.services import SeatQueue

log = logging.getLogger(__name__)

SNOOP_ARGS = "snoop"
SNOOP_ENTER_TIMEOUT_S = 5.0
"""Real seconds a new snoop may take to enter the app (StasisStart) before its track is given up."""


class RecordingRegistry(Protocol):
    """Where a finished recording is kept (录音入库): `RecordingService` in the service."""

    async def register_finished(self, name: str, call_id: str, kind: str, fmt: str = "wav") -> object: ...


@dataclass
class Track:
    """One live recording of a call: the mix of the bridge, or one party's snoop."""

    name: str
    call_id: str
    kind: str
    """`mix`, `caller` or `agent` (the recordings service's kinds)."""
    snoop_id: str | None = None
    state: str = "recording"
    """recording → done | failed."""


class CallRecorder:
    """Starts and stops the recordings of every bridged call of a `SeatQueue`."""

    def __init__(self, queue: SeatQueue, registry: RecordingRegistry | None, fmt: str = "wav") -> None:
        self.queue = queue
        self.client = queue.client
        self.app = queue.config.app
        self.registry = registry
        self.fmt = fmt
        self.tracks: dict[str, Track] = {}
        """Every track started, by recording name (kept for the call record and tests)."""
        self.registered: list[Track] = []
        self.pending: PendingWrites | None = None
        """`PendingWrites` (callflow/adapters/pending_writes.py): a registration the database cannot take
        now waits there and lands when it is back; None: the failure is only logged."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._snoops_entering: dict[str, asyncio.Future[None]] = {}
        """Snoops created and not yet in our app: a real Asterisk answers the POST before StasisStart."""
        queue.bridged_call_hooks.append(self.attach)
        queue.taken_over_hooks.append(self.resume)
        queue.controller.listen("StasisStart", self._snoop_entered)
        queue.controller.listen("RecordingFinished", self._finished)
        queue.controller.listen("RecordingFailed", self._failed)

    def attach(self, call: BridgedCall) -> None:
        call.on_answered.append(self._start)
        call.on_ended.append(self._stop)

    async def resume(self, call: BridgedCall) -> None:
        """A restarted controller took up `call` (`callflow.seat.takeover`): the tracks still recording in
        Asterisk are stopped, and registered once finished, as if this recorder had started them (never
        started again: one file per name)."""
        names = []
        for kind in ("mix", "caller", "agent"):
            name = f"{call.call_id}-{kind}"
            try:
                live = await self.client.get_live_recording(name)
            except NotFound:  # finished while nobody listened (its party hung up): kept if stored
                gone = self.tracks[name] = Track(name, call.call_id, kind)
                await self._finished_unheard(gone)
                if gone.state == "done":
                    names.append(name)
                continue
            target = str(live.get("target_uri", ""))
            snoop_id = target[len("channel:"):] if target.startswith("channel:") else None
            self.tracks[name] = Track(name, call.call_id, kind, snoop_id)
            names.append(name)
            if snoop_id is not None:
                self._own(call.call_id, snoop_id)
        call.data["recordings"] = names
        call.on_ended.append(self._stop)

    def of_call(self, call_id: str) -> list[Track]:
        return [t for t in self.tracks.values() if t.call_id == call_id]

    async def _start(self, call: BridgedCall) -> None:
        mix = Track(f"{call.call_id}-mix", call.call_id, "mix")
        self.tracks[mix.name] = mix
        call.data["recordings"] = [mix.name]
        await self.client.request(
            "POST",
            f"/bridges/{call.bridge_id}/record",
            {"name": mix.name, "format": self.fmt, "ifExists": "overwrite"},
        )
        for kind, leg in (("caller", call.caller), ("agent", call.agent)):
            try:
                await self._snoop_and_record(call, kind, leg.channel_id)
            except AriError as exc:  # that party is gone already: the call is ending
                log.warning("call %s: no %s track (%s)", call.call_id, kind, exc)

    async def _snoop_and_record(self, call: BridgedCall, kind: str, channel_id: str) -> None:
        snoop_id = f"{self.app}-snoop-{uuid.uuid4().hex[:16]}"
        track = Track(f"{call.call_id}-{kind}", call.call_id, kind, snoop_id)
        self._own(call.call_id, snoop_id)
        self.tracks[track.name] = track
        call.data["recordings"].append(track.name)
        entered = self._snoops_entering[snoop_id] = asyncio.get_running_loop().create_future()
        try:
            await self.client.request(
                "POST",
                f"/channels/{channel_id}/snoop",
                {"spy": "in", "app": self.app, "appArgs": SNOOP_ARGS, "snoopId": snoop_id},
            )
            # Recording a snoop that is not in Stasis yet is refused (409): wait for its StasisStart.
            await asyncio.wait_for(entered, SNOOP_ENTER_TIMEOUT_S)
        except TimeoutError:
            track.state = "failed"
            log.warning("call %s: snoop %s never entered the app; no %s track", call.call_id, snoop_id, kind)
            return
        finally:
            self._snoops_entering.pop(snoop_id, None)
        await self.client.request(
            "POST",
            f"/channels/{snoop_id}/record",
            {"name": track.name, "format": self.fmt, "ifExists": "overwrite"},
        )

    def _own(self, call_id: str, snoop_id: str) -> None:
        session = self.queue.callers.get(call_id)
        if session is not None:
            session.helper_channels.add(snoop_id)

    async def _stop(self, call: BridgedCall) -> None:
        """The call is over (bridge gone): stop what still records, hang up the snoops."""
        session = self.queue.callers.get(call.call_id)
        for track in self.of_call(call.call_id):
            if track.state == "recording":
                try:
                    await self.client.stop_live_recording(track.name)
                except NotFound:  # finished already: its bridge or channel went away, maybe unheard
                    await self._finished_unheard(track)
                except AriError as exc:
                    log.warning("call %s: could not stop %s: %s", call.call_id, track.name, exc)
            if track.snoop_id is not None:
                try:
                    await self.client.hangup_if_present(track.snoop_id)
                except AriError as exc:
                    log.warning("call %s: could not hang up snoop %s: %s", call.call_id, track.snoop_id, exc)
                if session is not None:
                    session.helper_channels.discard(track.snoop_id)

    async def _finished_unheard(self, track: Track) -> None:
        """A track that ended while we could not hear its RecordingFinished (event socket down, Asterisk
        restarted: its file is on disk, cut there) is kept like any other."""
        await asyncio.sleep(0)  # a RecordingFinished already on its way is handled first
        if track.state != "recording":
            return
        try:
            stored = await self.client.get_stored_recording(track.name)
        except AriError as exc:
            log.warning("call %s: recording %s unknown to Asterisk (%s)", track.call_id, track.name, exc)
            stored = None
        if stored is None:
            track.state = "failed"
            log.error("call %s: recording %s ended unheard and is not stored", track.call_id, track.name)
            return
        log.info("call %s: recording %s ended before we stopped it; keeping what is stored", track.call_id, track.name)
        self._finished({"recording": {"name": track.name}})

    # --- events (through Controller.listen) ---
    def _snoop_entered(self, event: Event) -> None:
        entered = self._snoops_entering.get(str(event.get("channel", {}).get("id", "")))
        if entered is not None and not entered.done():
            entered.set_result(None)

    def _finished(self, event: Event) -> None:
        track = self.tracks.get(str(event.get("recording", {}).get("name", "")))
        if track is None or track.state != "recording":
            return
        track.state = "done"
        if self.registry is not None:
            task = asyncio.get_running_loop().create_task(self._register(track))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self.queue.track(task)

    def _failed(self, event: Event) -> None:
        track = self.tracks.get(str(event.get("recording", {}).get("name", "")))
        if track is not None and track.state == "recording":
            track.state = "failed"
            log.error("call %s: recording %s failed: %s", track.call_id, track.name, event["recording"].get("cause"))

    async def _register(self, track: Track) -> None:
        from callflow.adapters.pending_writes import is_outage

        try:
            await self._register_once(track)
        except Exception as exc:
            if self.pending is None or not is_outage(exc):
                log.exception("call %s: recording %s not registered", track.call_id, track.name)
                return
            # registering is idempotent (same name, same call): the retry may repeat any part of it
            log.warning("call %s: recording %s waits for the database (%s)", track.call_id, track.name, exc)
            await self.pending.write(("recording", track.name), lambda: self._register_once(track))

    async def _register_once(self, track: Track) -> None:
        assert self.registry is not None
        await self.registry.register_finished(track.name, track.call_id, track.kind, self.fmt)
        if track not in self.registered:
            self.registered.append(track)

    async def flush(self) -> None:
        """Wait until every finished recording is registered (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
