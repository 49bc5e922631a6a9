"""The work-order JSON API under /api/v1/ (aiohttp handlers: thin, all rules live in the domain).

Authentication: `Authorization: Bearer <token>` (ticketing.auth). Errors are JSON
`{"error": <error_id>, "message": <Chinese + English>}` with a status from `STATUS`.
The OpenAPI 3 description is served at /api/v1/openapi.json (ticketing.openapi).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from hotline.app import SESSIONS, SETTINGS
from ticketing import auth, openapi
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.adapters.orm import (
    WorkOrderRow,
)
from ticketing.adapters.repository import SearchFilters, as_row_id
from ticketing.domain import workorder as wo
from ticketing.domain.calendar import CalendarError, OfficeHours
from ticketing.domain.errors import InvalidInput, TicketingError
from ticketing.domain.roles import Actor
from ticketing.services import Directory, StoredCalendar, WorkOrderService, utcnow
from ticketing.views import View, unit_json

log = logging.getLogger(__name__)

WORKORDERS = web.AppKey("ticketing_workorders", WorkOrderService)
DIRECTORY = web.AppKey("ticketing_directory", Directory)
NOW: web.AppKey[Callable[[], datetime]] = web.AppKey("ticketing_now")

PREFIX = "/api/v1"
MAX_LIMIT = 200

STATUS = {
    "unauthenticated": 401,
    "forbidden": 403,
    "not-found": 404,
    "invalid-input": 400,
    "invalid-transition": 409,
    "concurrent-update": 409,
    "calendar-data-missing": 422,
    "calendar-naive-datetime": 400,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(error_id: str, message: str, status: int | None = None, **extra: Any) -> web.Response:
    body = {"error": error_id, "message": message, **extra}
    return web.json_response(body, status=status or STATUS.get(error_id, 400), dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _api(handler: Handler) -> Handler:
    """Turn domain errors into JSON error responses with a status."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except TicketingError as exc:
            extra: dict[str, Any] = {}
            if isinstance(exc, InvalidInput):
                extra["field"] = exc.field
            return error_response(exc.error_id, exc.message, **extra)
        except CalendarError as exc:
            return error_response(exc.error_id, str(exc))

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


# --- request helpers --------------------------------------------------------------------------------


