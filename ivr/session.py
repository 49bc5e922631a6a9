"""The navigation session (语音导航会话): runs `ivr.domain.navigation.Navigation` on one ARI channel.

The machine decides, this session does the I/O: answer, play prompts (one playback with several
`sound:hotline/<name>` media), stop a playback on a key (barge-in), arm timers on the shared clock,
record a voice message after hours, and hand the call over at the end (seat → `SeatHandoff`,
transfer → continue in the dialplan, hangup → hang up). Whatever goes wrong, `fail` gets the caller to
an agent (or back to the dialplan): a caller is never left in silence.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from callflow.adapters.store import SqlCallRecordStore
from callflow.ari.client import AriClient
from callflow.ari.errors import AriError, ChannelGone, NotFound, NotInStasis, RecordingGone
from callflow.clock import Clock
from callflow.controller import Controller, SessionFactory
from callflow.domain.call import CallRecord, Disposition, PathEntry, VoiceMessage
from callflow.services import CallRecordStore, DialplanSeatHandoff, SeatHandoff, SeatRequest
from callflow.session import CallSession, Event
from callflow.web import register_call_plugin
from ivr.domain.menu import Destination, Menu
from ivr.domain.navigation import (
    ArmTimer,
    CallerHungUp,
    CancelTimer,
    Command,
    Hangup,
    KeyPressed,
    Navigation,
    Play,
    PromptFinished,
    RecordVoiceMessage,
    Route,
    Started,
    StopPlayback,
    TimedOut,
    VoiceMessageFinished,
)
from ivr.domain.navigation import (
    Event as NavigationEvent,
)
from ivr.domain.ports import OpenHours

OPEN_HOURS = web.AppKey("ivr_open_hours", OpenHours)
"""Override of the office hours (tests); by default the working-day calendar with the database's overrides."""

log = logging.getLogger(__name__)

DIALPLAN_PATH_VARIABLE = "HOTLINE_MENU_PATH"
DIALPLAN_DESTINATION_VARIABLE = "HOTLINE_DESTINATION"
DIALPLAN_SERVICE_VARIABLE = "HOTLINE_SERVICE"


@dataclass
class NavigationPorts:
    """Everything a navigation session needs from outside; the composition root (or a test) fills it."""

    client: AriClient
    menu: Menu
    open_hours: OpenHours
    records: CallRecordStore
    seat: SeatHandoff
    clock: Clock
    voice_messages_dir: Path | None = None
    """Where a copy of each voice message's WAV is kept (downloaded from Asterisk's stored recordings)."""
    media_prefix: str = "sound:hotline/"
    fallback: tuple[str, str] | None = None
    """(context, extension) to continue at when even the agent hand-off fails; None: the next priority
    after `Stasis()` in the caller's own dialplan."""


