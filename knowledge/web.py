"""The knowledge-base and expert-directory JSON API (aiohttp handlers: thin; rules live in the domain).

Routes (all need `Authorization: Bearer <token>`, resolved by `ticketing.auth` like the work-order API):
  POST  /api/v1/kb/entries                       create an entry (version 1)            units, supervisors
  GET   /api/v1/kb/entries?unit_id=              list entries, newest first
  GET   /api/v1/kb/entries/{id}                  an entry with its version history
  PATCH /api/v1/kb/entries/{id}                  revise (a new version)                 its unit, supervisors
  POST  /api/v1/kb/entries/{id}/hits             count an agent opening/using the entry
  GET   /api/v1/kb/search?q=&limit=&unit_id=     Chinese full-text search (entries in force)
  POST  /api/v1/kb/suggest {"text"}              entries matching a live call transcript
  GET   /api/v1/kb/units/{unit_id}/expired       the unit's entries hidden from agents (?within_days=)
  GET   /api/v1/kb/units/{unit_id}/frequent      the unit's high-frequency questions (?days=&limit=)
  GET   /api/v1/experts?topic=&on_duty=1         the expert directory (ordered for a topic)
  POST  /api/v1/experts                          add an expert                           supervisors, admins
  GET   /api/v1/experts/{id}
  PATCH /api/v1/experts/{id}                                                             supervisors, admins
  DELETE /api/v1/experts/{id}                    take an expert out (停用)               supervisors, admins
Errors are `{"error": <error_id>, "message": <Chinese (English)>}`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from hotline.app import ENGINE, SESSIONS, SETTINGS
from knowledge import search
from knowledge.bootstrap import build
from knowledge.domain.entry import Entry, Revision, Visibility, visibility
from knowledge.domain.errors import InvalidField, KnowledgeError
from knowledge.domain.expert import ExpertPick
from knowledge.services import ExpertService, Found, KnowledgeService, utcnow
from ticketing import auth
from ticketing.domain.errors import TicketingError
from ticketing.domain.roles import Actor

KNOWLEDGE = web.AppKey("knowledge_service", KnowledgeService)
EXPERTS = web.AppKey("knowledge_experts", ExpertService)
NOW: web.AppKey[Callable[[], datetime]] = web.AppKey("knowledge_now")

KB = "/api/v1/kb"
EXPERTS_PATH = "/api/v1/experts"
STATUS = {
    "unauthenticated": 401,
    "kb-forbidden": 403,
    "forbidden": 403,
    "kb-entry-not-found": 404,
    "expert-not-found": 404,
    "not-found": 404,
    "kb-stale-version": 409,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _api(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except KnowledgeError as exc:
            extra = {"field": exc.field} if isinstance(exc, InvalidField) else {}
            return _json(
                {"error": exc.error_id, "message": exc.message, **extra}, STATUS.get(exc.error_id, 400)
            )
        except TicketingError as exc:  # authentication, and unit lookups
            return _json({"error": exc.error_id, "message": exc.message}, STATUS.get(exc.error_id, 400))

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


# --- request helpers --------------------------------------------------------------------------------


async def _actor(request: web.Request) -> Actor:
    return await auth.authenticate(request.app[SESSIONS], request.headers.get("Authorization"))


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json() if request.can_read_body else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidField("body", f"请求体不是合法的 JSON（invalid JSON body）: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidField("body", "请求体须为 JSON 对象（body must be a JSON object）")
    return data


def _int(value: Any, name: str, default: int | None = None, lo: int = 0, hi: int = 10**9) -> int:
    if value is None or value == "":
        if default is None:
            raise InvalidField(name, f"缺少参数 {name}（{name} is required）")
        return default
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidField(name, f"参数 {name} 须为整数（{name} must be an integer）") from exc
    if isinstance(value, bool) or not lo <= number <= hi:
        raise InvalidField(name, f"参数 {name} 超出范围 {lo}–{hi}（{name} out of range）")
    return number


def _path_id(request: web.Request, name: str = "id") -> int:
    return _int(request.match_info[name], name, lo=1)


# --- JSON shapes ------------------------------------------------------------------------------------


def entry_json(entry: Entry, state: Visibility) -> dict[str, Any]:
    return {
        "id": entry.id,
        "title": entry.title,
        "question": entry.question,
        "answer": entry.answer,
        "key_points": list(entry.key_points),
        "situations": list(entry.situations),
        "policy_source": entry.policy_source,
        "unit_id": entry.unit_id,
        "unit_name": entry.unit_name,
        "effective_from": entry.effective_from.isoformat() if entry.effective_from else None,
        "expires_on": entry.expires_on.isoformat() if entry.expires_on else None,
        "tags": list(entry.tags),
        "version": entry.version,
        "status": state.value,
        "status_label": state.label_zh,
    }


def revision_json(revision: Revision) -> dict[str, Any]:
    return {
        "version": revision.version,
        "actor_id": revision.actor_id,
        "actor_name": revision.actor_name,
        "at": revision.at.isoformat(),
        "changes": [
            {"field": c.field, "label": c.label_zh, "before": c.before, "after": c.after}
            for c in revision.changes
        ],
    }


def found_json(found: Found) -> dict[str, Any]:
    return {
        "entry": entry_json(found.entry, Visibility.CURRENT),
        "score": found.score,
        "excerpt": found.excerpt,
    }


def pick_json(pick: ExpertPick) -> dict[str, Any]:
    e = pick.expert
    return {
        "id": e.id,
        "name": e.name,
        "unit_id": e.unit_id,
        "unit_name": e.unit_name,
        "topics": list(e.topics),
        "contact": e.contact,
        "duty": list(e.duty),
        "backup_id": e.backup_id,
        "note": e.note,
        "active": e.active,
        "on_duty": pick.on_duty,
        "backup_for": pick.backup_for,
    }


# --- knowledge base -----------------------------------------------------------------------------------


@_api
async def create_entry(request: web.Request) -> web.Response:
    """Push a new entry (推送知识)."""
    actor = await _actor(request)
    service = request.app[KNOWLEDGE]
    entry = await service.create(actor, await _body(request))
    return _json(entry_json(entry, visibility(entry, service.today())), 201)


@_api
async def list_entries(request: web.Request) -> web.Response:
    actor = await _actor(request)
    service = request.app[KNOWLEDGE]
    q = request.query
    unit = _int(q.get("unit_id"), "unit_id", default=0)
    entries = await service.entries(
        actor, unit or None, _int(q.get("limit"), "limit", 50, 1, 200), _int(q.get("offset"), "offset", 0)
    )
    today = service.today()
    return _json({"entries": [entry_json(e, visibility(e, today)) for e in entries]})


@_api
async def get_entry(request: web.Request) -> web.Response:
    """An entry with who changed which fields, when (修订记录)."""
    actor = await _actor(request)
    detail = await request.app[KNOWLEDGE].get(actor, _path_id(request))
    return _json(
        {
            **entry_json(detail.entry, detail.visibility),
            "hits": detail.hits,
            "history": [revision_json(r) for r in detail.revisions],
        }
    )


@_api
async def update_entry(request: web.Request) -> web.Response:
    """Revise an entry when policy changes: a new version (send `version` to guard against lost updates)."""
    actor = await _actor(request)
    service = request.app[KNOWLEDGE]
    entry, changes = await service.update(actor, _path_id(request), await _body(request))
    return _json(
        {
            **entry_json(entry, visibility(entry, service.today())),
            "changed": [c.field for c in changes],
        }
    )


@_api
async def record_hit(request: web.Request) -> web.Response:
    """An agent opened or used an entry (命中计数)."""
    actor = await _actor(request)
    body = await _body(request)
    query, call_id = body.get("query"), body.get("call_id")
    for name, value in (("query", query), ("call_id", call_id)):
        if value is not None and not isinstance(value, str):
            raise InvalidField(name, f"字段 {name} 须为文本（{name} must be a string）")
    hits = await request.app[KNOWLEDGE].record_hit(actor, _path_id(request), query, call_id)
    return _json({"entry_id": _path_id(request), "hits": hits}, 201)


@_api
async def search_entries(request: web.Request) -> web.Response:
    """Search entries in force, in Chinese (知识检索)."""
    await _actor(request)
    q = request.query.get("q", "").strip()
    if not q:
        raise InvalidField("q", "请输入检索词 q（q is required）")
    if len(q) > 200:
        raise InvalidField("q", "检索词过长（q longer than 200 characters）")
    unit = _int(request.query.get("unit_id"), "unit_id", default=0)
    limit = _int(request.query.get("limit"), "limit", 10, 1, 50)
    found = await request.app[KNOWLEDGE].search(q, limit, unit or None)
    return _json({"query": q, "terms": search.query_terms(q), "results": [found_json(f) for f in found]})


@_api
async def suggest(request: web.Request) -> web.Response:
    """Entries matching what is being said on a call (推荐知识)."""
    await _actor(request)
    body = await _body(request)
    transcript = body.get("text")
    if not isinstance(transcript, str) or not transcript.strip():
        raise InvalidField("text", "缺少通话文字 text（text is required）")
    limit = _int(body.get("limit"), "limit", 5, 1, 20)
    found = await request.app[KNOWLEDGE].suggest(transcript[:20000], limit)
    return _json(
        {"terms": search.transcript_terms(transcript[:20000]), "results": [found_json(f) for f in found]}
    )


@_api
async def expired_entries(request: web.Request) -> web.Response:
    """The unit's entries hidden from agents (expired or not yet effective), for the unit to update."""
    actor = await _actor(request)
    unit_id = _path_id(request, "unit_id")
    within = _int(request.query.get("within_days"), "within_days", 0, 0, 366)
    rows = await request.app[KNOWLEDGE].to_update(actor, unit_id, within)
    return _json({"unit_id": unit_id, "entries": [entry_json(e, v) for e, v in rows]})


