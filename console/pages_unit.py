"""The unit portal (承办单位): the inbox with coloured due times, a work order's page with its trail and
action forms, and the unit's figures for the month. Every action calls ticketing's services."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from console import domain as view
from console.auth.services import SignedIn
from console.web import forbidden, now, page, render, tz
from hotline.app import SESSIONS
from ticketing.adapters.kpi_sql import KpiQueries
from ticketing.adapters.orm import WorkOrderRow
from ticketing.adapters.repository import SearchFilters
from ticketing.domain import workorder as wo
from ticketing.domain.errors import NotFound, TicketingError
from ticketing.domain.kpi import FIGURES, Period, UnitFigures, format_rate
from ticketing.domain.roles import Actor, Role
from ticketing.services import Detail, WorkOrderService
from ticketing.web import DIRECTORY, WORKORDERS

log = logging.getLogger("console.access")

OPEN_STATES = (wo.State.DISPATCHED, wo.State.SIGNED, wo.State.HANDLING)
STATE_FILTERS: list[tuple[str, str]] = [("open", "待办（已派单/已签收/办理中）"), ("all", "全部")] + [
    (s.value, s.label_zh) for s in wo.State
]
# A stand-in reader used only to tell "exists in another unit" (403) from "does not exist" (404).
_OVERSEER = Actor(id=None, name="console-visibility-check", role=Role.SUPERVISOR)


@dataclass(frozen=True)
class InboxRow:
    order: WorkOrderRow
    urgency: view.Urgency
    deadline: datetime | None
    unit_name: str

    @property
    def urgency_zh(self) -> str:
        return view.URGENCY_ZH[self.urgency]

    @property
    def state_zh(self) -> str:
        return wo.State(self.order.state).label_zh


async def _unit_names(request: web.Request) -> dict[int, str]:
    return {u.id: u.name for u in await request.app[DIRECTORY].units(include_inactive=True)}


@page()
async def inbox(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """A unit's work orders (工单收件箱), due times coloured; hotline staff may pick any unit."""
    actor = signed.actor
    q = request.query
    state_choice = q.get("state", "open")
    states: tuple[str, ...]
    if state_choice == "open":
        states = tuple(s.value for s in OPEN_STATES)
    elif state_choice in {s.value for s in wo.State}:
        states = (state_choice,)
    else:
        state_choice, states = "all", ()
    unit_id = actor.unit_id if actor.role.is_unit_staff else (int(q["unit"]) if q.get("unit", "").isdigit() else None)
    at = now(request)
    filters = SearchFilters(
        states=states,
        unit_id=unit_id,
        text=q.get("q") or None,
        overdue_at=at if q.get("overdue") else None,
        limit=100,
    )
    result = await request.app[WORKORDERS].search(actor, filters)
    zone = tz(request)
    names = await _unit_names(request)
    rows = []
    for order in result.items:
        state = wo.State(order.state)
        rows.append(
            InboxRow(
                order=order,
                urgency=view.urgency(state, order.sign_due, order.due, at, zone),
                deadline=view.deadline(state, order.sign_due, order.due),
                unit_name=names.get(order.unit_id, "—") if order.unit_id else "—",
            )
        )
    figures = await _month_figures(request, unit_id, at) if unit_id is not None else None
    return render(
        request,
        "inbox.html",
        rows=rows,
        total=result.total,
        state_choice=state_choice,
        state_filters=STATE_FILTERS,
        q=q.get("q", ""),
        overdue=bool(q.get("overdue")),
        unit_id=unit_id,
        unit_name=names.get(unit_id, "") if unit_id else "",
        units=sorted(names.items(), key=lambda item: item[1]),
        figures=figures,
    )


@dataclass(frozen=True)
class FigureLine:
    name_zh: str
    value: str
    target: str


async def _month_figures(request: web.Request, unit_id: int, at: datetime) -> dict[str, Any]:
    """The unit's figures for this month so far (本月效能), from ticketing's KPI queries."""
    zone = tz(request)
    period = Period.parse(at.astimezone(zone).strftime("%Y-%m"))
    found = await KpiQueries(request.app[SESSIONS], zone).figures(period, at, unit_id)
    figures = found[0] if found else UnitFigures(unit_id=unit_id, unit_name="")
    lines = [
        FigureLine(f.name_zh, format_rate(getattr(figures, f.key)), format_rate(f.target) if f.target else "—")
        for f in FIGURES
    ]
    return {"period": period.name_zh, "lines": lines, "counts": figures}


