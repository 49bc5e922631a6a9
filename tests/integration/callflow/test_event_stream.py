"""The event WebSocket: authenticates, survives odd messages and failing handlers, reconnects."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from aiohttp import web

from callflow.ari.client import AriClient
from callflow.ari.events import Backoff, EventStream


class TinyAri:
    """A real local WebSocket endpoint that plays a fixed list of messages, then closes."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        self.auth_headers: list[str] = []
        self.queries: list[dict[str, str]] = []

    async def events(self, request: web.Request) -> web.WebSocketResponse:
        self.auth_headers.append(request.headers.get("Authorization", ""))
        self.queries.append(dict(request.query))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for text in self.messages:
            await ws.send_str(text)
        await ws.close()
        return ws


async def test_the_stream_survives_odd_messages_and_reconnects_after_a_close(aiohttp_server) -> None:
    tiny = TinyAri(
        [
            "this is not JSON",
            '{"type": "Boom"}',
            '{"type": "StasisStart", "args": ["inbound"], "channel": {"id": "1.1"}}',
        ]
    )
    app = web.Application()
    app.router.add_get("/ari/events", tiny.events)
    server = await aiohttp_server(app)
    client = AriClient(str(server.make_url("")), "asterisk", "s3cret")
    seen: list[dict[str, Any]] = []
    connects = 0
    two_rounds = asyncio.Event()

    def handler(event: dict[str, Any]) -> None:
        if event["type"] == "Boom":
            raise KeyError("channel")  # a handler bug on one event
        seen.append(event)
        if len(seen) == 2:
            two_rounds.set()

    async def on_connected() -> None:
        nonlocal connects
        connects += 1

    stream = EventStream(client, ["hotline"], handler, on_connected, backoff=Backoff(0.01, 0.05))
    task = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(two_rounds.wait(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()
    assert [e["channel"]["id"] for e in seen] == ["1.1", "1.1"]  # the good event, once per connection
    assert connects >= 2 and stream.state.connections >= 2
    assert tiny.queries[0] == {"app": "hotline", "subscribeAll": "false"}
    assert tiny.auth_headers[0] == "Basic " + base64.b64encode(b"asterisk:s3cret").decode()
    assert stream.state.status == "stopped"
