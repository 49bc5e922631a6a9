"""What the fake keeps about its clients: requests, protocol violations, event sockets, applications."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Violation:
    """A request the real Asterisk would have served (or refused) but that is a bug in the client."""

    method: str
    path: str
    problems: list[str]

    def __str__(self) -> str:
        return f"{self.method} {self.path}: {'; '.join(self.problems)}"


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    response: Any = None
    operation: str = ""
    events_before: int = 0  # len(events_sent) when the request arrived
    events_at_response: int = 0  # … when the response went out (events in between came first)


@dataclass(eq=False)
class EventSocket:
    apps: list[str]
    ws: web.WebSocketResponse
    queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    writer: asyncio.Task[None] | None = None


@dataclass
class Application:
    name: str
    sockets: list[EventSocket] = field(default_factory=list)
    channel_ids: set[str] = field(default_factory=set)
    bridge_ids: set[str] = field(default_factory=set)
    endpoint_ids: set[str] = field(default_factory=set)
    device_names: set[str] = field(default_factory=set)

    @property
    def active(self) -> bool:
        return bool(self.sockets)
