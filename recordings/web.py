"""The recordings API under /api/v1/recordings (aiohttp handlers: thin; rules live in the service).

- `GET  /api/v1/recordings?call_id=` — the recordings of one call
- `GET  /api/v1/recordings/{id}` — one recording's metadata
- `GET  /api/v1/recordings/{id}/download` — the audio (audio/wav, `Content-Disposition: attachment`),
  only after the role check and the access-log row, and only if its SHA-256 still matches
- `POST /api/v1/recordings/{id}/legal-hold` — `{"hold": true, "reason": "..."}` (supervisors, admins)
Identity is ticketing's (`Authorization: Bearer <token>`, `ticketing.auth.authenticate`). Errors are JSON
`{"error": <error_id>, "message": ...}`; a denied access answers 403 and leaves an audit row.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from hotline.app import HEALTH, SESSIONS, SETTINGS
from recordings.adapters.ari_fetch import AriStoredRecordings
from recordings.adapters.spool import SpoolFolder
from recordings.adapters.store import RecordingStore
from recordings.adapters.workorder_units import WorkOrderUnits
from recordings.domain.errors import RecordingAccessDenied, RecordingsError
from recordings.domain.model import Recording
from recordings.domain.retention import RetentionPolicy
from recordings.services import RecordingService, RecordingSource, utcnow
from ticketing import auth, openapi
from ticketing.domain.errors import TicketingError
from ticketing.domain.roles import Actor

log = logging.getLogger(__name__)

RECORDINGS = web.AppKey("recordings_service", RecordingService)
"""The service; callflow calls `app[RECORDINGS].register_finished(...)` when a recording finishes."""
RECORDINGS_SOURCE: web.AppKey[RecordingSource] = web.AppKey("recordings_source")
"""Tests may put their own `RecordingSource` here; otherwise the spool folder or ARI is used."""
RECORDINGS_NOW: web.AppKey[Callable[[], datetime]] = web.AppKey("recordings_now")

PREFIX = "/api/v1/recordings"

STATUS = {
    "unauthenticated": 401,
    "recording-access-denied": 403,
    "forbidden": 403,
    "recording-not-found": 404,
    "recording-file-missing": 410,
    "recording-integrity-failed": 409,
    "recording-exists": 409,
    "invalid-input": 400,
    "recording-name-unsafe": 400,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def error_response(error_id: str, message: str, **extra: Any) -> web.Response:
    return web.json_response(
        {"error": error_id, "message": message, **extra}, status=STATUS.get(error_id, 400), dumps=_dumps
    )


def _api(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except RecordingAccessDenied as exc:
            return error_response(exc.error_id, exc.message, reason=exc.reason)
        except (RecordingsError, TicketingError) as exc:
            return error_response(exc.error_id, exc.message)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


async def _actor(request: web.Request) -> Actor:
    return await auth.authenticate(request.app[SESSIONS], request.headers.get("Authorization"))


def _remote(request: web.Request) -> str | None:
    """Where the request came from: the peer, and the proxy's X-Forwarded-For when there is one."""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    peer = request.remote
    if forwarded and forwarded != peer:
        return f"{forwarded} via {peer}"
    return peer


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) < 2**31):  # "²", 2^31: no row
        raise RecordingsError("录音编号须为数字 (recording id must be a number)")
    return int(raw)


def recording_json(rec: Recording) -> dict[str, Any]:
    return {
        "id": rec.id,
        "name": rec.name,
        "call_id": rec.call_id,
        "kind": rec.kind.value,
        "kind_zh": rec.kind.label_zh,
        "format": rec.format,
        "mime": rec.mime,
        "sample_rate": rec.sample_rate,
        "channels": rec.channels,
        "duration_s": rec.duration_s,
        "size_bytes": rec.size_bytes,
        "sha256": rec.sha256,
        "created_at": rec.created_at.isoformat(),
        "retention_until": rec.retention_until.isoformat(),
        "state": rec.state.value,
        "legal_hold": rec.legal_hold,
        "legal_hold_reason": rec.legal_hold_reason,
        "agent_user_id": rec.agent_user_id,
        "download_url": f"{PREFIX}/{rec.id}/download",
    }


@_api
async def list_recordings(request: web.Request) -> web.StreamResponse:
    """Recordings of one call (`?call_id=`)."""
    call_id = request.query.get("call_id", "").strip()
    if not call_id:
        return error_response("invalid-input", "缺少参数 call_id (call_id is required)", field="call_id")
    actor = await _actor(request)
    found = await request.app[RECORDINGS].list_for_call(actor, call_id, _remote(request))
    return web.json_response({"call_id": call_id, "items": [recording_json(r) for r in found]}, dumps=_dumps)


@_api
async def get_recording(request: web.Request) -> web.StreamResponse:
    actor = await _actor(request)
    rec = await request.app[RECORDINGS].metadata(actor, _id(request), _remote(request))
    return web.json_response(recording_json(rec), dumps=_dumps)


@_api
async def download(request: web.Request) -> web.StreamResponse:
    """The audio, streamed from the handle whose hash was just checked."""
    actor = await _actor(request)
    got = await request.app[RECORDINGS].open_for_download(actor, _id(request), _remote(request))
    rec = got.recording
    try:
        digest = base64.b64encode(bytes.fromhex(rec.sha256)).decode("ascii")
        resp = web.StreamResponse(
            headers={
                "Content-Type": rec.mime,
                "Content-Disposition": f'attachment; filename="{rec.download_name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Repr-Digest": f"sha-256=:{digest}:",
                "X-Recording-SHA256": rec.sha256,
            }
        )
        resp.content_length = rec.size_bytes
        await resp.prepare(request)
        async for chunk in got.chunks():
            await resp.write(chunk)
        await resp.write_eof()
        return resp
    finally:
        got.close()