class NavigationSession(CallSession):
    """One caller in the voice menu."""

    def __init__(self, channel: Event, args: list[str], ports: NavigationPorts) -> None:
        super().__init__(channel, args, ports.clock)
        self.ports = ports
        self.client = ports.client
        self.navigation = Navigation(ports.menu)
        caller = channel.get("caller") or {}
        self.record = CallRecord(
            id=str(uuid.uuid4()),
            channel_id=self.channel_id,
            caller_number=str(caller.get("number", "")),
            started_at=ports.clock.now(),
        )
        self.playback_id: str | None = None
        self._playbacks = 0
        self.pending_route: tuple[Destination, str] | None = None
        """A destination whose hand-over announcement is playing."""
        self.handed_over = False
        self.recording_name: str | None = None
        self.voice_message_saved = False
        self._earlier_path: list[PathEntry] = []
        self._dirty = False
        self._writer: asyncio.Task[None] | None = None
        self.record_write_failures = 0

    # --- lifecycle ---
    async def start(self, resumed: bool = False) -> None:
        if resumed:
            try:
                earlier = await self.ports.records.find_open(self.channel_id)
            except Exception:
                log.exception("call %s: could not look up its earlier record", self.channel_id)
                earlier = None
            if earlier is not None:  # a previous controller began this call: one call, one record
                self.record = earlier
                self._earlier_path = list(earlier.path)
        if self.channel.get("state") != "Up":
            await self.client.answer(self.channel_id)
        try:
            open_now = self.ports.open_hours.is_open(self.clock.now())
        except Exception:
            # e.g. a year the calendar has no holiday data for: better the menu than no service
            log.exception("call %s: office hours unknown; treating the line as open", self.channel_id)
            open_now = True
        await self._feed(Started(open_now=open_now))
        self._persist()  # written in the background: a slow database never delays the caller

    async def resume(self, channel: Event | None) -> None:
        """After a reconnect: find out what finished while we could not hear the events."""
        if channel is None:
            await self._ended()
            return
        if self.playback_id is not None:
            try:
                await self.client.get_playback(self.playback_id)
            except NotFound:
                await self._playback_done(self.playback_id)
        if self.recording_name is not None and not self.voice_message_saved:
            try:
                await self.client.get_live_recording(self.recording_name)
            except NotFound:
                stored = await self.client.get_stored_recording(self.recording_name)
                await self._voice_message_done(stored)

    # --- ARI events ---
    async def on_ChannelDtmfReceived(self, event: Event) -> None:
        await self._feed(KeyPressed(str(event["digit"])))

    async def on_PlaybackFinished(self, event: Event) -> None:
        await self._playback_done(str(event["playback"]["id"]))

    async def on_RecordingFinished(self, event: Event) -> None:
        if event["recording"]["name"] == self.recording_name:
            await self._voice_message_done(event["recording"])

    async def on_RecordingFailed(self, event: Event) -> None:
        if event["recording"]["name"] == self.recording_name:
            await self._voice_message_done(None)

    async def on_StasisEnd(self, event: Event) -> None:
        await self._ended()

    async def on_timer(self, name: str) -> None:
        await self._feed(TimedOut())

    # --- the machine ---
    async def _feed(self, event: NavigationEvent) -> None:
        for command in self.navigation.handle(event):
            try:
                await self._execute(command)
            except ChannelGone:
                log.info("call %s: channel gone during %s", self.channel_id, type(command).__name__)
                return  # the caller hung up; StasisEnd follows and closes the record

    async def _execute(self, command: Command) -> None:
        match command:
            case Play(prompts=prompts):
                await self._play(prompts)
            case StopPlayback():
                playback, self.playback_id = self.playback_id, None
                if playback is not None:
                    await self.client.stop_playback(playback)
            case ArmTimer(seconds=seconds):
                self.arm_timer(seconds)
            case CancelTimer():
                self.cancel_timer()
            case Route(destination=destination, reason=reason):
                self.cancel_timer()
                await self._route(destination, reason)
            case RecordVoiceMessage(max_seconds=max_seconds, beep=beep, terminate_on=terminate_on):
                self.recording_name = f"hotline-voicemsg-{self.record.id}"
                await self.client.record(
                    self.channel_id,
                    self.recording_name,
                    fmt="wav",
                    max_duration_s=max(1, round(max_seconds)),
                    beep=beep,
                    terminate_on=terminate_on,
                    if_exists="overwrite",
                )
            case Hangup(reason=reason):
                if self.record.disposition is None:
                    self.record.disposition = "voice-message" if self.voice_message_saved else "ended-by-menu"
                self.handed_over = True
                log.info("call %s: menu hangs up (%s)", self.channel_id, reason)
                await self.client.hangup_if_present(self.channel_id)

    async def _play(self, prompts: tuple[str, ...]) -> None:
        self._playbacks += 1
        self.playback_id = f"{self.channel_id}-nav{self._playbacks}"
        media = [f"{self.ports.media_prefix}{name}" for name in prompts]
        await self.client.play(self.channel_id, media, self.playback_id)

    async def _playback_done(self, playback_id: str) -> None:
        if playback_id != self.playback_id:
            return  # one we stopped (barge-in) or an old one
        self.playback_id = None
        if self.pending_route is not None:
            destination, reason = self.pending_route
            self.pending_route = None
            await self._hand_over(destination, reason)
            return
        await self._feed(PromptFinished())

    # --- the end of navigation ---
    async def _route(self, destination: Destination, reason: str) -> None:
        if destination.prompt:
            self.pending_route = (destination, reason)
            await self._play((destination.prompt,))
            return
        await self._hand_over(destination, reason)

    async def _hand_over(self, destination: Destination, reason: str) -> None:
        log.info("call %s → %s (%s), path %s", self.channel_id, destination.name, reason, self._path_text())
        self._sync_path()
        await self._publish_path(destination)
        if destination.kind == "seat":
            disposition: Disposition = "routed-to-seat"
        elif destination.kind == "transfer":
            disposition = "transferred"
        else:
            disposition = "ended-by-menu"
        self.record.routed(destination.name, destination.service, disposition)
        self._persist()
        if destination.kind == "seat":
            await self.ports.seat.enqueue(self._seat_request(destination), destination.name)
        elif destination.kind == "transfer":
            await self.client.continue_in_dialplan(
                self.channel_id, destination.context, destination.extension, destination.priority
            )
        else:
            await self.client.hangup_if_present(self.channel_id)
        self.handed_over = True

    async def _publish_path(self, destination: Destination) -> None:
        """Leave path, service and destination on the channel for the dialplan and `hotline call test`
        (destination last: once it is set, the other two are)."""
        await self.client.set_variable(self.channel_id, DIALPLAN_PATH_VARIABLE, self._path_text())
        await self.client.set_variable(self.channel_id, DIALPLAN_SERVICE_VARIABLE, destination.service or "")
        await self.client.set_variable(self.channel_id, DIALPLAN_DESTINATION_VARIABLE, destination.name)

    def _seat_request(self, destination: Destination) -> SeatRequest:
        return SeatRequest(
            channel_id=self.channel_id,
            call_id=self.record.id,
            caller_number=self.record.caller_number,
            destination=destination.name,
            service=destination.service,
            path_text=self._path_text(),
        )

    async def _voice_message_done(self, recording: dict[str, Any] | None) -> None:
        name = self.recording_name
        if self.voice_message_saved or name is None:
            return
        if recording is not None and recording.get("state") in (None, "done", "finished", "stopped", "recording"):
            try:
                await self._keep_voice_message(name, recording)
            except RecordingGone:
                # Real Asterisk keeps no file for a recording that ended before any audio was written
                # (seen on Asterisk 22 when the beep sound is missing, or a silent channel): no message.
                log.warning("call %s: voice message %s has no stored file in Asterisk", self.channel_id, name)
                await self._feed(VoiceMessageFinished(None))
                return
            await self._feed(VoiceMessageFinished(name))
        else:
            await self._feed(VoiceMessageFinished(None))

    async def _keep_voice_message(self, name: str, recording: dict[str, Any]) -> None:
        fmt = str(recording.get("format", "wav"))
        file_path: str | None = None
        if self.ports.voice_messages_dir is not None:
            data = await self.client.stored_recording_file(name)
            folder = self.ports.voice_messages_dir
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{name}.{fmt}"
            target.write_bytes(data)
            file_path = str(target)
        duration = recording.get("duration")
        message = VoiceMessage(
            call_id=self.record.id,
            caller_number=self.record.caller_number,
            recording_name=name,
            recording_format=fmt,
            duration_s=float(duration) if duration is not None else None,
            received_at=self.clock.now(),
        )
        await self._flush()  # the message row refers to the call record
        await self.ports.records.add_voice_message(message, file_path)
        self.voice_message_saved = True
        self.record.disposition = "voice-message"

    async def _ended(self) -> None:
        """The channel left our app: the caller hung up, or we handed the call over."""
        if self.finished:
            return
        self.cancel_all_timers()
        if self.recording_name is not None and not self.voice_message_saved:
            # The caller hung up while recording: Asterisk keeps what was said; that is the message.
            try:
                stored = await self.client.get_stored_recording(self.recording_name)
                if stored is not None:
                    await self._keep_voice_message(self.recording_name, stored)
            except AriError as exc:
                log.warning("call %s: voice message lost: %s", self.channel_id, exc)
        if not self.navigation.finished:
            self.navigation.handle(CallerHungUp())
        self._sync_path()
        self.record.close(self.clock.now())
        self.finish()
        await self._flush()

    async def shutdown(self) -> None:
        """The service stops: make sure the (still open) record is written for the next controller."""
        await self._flush()

    async def fail(self, exc: BaseException) -> None:
        """A handler failed: send the caller to the agent destination, or back to the dialplan."""
        self.cancel_all_timers()
        if self.finished:
            return
        if self.handed_over:
            log.error("call %s: failure after hand-over (%s); nothing more to do", self.channel_id, exc)
            return
        self.handed_over = True
        self.navigation.finished = True
        if self.playback_id is not None:
            playback, self.playback_id = self.playback_id, None
            try:
                await self.client.stop_playback(playback)
            except AriError:
                pass
        agent = self.ports.menu.destinations[self.ports.menu.agent_destination]
        self._sync_path()
        self.record.routed(agent.name, agent.service, "fallback-to-agent")
        try:
            await self._publish_path(agent)
            await self.ports.seat.enqueue(self._seat_request(agent), agent.name)
        except (ChannelGone, NotInStasis):
            raise
        except Exception as handoff_exc:
            log.error("call %s: agent hand-off failed (%s); back to the dialplan", self.channel_id, handoff_exc)
            self.record.disposition = "fallback-to-dialplan"
            if self.ports.fallback is not None:
                context, extension = self.ports.fallback
                await self.client.continue_in_dialplan(self.channel_id, context, extension, 1)
            else:
                await self.client.continue_in_dialplan(self.channel_id)
        self._persist()

    # --- helpers ---
    def _sync_path(self) -> None:
        self.record.path = self._earlier_path + [PathEntry(s.node, s.key, s.outcome) for s in self.navigation.path]

    def _path_text(self) -> str:
        return "; ".join(s.describe() for s in self.navigation.path)

    def _persist(self) -> None:
        """Save the record in the background, in order, latest state winning (writes coalesce)."""
        self._dirty = True
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_record())

    async def _write_record(self) -> None:
        while self._dirty:
            self._dirty = False
            try:
                await self.ports.records.save(self.record)
            except Exception:
                self.record_write_failures += 1
                log.exception("call %s: could not save the call record", self.channel_id)

    async def _flush(self) -> None:
        """Wait until the record as it is now is written (or its write failed and was logged)."""
        self._persist()
        if self._writer is not None:
            await asyncio.shield(self._writer)