async def _actor(request: web.Request) -> Actor:
    return await auth.authenticate(request.app[SESSIONS], request.headers.get("Authorization"))


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("body", f"请求体不是合法的 JSON (invalid JSON body): {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("body", "请求体须为 JSON 对象 (body must be a JSON object)")
    return data


def _text(data: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidInput(name, f"缺少字段 {name} ({name} is required)")
        return None
    if not isinstance(value, str):
        raise InvalidInput(name, f"字段 {name} 须为字符串 ({name} must be a string)")
    return value


def _int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(name, f"字段 {name} 须为整数 ({name} must be an integer)") from exc
    if (
        isinstance(value, bool)
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
    ):
        raise InvalidInput(name, f"字段 {name} 超出范围 ({name} out of range)")
    return number


def _enum(kind: type[Any], value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(str(m.value) for m in kind)
        raise InvalidInput(
            name, f"字段 {name} 的取值须为: {allowed} ({name} must be one of: {allowed})"
        ) from exc


def _when(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(name, f"字段 {name} 须为 ISO 8601 时间 ({name} must be an ISO 8601 time)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(name, f"字段 {name} 须为 ISO 8601 时间 ({name} must be an ISO 8601 time)") from exc
    if parsed.tzinfo is None:
        raise InvalidInput(name, f"字段 {name} 须带时区，如 +08:00 ({name} needs a UTC offset)")
    if not 2000 <= parsed.year <= 2100:  # year 63 in Asia/Shanghai has a +08:05:43 offset, not RFC 3339
        raise InvalidInput(name, f"字段 {name} 超出范围 2000–2100 年 ({name} out of range)")
    return parsed


def _details(data: dict[str, Any]) -> wo.Details:
    """The caller's details; the draft extractor's names (`hotline draft`: contact_phone, summary,
    department) are accepted too."""
    return wo.Details(
        caller_phone=_text(data, "caller_phone") or _text(data, "contact_phone"),
        caller_name=_text(data, "caller_name"),
        enterprise=_text(data, "enterprise"),
        location=_text(data, "location"),
        title=_text(data, "title") or _text(data, "summary"),
        content=_text(data, "content"),
        suggested_unit=_text(data, "suggested_unit") or _text(data, "department"),
    )


def _service(value: Any) -> wo.Service:
    try:
        return wo.parse_service(str(value))
    except ValueError:
        return _enum(wo.Service, value, "service")  # raises with the allowed values


def _classification(data: dict[str, Any]) -> dict[str, Any]:
    """Optional class, service and complexity of a request body."""
    return {
        "order_class": _enum(wo.OrderClass, data["class"], "class") if data.get("class") else None,
        "service": _service(data["service"]) if data.get("service") else None,
        "complexity": _enum(wo.Complexity, data["complexity"], "complexity")
        if data.get("complexity")
        else None,
    }


async def _view(request: web.Request) -> View:
    units = {u.id: u for u in await request.app[DIRECTORY].units(include_inactive=True)}
    return View(ZoneInfo(request.app[SETTINGS].timezone), units, request.app[WORKORDERS].now())


async def _order_response(request: web.Request, row: WorkOrderRow, status: int = 200) -> web.Response:
    view = await _view(request)
    return web.json_response(view.order(row), status=status, dumps=_dumps)


# --- handlers ---------------------------------------------------------------------------------------


@_api
async def me(request: web.Request) -> web.Response:
    """The caller's identity."""
    actor = await _actor(request)
    return web.json_response(
        {"id": actor.id, "name": actor.name, "role": actor.role.value, "unit_id": actor.unit_id}, dumps=_dumps
    )


@_api
async def list_units(request: web.Request) -> web.Response:
    """The handling units (承办单位), for dispatch."""
    await _actor(request)
    units = await request.app[DIRECTORY].units()
    return web.json_response({"items": [unit_json(u) for u in units]}, dumps=_dumps)


@_api
async def create_draft(request: web.Request) -> web.Response:
    """A draft work order from a call, voice message or callback request."""
    actor = await _actor(request)
    data = await _body(request)
    source = _enum(wo.Source, data.get("source", "call"), "source")
    received = _when(data["received_at"], "received_at") if data.get("received_at") is not None else None
    row = await request.app[WORKORDERS].create_draft(
        actor,
        source=source,
        details=_details(data),
        call_id=_text(data, "call_id"),
        recording=_text(data, "recording"),
        received_at=received,
        **_classification(data),
    )
    return await _order_response(request, row, status=201)


def _filters(request: web.Request, unit_ids: dict[str, int], now: datetime) -> SearchFilters:
    q = request.query
    unit_id: int | None = None
    if q.get("unit"):
        ref = q["unit"]
        if as_row_id(ref) is not None:
            unit_id = as_row_id(ref)
        elif ref in unit_ids:
            unit_id = unit_ids[ref]
        else:
            raise InvalidInput("unit", f"承办单位 {ref} 不存在 (unknown unit)")
    states = tuple(s for s in q.get("state", "").split(",") if s)
    for state in states:
        _enum(wo.State, state, "state")
    overdue = q.get("overdue", "").lower() in ("1", "true", "yes")
    return SearchFilters(
        states=states,
        unit_id=unit_id,
        order_class=_enum(wo.OrderClass, q["class"], "class").value if q.get("class") else None,
        service=_service(q["service"]).value if q.get("service") else None,
        source=_enum(wo.Source, q["source"], "source").value if q.get("source") else None,
        due_before=_when(q["due_before"], "due_before") if q.get("due_before") else None,
        overdue_at=now if overdue else None,
        phone=q.get("phone") or None,
        enterprise=q.get("enterprise") or None,
        text=q.get("q") or None,
        received_from=_when(q["received_from"], "received_from") if q.get("received_from") else None,
        received_to=_when(q["received_to"], "received_to") if q.get("received_to") else None,
        limit=_int(q.get("limit", 50), "limit", 1, MAX_LIMIT),
        offset=_int(q.get("offset", 0), "offset", 0, 10**9),
    )


@_api
async def search(request: web.Request) -> web.Response:
    """Search, filter and paginate work orders (units see their own only)."""
    actor = await _actor(request)
    view = await _view(request)
    codes = {u.code: uid for uid, u in view.units.items()} | {u.name: uid for uid, u in view.units.items()}
    filters = _filters(request, codes, view.now)
    page = await request.app[WORKORDERS].search(actor, filters)
    return web.json_response(
        {
            "items": [view.order(r) for r in page.items],
            "total": page.total,
            "total_exact": page.total_exact,
            "limit": page.limit,
            "offset": page.offset,
            "next_offset": page.next_offset,
        },
        dumps=_dumps,
    )


@_api
async def get_one(request: web.Request) -> web.Response:
    """One work order with its events, extensions, returns and supervision orders."""
    actor = await _actor(request)
    detail = await request.app[WORKORDERS].detail(actor, request.match_info["ref"])
    view = await _view(request)
    body = view.order(detail.order)
    body["events"] = [view.event(e) for e in detail.events]
    body["extensions"] = [view.extension(e) for e in detail.extensions]
    body["returns"] = [view.returned(r) for r in detail.returns]
    body["supervision"] = [view.supervision(s) for s in detail.supervision]
    return web.json_response(body, dumps=_dumps)


Act = Callable[[WorkOrderService, Actor, str, dict[str, Any]], Awaitable[WorkOrderRow]]


def _action(act: Act, doc: str) -> Handler:
    @_api
    async def handler(request: web.Request) -> web.Response:
        actor = await _actor(request)
        data = await _body(request)
        row = await act(request.app[WORKORDERS], actor, request.match_info["ref"], data)
        return await _order_response(request, row)

    handler.__doc__ = doc
    return handler


async def _register(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.register(
        a,
        ref,
        **_classification(d),
        answered_on_line=bool(d.get("answered_on_line", False)),
        result=_text(d, "result"),
        details=_details(d),
    )


async def _discard(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.discard(a, ref, _text(d, "reason", required=True) or "")


async def _dispatch(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    unit = d.get("unit_id")
    return await s.dispatch(a, ref, _int(unit, "unit_id", 1) if unit is not None else None)


async def _sign(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.sign(a, ref)


async def _handle(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.start_handling(a, ref)


async def _reply(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.reply(a, ref, _text(d, "reply", required=True) or "")


async def _close(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.close(a, ref, _text(d, "result", required=True) or "")


async def _return(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.return_order(a, ref, _text(d, "reason", required=True) or "")


async def _evaluate(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.evaluate(
        a,
        ref,
        _enum(wo.Rating, d.get("rating"), "rating"),
        channel=_text(d, "channel") or "phone",
        comment=_text(d, "comment"),
    )


async def _reopen(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.reopen(a, ref, _text(d, "reason", required=True) or "")


async def _supervise(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    due = _when(d["due"], "due") if d.get("due") is not None else None
    return await s.supervise(a, ref, _text(d, "reason", required=True) or "", due)


async def _request_extension(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.request_extension(
        a,
        ref,
        _int(d.get("working_days"), "working_days"),
        _text(d, "reason", required=True) or "",
        _text(d, "basis", required=True) or "",
    )


async def _approve_extension(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.approve_extension(a, ref, _text(d, "note"))


async def _reject_extension(s: WorkOrderService, a: Actor, ref: str, d: dict[str, Any]) -> WorkOrderRow:
    return await s.reject_extension(a, ref, _text(d, "note", required=True) or "")


ACTIONS: dict[str, tuple[Act, str]] = {
    "register": (
        _register,
        "Register a draft (登记): class, service, complexity; answered on the line → closed.",
    ),
    "discard": (_discard, "Discard a draft that holds no matter (作废), with a reason."),
    "dispatch": (_dispatch, "Dispatch or re-dispatch to a unit (派单); starts the working-day clock."),
    "sign": (_sign, "The unit signs for it (签收)."),
    "handle": (_handle, "The unit starts handling it (办理中)."),
    "reply": (_reply, "The unit replies (答复)."),
    "close": (_close, "The hotline closes it with the result (办结)."),
    "return": (_return, "The unit returns it with a reason (退单)."),
    "evaluate": (_evaluate, "Record the caller's rating (评价)."),
    "reopen": (_reopen, "Reopen for rectification (整改)."),
    "supervise": (_supervise, "Open a supervision order (督办)."),
    "extensions": (_request_extension, "A unit requests an extension for a difficult matter (延期申请)."),
    "extensions/approve": (_approve_extension, "A supervisor approves the pending extension (批准延期)."),
    "extensions/reject": (_reject_extension, "A supervisor rejects the pending extension (驳回延期)."),
}


async def openapi_json(request: web.Request) -> web.Response:
    """The OpenAPI 3 description of this API."""
    return web.json_response(openapi.document(request.app), dumps=_dumps)


# --- wiring -----------------------------------------------------------------------------------------


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    sessions = app[SESSIONS]
    if DIRECTORY not in app:
        app[DIRECTORY] = Directory(sessions)
    if WORKORDERS not in app:
        hours = OfficeHours.parse(settings.office_hours, settings.timezone)
        calendar = StoredCalendar(CalendarStore(sessions), hours)
        now = app[NOW] if NOW in app else utcnow
        app[WORKORDERS] = WorkOrderService(sessions, calendar, now)
    yield


def setup(app: web.Application) -> None:
    """Add the work-order API to the service."""
    app.cleanup_ctx.append(_services)
    app.router.add_get(f"{PREFIX}/openapi.json", openapi_json)
    app.router.add_get(f"{PREFIX}/me", me)
    app.router.add_get(f"{PREFIX}/units", list_units)
    app.router.add_get(f"{PREFIX}/workorders", search)
    app.router.add_post(f"{PREFIX}/workorders", create_draft)
    app.router.add_get(f"{PREFIX}/workorders/{{ref}}", get_one)
    for name, (act, doc) in ACTIONS.items():
        app.router.add_post(f"{PREFIX}/workorders/{{ref}}/{name}", _action(act, doc))
