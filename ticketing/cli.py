"""Admin commands: `hotline unit list|add`, `hotline user add`, `hotline workorder list`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.adapters.repository import SearchFilters
from ticketing.domain import workorder as wo
from ticketing.domain.calendar import OfficeHours
from ticketing.domain.errors import TicketingError
from ticketing.domain.roles import USER_ROLES, Actor, Role
from ticketing.services import Directory, StoredCalendar, WorkOrderService


@asynccontextmanager
async def _directory(settings: Settings) -> AsyncIterator[Directory]:
    engine = make_engine(settings.database_url)
    try:
        yield Directory(make_sessionmaker(engine))
    finally:
        await engine.dispose()


def _fail(exc: TicketingError) -> int:
    print(f"错误 (error): {exc.message}", file=sys.stderr)
    return 1


async def _unit_list(args: argparse.Namespace) -> int:
    async with _directory(Settings.from_env()) as directory:
        units = await directory.units(include_inactive=args.all)
    print(f"{'ID':>4}  {'代码':<8} {'类型':<10} {'钉钉':<4} 名称")
    for u in units:
        robot = "是" if u.dingtalk_webhook else "-"
        state = "" if u.active else " (已停用)"
        print(f"{u.id:>4}  {u.code:<10} {u.kind:<12} {robot:<5} {u.name}{state}")
    print(f"共 {len(units)} 个承办单位")
    return 0


async def _unit_add(args: argparse.Namespace) -> int:
    async with _directory(Settings.from_env()) as directory:
        try:
            unit = await directory.add_unit(
                args.code,
                args.name,
                kind=args.kind,
                short_name=args.short_name,
                dingtalk_webhook=args.dingtalk_webhook,
                dingtalk_secret=args.dingtalk_secret,
            )
        except TicketingError as exc:
            return _fail(exc)
    print(f"已添加承办单位 (unit added): {unit.id} {unit.code} {unit.name}")
    return 0


async def _unit_set(args: argparse.Namespace) -> int:
    async with _directory(Settings.from_env()) as directory:
        try:
            unit = await directory.update_unit(
                args.unit,
                name=args.name,
                short_name=args.short_name,
                kind=args.kind,
                active=args.active,
                dingtalk_webhook=args.dingtalk_webhook,
                dingtalk_secret=args.dingtalk_secret,
            )
        except TicketingError as exc:
            return _fail(exc)
    robot = "已配置钉钉机器人" if unit.dingtalk_webhook else "未配置钉钉机器人"
    state = "启用" if unit.active else "停用"
    print(f"已更新承办单位 (unit updated): {unit.id} {unit.code} {unit.name}，{state}，{robot}")
    return 0


async def _user_add(args: argparse.Namespace) -> int:
    async with _directory(Settings.from_env()) as directory:
        try:
            user, token = await directory.add_user(
                args.login, args.name or args.login, Role(args.role), args.unit
            )
        except TicketingError as exc:
            return _fail(exc)
    print(f"已创建账号 (user created): {user.login} 角色 {Role(user.role).label_zh} ({user.role})")
    print("API 令牌只显示这一次，请妥善保存 (the token is shown only once):")
    print(token)
    return 0


async def _workorder_list(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    tz = ZoneInfo(settings.timezone)
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        hours = OfficeHours.parse(settings.office_hours, settings.timezone)
        service = WorkOrderService(sessions, StoredCalendar(CalendarStore(sessions), hours))
        directory = Directory(sessions)
        unit_id = (await directory.unit(args.unit)).id if args.unit else None
        admin = Actor(id=None, name="cli", role=Role.ADMIN)
        filters = SearchFilters(
            states=tuple(s for s in (args.state or "").split(",") if s),
            unit_id=unit_id,
            overdue_at=service.now() if args.overdue else None,
            text=args.q,
            limit=args.limit,
        )
        page = await service.search(admin, filters)
        names = {u.id: u.name for u in await directory.units(include_inactive=True)}
    except TicketingError as exc:
        return _fail(exc)
    finally:
        await engine.dispose()
    for row in page.items:
        due = row.due.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row.due else "-"
        state = wo.State(row.state).label_zh
        unit = names.get(row.unit_id, "-") if row.unit_id else "-"
        print(f"{row.number}  {state:<6} {row.order_class or '-':<12} 期限 {due}  {unit}  {row.title}")
    total = f"{page.total}{'' if page.total_exact else '+'}"
    print(f"共 {total} 条，显示 {len(page.items)} 条 (total {total}, shown {len(page.items)})")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    unit = sub.add_parser("unit", help="handling units (承办单位)")
    unit_sub = unit.add_subparsers(dest="unit_command", required=True)
    ls = unit_sub.add_parser("list", help="list units")
    ls.add_argument("--all", action="store_true", help="include inactive units")
    ls.set_defaults(func=_unit_list)
    add = unit_sub.add_parser("add", help="add a unit")
    add.add_argument("code", help="short stable code, e.g. scjgj")
    add.add_argument("name", help="official name, e.g. 县市场监督管理局")
    add.add_argument("--kind", default="department", choices=["department", "township", "street"])
    add.add_argument("--short-name")
    add.add_argument("--dingtalk-webhook", help="DingTalk group robot webhook URL (浙政钉)")
    add.add_argument("--dingtalk-secret", help="DingTalk robot signing secret")
    add.set_defaults(func=_unit_add)
    upd = unit_sub.add_parser("set", help="change a unit (name, kind, DingTalk robot, active)")
    upd.add_argument("unit", help="unit id, code or name")
    upd.add_argument("--name")
    upd.add_argument("--short-name")
    upd.add_argument("--kind", choices=["department", "township", "street"])
    upd.add_argument("--dingtalk-webhook", help='DingTalk robot webhook URL ("" removes it)')
    upd.add_argument("--dingtalk-secret", help='DingTalk robot signing secret ("" removes it)')
    active = upd.add_mutually_exclusive_group()
    active.add_argument(
        "--active", dest="active", action="store_true", default=None, help="accept work orders"
    )
    active.add_argument("--inactive", dest="active", action="store_false", help="no longer dispatchable")
    upd.set_defaults(func=_unit_set)

    user = sub.add_parser("user", help="users and API tokens")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    uadd = user_sub.add_parser("add", help="add a user and print its API token once")
    uadd.add_argument("login")
    uadd.add_argument("--name", help="display name (default: the login)")
    uadd.add_argument("--role", required=True, choices=[r.value for r in USER_ROLES])
    uadd.add_argument("--unit", help="unit id, code or name (unit_handler / unit_leader only)")
    uadd.set_defaults(func=_user_add)

    order = sub.add_parser("workorder", help="work orders (工单)")
    order_sub = order.add_subparsers(dest="workorder_command", required=True)
    wls = order_sub.add_parser("list", help="list work orders, newest first")
    wls.add_argument("--state", help="comma-separated states, e.g. dispatched,signed")
    wls.add_argument("--unit", help="unit id, code or name")
    wls.add_argument("--overdue", action="store_true", help="only overdue work orders")
    wls.add_argument("--q", help="text search")
    wls.add_argument("--limit", type=int, default=50)
    wls.set_defaults(func=_workorder_list)