NAVIGATION_ARGS = ("inbound", "local")
"""Stasis arguments of calls that run the menu: `Stasis(hotline,inbound)` and the test calls' Local ;2."""


def navigation_factory(ports: NavigationPorts) -> SessionFactory:
    """A controller route: every channel routed here runs the voice menu."""

    def factory(channel: Event, args: list[str]) -> NavigationSession:
        return NavigationSession(channel, args, ports)

    return factory


def setup(app: web.Application) -> None:
    """Install the voice menu as the handler of inbound calls (Stasis args `inbound` and `local`).

    The menu comes from `HOTLINE_MENU_PATH` (or the shipped default), office hours from the
    working-day calendar (holidays and 调休), call records from the database, and the seat hand-off
    continues in the dialplan at `HOTLINE_SEAT_CONTEXT`/`HOTLINE_SEAT_EXTENSION`.
    """
    register_call_plugin(app, _install_navigation)


class CalendarOpenHours:
    """Office hours from the working-day calendar, with the database's local overrides and imported
    years (调休, ad-hoc closures) reloaded every `refresh_s` seconds; the greeting decision stays sync."""

    def __init__(self, calendar: OpenHours, refresh_s: float = 300.0) -> None:
        self.calendar = calendar
        self.refresh_s = refresh_s
        self.refreshed = asyncio.Event()
        """Set after each successful load from the database."""

    def is_open(self, at: datetime) -> bool:
        return self.calendar.is_open(at)

    async def keep_fresh(self, sessions: Any, hours: Any) -> None:
        from ticketing.adapters.calendar_store import CalendarStore

        store = CalendarStore(sessions)
        while True:
            try:
                self.calendar = await store.load_calendar(hours)
                self.refreshed.set()
            except Exception as exc:  # tables not migrated yet, database down: keep the last calendar
                first_line = str(exc).splitlines()[0] if str(exc) else ""
                log.warning("office hours: calendar overrides not loaded (%s: %.200s)", type(exc).__name__, first_line)
            await asyncio.sleep(self.refresh_s)


