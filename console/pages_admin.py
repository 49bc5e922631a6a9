"""Admin pages (系统管理): users and roles, units, calendar overrides and the new-year import, and the
IVR menu check. Every change is a POST form with the session's CSRF token (checked by the middleware)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web

from console.auth.domain import ConsoleError
from console.auth.identity import SIGN_IN
from console.auth.services import SignedIn
from console.web import ACCOUNTS, page, render
from hotline.app import SESSIONS, SETTINGS
from ivr.config import DEFAULT_MENU_PATH, MenuConfigError, load_menu
from ivr.domain.menu import Back, GoTo, Menu, Repeat, RouteTo
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.domain.calendar import CalendarError, DayOverride
from ticketing.domain.calendar_import import ScheduleFileInvalid, parse_year_schedule
from ticketing.domain.errors import TicketingError
from ticketing.domain.roles import USER_ROLES, Role
from ticketing.web import DIRECTORY

log = logging.getLogger("console.admin")
ADMIN = Role.ADMIN


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _unit_id(form: Any) -> int | None:
    value = _text(form, "unit_id")
    return int(value) if value.isdigit() else None


def _role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        raise web.HTTPBadRequest(text=f"未知角色 {value} (unknown role)") from None
    if role not in USER_ROLES:
        raise web.HTTPBadRequest(text=f"未知角色 {value} (unknown role)")
    return role


async def _users_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    units = await request.app[DIRECTORY].units(include_inactive=True)
    return render(
        request,
        "admin_users.html",
        status=status,
        users=await request.app[ACCOUNTS].users(),
        units=units,
        unit_names={u.id: u.name for u in units},
        roles=USER_ROLES,
        sign_ins=await request.app[SIGN_IN].audit_trail(50),
        error=error,
    )


@page(ADMIN)
async def users(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    return await _users_page(request)


@page(ADMIN)
async def users_post(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Create a user, change one's role/unit/active flag, or reset a password."""
    form = await request.post()
    accounts = request.app[ACCOUNTS]
    op = request.match_info["op"]
    try:
        if op == "create":
            await accounts.create_user(
                _text(form, "login"), _text(form, "name"), _role(_text(form, "role")), _unit_id(form),
                _text(form, "password"),
            )
        elif op == "update":
            user_id = _text(form, "user_id")
            if not user_id.isdigit():
                raise web.HTTPBadRequest(text="缺少 user_id")
            await accounts.update_user(
                int(user_id), role=_role(_text(form, "role")), unit_id=_unit_id(form), active=bool(form.get("active"))
            )
        elif op == "password":
            await accounts.set_password(_text(form, "login"), _text(form, "password"))
        else:
            raise web.HTTPNotFound()
    except (TicketingError, ConsoleError) as exc:
        return await _users_page(request, error=exc.message, status=400)
    log.info("admin %s: users/%s %s", signed.login, op, _text(form, "login") or _text(form, "user_id"))
    raise web.HTTPSeeOther(f"/admin/users?done={op}")


async def _units_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    units = await request.app[DIRECTORY].units(include_inactive=True)
    return render(request, "admin_units.html", status=status, units=units, error=error)


