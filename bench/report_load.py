"""Bench: the quarterly analysis report (每季一上报) over a quarter of 100,000 work orders on SQLite.

1. Generates 2026Q3 with `reports.sample_data.QuarterSample` (the KPI bench's generator plus seat calls,
   second returns and bad-review comments) into a database migrated by `hotline db upgrade`'s code.
2. Times `ReportService.generate("quarterly", 2026Q3)`: the figures of the quarter, the previous one and
   the same quarter last year, the ranking, hot issues (jieba TF-IDF and grouping over every order),
   the opinions summary, bad reviews, the accountability list with trails, charts, HTML and PDF.
   Target < 60 s. Also the monthly summary of 2026-09.

`--orders N` for a smaller run. Prints figures, then ONE JSON line; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kpi_load import _unit_ids  # noqa: E402
from hotline.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from hotline.settings import Settings  # noqa: E402
from reports.domain.periods import MONTHLY, QUARTERLY  # noqa: E402
from reports.sample_data import AS_OF, PERIOD, QuarterSample, load_sample  # noqa: E402
from reports.web import build_service  # noqa: E402
from ticketing.domain.kpi import Period  # noqa: E402

TARGET_S = 60.0


async def time_reports(url: str, workdir: Path) -> dict[str, Any]:
    engine = make_engine(url)
    settings = Settings(database_url=url, data_dir=workdir)
    service = build_service(settings, make_sessionmaker(engine), lambda: AS_OF)
    try:
        t0 = time.perf_counter()
        content = await service.content(QUARTERLY, PERIOD, AS_OF)
        content_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        stored, folder = await service.generate(QUARTERLY, PERIOD, as_of=AS_OF)
        quarterly_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        await service.generate(MONTHLY, Period.parse("2026-09"), as_of=AS_OF)
        monthly_s = time.perf_counter() - t0
    finally:
        await engine.dispose()
    county = content.figures.county
    pdf = folder / "report.pdf"
    print(f"  quarterly report content (queries + hot issues) {content_s:.1f} s; whole report with charts, "
          f"HTML and PDF {quarterly_s:.1f} s ({pdf.stat().st_size / 1e6:.1f} MB PDF); monthly summary {monthly_s:.1f} s")
    print(f"  county: received {county.received:,}, on time {county.on_time_rate:.1%}, satisfaction "
          f"{county.satisfaction_rate:.1%}; calls offered {content.figures.calls.offered:,}, service level "
          f"{content.figures.calls.service_level:.1%}; {len(content.hot_issues.issues)} hot issues "
          f"({len(content.hot_issues.common)} common across units), {len(content.accountability.entries):,} "
          f"accountability entries, {len(content.opinions.groups)} suggestion groups")
    return {"content_s": round(content_s, 2), "quarterly_s": round(quarterly_s, 2), "monthly_s": round(monthly_s, 2),
            "pdf_bytes": pdf.stat().st_size, "received": county.received, "hot_issues": len(content.hot_issues.issues),
            "accountability_entries": len(content.accountability.entries), "draft": stored.draft}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        url = f"sqlite+aiosqlite:///{workdir}/bench.sqlite3"
        t0 = time.perf_counter()
        upgrade(url)
        sample = QuarterSample(args.orders, asyncio.run(_unit_ids(url)))
        sample.generate()
        gen_s = time.perf_counter() - t0
        loaded = asyncio.run(load_sample(url, sample))
        print(f"SQLite: generated {len(sample.orders):,} work orders, {len(sample.events):,} events, "
              f"{len(sample.returns):,} returns, {len(sample.seat_calls):,} seat calls in {gen_s:.1f} s; "
              f"loaded in {loaded['load_s']} s")
        results = asyncio.run(time_reports(url, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    met = {f"quarterly_under_{TARGET_S:g}s": results["quarterly_s"] < TARGET_S}
    summary = {
        "bench": "report_load",
        "orders": args.orders,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **{f"sqlite_{k}": v for k, v in results.items()},
        "targets": {"quarterly_s": f"< {TARGET_S:g}"},
        "met": met,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
