"""The `hotline` command. Each package registers its own subcommands; this module only dispatches."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence

from hotline.settings import Settings

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from hotline.app import create_app

    settings = Settings.from_env()
    if args.port:
        settings = Settings(**{**settings.__dict__, "http_port": args.port})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("hotline")
    for name, value in settings.describe():
        log.info("setting %s = %s", name, value)
    web.run_app(create_app(settings), host=settings.http_host, port=settings.http_port, print=None)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from hotline.db import upgrade

    url = Settings.from_env().database_url
    upgrade(url)
    print(f"数据库已升级到最新版本 (database upgraded): {url}")
    return 0


def _register_core(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the service (web console, API, ARI controller)")
    serve.add_argument("--port", type=int, default=0, help="HTTP port (default: HOTLINE_HTTP_PORT or 8080)")
    serve.set_defaults(func=_serve)
    db = sub.add_parser("db", help="database")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="create or migrate the database to the latest schema")
    up.set_defaults(func=_db_upgrade)


def _registrars() -> list[Registrar]:
    """Each package's `register(sub)`; imported here so `hotline --help` loads only what it lists."""
    from asr.cli import register as asr
    from callflow.cli import register as call
    from callflow.seat.cli import register as seat
    from console.cli import register as console
    from ivr.cli import register as ivr
    from knowledge.cli import register as knowledge
    from recordings.cli import register as recordings
    from reports.cli import register as reports
    from sms_feedback.cli import register as survey
    from ticketing.calendar_cli import register as calendar
    from ticketing.cli import register as ticketing
    from ticketing.kpi_cli import register as kpi

    return [
        _register_core,
        calendar,
        call,
        seat,
        ivr,
        survey,
        ticketing,
        kpi,
        asr,
        knowledge,
        recordings,
        reports,
        console,  # after ticketing: it adds `user set-password` to ticketing's `user`
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="12345 营商环境专线 service")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in _registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result = args.func(args)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
