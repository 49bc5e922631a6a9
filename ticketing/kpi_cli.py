"""`hotline kpi --period 2026Q3 [--unit CODE] [--json]`: the effectiveness figures (效能评估) as a table."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from ticketing.adapters.kpi_sql import KpiQueries
from ticketing.adapters.orm import UnitRow
from ticketing.domain.kpi import InvalidPeriod, Period, UnitFigures, format_rate, total
from ticketing.kpi_web import figures_document

COLUMNS: tuple[tuple[str, str], ...] = (
    ("受理", "received"),
    ("响应率", "response_rate"),
    ("按期办结率", "on_time_rate"),
    ("一次性化解率", "first_time_rate"),
    ("满意率", "satisfaction_rate"),
    ("评价覆盖率", "evaluation_coverage"),
    ("整改回访满意率", "revisit_satisfaction_rate"),
    ("退单", "returns"),
    ("重复投诉", "repeated"),
    ("督办", "supervision_orders"),
)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _cell(figures: UnitFigures, key: str) -> str:
    value = getattr(figures, key)
    return str(value) if isinstance(value, int) else format_rate(value)


def render_table(rows: list[UnitFigures]) -> str:
    """A plain-text table with Chinese headers, aligned for CJK display width."""
    header = ["单位", *(name for name, _ in COLUMNS)]
    body = [[f.unit_name, *(_cell(f, key) for _, key in COLUMNS)] for f in rows]
    widths = [max(_width(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = []
    for n, r in enumerate([header, *body]):
        lines.append("  ".join(_pad(c, widths[i], right=i > 0) for i, c in enumerate(r)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


async def _kpi(args: argparse.Namespace) -> int:
    try:
        period = Period.parse(args.period)
    except InvalidPeriod as exc:
        print(str(exc), file=sys.stderr)
        return 2
    settings = Settings.from_env()
    tz = ZoneInfo(settings.timezone)
    as_of = datetime.fromisoformat(args.as_of) if args.as_of else datetime.now(UTC)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=tz)
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        unit_id = None
        if args.unit:
            async with sessions() as session:
                ref = args.unit
                cond = or_(UnitRow.code == ref, UnitRow.id == int(ref)) if ref.isdigit() else UnitRow.code == ref
                unit_id = await session.scalar(select(UnitRow.id).where(cond))
            if unit_id is None:
                print(f"承办单位 {args.unit} 不存在 (no such unit)", file=sys.stderr)
                return 2
        figures = await KpiQueries(sessions, tz).figures(period, as_of, unit_id)
    finally:
        await engine.dispose()
    if args.json:
        doc = figures_document(period, tz, as_of, figures, with_total=unit_id is None)
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    rows = figures if unit_id is not None else [*figures, total(figures)]
    print(f"{period.name_zh} 效能评估（截至 {as_of.astimezone(tz):%Y-%m-%d %H:%M}）")
    print(render_table(rows))
    print("口径见 docs/kpi.md；“—”表示该项无可计算的工单。")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("kpi", help="effectiveness figures per unit for a period (效能评估)")
    p.add_argument("--period", required=True, help="2026Q3, 2026-10 or 2026")
    p.add_argument("--unit", help="unit id or code (default: every unit and the county total)")
    p.add_argument("--as-of", dest="as_of", help="judge deadlines as of this ISO time (default: now)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_kpi)
