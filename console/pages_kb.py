"""Knowledge-base management pages (知识库管理): a unit's entries (all of them for supervisors), Chinese
full-text search, create and edit with the version history, the unit's to-update list (待更新) and its
high-frequency questions (高频问题). Every write goes through `knowledge.services.KnowledgeService`, so
its rules (a unit writes only its own entries, versions, the stale-version guard) apply unchanged."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from console.auth.services import SignedIn
from console.web import forbidden, page, render
from knowledge.domain.entry import (
    EDITABLE_FIELDS,
    FIELD_LABELS_ZH,
    Entry,
    FieldChange,
    Visibility,
    visibility,
)
from knowledge.domain.errors import EntryNotFound, InvalidField, KnowledgeError, NotAllowed, StaleVersion
from knowledge.services import KnowledgeService
from knowledge.web import KNOWLEDGE
from ticketing.domain.roles import SUPERVISORS, UNIT_STAFF
from ticketing.web import DIRECTORY

log = logging.getLogger("console.kb")
KB_ROLES = (*UNIT_STAFF, *SUPERVISORS)
FREQUENT_DAYS = 30
SOON_DAYS = 30  # the to-update list also shows entries expiring within this many days
_TAG_SPLIT = re.compile(r"[,，、;；\n]")


def _service(request: web.Request) -> KnowledgeService:
    return request.app[KNOWLEDGE]


def number(value: str) -> int | None:
    """A row id typed or posted: ASCII digits that fit the id column (32-bit on PostgreSQL), else None
    (², 30 digits or 2147483648 are not ids)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) < 2**31 else None


def _unit_scope(request: web.Request, signed: SignedIn) -> int | None:
    """Unit staff work on their own unit; supervisors pick one (or all) with `?unit=`."""
    if signed.actor.role.is_unit_staff:
        return signed.actor.unit_id
    return number(request.query.get("unit", ""))


async def _units(request: web.Request) -> list[tuple[int, str]]:
    units = await request.app[DIRECTORY].units()
    return sorted(((u.id, u.name) for u in units), key=lambda item: item[1])


