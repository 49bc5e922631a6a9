"""The ARI controller: registers the Stasis app, gives each call its own worker, reconciles after reconnects.

- Every channel in our app gets a `CallSession` (chosen by its first Stasis argument, e.g. "inbound")
  and a worker task with its own queue: a slow or failing call can't block or crash another one.
- An exception in a session's handler goes to the session's `fail` (its fallback to an agent); if that
  fails too, the channel is sent back to the dialplan, and as a last resort hung up — never silence.
- Asterisk doesn't replay events missed while the socket was down, so after every (re)connection we list
  the app, its channels and bridges: live sessions get `Resume(channel)`, sessions whose channel is gone
  get `Resume(None)`, channels that entered the app during the gap get a new session, and bridges or
  snoop channels of ours that nobody owns any more are cleaned up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from callflow.ari.client import AriClient
from callflow.ari.errors import AriError, ChannelGone
from callflow.ari.events import Backoff, EventStream
from callflow.clock import REAL_TIME, Clock
from callflow.session import Begin, CallSession, Resume

log = logging.getLogger(__name__)

Event = dict[str, Any]
SessionFactory = Callable[[Event, list[str]], CallSession]
Reconciler = Callable[[dict[str, Event], dict[str, Event], set[str]], Awaitable[None]]
"""Called by reconcile with Asterisk's channels and bridges (by id) and the channels in our app that no
session owns; it may `adopt` sessions for them (e.g. the seat taking up its calls after a restart)."""


@dataclass
class ControllerStats:
    """Counters for /healthz and the bench."""

    calls_started: int = 0
    calls_finished: int = 0
    handler_failures: int = 0
    reconciles: int = 0
    orphans_cleaned: int = 0
    resumed_new: int = 0
    asterisk_restarts: int = 0
    peak_calls: int = 0
    dispatch_seconds: float = field(default=0.0)


class _Worker:
    """One call's queue and task."""

    def __init__(self, controller: Controller, session: CallSession) -> None:
        self.controller = controller
        self.session = session
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        session.attach(self.queue.put_nowait)
        self.task = asyncio.create_task(self._run(), name=f"call-{session.channel_id}")

    async def _run(self) -> None:
        session = self.session
        try:
            while not session.finished:
                item = await self.queue.get()
                try:
                    await session.deliver(item)
                except asyncio.CancelledError:
                    raise
                except ChannelGone as exc:  # the caller hung up meanwhile: StasisEnd (or reconcile) follows
                    log.info("call %s: channel gone (%s)", session.channel_id, exc)
                except Exception as exc:
                    await self.controller._failed(session, exc)
        finally:
            session.cancel_all_timers()
            if not session.finished:
                try:
                    await asyncio.wait_for(session.shutdown(), 5.0)
                except Exception:
                    log.exception("call %s: shutdown of the session failed", session.channel_id)
            self.controller._forget(self)


