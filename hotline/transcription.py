"""Wiring across packages: a call's recordings (callflow → recordings) become a transcription job (asr),
and a finished job becomes the call's draft work order (ticketing) that the agent opens.

- The seat's `CallRecorder` hands every finished recording to its registry; here that registry is
  wrapped so that, once the recordings service has stored a `mix` / `caller` / `agent` track, the track
  joins the call's transcription job (`asr.jobs.TranscriptionQueue.enqueue`, one job per call).
- The worker runs only when an engine is configured (`VOSK_MODEL_PATH` or `HOTLINE_ASR_URL`, or a test's
  `TRANSCRIBER`); otherwise jobs wait in the table and /healthz says transcription is off.
- A finished job becomes a draft work order through `WorkOrderService.draft_for_call_once` (once per
  call, whatever retries happen), with the class, service and complexity the transcript suggested.
- `GET /api/v1/calls/{call_id}/draft`: the job's state, the transcript, the draft and the work order
  number, for agents, supervisors and admins (`Authorization: Bearer <token>`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from asr.jobs import MIX, PARTY_KINDS, TrackRef, TranscriptionQueue, TranscriptionWorker, utcnow
from asr.ports import AsrError, Transcriber
from callflow.adapters.pending_writes import is_outage
from callflow.controller import Controller
from ticketing.domain import workorder as wo
from ticketing.domain.errors import TicketingError
from ticketing.domain.roles import SYSTEM, Role
from ticketing.services import WorkOrderService

log = logging.getLogger(__name__)

TRANSCRIPTION_QUEUE = web.AppKey("transcription_queue", TranscriptionQueue)
TRANSCRIPTION_WORKER = web.AppKey("transcription_worker", TranscriptionWorker)
TRANSCRIBER: web.AppKey[Transcriber] = web.AppKey("transcriber")
"""Tests put their own `Transcriber` here; otherwise one is built from the settings when configured."""
TRANSCRIPTION_NOW: web.AppKey[Callable[[], datetime]] = web.AppKey("transcription_now")

READERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
SPEAKER_LABELS = {"caller": "来电人", "agent": "话务员"}
OFF_MESSAGE = "通话转写未启用：未配置 VOSK_MODEL_PATH 或 HOTLINE_ASR_URL (transcription off: no ASR engine configured)"


class TicketingCallDrafts:
    """`DraftSink` over ticketing: the call's draft work order (来电工单草稿), made once per call."""

    def __init__(self, workorders: WorkOrderService) -> None:
        self.workorders = workorders

    async def deliver(self, call_id: str, transcript: dict[str, Any], draft: dict[str, Any]) -> str:
        row = await self.workorders.draft_for_call_once(
            SYSTEM,
            source=wo.Source.CALL,
            call_id=call_id,
            details=details_from(transcript, draft),
            order_class=_enum(wo.OrderClass, draft.get("class")),
            service=_enum(wo.parse_service, draft.get("service")),
            complexity=_enum(wo.Complexity, draft.get("complexity")),
        )
        return row.number


def details_from(transcript: dict[str, Any], draft: dict[str, Any]) -> wo.Details:
    """What the caller told, from the draft; the content is the transcript, one line per turn."""
    lines = [
        f"{SPEAKER_LABELS.get(str(t.get('speaker')), '通话')}：{t.get('text', '')}" for t in transcript.get("turns", [])
    ]
    return wo.Details(
        caller_phone=draft.get("contact_phone") or None,
        enterprise=_cut(draft.get("enterprise"), 200),
        location=_cut(draft.get("location"), 200),
        title=_cut(draft.get("summary"), 200),
        content="\n".join(lines) or None,
        suggested_unit=_cut(draft.get("department"), 100),
    )


def _cut(value: Any, size: int) -> str | None:
    return str(value)[:size] if value else None


def _enum(parse: Callable[[str], Any], value: Any) -> Any:
    if not value:
        return None
    try:
        return parse(str(value))
    except ValueError:
        return None


class EnqueueingRegistry:
    """A `RecordingRegistry` that stores the recording first, then puts the track in the call's job."""

    def __init__(self, inner: Any, app: web.Application) -> None:
        self.inner = inner
        self.app = app

    async def register_finished(self, name: str, call_id: str, kind: str, fmt: str = "wav") -> object:
        stored = await self.inner.register_finished(name, call_id, kind, fmt)
        if kind in (MIX, *PARTY_KINDS):
            try:
                await self._enqueue(stored, name, call_id, kind)
            except Exception as exc:
                if is_outage(exc):  # the database is away: the recorder's pending writes retry it all
                    raise
                log.exception("call %s: recording %s not queued for transcription", call_id, name)
        return stored

    async def _enqueue(self, stored: object, name: str, call_id: str, kind: str) -> None:
        from recordings.web import RECORDINGS

        relative = getattr(stored, "stored_path", None)
        if TRANSCRIPTION_QUEUE not in self.app or RECORDINGS not in self.app or not relative:
            return
        path = self.app[RECORDINGS].store.path_for(str(relative))
        await self.app[TRANSCRIPTION_QUEUE].enqueue(call_id, [TrackRef(name, kind, str(path))])