@_api
async def frequent_entries(request: web.Request) -> web.Response:
    """The unit's high-frequency questions (高频问题): its entries by hits in the last `days` days."""
    await _actor(request)
    unit_id = _path_id(request, "unit_id")
    days = _int(request.query.get("days"), "days", 30, 1, 3660)
    limit = _int(request.query.get("limit"), "limit", 20, 1, 200)
    service = request.app[KNOWLEDGE]
    rows = await service.frequent(unit_id, days, limit)
    today = service.today()
    return _json(
        {
            "unit_id": unit_id,
            "days": days,
            "entries": [{**entry_json(e, visibility(e, today)), "hits": n} for e, n in rows],
        }
    )


# --- experts ------------------------------------------------------------------------------------------


@_api
async def list_experts(request: web.Request) -> web.Response:
    """The expert directory; with `topic`, in the order to call (on duty first, each with their backup)."""
    await _actor(request)
    q = request.query
    topic = q.get("topic", "").strip() or None
    on_duty = q.get("on_duty", "") in ("1", "true", "yes")
    include_inactive = q.get("all", "") in ("1", "true", "yes")
    picks = await request.app[EXPERTS].directory(topic, on_duty, include_inactive=include_inactive)
    return _json({"topic": topic, "experts": [pick_json(p) for p in picks]})


