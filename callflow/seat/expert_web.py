"""HTTP API of three-way expert calls, and the wiring of recording and expert calls into the seat queue.

- `POST /api/v1/calls/{call_id}/expert` `{"topic": "..."}` — hold the caller, ring an expert for the topic;
- `POST /api/v1/calls/{call_id}/expert/join` · `/leave` · `/cancel`;
- `GET /api/v1/calls/{call_id}/expert` — the expert call's stage, message and every attempt.
Only the agent of that call (the console user whose name is the seat agent id) or a supervisor may act.
Errors: `expert-none-on-duty` 409 (the agent may turn the matter into a work order), `expert-no-call` 404,
`expert-call-busy` 409, `expert-wrong-stage` 409 (its message says why, e.g. nobody answered).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from callflow.ari.errors import AriError
from callflow.controller import Controller
from callflow.seat.expert import ExpertCallError, ExpertCalls, ExpertContact
from callflow.seat.recording import CallRecorder
from callflow.seat.web import (
    PREFIX,
    SEAT_QUEUE,
    SUPERVISOR_ROLES,
    SeatForbidden,
    SeatUnavailable,
    _api,
    _body,
    _json,
)
from callflow.web import register_call_plugin

log = logging.getLogger(__name__)

EXPERT_CALLS = web.AppKey("callflow_expert_calls", ExpertCalls)
CALL_RECORDER = web.AppKey("callflow_call_recorder", CallRecorder)


class KnowledgeExperts:
    """`ExpertDirectory` over the knowledge package's expert directory (`ExpertService.pick`)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    async def candidates(self, topic: str) -> Sequence[ExpertContact]:
        from knowledge.web import EXPERTS

        if EXPERTS not in self.app:
            return []
        picks = await self.app[EXPERTS].pick(topic)
        return [ExpertContact(p.expert.id, p.expert.name, p.expert.contact, p.backup_for) for p in picks]


class RecordingsService:
    """`RecordingRegistry` over `app[recordings.web.RECORDINGS]` (set up after the controller starts)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    async def register_finished(self, name: str, call_id: str, kind: str, fmt: str = "wav") -> object:
        from recordings.web import RECORDINGS

        return await self.app[RECORDINGS].register_finished(name, call_id, kind, fmt)


def _calls(request: web.Request) -> ExpertCalls:
    if EXPERT_CALLS not in request.app:
        raise SeatUnavailable("专席队列未启用，无法发起专家三方通话 (the seat queue is not running)")
    return request.app[EXPERT_CALLS]


async def _may_act(request: web.Request, calls: ExpertCalls, call_id: str) -> None:
    """The agent of the call, or a supervisor."""
    from hotline.app import SESSIONS
    from ticketing.auth import authenticate

    actor = await authenticate(request.app[SESSIONS], request.headers.get("Authorization"))
    if str(actor.role) in SUPERVISOR_ROLES:
        return
    if str(actor.role) == "agent" and actor.name == calls.agent_of(call_id):
        return
    raise SeatForbidden("只有本通话的坐席或班长可以操作专家通话 (only the call's agent or a supervisor)")


async def _act(request: web.Request, action: str) -> web.Response:
    calls = _calls(request)
    call_id = request.match_info["call_id"]
    await _may_act(request, calls, call_id)
    try:
        if action == "start":
            data = await _body(request)
            topic = str(data.get("topic") or "").strip()
            if not topic:
                raise ExpertCallError("缺少咨询主题 topic (missing topic)")
            expert = await calls.start(call_id, topic)
        elif action == "join":
            expert = await calls.join(call_id)
        elif action == "leave":
            expert = await calls.leave(call_id)
        else:
            expert = await calls.cancel(call_id)
    except AriError as exc:  # a party hung up under our feet: the call is ending
        raise ExpertCallError(f"通话状态已变化，操作未完成 (the call changed: {exc})") from exc
    return _json(expert.as_json(), status=202 if action == "start" else 200)


@_api
async def start_expert(request: web.Request) -> web.Response:
    return await _act(request, "start")


@_api
async def expert_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in ("join", "leave", "cancel"):
        raise ExpertCallError(f"未知操作 (unknown action): {action}")
    return await _act(request, action)


@_api
async def expert_state(request: web.Request) -> web.Response:
    calls = _calls(request)
    call_id = request.match_info["call_id"]
    await _may_act(request, calls, call_id)
    return _json(calls.state(call_id) or {"call_id": call_id, "stage": "none"})


def expert_state_of(app: web.Application, call_id: str) -> dict[str, Any] | None:
    """For `GET /api/v1/calls/{id}`: the live (or last) expert call of a call, if any."""
    return app[EXPERT_CALLS].state(call_id) if EXPERT_CALLS in app else None


def _install(app: web.Application, controller: Controller) -> None:
    if SEAT_QUEUE not in app:
        return
    queue = app[SEAT_QUEUE]
    from callflow.adapters.pending_writes import pending_writes

    app[CALL_RECORDER] = CallRecorder(queue, RecordingsService(app))
    app[CALL_RECORDER].pending = pending_writes(app)  # a registration waits out a database outage
    app[EXPERT_CALLS] = ExpertCalls(queue, KnowledgeExperts(app))


def setup(app: web.Application) -> None:
    """After the seat's setup: its plugin creates the queue that ours builds on."""
    register_call_plugin(app, _install)
    app.router.add_post(f"{PREFIX}/calls/{{call_id}}/expert", start_expert)
    app.router.add_get(f"{PREFIX}/calls/{{call_id}}/expert", expert_state)
    app.router.add_post(f"{PREFIX}/calls/{{call_id}}/expert/{{action}}", expert_action)
