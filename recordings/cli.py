"""`hotline recordings ...`: purge past retention, verify every hash, and legal hold (录音管理).

- `hotline recordings purge [--dry-run]` deletes files and rows past retention (legal holds kept).
- `hotline recordings verify` re-hashes every recording; exits 1 when any is corrupt or missing.
- `hotline recordings hold ID --reason ...` / `release ID` (run by an operator on the server: recorded as admin).
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import OperationalError, ProgrammingError

from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from recordings.adapters.store import RecordingStore
from recordings.adapters.workorder_units import WorkOrderUnits
from recordings.domain.errors import RecordingsError
from recordings.domain.retention import RetentionPolicy
from recordings.services import RecordingService
from ticketing.domain.roles import Actor, Role

CONSOLE = Actor(id=None, name="console", role=Role.ADMIN)
"""Who the server's own command line acts as (the audit log shows `console`)."""


@asynccontextmanager
async def _service(settings: Settings) -> AsyncIterator[RecordingService]:
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    try:
        yield RecordingService(
            sessions,
            RecordingStore(settings.recordings_dir),
            WorkOrderUnits(sessions),
            policy=RetentionPolicy.parse(settings.recordings_retention),
        )
    finally:
        await engine.dispose()


def _needs_schema(command: Callable[[argparse.Namespace], Awaitable[int]]) -> Callable[[argparse.Namespace], Awaitable[int]]:
    """A database without the recordings tables gets a plain instruction, not a traceback."""

    @functools.wraps(command)
    async def run(args: argparse.Namespace) -> int:
        try:
            return await command(args)
        except (OperationalError, ProgrammingError) as exc:
            print(f"数据库中没有录音表，请先运行 `hotline db upgrade` (run `hotline db upgrade` first): {exc.orig}")
            return 2

    return run


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


@_needs_schema
async def _purge(args: argparse.Namespace) -> int:
    async with _service(Settings.from_env()) as service:
        report = await service.purge(dry_run=args.dry_run)
    verb = "将删除" if report.dry_run else "已删除"
    for rec in report.purged:
        print(f"{verb} {rec.name}  通话 {rec.call_id}  {rec.kind.label_zh}  保存至 {rec.retention_until:%Y-%m-%d}")
    for rec in report.held:
        print(f"保全中，不删除 {rec.name}  ({rec.legal_hold_reason or ''})")
    for name in report.files_already_gone:
        print(f"注意: {name} 的文件此前已不存在，仅删除记录 (file was already gone)")
    note = "（演练，未做任何修改 dry run）" if report.dry_run else ""
    print(
        f"录音清理{note}: {verb} {len(report.purged)} 条，共 {_mib(report.bytes_freed)}；"
        f"保全保留 {len(report.held)} 条 (purged {len(report.purged)}, held {len(report.held)})"
    )
    return 0


@_needs_schema
async def _verify(args: argparse.Namespace) -> int:
    async with _service(Settings.from_env()) as service:
        results = await service.verify_all()
    bad = [r for r in results if not r.ok]
    for result in bad:
        print(f"异常 {result.describe()}")
    print(f"录音校验: 共 {len(results)} 条，完好 {len(results) - len(bad)} 条，异常 {len(bad)} 条 (checked {len(results)}, bad {len(bad)})")
    return 1 if bad else 0


@_needs_schema
async def _hold(args: argparse.Namespace) -> int:
    hold = args.recordings_command == "hold"
    try:
        async with _service(Settings.from_env()) as service:
            rec = await service.set_legal_hold(CONSOLE, args.id, hold, getattr(args, "reason", None), "console")
    except RecordingsError as exc:
        print(f"失败: {exc.message} [{exc.error_id}]")
        return 1
    state = f"已保全 ({rec.legal_hold_reason})" if rec.legal_hold else "已解除保全"
    print(f"录音 {rec.id} {rec.name}: {state}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rec = sub.add_parser("recordings", help="call recordings: purge, verify, legal hold (录音管理)")
    rsub = rec.add_subparsers(dest="recordings_command", required=True)
    purge = rsub.add_parser("purge", help="delete recordings past retention (legal holds are kept)")
    purge.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    purge.set_defaults(func=_purge)
    verify = rsub.add_parser("verify", help="re-hash every recording and report mismatches (exit 1 if any)")
    verify.set_defaults(func=_verify)
    hold = rsub.add_parser("hold", help="put a recording under legal hold: never purged")
    hold.add_argument("id", type=int)
    hold.add_argument("--reason", required=True, help="why (e.g. 行政复议 2026-17)")
    hold.set_defaults(func=_hold)
    release = rsub.add_parser("release", help="release a legal hold")
    release.add_argument("id", type=int)
    release.set_defaults(func=_hold)