@page(*KB_ROLES)
async def kb_list(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The entries of a unit (or all), a search box, the to-update list and the high-frequency questions."""
    service = _service(request)
    unit_id = _unit_scope(request, signed)
    query = request.query.get("q", "").strip()[:200]
    found = await service.search(query, limit=20, unit_id=unit_id) if query else []
    entries = [] if query else await service.entries(signed.actor, unit_id, limit=100)
    today = service.today()
    to_update = await service.to_update(signed.actor, unit_id, within_days=SOON_DAYS) if unit_id else []
    frequent = await service.frequent(unit_id, days=FREQUENT_DAYS, limit=10) if unit_id else []
    units = await _units(request)
    by_unit: list[tuple[int, str, list[tuple[Entry, int]]]] = []
    if unit_id is None and not query:  # supervisors over every unit: each unit's top questions
        for uid, name in units:
            top = await service.frequent(uid, days=FREQUENT_DAYS, limit=3)
            if top:
                by_unit.append((uid, name, top))
    return render(
        request,
        "kb.html",
        query=query,
        found=found,
        entries=[(e, visibility(e, today)) for e in entries],
        to_update=to_update,
        frequent=frequent,
        frequent_by_unit=by_unit,
        unit_id=unit_id,
        unit_name=dict(units).get(unit_id, "") if unit_id else "",
        units=units,
        soon_days=SOON_DAYS,
        frequent_days=FREQUENT_DAYS,
        Visibility=Visibility,
    )


# --- the form ------------------------------------------------------------------------------------------


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def entry_fields(form: Any) -> dict[str, Any]:
    """The service's field mapping from the posted form (lists one item a line; tags also by commas)."""
    fields: dict[str, Any] = {name: _text(form, name) for name in ("title", "question", "answer", "policy_source")}
    for name in ("key_points", "situations"):
        fields[name] = [line.strip() for line in _text(form, name).splitlines() if line.strip()]
    fields["tags"] = [t.strip() for t in _TAG_SPLIT.split(_text(form, "tags")) if t.strip()]
    for name in ("effective_from", "expires_on"):
        fields[name] = _text(form, name) or None
    return fields


def _form_values(entry: Entry | None, form: Any = None) -> dict[str, str]:
    """What the form's fields show: the posted text after an error, else the entry's content."""
    if form is not None:
        names = (*EDITABLE_FIELDS, "unit_id", "version")
        return {name: _text(form, name) if name not in ("answer", "key_points", "situations") else str(form.get(name, "")) for name in names}
    if entry is None:
        return {name: "" for name in (*EDITABLE_FIELDS, "unit_id", "version")}
    return {
        "title": entry.title,
        "question": entry.question,
        "answer": entry.answer,
        "key_points": "\n".join(entry.key_points),
        "situations": "\n".join(entry.situations),
        "policy_source": entry.policy_source or "",
        "effective_from": entry.effective_from.isoformat() if entry.effective_from else "",
        "expires_on": entry.expires_on.isoformat() if entry.expires_on else "",
        "tags": "，".join(entry.tags),
        "unit_id": str(entry.unit_id),
        "version": str(entry.version),
    }


async def _form_page(
    request: web.Request,
    signed: SignedIn,
    entry: Entry | None,
    values: dict[str, str],
    error: KnowledgeError | None = None,
    status: int = 200,
) -> web.Response:
    field_errors = {error.field: error.message} if isinstance(error, InvalidField) else {}
    return render(
        request,
        "kb_form.html",
        status=status,
        entry=entry,
        values=values,
        field_errors=field_errors,
        error=error.message if error is not None and not field_errors else "",
        has_errors=error is not None,
        units=await _units(request),
        labels=FIELD_LABELS_ZH,
        unit_fixed=signed.actor.role.is_unit_staff,
        own_unit=signed.actor.unit_id,
    )


@page(*KB_ROLES)
async def new_form(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    values = _form_values(None)
    values["unit_id"] = str(signed.actor.unit_id or request.query.get("unit", ""))
    return await _form_page(request, signed, None, values)


@page(*KB_ROLES)
async def create(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Push a new entry (推送知识, version 1); unit staff always for their own unit."""
    form = await request.post()
    fields = entry_fields(form)
    unit = _text(form, "unit_id")
    if signed.actor.role.is_unit_staff:
        fields["unit_id"] = signed.actor.unit_id
    elif number(unit) is not None:
        fields["unit_id"] = number(unit)
    try:
        entry = await _service(request).create(signed.actor, fields)
    except NotAllowed as exc:
        return forbidden(request, signed, exc.message)
    except KnowledgeError as exc:
        return await _form_page(request, signed, None, _form_values(None, form), exc, 400)
    log.info("kb entry %s created by %s", entry.id, signed.login)
    raise web.HTTPSeeOther(f"/kb/{entry.id}?done=create")


def _entry_id(request: web.Request) -> int:
    value = request.match_info["entry_id"]
    found = number(value)
    if found is None:
        raise web.HTTPNotFound(text="知识条目不存在 (no such entry)")
    return found


def _shown(value: Any) -> str:
    """A version's field value in one line for the history table."""
    if value in (None, "", []):
        return "（空）"
    text = "；".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return text if len(text) <= 80 else text[:78] + "…"


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str


def change_lines(changes: tuple[FieldChange, ...]) -> list[ChangeLine]:
    return [ChangeLine(c.label_zh, _shown(c.before), _shown(c.after)) for c in changes]


def _may_edit(signed: SignedIn, entry: Entry) -> bool:
    role = signed.actor.role
    return role in SUPERVISORS or (role.is_unit_staff and signed.actor.unit_id == entry.unit_id)


@page(*KB_ROLES)
async def entry_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """An entry with its version history: who changed which fields from what to what, when."""
    try:
        detail = await _service(request).get(signed.actor, _entry_id(request))
    except EntryNotFound:
        raise web.HTTPNotFound(text="知识条目不存在 (no such entry)") from None
    return render(
        request,
        "kb_entry.html",
        entry=detail.entry,
        state=detail.visibility,
        hits=detail.hits,
        revisions=[(r, change_lines(r.changes)) for r in reversed(detail.revisions)],
        may_edit=_may_edit(signed, detail.entry),
        Visibility=Visibility,
    )


async def _editable(request: web.Request, signed: SignedIn) -> Entry | web.Response:
    try:
        detail = await _service(request).get(signed.actor, _entry_id(request))
    except EntryNotFound:
        raise web.HTTPNotFound(text="知识条目不存在 (no such entry)") from None
    if not _may_edit(signed, detail.entry):
        return forbidden(request, signed, "只能维护本单位的知识条目 (another unit's entry)")
    return detail.entry


@page(*KB_ROLES)
async def edit_form(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    entry = await _editable(request, signed)
    if isinstance(entry, web.Response):
        return entry
    return await _form_page(request, signed, entry, _form_values(entry))


@page(*KB_ROLES)
async def update(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Revise an entry: a new version when something changed; refused if someone saved in between."""
    entry = await _editable(request, signed)
    if isinstance(entry, web.Response):
        return entry
    form = await request.post()
    fields = entry_fields(form)
    version = _text(form, "version")
    if number(version) is not None:
        fields["version"] = number(version)
    try:
        _updated, changes = await _service(request).update(signed.actor, entry.id or 0, fields)
    except NotAllowed as exc:
        return forbidden(request, signed, exc.message)
    except StaleVersion as exc:
        return await _form_page(request, signed, entry, _form_values(entry, form), exc, 409)
    except KnowledgeError as exc:
        return await _form_page(request, signed, entry, _form_values(entry, form), exc, 400)
    log.info("kb entry %s revised by %s: %s", entry.id, signed.login, ",".join(c.field for c in changes))
    raise web.HTTPSeeOther(f"/kb/{entry.id}?done={'update' if changes else 'unchanged'}")


ROUTES = [
    ("GET", "/kb", kb_list),
    ("GET", "/kb/new", new_form),
    ("POST", "/kb/new", create),
    ("GET", "/kb/{entry_id}", entry_page),
    ("GET", "/kb/{entry_id}/edit", edit_form),
    ("POST", "/kb/{entry_id}/edit", update),
]
