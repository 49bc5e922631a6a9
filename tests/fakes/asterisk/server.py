"""The aiohttp application: HTTP Basic auth, Swagger validation, REST dispatch, the events WebSocket."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

from .model import AriError
from .rest import HANDLERS, MISSING, Reply
from .spec import EventModelError, MethodNotAllowed, PathNotFound

if TYPE_CHECKING:
    from .fake import FakeAsterisk
    from .records import RequestRecord


def build_app(fake: FakeAsterisk) -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)

    async def handle(request: web.Request) -> web.StreamResponse:
        return await _handle(fake, request)

    app.router.add_route("*", "/ari{tail:(/.*)?}", handle)
    return app


def _authorized(fake: FakeAsterisk, request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == fake.username and password == fake.password
    api_key = request.query.get("api_key")
    return api_key == f"{fake.username}:{fake.password}"


def _json(status: int, body: Any) -> web.Response:
    if body is None:
        return web.Response(status=status)
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


async def _handle(fake: FakeAsterisk, request: web.Request) -> web.StreamResponse:
    from .records import RequestRecord

    # Route on the raw path so that an encoded slash (`voicemail%2F138…`) stays inside one segment.
    raw = request.raw_path.split("?", 1)[0]
    path = raw[len("/ari") :] or "/"
    query: dict[str, list[str]] = {}
    for key, value in request.query.items():
        if key != "api_key":
            query.setdefault(key, []).append(value)
    record = RequestRecord(request.method, "/ari" + path, {k: v[-1] for k, v in query.items()}, None)
    record.events_before = record.events_at_response = len(fake.events_sent)
    fake.requests.append(record)

    def answer(status: int, body: Any) -> web.Response:
        record.status, record.response = status, body
        record.events_at_response = len(fake.events_sent)
        return _json(status, body)

    if not _authorized(fake, request):
        record.status, record.response = 401, {"message": "Authentication required"}
        resp = _json(401, record.response)
        resp.headers["WWW-Authenticate"] = 'Basic realm="Asterisk REST Interface"'
        return resp
    try:
        op, raw_params = fake.spec.resolve(request.method, path)
        path_params = {k: unquote(v) for k, v in raw_params.items()}
    except PathNotFound:
        fake.record_violation(request.method, record.path, ["no such ARI resource"])
        return answer(404, {"message": "Resource not found"})
    except MethodNotAllowed:
        fake.record_violation(request.method, record.path, [f"method {request.method} not allowed here"])
        return answer(405, {"message": "Invalid method"})
    record.operation = op.label
    body: dict[str, Any] | None = None
    if request.can_read_body:
        payload = await request.read()
        if payload.strip() and request.content_type != "application/json":
            problem = f"a body sent as {request.content_type!r}: Asterisk reads only application/json bodies"
            fake.record_violation(request.method, record.path, [problem])
            return answer(400, {"message": problem})
        if payload.strip():
            try:
                parsed = json.loads(payload)
            except ValueError:
                fake.record_violation(request.method, record.path, ["request body is not JSON"])
                return answer(400, {"message": "Failed to parse body"})
            if not isinstance(parsed, dict):
                fake.record_violation(request.method, record.path, ["request body is not a JSON object"])
                return answer(400, {"message": "Failed to parse body"})
            body = parsed
    record.body = body
    checked = fake.spec.check(op, query, body)
    if checked.problems:
        fake.record_violation(request.method, record.path, [f"{op.label}: {p}" for p in checked.problems])
    if checked.unknown or checked.invalid:
        problems = [f"unknown parameter '{n}'" for n in checked.unknown] + checked.invalid
        return answer(400, {"message": f"Bad request to {op.label}: {'; '.join(problems)}"})
    key = f"{op.resource}.{op.nickname}"
    if checked.missing:
        status, message = MISSING.get(key, (400, f"Missing parameter {checked.missing[0]}"))
        return answer(status, {"message": message})
    if op.is_websocket:
        return await _events(fake, request, checked.values, record)
    handler = HANDLERS.get(key)
    if handler is None:
        fake.report_problem(f"the fake Asterisk does not implement {op.label} (yet)")
        return answer(501, {"message": f"Not implemented by the fake Asterisk: {op.label}"})
    try:
        reply = await handler(fake, path_params, checked.values)
    except AriError as exc:
        await fake.flush_events()
        return answer(exc.status, exc.body)
    if reply.raw is None and reply.body is not None and 200 <= reply.status < 300:
        try:
            fake.validator.validate_response(op.response_class, reply.body, op.label)
        except EventModelError as exc:
            fake.report_problem(f"response of {op.label} does not match the descriptions: {exc}")
            raise
    await fake.flush_events()
    return await _send(fake, request, reply, record)


async def _send(
    fake: FakeAsterisk, request: web.Request, reply: Reply, record: RequestRecord
) -> web.StreamResponse:
    record.status, record.response = reply.status, reply.body
    record.events_at_response = len(fake.events_sent)
    if reply.raw is not None:
        resp: web.Response = web.Response(
            status=reply.status, body=reply.raw, content_type=reply.content_type
        )
    else:
        resp = _json(reply.status, reply.body)
    if reply.after is None:
        return resp
    # e.g. DELETE /channels/{id}: the 204 goes out first, the hangup events follow.
    await resp.prepare(request)
    await resp.write_eof()
    await reply.after()
    await fake.flush_events()
    return resp


async def _events(
    fake: FakeAsterisk, request: web.Request, params: dict[str, Any], record: RequestRecord
) -> web.StreamResponse:
    if fake.refusing_websockets:
        record.status = 503
        return web.Response(status=503, text="Service Unavailable")
    apps = [a for a in params.get("app", []) if a]
    if not apps:
        record.status = 400
        return _json(400, {"message": "Missing parameter app"})
    ws = web.WebSocketResponse(protocols=("ari",), heartbeat=None)
    await ws.prepare(request)
    record.status = 101
    sock = fake.open_socket(apps, ws)
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
    finally:
        await fake.close_socket(sock)
    return ws