async def _detail(request: web.Request, signed: SignedIn) -> Detail | web.Response:
    ref = request.match_info["ref"]
    service: WorkOrderService = request.app[WORKORDERS]
    try:
        return await service.detail(signed.actor, ref)
    except NotFound:
        try:
            await service.detail(_OVERSEER, ref)
        except NotFound:
            raise web.HTTPNotFound(text="工单不存在 (no such work order)") from None
        return forbidden(request, signed, "该工单不属于您的单位，无权查看 (another unit's work order)")


@page()
async def order_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """A work order with its event trail (流转记录) and the forms the user may act with."""
    found = await _detail(request, signed)
    if isinstance(found, web.Response):
        return found
    return await _render_order(request, signed, found)


async def _render_order(
    request: web.Request, signed: SignedIn, detail: Detail, error: str = "", status: int = 200
) -> web.Response:
    order = detail.order
    state = wo.State(order.state)
    pending = any(e.status == "pending" for e in detail.extensions)
    own = signed.actor.unit_id is not None and order.unit_id == signed.actor.unit_id
    at = now(request)
    names = await _unit_names(request)
    return render(
        request,
        "order.html",
        status=status,
        order=order,
        detail=detail,
        state_zh=state.label_zh,
        urgency=view.urgency(state, order.sign_due, order.due, at, tz(request)),
        urgency_zh=view.URGENCY_ZH[view.urgency(state, order.sign_due, order.due, at, tz(request))],
        offers=[o.value for o in view.offers(signed.actor.role, state, own, pending, order.complexity == wo.Complexity.DIFFICULT.value)],
        unit_name=names.get(order.unit_id, "—") if order.unit_id else "—",
        action_zh=lambda a: wo.Action(a).label_zh if a in {x.value for x in wo.Action} else a,
        state_label=lambda s: wo.State(s).label_zh if s in {x.value for x in wo.State} else (s or ""),
        error=error,
    )


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


@page()
async def order_action(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """One action on a work order (a POST form; the CSRF token was checked by the middleware)."""
    found = await _detail(request, signed)
    if isinstance(found, web.Response):
        return found
    offer = request.match_info["action"]
    form = await request.post()
    service: WorkOrderService = request.app[WORKORDERS]
    actor, ref = signed.actor, found.order.id
    try:
        if offer == view.Offer.SIGN:
            await service.sign(actor, ref)
        elif offer == view.Offer.HANDLE:
            await service.start_handling(actor, ref)
        elif offer == view.Offer.REPLY:
            await service.reply(actor, ref, _field(form, "reply"))
        elif offer == view.Offer.CLOSE:
            await service.close(actor, ref, _field(form, "result"))
        elif offer == view.Offer.RETURN:
            await service.return_order(actor, ref, _field(form, "reason"))
        elif offer == view.Offer.EXTENSION:
            days = _field(form, "working_days")
            if not days.isdigit():
                raise web.HTTPBadRequest(text="延期天数须为整数 (working_days must be a number)")
            await service.request_extension(actor, ref, int(days), _field(form, "reason"), _field(form, "basis"))
        elif offer == view.Offer.APPROVE_EXTENSION:
            await service.approve_extension(actor, ref, _field(form, "note") or None)
        elif offer == view.Offer.REJECT_EXTENSION:
            await service.reject_extension(actor, ref, _field(form, "note"))
        else:
            raise web.HTTPNotFound(text="未知操作 (unknown action)")
    except TicketingError as exc:
        detail = await service.detail(actor, ref)
        status = 409 if exc.error_id in ("invalid-transition", "concurrent-update") else 400
        if exc.error_id == "forbidden":
            status = 403
        return await _render_order(request, signed, detail, error=exc.message, status=status)
    log.info("work order %s: %s by %s", found.order.number, offer, signed.login)
    raise web.HTTPSeeOther(f"/unit/orders/{ref}?done={offer}")


ROUTES = [
    ("GET", "/unit/inbox", inbox),
    ("GET", "/unit/orders/{ref}", order_page),
    ("POST", "/unit/orders/{ref}/{action}", order_action),
]
