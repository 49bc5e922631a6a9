"""The review lists' API (差评清单、责任清单、整改清单) under /api/v1/reviews, and the `ReviewLoop` wiring.

Bearer-token auth as the work-order API (ticketing.auth). Unit staff see and act on their own unit's
entries only (another unit's list is 403, another unit's entry 404); hotline staff see every unit.
Lists and the unrated closures answer JSON, or CSV with `?format=csv` (UTF-8 with a BOM and Chinese
headers, so Excel opens it as it is). Periods: `from` / `to` as dates (Asia/Shanghai, `to` inclusive)
or ISO times with an offset (`to` exclusive).

`REVIEW_LOOP` holds the app's `ReviewLoop` (the surveys' `WorkOrderRatings`); `review_loop_for(app)`
builds it from the ticketing services once they exist (at start-up), once per app.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from hotline.app import SESSIONS, SETTINGS
from sms_feedback import review_figures as figures_sql
from sms_feedback.adapters.orm import (
    ReviewBadReviewRow,
    ReviewEventRow,
    ReviewRectificationRow,
    ReviewResponsibilityRow,
)
from sms_feedback.domain import reviews as rv
from sms_feedback.review_figures import ReviewFilters
from sms_feedback.review_loop import ReviewLoop
from ticketing import auth, openapi
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.domain.calendar import OfficeHours
from ticketing.domain.errors import InvalidInput, TicketingError
from ticketing.domain.roles import Actor
from ticketing.services import StoredCalendar, utcnow
from ticketing.web import DIRECTORY, NOW, STATUS, WORKORDERS

REVIEW_LOOP = web.AppKey("review_loop", ReviewLoop)
PREFIX = "/api/v1/reviews"
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL
YEARS = (2000, 2999)  # a period outside these years is a typing error, not a question

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def review_loop_for(app: web.Application) -> ReviewLoop:
    """The app's ReviewLoop, made on first use (call at start-up: it needs ticketing's services)."""
    if REVIEW_LOOP in app:
        return app[REVIEW_LOOP]
    settings = app[SETTINGS]
    sessions = app[SESSIONS]
    hours = OfficeHours.parse(settings.office_hours, settings.timezone)
    loop = ReviewLoop(
        sessions,
        app[WORKORDERS],
        StoredCalendar(CalendarStore(sessions), hours),
        app[NOW] if NOW in app else utcnow,
        rectify_days=settings.review_rectify_days,
    )
    app[REVIEW_LOOP] = loop
    return loop


# --- errors and request helpers ---------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _error(status: int, error_id: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": error_id, "message": message, **extra}, status=status, dumps=_dumps)


def _api(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except rv.ReviewInvalidInput as exc:
            return _error(exc.status, exc.error_id, exc.message, field=exc.field)
        except rv.ReviewError as exc:
            return _error(exc.status, exc.error_id, exc.message)
        except InvalidInput as exc:
            return _error(400, exc.error_id, exc.message, field=exc.field)
        except TicketingError as exc:
            return _error(STATUS.get(exc.error_id, 400), exc.error_id, exc.message)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


async def _actor(request: web.Request) -> Actor:
    return await auth.authenticate(request.app[SESSIONS], request.headers.get("Authorization"))


def _tz(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[SETTINGS].timezone)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise rv.ReviewInvalidInput("body", f"请求体不是合法的 JSON (invalid JSON body): {exc}") from exc
    if not isinstance(data, dict):
        raise rv.ReviewInvalidInput("body", "请求体须为 JSON 对象 (body must be a JSON object)")
    return data


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise rv.ReviewInvalidInput(name, f"字段 {name} 须为字符串 ({name} must be a string)")
    return value


def _review_id(request: web.Request) -> int:
    """The entry id of the path; digits of another script ("١٢٣") or beyond 64 bits name no entry."""
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= MAX_ID):
        raise rv.ReviewNotFound(f"整改事项 {raw} 不存在 (no such review entry)")
    return int(raw)


def _bound(value: str, name: str, tz: ZoneInfo, *, end: bool) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if not YEARS[0] <= day.year <= YEARS[1]:
                raise ValueError(f"year {day.year}")
            start = datetime.combine(day, time(0), tz)
            return start + timedelta(days=1) if end else start
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise rv.ReviewInvalidInput(
            name, f"{name} 须为日期 2026-11-30 或带时区的 ISO 时间 ({name}: a date or an ISO time)"
        ) from exc
    if parsed.tzinfo is None:
        raise rv.ReviewInvalidInput(name, f"{name} 须带时区，如 +08:00 ({name} needs a UTC offset)")
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise rv.ReviewInvalidInput(name, f"{name} 的年份须在 {YEARS[0]}–{YEARS[1]} 之间 ({name}: year out of range)")
    return parsed


def _period(request: web.Request) -> tuple[datetime | None, datetime | None]:
    tz = _tz(request)
    q = request.query
    start = _bound(q["from"], "from", tz, end=False) if q.get("from") else None
    end = _bound(q["to"], "to", tz, end=True) if q.get("to") else None
    if start is not None and end is not None and end <= start:
        raise rv.ReviewInvalidInput("to", "结束时间须晚于开始时间 (to must be after from)")
    return start, end


async def _unit_scope(request: web.Request, actor: Actor) -> int | None:
    """The unit asked for (id or code); unit staff are held to their own unit."""
    ref = request.query.get("unit", "").strip()
    unit_id: int | None = None
    if ref:
        units = await request.app[DIRECTORY].units(include_inactive=True)
        found = [u.id for u in units if str(u.id) == ref or u.code == ref]
        if not found:
            raise rv.ReviewInvalidInput("unit", f"承办单位 {ref} 不存在 (unknown unit)")
        unit_id = found[0]
    if actor.role.is_unit_staff:
        if unit_id is not None and unit_id != actor.unit_id:
            raise rv.ReviewForbidden("只能查看本单位的清单 (unit staff see their own unit only)")
        return actor.unit_id
    return unit_id


def _states(request: web.Request) -> tuple[str, ...]:
    states = tuple(s.strip() for s in request.query.get("state", "").split(",") if s.strip())
    allowed = {s.value for s in rv.ReviewState}
    for state in states:
        if state not in allowed:
            raise rv.ReviewInvalidInput(
                "state", f"state 须为: {', '.join(sorted(allowed))} (unknown state {state!r})"
            )
    return states


async def _filters(request: web.Request, actor: Actor) -> ReviewFilters:
    start, end = _period(request)
    q = request.query
    overdue = q.get("overdue", "").strip().lower()
    if overdue not in ("", "0", "1", "true", "false", "yes", "no"):
        raise rv.ReviewInvalidInput("overdue", "overdue 须为 true 或 false (overdue must be true or false)")
    now = request.app[NOW]() if NOW in request.app else utcnow()
    return ReviewFilters(
        await _unit_scope(request, actor),
        start,
        end,
        _states(request),
        workorder_number=q.get("workorder", "").strip() or None,
        overdue_at=now if overdue in ("1", "true", "yes") else None,
    )


def _csv_wanted(request: web.Request) -> bool:
    fmt = request.query.get("format", "json").strip().lower()
    if fmt not in ("json", "csv"):
        raise rv.ReviewInvalidInput("format", "format 须为 json 或 csv (format must be json or csv)")
    return fmt == "csv"


# --- rows as JSON and CSV ---------------------------------------------------------------------------------


class Rows:
    """Turns rows into JSON values in the hotline's time zone, with unit names."""

    def __init__(self, tz: ZoneInfo, units: dict[int, str], now: datetime) -> None:
        self.tz = tz
        self.units = units
        self.now = now

    def time(self, value: datetime | None) -> str | None:
        return value.astimezone(self.tz).isoformat() if value is not None else None

    def unit(self, unit_id: int | None) -> str | None:
        return self.units.get(unit_id) if unit_id is not None else None

    def rectification(self, row: ReviewRectificationRow) -> dict[str, Any]:
        state = rv.ReviewState(row.state)
        return {
            "id": row.id,
            "workorder_id": row.workorder_id,
            "workorder_number": row.workorder_number,
            "unit_id": row.unit_id,
            "unit_name": self.unit(row.unit_id),
            "matter": row.matter,
            "task": row.task,
            "state": state.value,
            "state_name": state.label_zh,
            "round": row.round,
            "due_at": self.time(row.due_at),
            "overdue": state is rv.ReviewState.RECTIFYING and self.now > row.due_at,
            "opened_at": self.time(row.opened_at),
            "rectification": row.rectification,
            "rectified_at": self.time(row.rectified_at),
            "rectified_by": row.rectified_by,
            "revisit_rating": row.revisit_rating,
            "revisited_at": self.time(row.revisited_at),
            "closed_at": self.time(row.closed_at),
            "closed_by": row.closed_by,
            "close_reason": row.close_reason,
        }

    def bad_review(self, row: ReviewBadReviewRow, entry: ReviewRectificationRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "review_id": row.review_id,
            "round": row.round,
            "workorder_number": row.workorder_number,
            "unit_id": row.unit_id,
            "unit_name": self.unit(row.unit_id),
            "rating": row.rating,
            "rating_name": rv.RATING_ZH.get(row.rating, row.rating),
            "channel": row.channel,
            "channel_name": rv.CHANNEL_ZH.get(row.channel, row.channel),
            "comment": row.comment,
            "rated_at": self.time(row.rated_at),
            "review_state": entry.state,
            "review_state_name": rv.ReviewState(entry.state).label_zh,
        }

    def responsibility(self, row: ReviewResponsibilityRow, entry: ReviewRectificationRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "review_id": row.review_id,
            "workorder_number": row.workorder_number,
            "unit_id": row.unit_id,
            "unit_name": row.unit_name or self.unit(row.unit_id),
            "handler_id": row.handler_id,
            "handler_name": row.handler_name,
            "closed_by": row.closed_by,
            "recorded_at": self.time(row.recorded_at),
            "round": entry.round,
            "review_state": entry.state,
            "review_state_name": rv.ReviewState(entry.state).label_zh,
        }

    def event(self, row: ReviewEventRow) -> dict[str, Any]:
        return {
            "at": self.time(row.at),
            "actor_name": row.actor_name,
            "actor_role": row.actor_role,
            "action": row.action,
            "action_name": rv.ReviewAction(row.action).label_zh,
            "state_before": row.state_before,
            "state_after": row.state_after,
            "note": row.note,
        }

    def unrated(self, row: figures_sql.UnratedOrder) -> dict[str, Any]:
        return {
            "workorder_id": row.workorder_id,
            "workorder_number": row.number,
            "unit_id": row.unit_id,
            "unit_name": row.unit_name,
            "title": row.title,
            "closed_at": self.time(row.closed_at),
            "survey_state": row.survey_state,
            "reason": row.reason_zh,
        }


