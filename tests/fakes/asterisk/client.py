"""A raw ARI test client for the fake's own tests (and the trace replays): REST + one event socket."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp


class RawAri:
    """Talks plain ARI to `base_url` (e.g. `http://127.0.0.1:8088`) and collects events in order."""

    def __init__(self, base_url: str, username: str = "asterisk", password: str = "asterisk") -> None:
        self.base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.session = aiohttp.ClientSession(headers={"Authorization": f"Basic {token}"})
        self.events: list[dict[str, Any]] = []
        self._new = asyncio.Event()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def close(self) -> None:
        await self.disconnect()
        await self.session.close()

    async def __aenter__(self) -> RawAri:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, app: str = "hotline") -> None:
        self._ws = await self.session.ws_connect(
            f"{self.base_url}/ari/events", params={"app": app, "subscribeAll": "false"}
        )
        self._reader = asyncio.get_running_loop().create_task(self._read(self._ws))

    async def disconnect(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(msg.data))
                self._new.set()
                self._new = asyncio.Event()

    async def request(
        self, method: str, path: str, params: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        async with self.session.request(
            method, f"{self.base_url}/ari{path}", params=params or {}, json=body
        ) as resp:
            if resp.status == 204 or resp.content_length == 0:
                return resp.status, None
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.read()

    async def event(
        self,
        type: str,
        match: dict[str, Any] | None = None,
        after: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The first event of `type` at index >= `after` whose fields (dotted paths) match."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for event in self.events[after:]:
                if event["type"] == type and _matches(event, match or {}):
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [e["type"] for e in self.events[after:]]
                raise AssertionError(f"no {type} {match or ''} within {timeout} s; got {seen}")
            try:
                await asyncio.wait_for(self._new.wait(), remaining)
            except TimeoutError:
                pass

    async def wait(self, predicate: Callable[[], bool], limit: float = 5.0) -> bool:
        """Wait (real seconds) until `predicate()` holds, re-checking at every new event."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), remaining)
        return True

    def types(self, after: int = 0, skip: tuple[str, ...] = ()) -> list[str]:
        return [e["type"] for e in self.events[after:] if e["type"] not in skip]


def _matches(event: dict[str, Any], match: dict[str, Any]) -> bool:
    for dotted, expected in match.items():
        value: Any = event
        for part in dotted.split("."):
            if not isinstance(value, dict) or part not in value:
                return False
            value = value[part]
        if value != expected:
            return False
    return True
