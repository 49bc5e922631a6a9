"""The ARI event WebSocket: connect, read, reconnect with exponential backoff and jitter.

Asterisk never replays events missed while the socket was down, so every (re)connection calls
`on_connected` *before* reading further events; the controller reconciles its calls there.
`state` tells /healthz whether we are connected, or reconnecting since when.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp

from callflow.ari.client import AriClient
from callflow.ari.errors import AriError

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], None]
ConnectedHook = Callable[[], Awaitable[None]]


@dataclass
class ConnectionState:
    """What /healthz shows about the ARI connection."""

    url: str
    status: Literal["connecting", "connected", "reconnecting", "stopped"] = "connecting"
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_error: str | None = None
    connections: int = 0

    def change(self, status: Literal["connecting", "connected", "reconnecting", "stopped"]) -> None:
        if status != self.status:
            self.status = status
            self.since = datetime.now(UTC)

    def as_probe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.status == "connected",
            "state": "connected" if self.status == "connected" else "reconnecting",
            "since": self.since.isoformat(),
            "url": self.url,
        }
        if self.last_error and self.status != "connected":
            out["error"] = self.last_error
        return out


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: delay n is uniform in [d/2, d], d = min(maximum, initial * 2**n)."""

    initial_s: float = 0.5
    maximum_s: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.maximum_s, self.initial_s * (2 ** min(attempt, 30)))
        return rng.uniform(ceiling / 2, ceiling)


class EventStream:
    """Keeps one event WebSocket open for `apps` and hands every event to `handler`, in order."""

    def __init__(
        self,
        client: AriClient,
        apps: Iterable[str],
        handler: EventHandler,
        on_connected: ConnectedHook | None = None,
        *,
        backoff: Backoff | None = None,
        heartbeat_s: float = 20.0,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.apps = list(apps)
        self.handler = handler
        self.on_connected = on_connected
        self.backoff = backoff or Backoff()
        self.heartbeat_s = heartbeat_s
        self.rng = rng or random.Random()
        self.state = ConnectionState(url=client.base_url)
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()
        """Set while the socket is down after having been (or trying to be) connected."""
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def run(self) -> None:
        """Connect and read forever; reconnect on any failure. Cancel the task to stop."""
        attempt = 0
        try:
            while True:
                try:
                    await self._session_once()
                    attempt = 0  # a connection that worked resets the backoff
                    self.state.last_error = "event WebSocket closed by Asterisk"
                except asyncio.CancelledError:
                    raise
                except (aiohttp.ClientError, AriError, OSError, TimeoutError) as exc:
                    self.state.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("ARI event socket: %s", self.state.last_error)
                except Exception as exc:  # a bug in reconcile must not end the controller: log, reconnect
                    self.state.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("ARI event socket: unexpected failure; reconnecting")
                self.connected.clear()
                self.disconnected.set()
                self.state.change("reconnecting")
                delay = self.backoff.delay(attempt, self.rng)
                attempt += 1
                await asyncio.sleep(delay)
        finally:
            self.connected.clear()
            self.state.change("stopped")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def _session_once(self) -> None:
        url = self.client.events_url(self.apps)
        async with self.client.session.ws_connect(
            url, headers=self.client.headers, heartbeat=self.heartbeat_s, max_msg_size=0
        ) as ws:
            self._ws = ws
            self.state.connections += 1
            log.info("ARI event socket connected to %s (apps %s)", self.client.base_url, ",".join(self.apps))
            if self.on_connected is not None:
                await self.on_connected()
            self.state.change("connected")
            self.state.last_error = None
            self.disconnected.clear()
            self.connected.set()
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    try:
                        event = json.loads(msg.data)
                    except ValueError:
                        log.error("ARI sent a message that is not JSON: %.200s", msg.data)
                        continue
                    if isinstance(event, dict):
                        try:
                            self.handler(event)
                        except Exception:  # one odd event must not stop the stream for every call
                            log.exception("ARI event handler failed on %.300s", msg.data)
                elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                    break
            self._ws = None
