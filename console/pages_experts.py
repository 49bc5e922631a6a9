"""Expert directory pages (专家库): topics, unit, contact (an Asterisk dial string), duty hours and backup
expert. Supervisors and admins add, edit and deactivate (停用) experts; a unit's staff see their own
unit's experts; agents read the whole directory. Writes go through `knowledge.services.ExpertService`."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from console.auth.services import SignedIn
from console.pages_kb import number
from console.web import forbidden, page, render
from knowledge.domain.errors import ExpertNotFound, InvalidField, KnowledgeError, NotAllowed
from knowledge.domain.expert import Expert, ExpertPick
from knowledge.services import ExpertService
from knowledge.web import EXPERTS
from ticketing.domain.roles import SUPERVISORS
from ticketing.web import DIRECTORY

log = logging.getLogger("console.experts")
FIELD_LABELS_ZH = {
    "name": "姓名",
    "unit_id": "所属单位",
    "topics": "擅长主题",
    "contact": "联系方式",
    "duty": "值班时间",
    "backup_id": "备岗专家",
    "note": "备注",
    "active": "启用",
}


def _service(request: web.Request) -> ExpertService:
    return request.app[EXPERTS]


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _optional_id(form: Any, name: str) -> int | None:
    value = _text(form, name)
    if not value:
        return None
    if number(value) is None:
        raise InvalidField(name, f"{FIELD_LABELS_ZH[name]}须从列表中选择（{name} must be chosen from the list）")
    return number(value)


def expert_fields(form: Any) -> dict[str, Any]:
    """The service's field mapping from the posted form (topics by commas, duty hours one a line)."""
    return {
        "name": _text(form, "name"),
        "contact": _text(form, "contact"),
        "topics": _text(form, "topics"),
        "duty": _text(form, "duty"),
        "note": _text(form, "note") or None,
        "unit_id": _optional_id(form, "unit_id"),
        "backup_id": _optional_id(form, "backup_id"),
    }


def visible_to(signed: SignedIn, pick: ExpertPick) -> bool:
    """Unit staff see their own unit's experts; hotline staff see everyone."""
    if signed.actor.role.is_unit_staff:
        return pick.expert.unit_id == signed.actor.unit_id
    return True


@page()
async def directory(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The directory with who is on duty now; for a topic, in the order a three-way call tries them."""
    manage = signed.actor.role in SUPERVISORS
    topic = request.query.get("topic", "").strip()[:50]
    picks = await _service(request).directory(topic or None, include_inactive=manage and not topic)
    picks = [p for p in picks if visible_to(signed, p)]
    names = {p.expert.id: p.expert.name for p in await _service(request).directory(include_inactive=True)}
    return render(
        request, "experts.html", picks=picks, topic=topic, manage=manage, names=names
    )


async def _form_page(
    request: web.Request,
    expert: Expert | None,
    values: dict[str, str],
    error: KnowledgeError | None = None,
    status: int = 200,
) -> web.Response:
    field_errors = {error.field: error.message} if isinstance(error, InvalidField) else {}
    others = [p.expert for p in await _service(request).directory() if expert is None or p.expert.id != expert.id]
    units = sorted(((u.id, u.name) for u in await request.app[DIRECTORY].units()), key=lambda item: item[1])
    return render(
        request,
        "experts_form.html",
        status=status,
        expert=expert,
        values=values,
        field_errors=field_errors,
        error=error.message if error is not None and not field_errors else "",
        has_errors=error is not None,
        units=units,
        backups=others,
        labels=FIELD_LABELS_ZH,
    )


def _values(expert: Expert | None, form: Any = None) -> dict[str, str]:
    names = ("name", "contact", "topics", "duty", "note", "unit_id", "backup_id")
    if form is not None:
        return {name: str(form.get(name, "")) for name in names}
    if expert is None:
        return dict.fromkeys(names, "")
    return {
        "name": expert.name,
        "contact": expert.contact,
        "topics": "，".join(expert.topics),
        "duty": "\n".join(expert.duty),
        "note": expert.note or "",
        "unit_id": str(expert.unit_id or ""),
        "backup_id": str(expert.backup_id or ""),
    }


@page(*SUPERVISORS)
async def new_form(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    return await _form_page(request, None, _values(None))


@page()
async def create(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Add an expert (supervisors and admins; the service refuses anyone else)."""
    form = await request.post()
    try:
        expert = await _service(request).add(signed.actor, expert_fields(form))
    except NotAllowed as exc:
        return forbidden(request, signed, exc.message)
    except KnowledgeError as exc:
        return await _form_page(request, None, _values(None, form), exc, 400)
    log.info("expert %s added by %s", expert.id, signed.login)
    raise web.HTTPSeeOther("/experts?done=create")


async def _expert(request: web.Request) -> Expert:
    value = request.match_info["expert_id"]
    try:
        found = number(value)
        if found is None:
            raise ExpertNotFound(0)
        return (await _service(request).get(found)).expert
    except ExpertNotFound:
        raise web.HTTPNotFound(text="专家不存在 (no such expert)") from None


@page(*SUPERVISORS)
async def edit_form(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    expert = await _expert(request)
    return await _form_page(request, expert, _values(expert))


@page()
async def update(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    expert = await _expert(request)
    form = await request.post()
    try:
        await _service(request).update(signed.actor, expert.id or 0, expert_fields(form))
    except NotAllowed as exc:
        return forbidden(request, signed, exc.message)
    except KnowledgeError as exc:
        return await _form_page(request, expert, _values(expert, form), exc, 400)
    log.info("expert %s updated by %s", expert.id, signed.login)
    raise web.HTTPSeeOther("/experts?done=update")


@page()
async def set_active(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Deactivate (停用: out of every list, no longer a backup; call records keep the row) or reactivate."""
    expert = await _expert(request)
    form = await request.post()
    active = _text(form, "active") == "1"
    try:
        await _service(request).update(signed.actor, expert.id or 0, {"active": active})
    except NotAllowed as exc:
        return forbidden(request, signed, exc.message)
    log.info("expert %s %s by %s", expert.id, "reactivated" if active else "deactivated", signed.login)
    raise web.HTTPSeeOther(f"/experts?done={'active' if active else 'deactivate'}")


ROUTES = [
    ("GET", "/experts", directory),
    ("GET", "/experts/new", new_form),
    ("POST", "/experts/new", create),
    ("GET", "/experts/{expert_id}/edit", edit_form),
    ("POST", "/experts/{expert_id}/edit", update),
    ("POST", "/experts/{expert_id}/active", set_active),
]