class Controller:
    """Dispatches ARI events of one Stasis app to per-call sessions."""

    def __init__(
        self,
        client: AriClient,
        app: str,
        *,
        clock: Clock = REAL_TIME,
        backoff: Backoff | None = None,
        fallback: tuple[str, str] | None = None,
    ) -> None:
        """`fallback` = (context, extension) where a call goes when its session fails beyond repair;
        None continues at the next priority after `Stasis()`."""
        self.client = client
        self.fallback = fallback
        self.app = app
        self.clock = clock
        self.routes: dict[str, SessionFactory] = {}
        self.workers: dict[str, _Worker] = {}
        self.stats = ControllerStats()
        self.events = EventStream(client, [app], self._on_event, self.reconcile, backoff=backoff)
        self._finished_waiters: dict[str, asyncio.Future[CallSession]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self.recent: OrderedDict[str, CallSession] = OrderedDict()
        """The last `keep_recent` finished sessions, newest last (for tests and `hotline call test`)."""
        self.keep_recent = 1000
        self.listeners: dict[str, list[Callable[[Event], None]]] = {}
        self.reconcilers: list[Reconciler] = []
        self.asterisk_started: str | None = None
        """Asterisk's startup time at the last reconcile (`GET /asterisk/info`)."""
        self.asterisk_restarted = False
        """True from a reconcile that found Asterisk restarted (its startup time changed) until the next one:
        every call it had is gone, and the sessions that end now end because of that."""
        """Take-overs run by `reconcile` before it treats unowned channels as new and bridges as orphans."""

    # --- configuration ---
    def route(self, first_arg: str, factory: SessionFactory) -> None:
        """Channels whose first Stasis argument is `first_arg` get a session from `factory`."""
        self.routes[first_arg] = factory

    def listen(self, event_type: str, listener: Callable[[Event], None]) -> None:
        """Call `listener` with every event of `event_type`, before (and whatever) the routing to a session
        (e.g. RecordingFinished of a bridge recording, which may end after the call's sessions)."""
        self.listeners.setdefault(event_type, []).append(listener)

    # --- lifetime ---
    async def run(self) -> None:
        """Keep the event socket open forever (reconnecting); cancel to stop."""
        try:
            await self.events.run()
        finally:
            helpers = list(self._background)
            for task in helpers:
                task.cancel()
            for worker in list(self.workers.values()):
                worker.task.cancel()
            # Wait for them: a helper cancelled in the middle of a database query must finish closing
            # its connection before the engine is disposed, or the loop hangs at shutdown.
            await asyncio.gather(
                *helpers, *(w.task for w in list(self.workers.values())), return_exceptions=True
            )

    def background(self, coro: Any, name: str) -> None:
        """Run a helper task (e.g. a calendar refresh) for as long as the controller runs."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def state(self) -> dict[str, Any]:
        return self.events.state.as_probe()

    def session(self, channel_id: str) -> CallSession | None:
        worker = self.workers.get(channel_id)
        return worker.session if worker else None

    async def wait_finished(self, channel_id: str) -> CallSession:
        """Wait until the session of `channel_id` has ended (tests, `hotline call test`)."""
        if channel_id in self.recent:
            return self.recent[channel_id]
        loop = asyncio.get_running_loop()
        fut = self._finished_waiters.setdefault(channel_id, loop.create_future())
        return await fut

    # --- events ---
    def _on_event(self, event: Event) -> None:
        started = time.perf_counter()
        for listener in self.listeners.get(str(event.get("type")), ()):
            try:
                listener(event)
            except Exception:
                log.exception("a listener of %s failed", event.get("type"))
        channel_id = self._channel_of(event)
        if channel_id is None:
            return
        worker = self.workers.get(channel_id)
        if worker is None:
            if event.get("type") == "StasisStart":
                self._begin(event["channel"], [str(a) for a in event.get("args", [])])
            return
        worker.queue.put_nowait(event)
        self.stats.dispatch_seconds += time.perf_counter() - started

    def _channel_of(self, event: Event) -> str | None:
        if isinstance(event.get("channel"), dict):
            return str(event["channel"]["id"])
        for key in ("playback", "recording"):
            target = event.get(key, {}).get("target_uri", "") if isinstance(event.get(key), dict) else ""
            if target.startswith("channel:"):
                return str(target[len("channel:") :])
            if target.startswith("bridge:"):
                return self._bridge_owner(target[len("bridge:") :])
        if isinstance(event.get("peer"), dict):
            return str(event["peer"]["id"])
        if isinstance(event.get("bridge"), dict):
            return self._bridge_owner(str(event["bridge"]["id"]))
        return None

    def _bridge_owner(self, bridge_id: str) -> str | None:
        for channel_id, worker in self.workers.items():
            if bridge_id in worker.session.bridges:
                return channel_id
        return None

    def _begin(self, channel: Event, args: list[str], resumed: bool = False) -> bool:
        factory = self.routes.get(args[0] if args else "")
        if factory is None:
            log.info("channel %s entered %s with args %s: no route, left alone", channel["id"], self.app, args)
            return False
        try:
            session = factory(channel, args)
        except Exception:
            log.exception("could not create a session for channel %s", channel["id"])
            asyncio.get_running_loop().create_task(self._last_resort(str(channel["id"])))
            return False
        worker = _Worker(self, session)
        self.workers[session.channel_id] = worker
        self.stats.calls_started += 1
        self.stats.peak_calls = max(self.stats.peak_calls, len(self.workers))
        worker.queue.put_nowait(Begin(resumed))
        return True

    def adopt(self, session: CallSession) -> None:
        """Give `session.channel_id` to `session` from now on: a call handed on inside the app (the menu
        hands its caller to the seat queue) or a channel we are about to create (an agent leg: its events
        before `StasisStart` must reach us). The channel's current session, if any, is finished after
        the item it is handling; events already queued for it are dropped."""
        current = self.workers.get(session.channel_id)
        if current is not None:
            current.session.finish()
        worker = _Worker(self, session)
        self.workers[session.channel_id] = worker
        self.stats.calls_started += 1
        self.stats.peak_calls = max(self.stats.peak_calls, len(self.workers))
        worker.queue.put_nowait(Begin(False))

    def _forget(self, worker: _Worker) -> None:
        channel_id = worker.session.channel_id
        if self.workers.get(channel_id) is worker:
            del self.workers[channel_id]
        self.stats.calls_finished += 1
        self.recent[channel_id] = worker.session
        while len(self.recent) > self.keep_recent:
            self.recent.popitem(last=False)
        fut = self._finished_waiters.pop(channel_id, None)
        if fut is not None and not fut.done():
            fut.set_result(worker.session)

    async def _failed(self, session: CallSession, exc: Exception) -> None:
        self.stats.handler_failures += 1
        log.exception("call %s: handler failed; falling back", session.channel_id, exc_info=exc)
        try:
            await session.fail(exc)
            return
        except Exception:
            log.exception("call %s: the fallback failed too", session.channel_id)
        session.finish()
        await self._last_resort(session.channel_id)

    async def _last_resort(self, channel_id: str) -> None:
        """Back to the dialplan (the fallback context, or the next priority after Stasis); else hang up."""
        try:
            if self.fallback is not None:
                await self.client.continue_in_dialplan(channel_id, self.fallback[0], self.fallback[1], 1)
            else:
                await self.client.continue_in_dialplan(channel_id)
            return
        except AriError as exc:
            log.error("call %s: continue in dialplan failed (%s); hanging up", channel_id, exc)
        try:
            await self.client.hangup_if_present(channel_id)
        except AriError as exc:
            log.error("call %s: could not even hang up: %s", channel_id, exc)

    # --- reconcile ---
    async def reconcile(self) -> None:
        """Compare what Asterisk has with what we have; called on every (re)connection."""
        self.stats.reconciles += 1
        await self._check_restart()
        app = await self.client.get_application(self.app)
        channels = {str(c["id"]): c for c in await self.client.list_channels()}
        bridges = {str(b["id"]): b for b in await self.client.list_bridges()}
        in_app = {str(c) for c in app.get("channel_ids", [])}
        our_bridges = {str(b) for b in app.get("bridge_ids", [])} | {
            bid for bid, b in bridges.items() if str(b.get("name", "")).startswith(f"{self.app}-")
        }
        owned_bridges: set[str] = set()
        owned_channels: set[str] = set()
        for channel_id, worker in list(self.workers.items()):
            present = channels.get(channel_id) if channel_id in in_app else None
            worker.queue.put_nowait(Resume(present))
            if present is not None:
                owned_bridges |= worker.session.bridges
                owned_channels |= worker.session.helper_channels
        if self.reconcilers:
            before = set(self.workers)
            for take_over in self.reconcilers:
                try:
                    await take_over(channels, bridges, in_app - set(self.workers) - owned_channels)
                except Exception:
                    log.exception("reconcile: a take-over failed; its calls are treated as new")
            for channel_id in set(self.workers) - before:
                session = self.workers[channel_id].session
                owned_bridges |= session.bridges
                owned_channels |= session.helper_channels | {channel_id}
        for channel_id in sorted(in_app - set(self.workers) - owned_channels):
            channel = channels.get(channel_id)
            if channel is None:
                continue
            if str(channel.get("name", "")).startswith("Snoop/"):
                log.info("reconcile: hanging up orphaned snoop channel %s", channel_id)
                self.stats.orphans_cleaned += 1
                await self.client.hangup_if_present(channel_id)
                continue
            args = _stasis_args(channel, self.app)
            if args is not None and self._begin(channel, args, resumed=True):
                self.stats.resumed_new += 1
                log.info("reconcile: channel %s entered while we were away; new session", channel_id)
        for bridge_id in sorted((our_bridges & set(bridges)) - owned_bridges):
            log.info("reconcile: destroying orphaned bridge %s", bridge_id)
            self.stats.orphans_cleaned += 1
            await self.client.destroy_bridge(bridge_id)


    async def _check_restart(self) -> None:
        """ARI sends nothing when Asterisk restarts (FullyBooted is an AMI event): its startup time tells."""
        try:
            info = await self.client.request("GET", "/asterisk/info", {"only": "status"})
        except AriError as exc:
            log.warning("reconcile: Asterisk's status unknown (%s)", exc)
            return
        started = str(((info or {}).get("status") or {}).get("startup_time", "")) if isinstance(info, dict) else ""
        self.asterisk_restarted = bool(started and self.asterisk_started and started != self.asterisk_started)
        if self.asterisk_restarted:
            self.stats.asterisk_restarts += 1
            log.warning("Asterisk restarted (%s → %s): its calls are gone; closing their records",
                        self.asterisk_started, started)
        if started:
            self.asterisk_started = started


def _stasis_args(channel: Event, app: str) -> list[str] | None:
    """Stasis arguments from the channel's dialplan location (`Stasis(hotline,inbound)`), if there."""
    dialplan = channel.get("dialplan") or {}
    if dialplan.get("app_name") != "Stasis":
        return None
    parts = [p.strip() for p in str(dialplan.get("app_data", "")).split(",")]
    if not parts or parts[0] != app:
        return None
    return parts[1:]