@page(ADMIN)
async def units(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    return await _units_page(request)


@page(ADMIN)
async def units_post(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    form = await request.post()
    directory = request.app[DIRECTORY]
    op = request.match_info["op"]
    try:
        if op == "create":
            await directory.add_unit(
                _text(form, "code"), _text(form, "name"), kind=_text(form, "kind") or "department",
                short_name=_text(form, "short_name") or None,
            )
        elif op == "active":
            await directory.update_unit(_text(form, "code"), active=_text(form, "active") == "1")
        else:
            raise web.HTTPNotFound()
    except TicketingError as exc:
        return await _units_page(request, error=exc.message, status=400)
    log.info("admin %s: units/%s %s", signed.login, op, _text(form, "code"))
    raise web.HTTPSeeOther(f"/admin/units?done={op}")


async def _calendar_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    store = CalendarStore(request.app[SESSIONS])
    years = await store.imported_years()
    return render(
        request,
        "admin_calendar.html",
        status=status,
        overrides=await store.overrides(),
        years=sorted(years.values(), key=lambda y: y.year),
        error=error,
    )


@page(ADMIN)
async def calendar(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    return await _calendar_page(request)


@page(ADMIN)
async def calendar_post(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Add or remove a local override (本地调整), or import a year's schedule file (年度节假日导入)."""
    form = await request.post()
    store = CalendarStore(request.app[SESSIONS])
    op = request.match_info["op"]
    try:
        if op in ("override", "remove"):
            try:
                day = date.fromisoformat(_text(form, "day"))
            except ValueError:
                return await _calendar_page(request, "日期应为 YYYY-MM-DD (bad date)", 400)
            if op == "remove":
                await store.remove_override(day)
            else:
                note = _text(form, "note")
                if not note:
                    return await _calendar_page(request, "请填写调整说明 (a note is required)", 400)
                await store.save_override(DayOverride(day, _text(form, "working") == "1", note), by=signed.login)
        elif op == "import":
            upload = form.get("file")
            if not isinstance(upload, web.FileField):
                return await _calendar_page(request, "请选择要导入的文件 (choose a file)", 400)
            try:
                text = upload.file.read().decode("utf-8")
            except UnicodeDecodeError:
                return await _calendar_page(request, "文件须为 UTF-8 编码 (file must be UTF-8)", 400)
            schedule = parse_year_schedule(text, upload.filename)
            await store.save_year(schedule, source=upload.filename, by=signed.login)
        else:
            raise web.HTTPNotFound()
    except ScheduleFileInvalid as exc:
        return await _calendar_page(request, str(exc), 400)
    except CalendarError as exc:
        return await _calendar_page(request, str(exc), 400)
    log.info("admin %s: calendar/%s", signed.login, op)
    raise web.HTTPSeeOther(f"/admin/calendar?done={op}")


def _key_tree(menu: Menu) -> list[tuple[int, str, str]]:
    """(depth, key, what it does) lines of the menu from its root, each node once."""
    lines: list[tuple[int, str, str]] = []
    seen: set[str] = set()

    def walk(node_id: str, depth: int) -> None:
        seen.add(node_id)
        node = menu.nodes[node_id]
        for key, action in sorted(node.keys.items()):
            if isinstance(action, GoTo):
                target = menu.nodes.get(action.node)
                label = target.label if target and target.label else action.node
                lines.append((depth, key, f"进入「{label}」"))
                if action.node not in seen:
                    walk(action.node, depth + 1)
            elif isinstance(action, RouteTo):
                dest = menu.destinations.get(action.destination)
                label = dest.label if dest and dest.label else action.destination
                lines.append((depth, key, f"转到「{label}」" + ("（人工服务）" if action.agent else "")))
            elif isinstance(action, Repeat):
                lines.append((depth, key, "重听"))
            elif isinstance(action, Back):
                lines.append((depth, key, "返回上级菜单"))

    walk(menu.root, 0)
    return lines


@page(ADMIN, Role.SUPERVISOR)
async def menu(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Validate the configured IVR menu (语音导航菜单检查) and show its errors or its key tree."""
    path: Path = request.app[SETTINGS].menu_path or DEFAULT_MENU_PATH
    problems: list[Any] = []
    tree: list[tuple[int, str, str]] = []
    try:
        tree = _key_tree(load_menu(path))
    except MenuConfigError as exc:
        problems = exc.problems
    return render(request, "admin_menu.html", menu_path=str(path), problems=problems, tree=tree)


ROUTES = [
    ("GET", "/admin/users", users),
    ("POST", "/admin/users/{op}", users_post),
    ("GET", "/admin/units", units),
    ("POST", "/admin/units/{op}", units_post),
    ("GET", "/admin/calendar", calendar),
    ("POST", "/admin/calendar/{op}", calendar_post),
    ("GET", "/admin/menu", menu),
]
