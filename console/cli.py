"""`hotline admin create`, `hotline user set-password`, `hotline demo seed`: accounts from the shell."""

from __future__ import annotations

import argparse
import getpass
import sys

from console.auth import domain
from console.auth.passwords import Passwords
from console.auth.services import Accounts
from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from ticketing.domain.errors import TicketingError


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码 (password): ")
    second = getpass.getpass("再次输入密码 (repeat): ")
    if first != second:
        print("错误：两次输入的密码不一致 (passwords differ)", file=sys.stderr)
        return None
    return first


async def _with_accounts(action: str, args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    password = _read_password(args) if action in ("admin", "password") else None
    if action in ("admin", "password") and password is None:
        return 1
    engine = make_engine(settings.database_url)
    try:
        accounts = Accounts(make_sessionmaker(engine), Passwords())
        if action == "admin":
            user = await accounts.create_first_admin(args.username, args.name, password or "")
            print(f"已创建管理员 {user.login}（{user.name}），请用该账号登录 {settings.public_url}/login")
        elif action == "password":
            user = await accounts.set_password(args.username, password or "")
            print(f"已设置 {user.login} 的密码，其已登录的会话均已退出 (password set; sessions ended)")
        elif action == "demo":
            if settings.production:
                print("错误：生产模式下不能创建演示账号 (no demo accounts in production)", file=sys.stderr)
                return 1
            await accounts.seed_demo()
            print("演示账号（仅供本地试用，生产模式下服务将拒绝启动）：")
            for account in domain.DEMO_ACCOUNTS:
                print(f"  {account.login:16} {account.role.label_zh:6} 密码 {account.password}")
        elif action == "demo-remove":
            logins = await accounts.deactivate_demo()
            print("已停用演示账号: " + (", ".join(logins) if logins else "（没有启用中的演示账号）"))
    except (TicketingError, domain.ConsoleError) as exc:
        print(f"错误 (error): {exc.message}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    return 0


async def _admin_create(args: argparse.Namespace) -> int:
    return await _with_accounts("admin", args)


async def _set_password(args: argparse.Namespace) -> int:
    return await _with_accounts("password", args)


async def _demo_seed(args: argparse.Namespace) -> int:
    return await _with_accounts("demo", args)


async def _demo_remove(args: argparse.Namespace) -> int:
    return await _with_accounts("demo-remove", args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser("admin", help="the first administrator account (首个管理员)")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create", help="create the first admin (refused once an admin exists)")
    create.add_argument("--username", required=True, help="login name")
    create.add_argument("--name", required=True, help="display name, e.g. 张三")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(func=_admin_create)

    user = sub.choices.get("user") or sub.add_parser("user", help="user accounts")
    user_sub = _subparsers(user, "user_command")
    setpw = user_sub.add_parser("set-password", help="set or reset a user's password (ends their sessions)")
    setpw.add_argument("username", help="login name")
    setpw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    setpw.set_defaults(func=_set_password)

    demo = sub.add_parser("demo", help="demo accounts for local use (演示账号)")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    seed = demo_sub.add_parser("seed", help="create demo units and one user per role with known passwords")
    seed.set_defaults(func=_demo_seed)
    remove = demo_sub.add_parser("remove", help="deactivate every demo account (before production mode)")
    remove.set_defaults(func=_demo_remove)


def _subparsers(
    parser: argparse.ArgumentParser, dest: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The existing subcommand group of `parser` (ticketing may already have `hotline user ...`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=dest, required=True)
