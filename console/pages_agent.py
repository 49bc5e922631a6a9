"""The agent console page (坐席工作台, `/agent`): a server-rendered shell that `static/agent.js` fills from
the one WebSocket `/agent/ws` (console/agent_ws.py). Agents see their own seat; supervisors and admins
may look at an agent's desk with `?agent=<seat agent id>`."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from console import agent_domain as desk
from console import agent_ws
from console.auth.services import SignedIn
from console.web import page, render
from ticketing.domain import workorder as wo
from ticketing.domain.roles import Role
from ticketing.web import DIRECTORY


@dataclass(frozen=True)
class Shortcut:
    keys: str
    what: str


SHORTCUTS = (
    Shortcut("Alt+S", "知识库检索"),
    Shortcut("Alt+D", "登记并派单"),
    Shortcut("Alt+A", "当场答复并办结"),
    Shortcut("Alt+H", "保持 / 取消保持"),
    Shortcut("Alt+E", "专家三方通话"),
    Shortcut("Alt+R", "示闲"),
    Shortcut("Alt+P", "示忙"),
    Shortcut("Alt+W", "工单草稿（第一栏）"),
)


@page(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
async def agent_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The desk: seat state, screen pop, live text, knowledge, experts, the draft work order."""
    units = await request.app[DIRECTORY].units()
    return render(
        request,
        "agent.html",
        watching=request.query.get("agent", "") if signed.actor.role is not Role.AGENT else "",
        pause_reasons=desk.PAUSE_REASONS,
        classes=list(desk.CLASS_ZH.items()),
        services=[(s.value, desk.SERVICE_ZH[s.value]) for s in wo.Service],
        complexities=list(desk.COMPLEXITY_ZH.items()),
        units=[(u.id, u.name) for u in units],
        shortcuts=SHORTCUTS,
    )


ROUTES = [("GET", "/agent", agent_page)]


def setup(app: web.Application) -> None:
    """The page and its WebSocket."""
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    agent_ws.setup(app)
