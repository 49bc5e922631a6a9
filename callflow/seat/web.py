"""HTTP API of the dedicated seat and of call records, and the wiring of the seat queue into the service.

- `GET/POST /api/v1/seat/agents` (list; `{"action": "login"|"logout"|"pause"|"resume", "agent", ...}`),
  `POST /api/v1/seat/agents/{agent}/{action}` for the same actions one agent at a time;
- `GET/POST/DELETE /api/v1/seat/members[/{agent}]` — supervisors add or remove agents live;
- `GET /api/v1/seat/stats` — live statistics + Erlang C advice with its inputs;
- `GET /api/v1/calls` (filters `date`, `since`, `until`, `disposition`, `agent`, `number`, `limit`,
  `offset`), `GET /api/v1/calls/{id}` (menu path, queue, legs, callbacks).
Every request is authenticated by `ticketing.auth.authenticate` (Bearer token or console session);
agents may act on the seat, member changes need a supervisor.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from callflow.controller import Controller
from callflow.seat.config import parse_seat_config, seat_enabled
from callflow.seat.domain import Agent, SeatError
from callflow.seat.records import SEAT_DISPOSITIONS, CallbackRequest
from callflow.seat.services import SeatQueue
from callflow.seat.store import CallFilters, SqlSeatStore
from callflow.web import register_call_plugin

log = logging.getLogger(__name__)

SEAT_QUEUE = web.AppKey("callflow_seat_queue", SeatQueue)
"""The running seat queue (set when the ARI controller starts); the voice menu hands callers to it."""
SEAT_STORE = web.AppKey("callflow_seat_store", SqlSeatStore)

PREFIX = "/api/v1"
HOTLINE_ROLES = ("agent", "supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor", "admin")


class SeatUnavailable(SeatError):
    error_id = "seat-unavailable"
    status = 503


class SeatForbidden(SeatError):
    error_id = "forbidden"
    status = 403


class NotFoundError(SeatError):
    error_id = "not-found"
    status = 404


def agent_json(agent: Agent) -> dict[str, Any]:
    return {
        "agent": agent.id,
        "name": agent.name,
        "endpoint": agent.endpoint,
        "state": agent.state.value,
        "since": agent.since.isoformat() if agent.since else None,
        "reason": agent.reason,
        "idle_since": agent.idle_since.isoformat() if agent.idle_since else None,
        "call": agent.reserved_for,
        "last_problem": agent.last_problem,
        "calls_answered": agent.calls_answered,
    }


def _error(exc: Exception, error_id: str, status: int) -> web.Response:
    return web.json_response(
        {"error": error_id, "message": str(exc)}, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False)
    )


Handler = Any


def _api(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        from ticketing.domain.errors import TicketingError

        try:
            return await handler(request)
        except SeatError as exc:
            return _error(exc, exc.error_id, exc.status)
        except TicketingError as exc:  # authentication
            status = {"unauthenticated": 401, "forbidden": 403}.get(exc.error_id, 400)
            return _error(exc, exc.error_id, status)

    wrapped.__name__ = handler.__name__
    return wrapped


async def _require(request: web.Request, roles: tuple[str, ...]) -> Any:
    from hotline.app import SESSIONS
    from ticketing.auth import authenticate

    actor = await authenticate(request.app[SESSIONS], request.headers.get("Authorization"))
    if str(actor.role) not in roles:
        raise SeatForbidden(f"角色「{actor.role}」无权执行此操作 (role may not do this)")
    return actor


def _queue(request: web.Request) -> SeatQueue:
    if SEAT_QUEUE not in request.app:
        raise SeatUnavailable("专席队列未启用 (the seat queue is not running: HOTLINE_SEAT_QUEUE=off?)")
    return request.app[SEAT_QUEUE]


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise SeatError(f"请求体不是合法的 JSON (invalid JSON body): {exc}") from exc
    if not isinstance(data, dict):
        raise SeatError("请求体须为 JSON 对象 (body must be a JSON object)")
    return data


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


# --- agents ---
def _agents(request: web.Request) -> web.Response:
    queue = _queue(request)
    return _json({"agents": [agent_json(a) for a in sorted(queue.seat.agents.values(), key=lambda a: a.id)]})


@_api
async def list_agents(request: web.Request) -> web.Response:
    await _require(request, HOTLINE_ROLES)
    return _agents(request)


async def _act(queue: SeatQueue, agent_id: str, action: str, data: dict[str, Any]) -> Agent:
    if action == "login":
        endpoint = str(data.get("endpoint") or "")
        return await queue.login(agent_id, endpoint)
    if action == "logout":
        return await queue.logout(agent_id)
    if action == "pause":
        return await queue.pause(agent_id, str(data.get("reason") or "小休"))
    if action == "resume":
        return await queue.resume(agent_id)
    raise SeatError(f"未知操作 (unknown action): {action}")


@_api
async def agent_action(request: web.Request) -> web.Response:
    await _require(request, HOTLINE_ROLES)
    data = await _body(request)
    agent = await _act(_queue(request), request.match_info["agent"], request.match_info["action"], data)
    return _json(agent_json(agent))


@_api
async def agents_post(request: web.Request) -> web.Response:
    await _require(request, HOTLINE_ROLES)
    data = await _body(request)
    agent = await _act(_queue(request), str(data.get("agent") or ""), str(data.get("action") or ""), data)
    return _json(agent_json(agent))


# --- members ---
@_api
async def list_members(request: web.Request) -> web.Response:
    await _require(request, HOTLINE_ROLES)
    return _agents(request)


@_api
async def add_member(request: web.Request) -> web.Response:
    await _require(request, SUPERVISOR_ROLES)
    data = await _body(request)
    agent_id = str(data.get("agent") or "").strip()
    if not agent_id:
        raise SeatError("缺少坐席工号 agent (missing agent)")
    endpoint = data.get("endpoint")
    agent = await _queue(request).add_member(agent_id, str(data.get("name") or ""), str(endpoint) if endpoint else None)
    return _json(agent_json(agent), status=201)


@_api
async def remove_member(request: web.Request) -> web.Response:
    await _require(request, SUPERVISOR_ROLES)
    agent = await _queue(request).remove_member(request.match_info["agent"])
    return _json(agent_json(agent))


# --- statistics ---
@_api
async def stats(request: web.Request) -> web.Response:
    await _require(request, HOTLINE_ROLES)
    return _json(_queue(request).snapshot())


# --- call records ---
def _when(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise SeatError(f"{name} 须为 ISO 日期时间 (expected an ISO date/time): {value}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def _filters(request: web.Request) -> CallFilters:
    q = request.query
    since = _when(q["since"], "since") if q.get("since") else None
    until = _when(q["until"], "until") if q.get("until") else None
    if q.get("date"):
        day = _when(q["date"], "date").replace(hour=0, minute=0, second=0, microsecond=0)
        since, until = day, day + timedelta(days=1)
    disposition = q.get("disposition") or None
    try:
        limit = min(500, max(1, int(q.get("limit", "50"))))
        offset = min(10**9, max(0, int(q.get("offset", "0"))))
    except ValueError as exc:
        raise SeatError(f"limit/offset 须为整数 (must be integers): {exc}") from exc
    return CallFilters(since, until, disposition, q.get("agent") or None, q.get("number") or None, limit, offset)


@_api
async def list_calls(request: web.Request) -> web.Response:
    await _require(request, HOTLINE_ROLES)
    filters = _filters(request)
    rows = await _store(request).calls(filters)
    return _json({"calls": rows, "dispositions": list(SEAT_DISPOSITIONS), "limit": filters.limit, "offset": filters.offset})


@_api
async def get_call(request: web.Request) -> web.Response:
    await _require(request, HOTLINE_ROLES)
    call = await _store(request).call(request.match_info["call_id"])
    if call is None:
        raise NotFoundError(f"没有这条通话记录 (no such call): {request.match_info['call_id']}")
    from callflow.seat.expert_web import expert_state_of

    call["expert"] = expert_state_of(request.app, request.match_info["call_id"])
    return _json(call)


def _store(request: web.Request) -> SqlSeatStore:
    from hotline.app import SESSIONS

    if SEAT_STORE not in request.app:
        request.app[SEAT_STORE] = SqlSeatStore(request.app[SESSIONS])
    return request.app[SEAT_STORE]


# --- wiring ---
class TicketingCallbackOrders:
    """Callback requests become callback work orders (回拨工单) through ticketing's `create_draft`."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    async def create(self, request: CallbackRequest) -> str:
        from ticketing.domain import workorder as wo
        from ticketing.domain.roles import SYSTEM
        from ticketing.web import WORKORDERS

        service = self.app[WORKORDERS]
        details = wo.Details(
            caller_phone=request.callback_number,
            title="专席回拨请求",
            content=f"来电 {request.caller_number} 在专席排队时选择回拨，回拨号码 {request.callback_number}。",
        )
        row = await service.create_draft(
            SYSTEM, source=wo.Source.CALLBACK, details=details, call_id=request.call_id,
            received_at=request.requested_at,
        )
        return str(row.number)


