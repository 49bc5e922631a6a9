"""`hotline report …`: write the monthly summary or the quarterly report (HTML + PDF) to a folder,
print a period's ranking (CSV with a BOM on request)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from hotline.settings import Settings
from reports.domain.errors import ReportError
from reports.domain.periods import MONTHLY, QUARTERLY, parse_period, parse_report_period, period_name_zh
from reports.domain.ranking import RankingWeights, ranking_csv
from ticketing.domain.kpi import format_rate


def _as_of(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _generate(args: argparse.Namespace) -> int:
    recommendations = None
    if args.recommendations:
        recommendations = Path(args.recommendations).read_text(encoding="utf-8")
    return asyncio.run(_generate_report(args, recommendations))


async def _generate_report(args: argparse.Namespace, recommendations: str | None) -> int:
    from hotline.db import make_engine, make_sessionmaker
    from reports.web import build_service

    settings = Settings.from_env()
    kind = MONTHLY if args.report_command == "monthly" else QUARTERLY
    try:
        period = parse_report_period(kind, args.month if kind == MONTHLY else args.quarter)
    except ReportError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        service = build_service(settings, make_sessionmaker(engine), lambda: datetime.now(UTC))
        out = Path(args.out) if args.out else None
        stored, folder = await service.generate(
            kind, period, as_of=_as_of(args.as_of), recommendations=recommendations, out=out, trigger="cli"
        )
    finally:
        await engine.dispose()
    print(f"已生成{stored.title}{'（草稿：尚未填写工作建议）' if stored.draft else ''}")
    print(f"  HTML: {folder / 'report.html'}")
    print(f"  PDF:  {folder / 'report.pdf'}")
    return 0


def _ranking(args: argparse.Namespace) -> int:
    return asyncio.run(_print_ranking(args))


async def _print_ranking(args: argparse.Namespace) -> int:
    from hotline.db import make_engine, make_sessionmaker
    from reports.web import build_service

    settings = Settings.from_env()
    try:
        period = parse_period(args.period)
        engine = make_engine(settings.database_url)
        service = build_service(settings, make_sessionmaker(engine), lambda: datetime.now(UTC))
        if args.weights:
            service.weights = RankingWeights.parse(args.weights)
    except ReportError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    try:
        rows = await service.ranking(period, _as_of(args.as_of))
    finally:
        await engine.dispose()
    if args.csv:
        await asyncio.to_thread(Path(args.csv).write_bytes, ranking_csv(rows))
        print(f"已导出 {period_name_zh(period)} 排名：{args.csv}")
        return 0
    print(f"{period_name_zh(period)} 承办单位排名（{service.weights.describe_zh()}）")
    for row in rows:
        rank = f"{row.rank:>3}" if row.rank is not None else "  —"
        score = f"{row.score:6.2f}" if row.score is not None else "不参与排名"
        rates = "  ".join(format_rate(row.rate(k)) for k in ("response_rate", "on_time_rate", "first_time_rate", "satisfaction_rate"))
        print(f"{rank}  {row.unit_name}  {score}  {rates}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="reports: monthly summary, quarterly analysis, ranking (分析研判)")
    rsub = report.add_subparsers(dest="report_command", required=True)
    monthly = rsub.add_parser("monthly", help="每月一汇总: the monthly summary of a month (HTML + PDF)")
    monthly.add_argument("--month", required=True, help="e.g. 2026-10")
    quarterly = rsub.add_parser("quarterly", help="每季一上报: the quarterly analysis report (HTML + PDF)")
    quarterly.add_argument("--quarter", required=True, help="e.g. 2026Q3")
    for p in (monthly, quarterly):
        p.add_argument("--out", help="folder to write to (default: HOTLINE_REPORTS_DIR/<kind>-<period>)")
        p.add_argument("--recommendations", help="UTF-8 text file with the editor's recommendations (工作建议)")
        p.add_argument("--as-of", help="judge running deadlines at this instant (ISO 8601; default now)")
        p.set_defaults(func=_generate)
    ranking = rsub.add_parser("ranking", help="通报晾晒: the units' ranking of a period")
    ranking.add_argument("--period", required=True, help="2026Q3, 2026-10, 2026 or 2026-07-01~2026-08-15")
    ranking.add_argument("--weights", help="e.g. on_time_rate=2,satisfaction_rate=1 (default: HOTLINE_RANKING_WEIGHTS)")
    ranking.add_argument("--csv", help="write the ranking as CSV (UTF-8 with BOM) to this file")
    ranking.add_argument("--as-of", help="judge running deadlines at this instant (ISO 8601; default now)")
    ranking.set_defaults(func=_ranking)
