"""The base of a per-call session (通话会话), asyncari-style: an event `Foo` goes to `on_Foo(event)`.

A session runs inside its own worker task (see `callflow.controller`): its events, timers and
reconcile signals reach it one at a time and in order, so it needs no locks, and a session that
blocks or raises affects only its own caller. Subclasses implement `start`, `fail` (the fallback
that must never leave the caller in silence), and the `on_<Event>` handlers they care about.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from callflow.clock import Clock

log = logging.getLogger(__name__)

Event = dict[str, Any]


@dataclass(frozen=True)
class TimerFired:
    """A timer armed with `arm_timer` fired; stale tokens (re-armed or cancelled since) are dropped."""

    name: str
    token: int


@dataclass(frozen=True)
class Resume:
    """Sent after every (re)connection of the event socket: the channel as Asterisk lists it now,
    or None when it is no longer in our Stasis app (events about it may have been lost)."""

    channel: Event | None


@dataclass(frozen=True)
class Begin:
    """The channel entered our app: StasisStart, or found by reconcile (`resumed`, e.g. after a restart)."""

    resumed: bool = False


class CallSession:
    """One channel in our Stasis app. The controller owns its lifetime."""

    def __init__(self, channel: Event, args: list[str], clock: Clock) -> None:
        self.channel = channel
        self.channel_id: str = channel["id"]
        self.args = args
        self.clock = clock
        self.finished = False
        self.bridges: set[str] = set()
        """Bridges this call owns (reconcile destroys bridges of ours nobody owns)."""
        self.helper_channels: set[str] = set()
        """Snoop/externalMedia/agent channels this call owns."""
        self._post: Callable[[object], None] = lambda item: None
        self._timers: dict[str, tuple[int, asyncio.TimerHandle]] = {}
        self._token = 0

    # --- wiring (the controller's worker calls these) ---
    def attach(self, post: Callable[[object], None]) -> None:
        self._post = post

    async def deliver(self, item: object) -> None:
        if isinstance(item, Begin):
            await self.start(resumed=item.resumed)
        elif isinstance(item, Resume):
            await self.resume(item.channel)
        elif isinstance(item, TimerFired):
            current = self._timers.get(item.name)
            if current is not None and current[0] == item.token:
                del self._timers[item.name]
                await self.on_timer(item.name)
        elif isinstance(item, dict):
            handler = getattr(self, f"on_{item.get('type')}", None)
            if handler is not None:
                await handler(item)

    # --- for subclasses ---
    async def start(self, resumed: bool = False) -> None:
        """The call is ours; `resumed` when an earlier controller may have handled it already."""
        raise NotImplementedError

    async def resume(self, channel: Event | None) -> None:
        """Reconcile after a reconnect. Default: a channel that left us ends the session."""
        if channel is None:
            await self.on_StasisEnd({"type": "StasisEnd", "channel": {"id": self.channel_id}})

    async def fail(self, exc: BaseException) -> None:
        """Fallback after an exception in a handler: get the caller to a human or the dialplan."""
        raise NotImplementedError

    async def on_timer(self, name: str) -> None:
        pass

    async def shutdown(self) -> None:
        """The controller stops while this call is still ours (the call stays in Asterisk; a new
        controller takes it up through reconcile). Save what must not be lost."""

    async def on_StasisEnd(self, event: Event) -> None:
        self.finish()

    def finish(self) -> None:
        """The session is over: the worker stops after the current item."""
        self.finished = True
        self.cancel_all_timers()

    def arm_timer(self, seconds: float, name: str = "input") -> None:
        """(Re)arm a named timer in call-flow seconds; it arrives as `on_timer(name)` in order with events."""
        self.cancel_timer(name)
        self._token += 1
        token = self._token
        handle = asyncio.get_running_loop().call_later(
            self.clock.real_seconds(seconds), self._post, TimerFired(name, token)
        )
        self._timers[name] = (token, handle)

    def cancel_timer(self, name: str = "input") -> None:
        current = self._timers.pop(name, None)
        if current is not None:
            current[1].cancel()

    def cancel_all_timers(self) -> None:
        for name in list(self._timers):
            self.cancel_timer(name)