def _install_seat(app: web.Application, controller: Controller) -> None:
    from callflow.adapters.pending_writes import RetryingCallRecordStore, RetryingSeatStore, pending_writes
    from callflow.adapters.store import SqlCallRecordStore
    from callflow.seat.reservations import reservations_for
    from callflow.seat.takeover import SeatTakeover, SqlSeatCallLookup
    from hotline.app import ENGINE, SESSIONS, SETTINGS

    settings = app[SETTINGS]
    text = str(getattr(settings, "seat_queue", ""))
    if not seat_enabled(text):
        log.info("seat queue off: callers for the seat continue in the dialplan (%s)", settings.seat_context)
        return
    config = parse_seat_config(text, settings.ari_app, (settings.seat_context, settings.seat_extension))
    store = SqlSeatStore(app[SESSIONS])
    pending = pending_writes(app)  # writes wait out a database outage (callflow/adapters/pending_writes.py)
    queue = SeatQueue(
        controller.client,
        controller,
        controller.clock,
        RetryingSeatStore(store, pending),
        config=config,
        records=RetryingCallRecordStore(SqlCallRecordStore(app[SESSIONS]), pending),
        callback_orders=TicketingCallbackOrders(app),
        reservations=reservations_for(app[ENGINE].dialect.name, app[SESSIONS], settings.node_id),
    )
    app[SEAT_QUEUE] = queue
    app[SEAT_STORE] = store
    SeatTakeover(queue, SqlSeatCallLookup(app[SESSIONS]))  # after a restart: carry on with calls Asterisk kept
    controller.background(_load_members(queue, store), "seat-members")


async def _load_members(queue: SeatQueue, store: SqlSeatStore) -> None:
    """Members come back after a restart, offline until they log in again."""
    try:
        for row in await store.members():
            queue.seat.add_member(row.agent_id, queue.now(), row.name)
        queue.seat.drain_changes()
    except Exception as exc:
        log.warning("seat: members not loaded (%s)", exc)


def setup(app: web.Application) -> None:
    register_call_plugin(app, _install_seat)
    app.router.add_get(f"{PREFIX}/seat/agents", list_agents)
    app.router.add_post(f"{PREFIX}/seat/agents", agents_post)
    app.router.add_post(f"{PREFIX}/seat/agents/{{agent}}/{{action}}", agent_action)
    app.router.add_get(f"{PREFIX}/seat/members", list_members)
    app.router.add_post(f"{PREFIX}/seat/members", add_member)
    app.router.add_delete(f"{PREFIX}/seat/members/{{agent}}", remove_member)
    app.router.add_get(f"{PREFIX}/seat/stats", stats)
    app.router.add_get(f"{PREFIX}/calls", list_calls)
    app.router.add_get(f"{PREFIX}/calls/{{call_id}}", get_call)