class MenuUnavailable(Exception):
    """The menu could not be loaded at start-up; calls go straight back to the dialplan."""

    error_id = "ivr-menu-unavailable"


def _install_navigation(app: web.Application, controller: Controller) -> None:
    try:
        factory = _navigation_from_settings(app, controller)
    except Exception as exc:
        log.exception("the voice menu could not be set up; inbound calls continue in the dialplan")
        problem = f"{type(exc).__name__}: {exc}"

        def factory(channel: Event, args: list[str]) -> NavigationSession:
            raise MenuUnavailable(problem)  # the controller then continues the call in the dialplan

    for arg in NAVIGATION_ARGS:
        controller.route(arg, factory)


def _navigation_from_settings(app: web.Application, controller: Controller) -> SessionFactory:
    from callflow.adapters.pending_writes import RetryingCallRecordStore, pending_writes
    from hotline.app import SESSIONS, SETTINGS
    from ivr.config import load_menu
    from ticketing.domain.calendar import OfficeHours, WorkingCalendar

    settings = app[SETTINGS]
    menu = load_menu(settings.menu_path)
    hours = OfficeHours.parse(settings.office_hours, settings.timezone)
    open_hours: OpenHours
    if OPEN_HOURS in app:
        open_hours = app[OPEN_HOURS]
    else:
        calendar = CalendarOpenHours(WorkingCalendar(hours))
        controller.background(calendar.keep_fresh(app[SESSIONS], hours), "calendar-refresh")
        open_hours = calendar
    ports = NavigationPorts(
        client=controller.client,
        menu=menu,
        open_hours=open_hours,
        records=RetryingCallRecordStore(SqlCallRecordStore(app[SESSIONS]), pending_writes(app)),
        seat=_seat_handoff(app, controller, settings.seat_context, settings.seat_extension),
        clock=controller.clock,
        voice_messages_dir=settings.recordings_dir / "voice-messages",
        fallback=(settings.seat_context, settings.seat_extension),
    )
    return navigation_factory(ports)


def _seat_handoff(app: web.Application, controller: Controller, context: str, extension: str) -> SeatHandoff:
    """The ARI seat queue when it runs (callflow.seat), else continue in the dialplan's `Queue()`."""
    from callflow.seat.web import SEAT_QUEUE

    if SEAT_QUEUE in app:
        return app[SEAT_QUEUE]
    return DialplanSeatHandoff(controller.client, context, extension)