CSV_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "rectifications": [
        ("id", "整改单号"), ("workorder_number", "工单编号"), ("unit_name", "责任单位"), ("matter", "诉求事项"),
        ("task", "整改要求"), ("state_name", "状态"), ("round", "整改轮次"), ("due_at", "整改时限"),
        ("overdue", "是否超期"), ("opened_at", "登记时间"), ("rectification", "整改情况"),
        ("rectified_at", "整改完成时间"), ("revisit_rating", "回访结果"), ("revisited_at", "回访时间"),
        ("closed_at", "销号时间"), ("closed_by", "销号人"), ("close_reason", "销号理由"),
    ],
    "bad-reviews": [
        ("id", "序号"), ("review_id", "整改单号"), ("round", "轮次"), ("workorder_number", "工单编号"),
        ("unit_name", "责任单位"), ("rating_name", "评价"), ("channel_name", "评价渠道"),
        ("comment", "企业意见"), ("rated_at", "评价时间"), ("review_state_name", "整改状态"),
    ],
    "responsibilities": [
        ("id", "序号"), ("review_id", "整改单号"), ("workorder_number", "工单编号"), ("unit_name", "责任单位"),
        ("handler_name", "承办人"), ("closed_by", "办结人"), ("recorded_at", "登记时间"), ("round", "整改轮次"),
        ("review_state_name", "整改状态"),
    ],
    "unrated": [
        ("workorder_number", "工单编号"), ("unit_name", "承办单位"), ("title", "诉求事项"),
        ("closed_at", "办结时间"), ("reason", "未评价原因"),
    ],
}
CSV_NAMES = {
    "rectifications": "整改清单",
    "bad-reviews": "差评清单",
    "responsibilities": "责任清单",
    "unrated": "应评未评工单",
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def csv_document(kind: str, items: Sequence[dict[str, Any]]) -> str:
    """The list as CSV text with a BOM and Chinese headers (Excel reads UTF-8 only with the BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = CSV_COLUMNS[kind]
    writer.writerow([header for _, header in columns])
    for item in items:
        writer.writerow([_cell(item.get(key)) for key, _ in columns])
    return "\ufeff" + out.getvalue()


def _csv_response(kind: str, items: Sequence[dict[str, Any]]) -> web.Response:
    from urllib.parse import quote

    body = csv_document(kind, items).encode("utf-8")
    filename = quote(f"{CSV_NAMES[kind]}.csv")
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"{kind}.csv\"; filename*=UTF-8''{filename}"},
    )


async def _rows(request: web.Request) -> Rows:
    units = {u.id: u.name for u in await request.app[DIRECTORY].units(include_inactive=True)}
    now = request.app[NOW]() if NOW in request.app else utcnow()
    return Rows(_tz(request), units, now)


def _list_response(request: web.Request, kind: str, items: list[dict[str, Any]], csv_out: bool) -> web.Response:
    if csv_out:
        return _csv_response(kind, items)
    return web.json_response({"items": items, "total": len(items)}, dumps=_dumps)


# --- handlers ---------------------------------------------------------------------------------------------


async def _review_list(
    request: web.Request,
    kind: str,
    query: Callable[[Any, ReviewFilters], Awaitable[Sequence[Any]]],
    shape: Callable[[Any, Any], dict[str, Any]],
) -> web.Response:
    """One of the three lists, as JSON or (`?format=csv`) CSV, within what the caller may see."""
    actor = await _actor(request)
    csv_out = _csv_wanted(request)
    filters = await _filters(request, actor)
    async with request.app[SESSIONS]() as session:
        found = await query(session, filters)
    rows = await _rows(request)
    return _list_response(request, kind, [shape(rows, item) for item in found], csv_out)


@_api
async def list_rectifications(request: web.Request) -> web.Response:
    """整改清单: rectification entries opened in the period."""
    return await _review_list(request, "rectifications", figures_sql.rectifications, lambda rows, r: rows.rectification(r))


@_api
async def list_bad_reviews(request: web.Request) -> web.Response:
    """差评清单: dissatisfied ratings given in the period."""
    return await _review_list(request, "bad-reviews", figures_sql.bad_reviews, lambda rows, found: rows.bad_review(*found))


@_api
async def list_responsibilities(request: web.Request) -> web.Response:
    """责任清单: the unit and handler answering for each bad review recorded in the period."""
    return await _review_list(
        request, "responsibilities", figures_sql.responsibilities, lambda rows, found: rows.responsibility(*found)
    )


@_api
async def get_review(request: web.Request) -> web.Response:
    """One rectification entry with its bad reviews, responsibility and event trail."""
    actor = await _actor(request)
    entry, bad, duty, events = await request.app[REVIEW_LOOP].detail(actor, _review_id(request))
    rows = await _rows(request)
    doc = rows.rectification(entry)
    doc["bad_reviews"] = [rows.bad_review(b, entry) for b in bad]
    doc["responsibility"] = rows.responsibility(duty, entry) if duty is not None else None
    doc["events"] = [rows.event(e) for e in events]
    return web.json_response(doc, dumps=_dumps)


@_api
async def report_rectified(request: web.Request) -> web.Response:
    """The unit reports rectification done (整改完成); a revisit survey is queued."""
    actor = await _actor(request)
    data = await _body(request)
    done = await request.app[REVIEW_LOOP].report_rectified(actor, _review_id(request), _text(data, "text"))
    rows = await _rows(request)
    doc = rows.rectification(done.entry)
    doc["survey_queued"] = done.survey_queued
    return web.json_response(doc, dumps=_dumps)


@_api
async def close_review(request: web.Request) -> web.Response:
    """A supervisor closes an entry with a written reason (督查销号)."""
    actor = await _actor(request)
    data = await _body(request)
    entry = await request.app[REVIEW_LOOP].close(actor, _review_id(request), _text(data, "reason"))
    rows = await _rows(request)
    return web.json_response(rows.rectification(entry), dumps=_dumps)


@_api
async def review_figures(request: web.Request) -> web.Response:
    """整改回访满意率 and evaluation coverage per unit for a period."""
    actor = await _actor(request)
    unit_id = await _unit_scope(request, actor)
    start, end = _period(request)
    async with request.app[SESSIONS]() as session:
        per_unit = await figures_sql.figures(session, start, end, unit_id)
    rows = await _rows(request)
    doc: dict[str, Any] = {
        "from": rows.time(start),
        "to": rows.time(end),
        "definitions": figures_sql.DEFINITIONS,
        "units": [f.as_dict() for f in per_unit],
    }
    if unit_id is None:
        doc["total"] = figures_sql.total(per_unit).as_dict()
    return web.json_response(doc, dumps=_dumps)


@_api
async def unrated_orders(request: web.Request) -> web.Response:
    """Closed work orders still unrated after every channel (应评未评)."""
    actor = await _actor(request)
    csv_out = _csv_wanted(request)
    unit_id = await _unit_scope(request, actor)
    start, end = _period(request)
    async with request.app[SESSIONS]() as session:
        found = await figures_sql.unrated(session, start, end, unit_id)
    rows = await _rows(request)
    return _list_response(request, "unrated", [rows.unrated(r) for r in found], csv_out)


# --- OpenAPI ----------------------------------------------------------------------------------------------

_STR = {"type": "string"}
_NSTR = {"type": "string", "nullable": True}
_NTIME = {"type": "string", "format": "date-time", "nullable": True}
_INT = {"type": "integer"}
_NINT = {"type": "integer", "nullable": True}
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ERRORS = {
    "400": {"description": "invalid input (review-invalid-input and friends)", **_ERROR},
    "401": {"description": "unauthenticated", **_ERROR},
    "403": {"description": "review-forbidden: another unit's list or a role that may not act", **_ERROR},
}
_ID = {"name": "id", "in": "path", "required": True, "schema": _INT, "description": "the rectification entry"}


def _q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or _STR}


_PERIOD = [
    _q("unit", "unit id or code (unit staff: their own unit only)"),
    _q("from", "start date 2026-11-01 (Asia/Shanghai) or ISO time with an offset"),
    _q("to", "end date, inclusive, or ISO time with an offset, exclusive"),
]
_STATE = _q("state", "comma-separated entry states: " + ", ".join(s.value for s in rv.ReviewState))
_WORKORDER = _q("workorder", "one work order's number (YS2026113000001)")
_OVERDUE = _q("overdue", "true: only entries still being rectified past their due time (整改超期)",
              {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]})
_FORMAT = _q("format", "json (default) or csv (UTF-8 with BOM)", {"type": "string", "enum": ["json", "csv"]})

_ENTRY = {
    "type": "object",
    "properties": {
        "id": _INT, "workorder_id": _INT, "workorder_number": _STR, "unit_id": _NINT, "unit_name": _NSTR,
        "matter": _STR, "task": _STR, "state": {"type": "string", "enum": [s.value for s in rv.ReviewState]},
        "state_name": _STR, "round": _INT, "due_at": _STR, "overdue": {"type": "boolean"}, "opened_at": _STR,
        "rectification": _NSTR, "rectified_at": _NTIME, "rectified_by": _NSTR, "revisit_rating": _NSTR,
        "revisited_at": _NTIME, "closed_at": _NTIME, "closed_by": _NSTR, "close_reason": _NSTR,
    },
}
_LIST = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"type": "object"}}, "total": _INT},
}


def _list_op(summary: str, tag_params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["reviews"],
        "parameters": tag_params,
        "responses": {
            "200": {
                "description": "the list (JSON) or its CSV export",
                "content": {"application/json": {"schema": _LIST}, "text/csv": {"schema": _STR}},
            },
            **_ERRORS,
        },
    }


def _entry_op(summary: str, body: dict[str, Any] | None, extra: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": ["reviews"],
        "parameters": [_ID],
        "responses": {
            "200": {"description": "the entry", "content": {"application/json": {"schema": _ENTRY}}},
            **_ERRORS,
            "404": {"description": "review-not-found (or another unit's entry)", **_ERROR},
            **extra,
        },
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "properties": body}}},
        }
    return op


_CONFLICT = {"409": {"description": "review-invalid-state: the entry's state does not allow it", **_ERROR}}

OPERATIONS: list[tuple[str, str, Handler, dict[str, Any]]] = [
    ("get", "/rectifications", list_rectifications,
     _list_op("整改清单: rectification entries opened in the period", [*_PERIOD, _STATE, _WORKORDER, _OVERDUE, _FORMAT])),
    ("get", "/bad-reviews", list_bad_reviews,
     _list_op("差评清单: dissatisfied ratings given in the period", [*_PERIOD, _STATE, _WORKORDER, _OVERDUE, _FORMAT])),
    ("get", "/responsibilities", list_responsibilities,
     _list_op("责任清单: unit and handler of each bad review", [*_PERIOD, _STATE, _WORKORDER, _OVERDUE, _FORMAT])),
    ("get", "/unrated", unrated_orders,
     _list_op("应评未评: closed work orders unrated after every channel", [*_PERIOD, _FORMAT])),
    ("get", "/figures", review_figures, {
        "summary": "整改回访满意率 and evaluation coverage per unit",
        "tags": ["reviews"],
        "parameters": _PERIOD,
        "responses": {
            "200": {"description": "figures with their definitions", "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {
                    "from": _NTIME, "to": _NTIME,
                    "definitions": {"type": "array", "items": {"type": "object"}},
                    "units": {"type": "array", "items": {"type": "object"}},
                    "total": {"type": "object"},
                },
            }}}},
            **_ERRORS,
        },
    }),
    ("get", "/{id}", get_review, _entry_op("One entry with its bad reviews, responsibility and events", None, {})),
    ("post", "/{id}/rectified", report_rectified, _entry_op(
        "The unit reports rectification done; a revisit survey is queued", {"text": _STR}, _CONFLICT,
    )),
    ("post", "/{id}/close", close_review, _entry_op(
        "A supervisor closes the entry with a written reason (督查销号)", {"reason": _STR}, _CONFLICT,
    )),
]


# --- wiring -----------------------------------------------------------------------------------------------


async def _loop(app: web.Application) -> AsyncIterator[None]:
    review_loop_for(app)
    yield


def setup(app: web.Application) -> None:
    """Wire the review loop and its API (after ticketing and sms)."""
    app.cleanup_ctx.append(_loop)
    for method, path, handler, operation in OPERATIONS:
        # the fixed paths come first in OPERATIONS, so /figures is never taken for an {id}
        app.router.add_route(method.upper(), PREFIX + path, handler)
        openapi.describe(app, method, PREFIX + path, operation)