@_api
async def add_expert(request: web.Request) -> web.Response:
    actor = await _actor(request)
    service = request.app[EXPERTS]
    expert = await service.add(actor, await _body(request))
    assert expert.id is not None
    return _json(pick_json(await service.get(expert.id)), 201)


@_api
async def get_expert(request: web.Request) -> web.Response:
    await _actor(request)
    return _json(pick_json(await request.app[EXPERTS].get(_path_id(request))))


@_api
async def update_expert(request: web.Request) -> web.Response:
    actor = await _actor(request)
    service = request.app[EXPERTS]
    expert_id = _path_id(request)
    await service.update(actor, expert_id, await _body(request))
    return _json(pick_json(await service.get(expert_id)))


@_api
async def remove_expert(request: web.Request) -> web.Response:
    actor = await _actor(request)
    service = request.app[EXPERTS]
    expert_id = _path_id(request)
    await service.remove(actor, expert_id)
    return _json(pick_json(await service.get(expert_id)))


# --- wiring -----------------------------------------------------------------------------------------


async def _services(app: web.Application) -> AsyncIterator[None]:
    now = app[NOW] if NOW in app else utcnow
    knowledge, experts = build(app[SESSIONS], app[ENGINE].dialect.name, app[SETTINGS], now)
    if KNOWLEDGE not in app:
        app[KNOWLEDGE] = knowledge
    if EXPERTS not in app:
        app[EXPERTS] = experts
    yield


def setup(app: web.Application) -> None:
    """Add the knowledge-base and expert-directory API to the service."""
    app.cleanup_ctx.append(_services)
    app.router.add_post(f"{KB}/entries", create_entry)
    app.router.add_get(f"{KB}/entries", list_entries)
    app.router.add_get(f"{KB}/entries/{{id}}", get_entry)
    app.router.add_patch(f"{KB}/entries/{{id}}", update_entry)
    app.router.add_post(f"{KB}/entries/{{id}}/hits", record_hit)
    app.router.add_get(f"{KB}/search", search_entries)
    app.router.add_post(f"{KB}/suggest", suggest)
    app.router.add_get(f"{KB}/units/{{unit_id}}/expired", expired_entries)
    app.router.add_get(f"{KB}/units/{{unit_id}}/frequent", frequent_entries)
    app.router.add_get(EXPERTS_PATH, list_experts)
    app.router.add_post(EXPERTS_PATH, add_expert)
    app.router.add_get(f"{EXPERTS_PATH}/{{id}}", get_expert)
    app.router.add_patch(f"{EXPERTS_PATH}/{{id}}", update_expert)
    app.router.add_delete(f"{EXPERTS_PATH}/{{id}}", remove_expert)