def _wrap_recorder(app: web.Application, controller: Controller) -> None:
    from callflow.seat.expert_web import CALL_RECORDER

    if CALL_RECORDER in app and app[CALL_RECORDER].registry is not None:
        recorder = app[CALL_RECORDER]
        recorder.registry = EnqueueingRegistry(recorder.registry, app)


def _configured_transcriber(app: web.Application) -> tuple[Transcriber | None, str | None]:
    from hotline.app import SETTINGS

    if TRANSCRIBER in app:
        return app[TRANSCRIBER], None
    settings = app[SETTINGS]
    if not settings.vosk_model_path and not settings.asr_url:
        return None, OFF_MESSAGE
    from asr.engines import make_transcriber

    try:
        return make_transcriber(settings), None
    except AsrError as exc:
        log.error("transcription off: %s", exc)
        return None, f"通话转写未启用：语音模型不可用 ({exc.error_id}: {exc})"


async def _transcription(app: web.Application) -> AsyncIterator[None]:
    from hotline.app import HEALTH, SESSIONS
    from ticketing.background import BACKGROUND
    from ticketing.web import WORKORDERS

    queue = TranscriptionQueue(app[SESSIONS], now=app.get(TRANSCRIPTION_NOW, utcnow))
    app[TRANSCRIPTION_QUEUE] = queue
    transcriber, off = _configured_transcriber(app)
    state: dict[str, Any] = {"error": off}
    if transcriber is not None:
        app[TRANSCRIPTION_WORKER] = TranscriptionWorker(queue, transcriber, TicketingCallDrafts(app[WORKORDERS]))

    async def probe() -> dict[str, Any]:
        report: dict[str, Any] = {"ok": state["error"] is None, "enabled": transcriber is not None}
        if state["error"]:
            report["message"] = state["error"]
        report["affects_status"] = False  # calls go on without transcription
        try:
            report["jobs"] = await queue.counts()
        except Exception as exc:  # an unmigrated database is the database probe's to report
            report["jobs_error"] = f"{type(exc).__name__}"
        return report

    app[HEALTH].register("transcription", probe)
    task: asyncio.Task[None] | None = None
    if transcriber is not None and app.get(BACKGROUND, True):
        task = asyncio.create_task(_work(app[TRANSCRIPTION_WORKER], state), name="transcription-worker")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if transcriber is not None:
            await transcriber.close()


async def _work(worker: TranscriptionWorker, state: dict[str, Any], retry_start: float = 60.0) -> None:
    """Start the engine (a model loads in its worker processes), then run jobs until cancelled."""
    while True:
        try:
            await worker.transcriber.start()
            break
        except AsrError as exc:
            state["error"] = f"语音识别引擎无法启动 ({exc.error_id}: {exc})"
            log.error("transcription engine not started, retrying in %.0f s: %s", retry_start, exc)
            await asyncio.sleep(retry_start)
    state["error"] = None
    await worker.run()


def _error(status: int, error_id: str, message: str) -> web.Response:
    return web.json_response({"error": error_id, "message": message}, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def call_draft(request: web.Request) -> web.Response:
    """The call's transcript, draft and draft work order number (or where the job stands)."""
    from hotline.app import SESSIONS
    from ticketing.auth import authenticate

    try:
        actor = await authenticate(request.app[SESSIONS], request.headers.get("Authorization"))
    except TicketingError as exc:
        return _error(401 if exc.error_id == "unauthenticated" else 403, exc.error_id, exc.message)
    if actor.role not in READERS:
        return _error(403, "forbidden", "只有坐席、班长和管理员可以查看通话转写 (agents, supervisors and admins only)")
    call_id = request.match_info["call_id"]
    job = await request.app[TRANSCRIPTION_QUEUE].get(call_id)
    if job is None:
        return _error(404, "transcription-not-found", f"通话 {call_id} 没有转写任务 (no transcription job for this call)")
    return web.json_response(job.to_json(), dumps=_dumps)


def setup(app: web.Application) -> None:
    """After the seat and expert-call setups (the recorder exists) and ticketing (the drafts go there)."""
    from callflow.web import register_call_plugin

    register_call_plugin(app, _wrap_recorder)
    app.cleanup_ctx.append(_transcription)
    app.router.add_get("/api/v1/calls/{call_id}/draft", call_draft)
