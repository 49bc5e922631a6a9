"""The supervisor's SLA board (督办看板): overdue, due within a day, open supervision orders and
extension requests awaiting a decision."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from console import domain as view
from console.adapters.board import Board
from console.auth.services import SignedIn
from console.pages_unit import OPEN_STATES, InboxRow
from console.web import now, page, render, tz
from hotline.app import SESSIONS
from ticketing.adapters.orm import WorkOrderRow
from ticketing.adapters.repository import SearchFilters
from ticketing.domain import workorder as wo
from ticketing.domain.roles import SUPERVISORS
from ticketing.web import DIRECTORY, WORKORDERS

DUE_SOON = timedelta(hours=24)


@page(*SUPERVISORS)
async def board(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    at = now(request)
    zone = tz(request)
    states = tuple(s.value for s in OPEN_STATES)
    service = request.app[WORKORDERS]
    names = {u.id: u.name for u in await request.app[DIRECTORY].units(include_inactive=True)}

    def rows(orders: list[WorkOrderRow]) -> list[InboxRow]:
        out = []
        for order in orders:
            state = wo.State(order.state)
            out.append(
                InboxRow(
                    order=order,
                    urgency=view.urgency(state, order.sign_due, order.due, at, zone),
                    deadline=view.deadline(state, order.sign_due, order.due),
                    unit_name=names.get(order.unit_id, "—") if order.unit_id else "—",
                )
            )
        return out

    overdue = await service.search(signed.actor, SearchFilters(states=states, overdue_at=at, limit=100))
    overdue_ids = {o.id for o in overdue.items}
    soon = await service.search(signed.actor, SearchFilters(states=states, due_before=at + DUE_SOON, limit=100))
    board_ = Board(request.app[SESSIONS])
    return render(
        request,
        "supervise.html",
        overdue=rows(overdue.items),
        due_soon=rows([o for o in soon.items if o.id not in overdue_ids]),
        supervision=await board_.open_supervision(),
        extensions=await board_.pending_extensions(),
        names=names,
    )


ROUTES = [("GET", "/supervise", board)]