@_api
async def legal_hold(request: web.Request) -> web.StreamResponse:
    """Put a recording under legal hold (保全: never purged) or release it."""
    actor = await _actor(request)
    try:
        data = await request.json() if request.can_read_body else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("hold"), bool):
        return error_response("invalid-input", '请求体须为 {"hold": true|false, "reason": "..."} (bad body)', field="hold")
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        return error_response("invalid-input", "reason 须为字符串 (reason must be a string)", field="reason")
    rec = await request.app[RECORDINGS].set_legal_hold(actor, _id(request), data["hold"], reason, _remote(request))
    return web.json_response(recording_json(rec), dumps=_dumps)


def _source(app: web.Application) -> RecordingSource:
    if RECORDINGS_SOURCE in app:
        return app[RECORDINGS_SOURCE]
    settings = app[SETTINGS]
    if settings.asterisk_recordings_dir is not None:
        return SpoolFolder(settings.asterisk_recordings_dir)
    from callflow.web import ARI_CLIENT

    if ARI_CLIENT in app:
        return AriStoredRecordings(app[ARI_CLIENT])
    from callflow.ari.client import AriClient

    return AriStoredRecordings(AriClient(settings.ari_url, settings.ari_user, settings.ari_password))


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if RECORDINGS not in app:
        store = RecordingStore(settings.recordings_dir)
        app[RECORDINGS] = RecordingService(
            app[SESSIONS],
            store,
            WorkOrderUnits(app[SESSIONS]),
            source=_source(app),
            policy=RetentionPolicy.parse(settings.recordings_retention),
            now=app[RECORDINGS_NOW] if RECORDINGS_NOW in app else utcnow,
        )
    service = app[RECORDINGS]

    async def probe() -> dict[str, Any]:
        root = service.store.root
        try:
            counts = await service.counts()
        except Exception as exc:  # no table yet (database not upgraded): say so, do not fail /healthz
            return {
                "ok": False,
                "affects_status": False,
                "dir": str(root),
                "source": service.source.kind,
                "error": f"{type(exc).__name__}: {exc}"[:300],
            }
        return {
            "ok": counts["corrupt"] == 0 and counts["missing"] == 0,
            "affects_status": False,  # a bad recording is reported, it does not take the service down
            "counts": counts,
            "dir": str(root),
            "source": service.source.kind,
            "retention": service.policy.describe(),
        }

    app[HEALTH].register("recordings", probe)
    yield


def setup(app: web.Application) -> None:
    """Add the recordings API to the service."""
    app.cleanup_ctx.append(_service)
    app.router.add_get(PREFIX, list_recordings)
    app.router.add_get(f"{PREFIX}/{{id}}", get_recording)
    app.router.add_get(f"{PREFIX}/{{id}}/download", download)
    app.router.add_post(f"{PREFIX}/{{id}}/legal-hold", legal_hold)
    _describe(app)


def _describe(app: web.Application) -> None:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    errors = {
        "400": {"description": "invalid-input: a missing call_id, an id that is not a number, a bad body", **error},
        "401": {"description": "unauthenticated", **error},
        "403": {"description": "recording-access-denied (an audit row is written)", **error},
    }
    rec_schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "call_id": {"type": "string"},
            "kind": {"type": "string", "enum": ["mix", "caller", "agent", "voice_message"]},
            "format": {"type": "string"},
            "duration_s": {"type": "number"},
            "size_bytes": {"type": "integer"},
            "sha256": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "retention_until": {"type": "string", "format": "date-time"},
            "state": {"type": "string", "enum": ["stored", "corrupt", "missing"]},
            "legal_hold": {"type": "boolean"},
            "download_url": {"type": "string"},
        },
    }
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ok = {"200": {"description": "OK", "content": {"application/json": {"schema": rec_schema}}}}
    openapi.describe(
        app,
        "get",
        PREFIX,
        {
            "summary": "The recordings of one call (通话录音列表)",
            "tags": ["recordings"],
            "parameters": [{"name": "call_id", "in": "query", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"call_id": {"type": "string"}, "items": {"type": "array", "items": rec_schema}},
                            }
                        }
                    },
                },
                **errors,
            },
        },
    )
    openapi.describe(
        app,
        "get",
        f"{PREFIX}/{{id}}",
        {
            "summary": "One recording's metadata (录音信息)",
            "tags": ["recordings"],
            "parameters": [id_param],
            "responses": {**ok, **errors, "404": {"description": "recording-not-found", **error}},
        },
    )
    openapi.describe(
        app,
        "get",
        f"{PREFIX}/{{id}}/download",
        {
            "summary": "Download the audio (调听/下载), after the role check, the audit row and a hash check",
            "tags": ["recordings"],
            "parameters": [id_param],
            "responses": {
                "200": {"description": "the audio", "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}},
                **errors,
                "404": {"description": "recording-not-found", **error},
                "409": {"description": "recording-integrity-failed: the hash no longer matches; never served", **error},
                "410": {"description": "recording-file-missing", **error},
            },
        },
    )
    openapi.describe(
        app,
        "post",
        f"{PREFIX}/{{id}}/legal-hold",
        {
            "summary": "Put a recording under legal hold (保全) or release it; supervisors and admins",
            "tags": ["recordings"],
            "parameters": [id_param],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"hold": {"type": "boolean"}, "reason": {"type": "string"}},
                            "required": ["hold"],
                        }
                    }
                },
            },
            "responses": {**ok, **errors, "404": {"description": "recording-not-found", **error}},
        },
    )
