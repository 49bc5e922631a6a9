"""OpenAPI 3.0 description of the work-order API (served at /api/v1/openapi.json).

Other modules that add routes under /api/v1 describe them with `describe(app, method, path, operation)`
during their `setup(app)`. A served /api/v1 route nobody described still appears, with its handler's
docstring and path parameters, marked `x-generated: true`; the tests require the work-order routes to
be fully described and every described route to be served.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

EXTRA_PATHS: web.AppKey[dict[str, dict[str, Any]]] = web.AppKey("openapi_extra_paths")

ERRORS = {
    "400": "invalid-input: a field is missing or has an unknown value",
    "401": "unauthenticated: missing or invalid bearer token",
    "403": "forbidden: the role may not do this",
    "404": "not-found: no such work order visible to the caller",
    "409": "invalid-transition (names state and action) or concurrent-update",
    "422": "calendar-data-missing: no holiday data for the year",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: str) -> dict[str, Any]:
    return {
        code: {"description": ERRORS[code], "content": {"application/json": {"schema": _ref("Error")}}}
        for code in codes
    }


def _ok(schema: str, description: str = "OK", status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}}


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": schema}}}


STR = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}
REF_PARAM = {
    "name": "ref",
    "in": "path",
    "required": True,
    "description": "work-order id or number (e.g. YS2026113000001)",
    "schema": {"type": "string"},
}
ENUMS = {
    "state": [
        "draft",
        "registered",
        "dispatched",
        "signed",
        "handling",
        "replied",
        "closed",
        "evaluated",
        "returned",
        "reopened",
        "discarded",
    ],
    "class": ["consultation", "complaint", "suggestion"],
    "service": ["policy_query", "matter_consultation", "complaint", "difficult_matter", "suggestion"],
    "complexity": ["simple", "general", "difficult"],
    "source": ["call", "voice_message", "callback", "web"],
    "rating": ["satisfied", "basically_satisfied", "dissatisfied"],
}

DETAILS = {
    "caller_phone": STR,
    "caller_name": STR,
    "enterprise": STR,
    "location": STR,
    "title": STR,
    "content": STR,
    "suggested_unit": STR,
}


def _action(summary: str, body: dict[str, Any] | None, errors: tuple[str, ...]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": ["workorders"],
        "parameters": [REF_PARAM],
        "responses": {**_ok("WorkOrder"), **_errors("401", "403", "404", *errors)},
    }
    if body is not None:
        op["requestBody"] = body
    return {"post": op}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or STR,
    }


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This description",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {}}}},
        }
    },
    "/api/v1/me": {
        "get": {"summary": "The authenticated user", "responses": {**_ok("Me"), **_errors("401")}}
    },
    "/api/v1/units": {
        "get": {"summary": "Handling units (承办单位)", "responses": {**_ok("UnitList"), **_errors("401")}}
    },
    "/api/v1/workorders": {
        "get": {
            "summary": "Search, filter and paginate work orders; unit staff see their own unit's only",
            "tags": ["workorders"],
            "parameters": [
                _query("state", "comma-separated states", STR),
                _query("unit", "unit id, code or name"),
                _query(
                    "class",
                    "consultation | complaint | suggestion",
                    {"type": "string", "enum": ENUMS["class"]},
                ),
                _query("service", "one of the five services", {"type": "string", "enum": ENUMS["service"]}),
                _query(
                    "source",
                    "call | voice_message | callback | web",
                    {"type": "string", "enum": ENUMS["source"]},
                ),
                _query("due_before", "due time before this ISO 8601 instant (with offset)", TIME),
                _query(
                    "overdue", "true: only orders past their sign or reply/close due", {"type": "boolean"}
                ),
                _query("phone", "caller phone, exact"),
                _query("enterprise", "enterprise name contains"),
                _query("q", "text in title, content, number, enterprise or reply"),
                _query("received_from", "received at or after (ISO 8601)", TIME),
                _query("received_to", "received before (ISO 8601)", TIME),
                _query(
                    "limit",
                    "page size, 1..200 (default 50)",
                    {"type": "integer", "minimum": 1, "maximum": 200},
                ),
                _query("offset", "rows to skip (default 0)", {"type": "integer", "minimum": 0}),
            ],
            "responses": {**_ok("WorkOrderPage"), **_errors("400", "401")},
        },
        "post": {
            "summary": "Create a draft work order (from a call, voice message or callback request)",
            "tags": ["workorders"],
            "requestBody": _body(
                {
                    **DETAILS,
                    "source": {"type": "string", "enum": ENUMS["source"]},
                    "class": {"type": "string", "enum": ENUMS["class"]},
                    "service": {"type": "string", "enum": ENUMS["service"]},
                    "complexity": {"type": "string", "enum": ENUMS["complexity"]},
                    "contact_phone": {
                        "type": "string",
                        "description": "alias of caller_phone (draft extractor)",
                    },
                    "summary": {"type": "string", "description": "alias of title (draft extractor)"},
                    "department": {
                        "type": "string",
                        "description": "alias of suggested_unit (draft extractor)",
                    },
                    "call_id": STR,
                    "recording": STR,
                    "received_at": TIME,
                }
            ),
            "responses": {**_ok("WorkOrder", "Created", "201"), **_errors("400", "401", "403")},
        },
    },
    "/api/v1/workorders/{ref}": {
        "get": {
            "summary": "One work order with its events, extensions, returns and supervision orders",
            "tags": ["workorders"],
            "parameters": [REF_PARAM],
            "responses": {**_ok("WorkOrderDetail"), **_errors("401", "404")},
        }
    },
    "/api/v1/workorders/{ref}/register": _action(
        "Register a draft (登记) with class, service, complexity (default: the draft's suggestions); "
        "a consultation or suggestion answered on the line is closed at once",
        _body(
            {
                **DETAILS,
                "class": {"type": "string", "enum": ENUMS["class"]},
                "service": {"type": "string", "enum": ENUMS["service"]},
                "complexity": {"type": "string", "enum": ENUMS["complexity"]},
                "answered_on_line": {"type": "boolean"},
                "result": STR,
            },
        ),
        ("400", "409"),
    ),
    "/api/v1/workorders/{ref}/discard": _action(
        "Discard a draft that holds no matter (作废: empty voice message, wrong number)",
        _body({"reason": STR}, ["reason"]),
        ("400", "409"),
    ),
    "/api/v1/workorders/{ref}/dispatch": _action(
        "Dispatch, re-dispatch after a return, or send back for rectification (派单)",
        _body({"unit_id": {"type": "integer"}}),
        ("400", "409", "422"),
    ),
    "/api/v1/workorders/{ref}/sign": _action("The unit signs for it (签收)", None, ("409",)),
    "/api/v1/workorders/{ref}/handle": _action("The unit starts handling it (办理中)", None, ("409",)),
    "/api/v1/workorders/{ref}/reply": _action(
        "The unit replies (答复)", _body({"reply": STR}, ["reply"]), ("400", "409")
    ),
    "/api/v1/workorders/{ref}/close": _action(
        "The hotline closes it with the result (办结)", _body({"result": STR}, ["result"]), ("400", "409")
    ),
    "/api/v1/workorders/{ref}/return": _action(
        "The unit returns it with a reason (退单)", _body({"reason": STR}, ["reason"]), ("400", "409")
    ),
    "/api/v1/workorders/{ref}/evaluate": _action(
        "Record the caller's rating (评价); after a rectification it is the revisit rating",
        _body(
            {"rating": {"type": "string", "enum": ENUMS["rating"]}, "channel": STR, "comment": STR},
            ["rating"],
        ),
        ("400", "409"),
    ),
    "/api/v1/workorders/{ref}/reopen": _action(
        "Reopen for rectification (整改)", _body({"reason": STR}, ["reason"]), ("400", "409")
    ),
    "/api/v1/workorders/{ref}/supervise": _action(
        "Open a supervision order (督办); the unit is notified through DingTalk when configured",
        _body({"reason": STR, "due": TIME}, ["reason"]),
        ("400", "409"),
    ),
    "/api/v1/workorders/{ref}/extensions": _action(
        "Request an extension for a difficult matter (延期申请), with reason and basis",
        _body(
            {"working_days": {"type": "integer", "minimum": 1, "maximum": 30}, "reason": STR, "basis": STR},
            ["working_days", "reason", "basis"],
        ),
        ("400", "409"),
    ),
    "/api/v1/workorders/{ref}/extensions/approve": _action(
        "Approve the pending extension (批准延期): moves the due time and queues an SMS to the caller",
        _body({"note": STR}),
        ("409", "422"),
    ),
    "/api/v1/workorders/{ref}/extensions/reject": _action(
        "Reject the pending extension (驳回延期)", _body({"note": STR}, ["note"]), ("400", "409")
    ),
}

NULL_STR = {"type": "string", "nullable": True}
NULL_TIME = {"type": "string", "format": "date-time", "nullable": True}
UNIT_REF = {
    "type": "object",
    "nullable": True,
    "properties": {"id": {"type": "integer"}, "code": STR, "name": STR},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": STR, "message": STR, "field": STR},
    },
    "Me": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": STR,
            "role": {
                "type": "string",
                "enum": ["agent", "unit_handler", "unit_leader", "supervisor", "admin"],
            },
            "unit_id": {"type": "integer", "nullable": True},
        },
    },
    "Unit": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "code": STR,
            "name": STR,
            "short_name": NULL_STR,
            "kind": {"type": "string", "enum": ["department", "township", "street"]},
            "active": {"type": "boolean"},
            "dingtalk": {"type": "boolean"},
        },
    },
    "UnitList": {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Unit")}}},
    "WorkOrder": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": STR,
            "state": {"type": "string", "enum": ENUMS["state"]},
            "state_label": STR,
            "class": {"type": "string", "enum": ENUMS["class"], "nullable": True},
            "service": {"type": "string", "enum": ENUMS["service"], "nullable": True},
            "complexity": {"type": "string", "enum": ENUMS["complexity"], "nullable": True},
            "source": {"type": "string", "enum": ENUMS["source"]},
            **{name: NULL_STR for name in ("caller_phone", "caller_name", "enterprise", "location")},
            "title": STR,
            "content": STR,
            **{name: NULL_STR for name in ("call_id", "recording", "suggested_unit", "reply", "result")},
            "unit": UNIT_REF,
            **{
                name: NULL_TIME
                for name in (
                    "received_at",
                    "registered_at",
                    "dispatched_at",
                    "clock_start",
                    "sign_due",
                    "due",
                    "original_due",
                    "signed_at",
                    "replied_at",
                    "closed_at",
                    "rated_at",
                    "revisited_at",
                )
            },
            "answered_on_line": {"type": "boolean"},
            "repeat_of": {"type": "integer", "nullable": True},
            "repeat_reason": NULL_STR,
            "reopened_count": {"type": "integer"},
            "returns_count": {"type": "integer"},
            "extended": {"type": "boolean"},
            "overdue": {"type": "boolean"},
            "rating": {"type": "string", "enum": ENUMS["rating"], "nullable": True},
            "revisit_rating": {"type": "string", "enum": ENUMS["rating"], "nullable": True},
        },
    },
    "Event": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "at": TIME,
            "actor": {
                "type": "object",
                "properties": {"id": {"type": "integer", "nullable": True}, "name": STR, "role": STR},
            },
            "action": STR,
            "action_label": STR,
            "state_before": NULL_STR,
            "state_after": STR,
            "reason": NULL_STR,
            "before": {"type": "object"},
            "after": {"type": "object"},
        },
    },
    "Extension": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": ["pending", "approved", "rejected"]},
            "working_days": {"type": "integer"},
            "reason": STR,
            "basis": STR,
            "requested_at": TIME,
            "requested_by": {"type": "integer", "nullable": True},
            "decided_at": NULL_TIME,
            "decided_by": {"type": "integer", "nullable": True},
            "decision_note": NULL_STR,
            "old_due": NULL_TIME,
            "new_due": NULL_TIME,
        },
    },
    "Return": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "unit": UNIT_REF,
            "returned_at": TIME,
            "reason": STR,
            "redispatched_at": NULL_TIME,
            "redispatched_to": UNIT_REF,
        },
    },
    "Supervision": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": STR,
            "unit": UNIT_REF,
            "opened_at": TIME,
            "reason": STR,
            "due": NULL_TIME,
            "status": STR,
        },
    },
    "WorkOrderDetail": {
        "allOf": [
            _ref("WorkOrder"),
            {
                "type": "object",
                "properties": {
                    "events": {"type": "array", "items": _ref("Event")},
                    "extensions": {"type": "array", "items": _ref("Extension")},
                    "returns": {"type": "array", "items": _ref("Return")},
                    "supervision": {"type": "array", "items": _ref("Supervision")},
                },
            },
        ]
    },
    "WorkOrderPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("WorkOrder")},
            "total": {"type": "integer"},
            "total_exact": {
                "type": "boolean",
                "description": "false when a text search (q) has more matches than counted (total is then 1000+)",
            },
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": {"type": "integer", "nullable": True},
        },
    },
}


# Routes other packages mount under /api/v1 without describing them themselves; included only when the
# app really serves them, so the document never promises a route that is absent.
OTHER_ROUTES: dict[str, dict[str, Any]] = {
    "/api/v1/sms/outbox": {
        "get": {
            "summary": "The local SMS outbox (本地发件箱), newest first; empty with Twilio configured",
            "tags": ["sms"],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "gateway": {"type": "string", "enum": ["local", "twilio"]},
                                    "messages": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "sid": STR,
                                                "to": STR,
                                                "body": STR,
                                                "segments": {"type": "integer"},
                                                "status_callback": NULL_STR,
                                                "created_at": TIME,
                                            },
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                **_errors("401", "403"),
            },
        }
    },
}


def _served(app: web.Application) -> dict[tuple[str, str], Any]:
    """(method, path) → handler of every /api/v1 route the app serves."""
    out = {}
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if path and str(path).startswith("/api/v1") and route.method not in ("HEAD", "*"):
            out[(route.method.lower(), str(path))] = route.handler
    return out


def _generated(path: str, handler: Any) -> dict[str, Any]:
    """A minimal description of a route its module did not describe: the handler's docstring and its
    path parameters, marked `x-generated` so readers know the body and answer are not specified."""
    doc = (getattr(handler, "__doc__", None) or "").strip().splitlines()
    names = [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]
    return {
        "summary": doc[0] if doc else "(undocumented)",
        "x-generated": True,
        "parameters": [{"name": n, "in": "path", "required": True, "schema": STR} for n in names],
        "responses": {
            "200": {"description": "see the module that serves this route"},
            **_errors("401"),
            "default": {
                "description": "any other error, as {error, message} (the answer is not specified)",
                "content": {"application/json": {"schema": _ref("Error")}},
            },
        },
    }


def describe(app: web.Application, method: str, path: str, operation: dict[str, Any]) -> None:
    """Add another module's /api/v1 route to the description (call from its `setup(app)`)."""
    if EXTRA_PATHS not in app:
        app[EXTRA_PATHS] = {}
    app[EXTRA_PATHS].setdefault(path, {})[method.lower()] = operation


def document(app: web.Application | None = None) -> dict[str, Any]:
    paths = {path: dict(ops) for path, ops in PATHS.items()}
    if app is not None:
        for path, ops in app.get(EXTRA_PATHS, {}).items():
            paths.setdefault(path, {}).update(ops)
        served = _served(app)
        for path, ops in OTHER_ROUTES.items():
            for method, op in ops.items():
                if (method, path) in served and method not in paths.get(path, {}):
                    paths.setdefault(path, {})[method] = op
        for (method, path), handler in sorted(served.items()):
            if method not in paths.get(path, {}):
                paths.setdefault(path, {})[method] = _generated(path, handler)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "12345 营商环境专线 work-order API",
            "version": "1.0.0",
            "description": "Work orders (工单) on a working-day clock: receipt, dispatch, signing, reply, "
            "closure, returns, extensions, supervision, rectification. Times are ISO 8601 with offset.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
