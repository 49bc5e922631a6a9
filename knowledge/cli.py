"""Commands: `hotline kb import FILE.yaml`, `hotline kb search 词`, `hotline expert add|list`."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.exc import OperationalError, ProgrammingError

from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from knowledge.bootstrap import build
from knowledge.domain.errors import KnowledgeError
from knowledge.services import ExpertService, KnowledgeService
from ticketing.domain.errors import TicketingError
from ticketing.domain.roles import Actor, Role

SEED = Path(__file__).resolve().parent / "seed_kb.yaml"


def _cli_actor() -> Actor:
    """The person at the console, recorded in version history as「命令行 <login>」."""
    return Actor(id=None, name=f"命令行 {getpass.getuser()}", role=Role.ADMIN)


class DatabaseNotReady(Exception):
    """The tables are missing: the database has not been upgraded yet."""


@asynccontextmanager
async def _services() -> AsyncIterator[tuple[KnowledgeService, ExpertService]]:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        yield build(make_sessionmaker(engine), engine.dialect.name, settings)
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseNotReady(
            f"数据库不可用或尚未升级，请先运行 hotline db upgrade（{settings.database_url}）: {exc.orig}"
        ) from exc
    finally:
        await engine.dispose()


def _fail(message: str) -> int:
    print(f"错误 (error): {message}", file=sys.stderr)
    return 1


def load_entries(path: Path) -> list[dict[str, Any]]:
    """The `entries:` list of a knowledge YAML file (see knowledge/seed_kb.yaml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{path}: 须有 entries: 列表（expected a top-level 'entries:' list of mappings）")
    return items


async def _kb_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        items = load_entries(path)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        return _fail(str(exc))
    async with _services() as (knowledge, _):
        try:
            report = await knowledge.import_entries(_cli_actor(), items)
        except (KnowledgeError, TicketingError) as exc:
            return _fail(exc.message)
    print(
        f"已导入 {path.name}：新增 {report.created} 条，更新 {report.updated} 条，未变 {report.unchanged} 条"
        f" (created {report.created}, updated {report.updated}, unchanged {report.unchanged})"
    )
    return 0


async def _kb_search(args: argparse.Namespace) -> int:
    query = " ".join(args.words)
    async with _services() as (knowledge, _):
        found = await knowledge.search(query, args.limit)
    if not found:
        print(f"未找到与「{query}」相关的有效知识条目")
        return 0
    for i, f in enumerate(found, 1):
        print(
            f"{i:>2}. [{f.entry.id}] {f.entry.title}  ({f.entry.unit_name}, 第{f.entry.version}版, 相关度 {f.score:.2f})"
        )
        print(f"    {f.excerpt}")
    return 0


async def _expert_add(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {"name": args.name, "contact": args.contact, "topics": args.topics}
    if args.unit:
        fields["unit"] = args.unit
    if args.duty:
        fields["duty"] = args.duty
    if args.backup is not None:
        fields["backup_id"] = args.backup
    if args.note:
        fields["note"] = args.note
    async with _services() as (_, experts):
        try:
            expert = await experts.add(_cli_actor(), fields)
        except (KnowledgeError, TicketingError) as exc:
            return _fail(exc.message)
    print(f"已添加专家 (expert added): {expert.id} {expert.name} {expert.contact}")
    return 0


async def _expert_list(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    at = datetime.now(ZoneInfo(settings.timezone))
    async with _services() as (_, experts):
        picks = await experts.directory(args.topic, args.on_duty, at=at, include_inactive=args.all)
    print(f"{'ID':>4}  {'在岗':<4} {'姓名':<8} {'联系方式':<28} {'备岗':<4} 单位 / 主题 / 值班")
    for p in picks:
        e = p.expert
        duty = "是" if p.on_duty else "-"
        backup = str(e.backup_id) if e.backup_id else "-"
        via = f"（{p.backup_for} 的备岗）" if p.backup_for else ""
        state = "" if e.active else "（已停用）"
        print(
            f"{e.id:>4}  {duty:<5} {e.name:<8} {e.contact:<30} {backup:<5} {e.unit_name or '-'} / "
            f"{'、'.join(e.topics) or '-'} / {'；'.join(e.duty) or '未设值班'}{via}{state}"
        )
    print(f"共 {len(picks)} 位专家" + (f"（主题：{args.topic}）" if args.topic else ""))
    return 0


def _guarded(command: Callable[[argparse.Namespace], Awaitable[int]]) -> Callable[..., Awaitable[int]]:
    async def run(args: argparse.Namespace) -> int:
        try:
            return await command(args)
        except DatabaseNotReady as exc:
            return _fail(str(exc))

    return run


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kb = sub.add_parser("kb", help="knowledge base (知识库)")
    kbsub = kb.add_subparsers(dest="kb_command", required=True)
    imp = kbsub.add_parser(
        "import", help="create or update entries from a YAML file (matched by unit + title)"
    )
    imp.add_argument(
        "file", nargs="?", default=str(SEED), help=f"YAML with an entries: list (default {SEED.name})"
    )
    imp.set_defaults(func=_guarded(_kb_import))
    find = kbsub.add_parser("search", help="search entries in force, in Chinese")
    find.add_argument("words", nargs="+", help="检索词, e.g. 个体户 变更经营范围")
    find.add_argument("--limit", type=int, default=10)
    find.set_defaults(func=_guarded(_kb_search))

    expert = sub.add_parser("expert", help="expert directory (专家库)")
    exsub = expert.add_subparsers(dest="expert_command", required=True)
    add = exsub.add_parser("add", help="add an expert for three-way calls")
    add.add_argument("--name", required=True)
    add.add_argument(
        "--contact", required=True, help="dial string: PJSIP/expert201 or PJSIP/13900000000@trunk"
    )
    add.add_argument("--topics", default="", help="comma-separated topics, e.g. 留抵退税,纳税信用")
    add.add_argument("--unit", help="unit id or code, e.g. swj")
    add.add_argument("--duty", help="duty hours, ';'-separated, e.g. '工作日 08:30-12:00,14:00-17:30'")
    add.add_argument("--backup", type=int, help="id of the backup expert (备岗)")
    add.add_argument("--note")
    add.set_defaults(func=_guarded(_expert_add))
    ls = exsub.add_parser("list", help="list experts (ordered for a topic: on duty first, with backups)")
    ls.add_argument("--topic")
    ls.add_argument("--on-duty", action="store_true", help="only experts on duty now")
    ls.add_argument("--all", action="store_true", help="include experts taken out of the directory")
    ls.set_defaults(func=_guarded(_expert_list))
