"""Bench: a quarter of effectiveness figures over 100,000 work orders, and the list API under load.

1. Generates 100,000 realistic work orders for 2026Q3 across the seeded county units (consultations
   answered on the line, complaints simple/general/difficult with extensions, suggestions; signing,
   replies, closings on the working-day calendar, some late or still open; returns, repeat complaints,
   ratings, rectification revisits, supervision orders) with their event trails, into a database
   migrated by `hotline db upgrade`'s code — on SQLite and on PostgreSQL.
2. Times `KpiQueries.figures(2026Q3)` for every unit (3 runs; the slowest counts). Target < 2 s each.
   Then unlinks the 100 most recent generated repeats and checks them, with 100 other recent complaints,
   through `RepeatLinker`: time per check (target p95 < 100 ms), repeats re-found, and how many of the
   other complaints were linked (the generator reuses enterprise names, so some are genuine repeats).
3. Starts `hotline serve` on that database as a subprocess and sends list requests
   (`GET /api/v1/workorders` with mixed filters and pages) from 50 concurrent clients over real HTTP,
   half as a supervisor, half as unit handlers. Target p99 < 1 s.

PostgreSQL: HOTLINE_TEST_POSTGRES_URL, or the script re-runs itself under scripts/with-postgres.sh.
`--orders N` for a smaller run, `--skip-postgres` for SQLite only (the JSON then says so).
Prints figures, then ONE JSON line; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from hotline.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from ticketing.adapters.kpi_sql import KpiQueries  # noqa: E402
from ticketing.adapters.orm import (  # noqa: E402
    ExtensionRow,
    ReturnRow,
    SupervisionOrderRow,
    UnitRow,
    WorkOrderEventRow,
    WorkOrderRow,
)
from ticketing.domain.calendar import OfficeHours, WorkingCalendar  # noqa: E402
from ticketing.domain.kpi import Period, total  # noqa: E402
from ticketing.domain.repeats import jieba_keywords  # noqa: E402
from ticketing.domain.roles import Role  # noqa: E402
from ticketing.repeat_links import RepeatLinker  # noqa: E402
from ticketing.services import Directory  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
PERIOD = Period.parse("2026Q3")
AS_OF = datetime(2026, 10, 9, 10, 0, tzinfo=TZ)  # figures judged a week into Q4
KPI_TARGET_S = 2.0
REPEAT_P95_TARGET_MS = 100.0
P99_TARGET_MS = 1000.0
CLIENTS = 50
REQUESTS_PER_CLIENT = 20

MATTERS = [
    ("工程款拖欠", "承建的{place}厂房工程款{money}万元被拖欠{n}个月，多次催讨未果。"),
    ("营业执照变更", "公司想变更营业执照经营范围，咨询需要准备哪些材料、能否网上办理。"),
    ("消防验收进度", "{place}新建仓库消防验收申请已提交{n}周，至今没有安排现场检查。"),
    ("用电报装", "{place}新厂房用电报装申请{n}周未接电，影响设备调试投产。"),
    ("用水报装", "{place}生产用水报装迟迟没有施工，企业无法正常生产。"),
    ("环评审批超期", "新生产线的环评审批已超过法定时限仍未批复，影响项目开工。"),
    ("增值税发票", "咨询增值税专用发票领用和电子发票开具的操作流程。"),
    ("社保缴费基数", "咨询企业职工社保缴费基数调整和补缴的办理方式。"),
    ("招投标不公", "反映{place}某工程招投标设置不合理门槛，排斥本地中小企业。"),
    ("道路积水", "{place}道路雨后积水严重，货车无法进出厂区。"),
    ("施工噪音", "{place}附近工地夜间施工噪音扰民，影响员工休息。"),
    ("惠企政策兑现", "去年申报的技改补贴{money}万元至今没有兑现，咨询进度。"),
    ("融资贷款", "小微企业想申请创业担保贷款，咨询条件和办理渠道。"),
    ("用工招聘", "企业急需招聘技术工人，咨询县里有没有招聘会和用工补贴。"),
    ("证照延续", "食品经营许可证即将到期，咨询延续手续和办理时限。"),
    ("不动产登记", "厂房不动产权证办理{n}个月仍未出证，影响企业抵押融资。"),
]
PLACES = ["城东工业园区", "城西工业园区", "松源街道", "濛洲街道", "黄田镇", "竹口镇", "荷地镇", "经济开发区"]
INDUSTRY = ["建材", "食品", "电子", "机械", "木业", "竹制品", "食用菌", "物流", "旅游开发", "农业科技"]
STEPS = [("create", None, "draft"), ("register", "draft", "registered"), ("dispatch", "registered", "dispatched"),
         ("sign", "dispatched", "signed"), ("reply", "handling", "replied"), ("close", "replied", "closed")]


def _quarter_days(cal: WorkingCalendar) -> list[date]:
    day, days = PERIOD.start, []
    while day < PERIOD.end:
        days.append(day)
        day += timedelta(days=1)
    return days


class Generator:
    """Deterministic realistic data for one quarter; rows are plain dicts for Core executemany."""

    def __init__(self, n: int, unit_ids: list[int], seed: int = 2026) -> None:
        self.n = n
        self.units = unit_ids
        self.rng = random.Random(seed)
        self.cal = WorkingCalendar(OfficeHours.parse())
        self.orders: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.returns: list[dict[str, Any]] = []
        self.extensions: list[dict[str, Any]] = []
        self.supervision: list[dict[str, Any]] = []
        # busier departments get more work: a skewed weight per unit
        self.weights = [1.0 / (1 + i * 0.15) for i in range(len(unit_ids))]

    def _received(self, days: list[date]) -> datetime:
        day = self.rng.choice(days)
        if self.rng.random() < 0.85:
            minute = self.rng.randrange(8 * 60, 18 * 60)
        else:
            minute = self.rng.randrange(0, 24 * 60)
        return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=TZ)

    def _event(self, oid: int, action: str, at: datetime, before: str | None, after: str, role: str) -> None:
        self.events.append(dict(work_order_id=oid, at=at, actor_id=None, actor_name="压测", actor_role=role,
                                action=action, state_before=before, state_after=after, reason=None,
                                before={}, after={}))

    def generate(self) -> None:
        rng = self.rng
        days = _quarter_days(self.cal)
        received_all = sorted(self._received(days) for _ in range(self.n))
        seq: dict[date, int] = {}
        complaints: list[tuple[int, str, str, str]] = []  # id, phone, title, template
        for i, received in enumerate(received_all, start=1):
            local_day = received.date()
            seq[local_day] = seq.get(local_day, 0) + 1
            title, template = rng.choice(MATTERS)
            content = template.format(place=rng.choice(PLACES), money=rng.randrange(5, 300), n=rng.randrange(1, 9))
            phone = f"13{rng.randrange(10**8, 10**9)}"
            enterprise = f"清源县{rng.choice(PLACES)[:2]}{rng.choice(INDUSTRY)}有限公司{rng.randrange(1, 400)}"
            r = rng.random()
            order_class = "consultation" if r < 0.45 else "complaint" if r < 0.9 else "suggestion"
            service = {"consultation": rng.choice(["policy_query", "matter_consultation"]),
                       "complaint": rng.choice(["complaint"] * 4 + ["difficult_matter"]),
                       "suggestion": "suggestion"}[order_class]
            complexity = None
            repeat_of = None
            if order_class == "complaint":
                complexity = rng.choices(["simple", "general", "difficult"], [0.4, 0.5, 0.1])[0]
                if complaints and rng.random() < 0.03:
                    # the same caller about the same matter, told again in other details (再次反映)
                    repeat_of, phone, title, template = rng.choice(complaints[-2000:])
                    content = "再次反映：" + template.format(
                        place=rng.choice(PLACES), money=rng.randrange(5, 300), n=rng.randrange(1, 9))
            row: dict[str, Any] = dict(
                id=i, number=f"YS{local_day:%Y%m%d}{seq[local_day]:05d}", order_class=order_class,
                service=service, complexity=complexity, state="closed", source=rng.choice(["call"] * 8 + ["voice_message", "callback"]),
                caller_phone=phone, enterprise=enterprise if rng.random() < 0.7 else None,
                location=rng.choice(PLACES), title=title, content=content, unit_id=None,
                received_at=received, registered_at=received + timedelta(minutes=3), created_at=received,
                updated_at=received, repeat_of=repeat_of, repeat_reason="同一来电号码、同一诉求" if repeat_of else None,
                reopened_count=0, returns_count=0, extended=False, answered_on_line=False, version=1,
            )
            self._event(i, "create", received, None, "draft", "agent")
            on_line = (order_class == "consultation" and rng.random() < 0.55) or (
                order_class == "suggestion" and rng.random() < 0.7)
            if on_line:
                row.update(answered_on_line=True, closed_at=received + timedelta(minutes=rng.randrange(4, 15)))
                self._event(i, "register", row["closed_at"], "draft", "closed", "agent")
                self._rate(row)
                self.orders.append(row)
                continue
            self._dispatched(row, order_class, complexity)
            if order_class == "complaint":
                complaints.append((i, phone, title, template))
            self.orders.append(row)

    def _dispatched(self, row: dict[str, Any], order_class: str, complexity: str | None) -> None:
        rng, cal, i = self.rng, self.cal, row["id"]
        unit = rng.choices(self.units, self.weights)[0]
        dispatched = row["received_at"] + timedelta(minutes=rng.randrange(5, 90))
        due_days = 1 if order_class == "consultation" else 2 if complexity == "simple" else 5
        start = cal.clock_start(dispatched)
        sign_due = cal.add_working_days(dispatched, 1)
        due = cal.add_working_days(dispatched, due_days)
        row.update(unit_id=unit, dispatched_at=dispatched, clock_start=start, sign_due=sign_due, due=due,
                   state="dispatched")
        self._event(i, "register", row["registered_at"], "draft", "registered", "agent")
        self._event(i, "dispatch", dispatched, "registered", "dispatched", "agent")
        if rng.random() < 0.04:  # returned by another unit first (退单), then re-dispatched here
            other = rng.choice([u for u in self.units if u != unit])
            self.returns.append(dict(work_order_id=i, unit_id=other, returned_at=dispatched - timedelta(minutes=2),
                                     reason="不属于本单位职责", redispatched_at=dispatched, redispatched_to=unit))
            row["returns_count"] = 1
        if complexity == "difficult" and rng.random() < 0.6:
            new_due = cal.add_working_days(due, 10)
            self.extensions.append(dict(work_order_id=i, requested_at=dispatched + timedelta(days=1),
                                        working_days=10, reason="涉及多部门协调", basis="《营商环境专线工作方案》疑难事项",
                                        status="approved", decided_at=dispatched + timedelta(days=2),
                                        old_due=due, new_due=new_due))
            row.update(original_due=due, due=new_due, extended=True)
            due = new_due
        # signing: mostly in time, some late, a few recent ones not yet
        r = rng.random()
        if r < 0.92:
            signed = start + (sign_due - start) * rng.uniform(0.05, 0.9)
        elif r < 0.985:
            signed = sign_due + timedelta(hours=rng.uniform(1, 40))
        else:
            signed = None
        if signed is None or signed > AS_OF:
            self._maybe_supervise(row, sign_due)
            return
        row.update(signed_at=signed, state="handling")
        self._event(i, "sign", signed, "dispatched", "signed", "unit_handler")
        r = rng.random()
        if r < 0.86:
            replied = signed + (due - signed) * rng.uniform(0.1, 0.95)
        elif r < 0.96:
            replied = due + timedelta(hours=rng.uniform(2, 120))
        else:
            replied = None
        if replied is None or replied > AS_OF:
            self._maybe_supervise(row, due)
            return
        if replied > due:
            self._maybe_supervise(row, due)
        row.update(replied_at=replied, state="replied")
        self._event(i, "reply", replied, "handling", "replied", "unit_handler")
        closed = replied + timedelta(hours=rng.uniform(1, 30))
        if closed > AS_OF:
            return
        row.update(closed_at=closed, state="closed")
        self._event(i, "close", closed, "replied", "closed", "agent")
        self._rate(row)

    def _maybe_supervise(self, row: dict[str, Any], missed: datetime) -> None:
        if missed < AS_OF:
            opened = missed + timedelta(minutes=1)
            row["overdue_at"] = opened
            self.supervision.append(dict(work_order_id=row["id"], unit_id=row["unit_id"], kind="overdue",
                                         opened_at=opened, reason="超期未办结，系统自动督办", status="open",
                                         idempotency_key=f"overdue:{row['id']}"))

    def _rate(self, row: dict[str, Any]) -> None:
        rng = self.rng
        if rng.random() > 0.8:
            return
        rating = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], [0.72, 0.2, 0.08])[0]
        rated = row["closed_at"] + timedelta(hours=rng.uniform(2, 48))
        row.update(rating=rating, rated_at=rated, rating_channel="sms", state="evaluated")
        if rating == "dissatisfied" and row["unit_id"] is not None and rng.random() < 0.6:
            revisit = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], [0.8, 0.17, 0.03])[0]
            row.update(reopened_count=1, revisit_rating=revisit, revisited_at=rated + timedelta(days=4))


async def load(url: str, gen: Generator) -> dict[str, float]:
    engine = make_engine(url)
    t0 = time.perf_counter()
    chunk = 5000
    async with engine.begin() as conn:
        batches: list[tuple[Any, list[dict[str, Any]]]] = [
            (WorkOrderRow.__table__, gen.orders),
            (WorkOrderEventRow.__table__, gen.events),
            (ReturnRow.__table__, gen.returns),
            (ExtensionRow.__table__, gen.extensions),
            (SupervisionOrderRow.__table__, gen.supervision),
        ]
        for table, rows in batches:
            # every row names every column (executemany needs one shape); unset nullable ones are NULL
            keys = {k for r in rows for k in r} | {c.name for c in table.columns if c.nullable}
            shaped = [{k: r.get(k) for k in keys} for r in rows]
            for k in range(0, len(shaped), chunk):
                await conn.execute(insert(table), shaped[k : k + chunk])
        if engine.dialect.name == "postgresql":
            for name in ("work_orders", "work_order_events", "work_order_returns", "work_order_extensions",
                         "supervision_orders"):
                await conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))  # fresh statistics, as autovacuum / a DBA would leave them
    await engine.dispose()
    return {"load_s": round(time.perf_counter() - t0, 1)}


async def time_repeats(url: str, checks: int = 100) -> dict[str, Any]:
    """Repeat-complaint checks (重复投诉): the `checks` most recent known repeats are unlinked and checked
    again together with as many recent complaints that are no repeats; recall and false links are
    reported next to the time per check."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    linker = RepeatLinker()
    W = WorkOrderRow
    async with sessions.begin() as session:
        known = dict((await session.execute(
            select(W.id, W.repeat_of).where(W.repeat_of.is_not(None)).order_by(W.received_at.desc()).limit(checks)
        )).all())
        await session.execute(update(W).where(W.id.in_(list(known))).values(repeat_of=None, repeat_reason=None))
        others = list((await session.scalars(
            select(W.id).where(W.order_class == "complaint", W.repeat_of.is_(None), W.id.not_in(list(known)))
            .order_by(W.received_at.desc()).limit(checks)
        )).all())
    jieba_keywords("预热分词词典")  # load jieba's dictionary before timing
    timings: list[float] = []
    found, wrong, other_links, by_enterprise = 0, 0, 0, 0
    for order_id in [*known, *others]:
        t0 = time.perf_counter()
        async with sessions.begin() as session:
            row = await session.get(W, order_id)
            assert row is not None
            match = await linker.link(session, row, AS_OF)
        timings.append((time.perf_counter() - t0) * 1000)
        if order_id in known:
            if match is not None and match.earlier.id == known[order_id]:
                found += 1
            elif match is not None:
                wrong += 1
        elif match is not None:
            other_links += 1
            by_enterprise += match.same_enterprise and not match.same_phone
    await engine.dispose()
    p95 = statistics.quantiles(timings, n=20)[18]
    recall = found / len(known) if known else 0.0
    print(f"  repeat check of {len(timings)} recent complaints: median {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms; re-found {found}/{len(known)} known repeats ({wrong} linked elsewhere), "
          f"{other_links}/{len(others)} other complaints linked ({by_enterprise} of them: the same generated "
          f"enterprise name with the same matter)")
    return {"repeat_check_p95_ms": round(p95, 1), "repeat_checks": len(timings), "repeat_recall": round(recall, 3),
            "repeat_other_links": other_links}


async def time_kpi(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    queries = KpiQueries(make_sessionmaker(engine), TZ)
    runs = []
    figures = []
    for _ in range(3):
        t0 = time.perf_counter()
        figures = await queries.figures(PERIOD, AS_OF)
        runs.append(time.perf_counter() - t0)
    async with engine.connect() as conn:
        stored = await conn.scalar(select(func.count()).select_from(WorkOrderRow.__table__))
    await engine.dispose()
    county = total(figures)
    print(f"  {PERIOD.label} figures for {len(figures)} units: runs {', '.join(f'{r:.3f}' for r in runs)} s")
    print(f"  county: received {county.received}, response {county.response_rate:.1%}, on time "
          f"{county.on_time_rate:.1%}, first-time {county.first_time_rate:.1%}, satisfaction "
          f"{county.satisfaction_rate:.1%}, coverage {county.evaluation_coverage:.1%}, revisit "
          f"{county.revisit_satisfaction_rate:.1%}, returns {county.returns}, repeated {county.repeated}, "
          f"supervision {county.supervision_orders}")
    return {"kpi_s": round(max(runs), 3), "kpi_first_s": round(runs[0], 3), "units": len(figures),
            "orders": stored, "county_received": county.received}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _tokens(url: str, unit_ids: list[int]) -> tuple[str, list[str]]:
    engine = make_engine(url)
    directory = Directory(make_sessionmaker(engine))
    tag = uuid.uuid4().hex[:6]
    _, supervisor = await directory.add_user(f"bench-sup-{tag}", "压测督查", Role.SUPERVISOR)
    handlers = []
    for uid in unit_ids[:5]:
        _, token = await directory.add_user(f"bench-unit-{uid}-{tag}", "压测承办人", Role.UNIT_HANDLER, uid)
        handlers.append(token)
    await engine.dispose()
    return supervisor, handlers


async def list_load(url: str, unit_ids: list[int], workdir: Path) -> dict[str, Any]:
    supervisor, handlers = await _tokens(url, unit_ids)
    port = _free_port()
    env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_DATA_DIR": str(workdir),
           "HOTLINE_ARI_URL": "http://127.0.0.1:9", "HOTLINE_HTTP_PORT": str(port)}
    log = (workdir / f"serve-{port}.log").open("w")
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hotline.cli", "serve", "--port", str(port),
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(7)
    latencies: list[float] = []
    errors = 0
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"{base}/healthz") as resp:
                        await resp.read()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"hotline serve did not start; see {log.name}")

            def request(i: int) -> tuple[dict[str, str], dict[str, str]]:
                unit_client = i % 2 == 1
                token = handlers[i % len(handlers)] if unit_client else supervisor
                params = rng.choice([
                    {"offset": str(rng.randrange(0, 2000))},
                    {"state": "handling"},
                    {"state": "dispatched,signed,handling"},
                    {"overdue": "1"},
                    {"class": "complaint", "service": "complaint"},
                    {"q": rng.choice(["工程款", "消防验收", "用电报装", "营业执照"])},
                    {"unit": str(rng.choice(unit_ids))} if not unit_client else {"state": "closed"},
                    {"received_from": "2026-08-01T00:00:00+08:00", "received_to": "2026-08-15T00:00:00+08:00"},
                ])
                return {"Authorization": f"Bearer {token}"}, {"limit": "20", **params}

            async def client(i: int) -> None:
                nonlocal errors
                for _ in range(REQUESTS_PER_CLIENT):
                    headers, params = request(i)
                    t0 = time.perf_counter()
                    async with http.get(f"{base}/api/v1/workorders", headers=headers, params=params) as resp:
                        await resp.read()
                        if resp.status != 200:
                            errors += 1
                    latencies.append((time.perf_counter() - t0) * 1000)

            t0 = time.perf_counter()
            await asyncio.gather(*(client(i) for i in range(CLIENTS)))
            wall = time.perf_counter() - t0
    finally:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 10)
        except TimeoutError:
            server.kill()
            await server.wait()
        log.close()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    result = {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1),
              "max_ms": round(latencies[-1], 1), "rps": round(len(latencies) / wall, 1), "errors": errors,
              "requests": len(latencies)}
    print(f"  list API, {CLIENTS} clients × {REQUESTS_PER_CLIENT}: p50 {result['p50_ms']} ms, p95 "
          f"{result['p95_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms, {result['rps']} req/s, "
          f"{errors} errors")
    return result


async def _unit_ids(url: str) -> list[int]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        ids = list((await conn.scalars(select(UnitRow.id).where(UnitRow.active.is_(True)).order_by(UnitRow.id))).all())
    await engine.dispose()
    return ids


async def _admin(url: str, sql: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def run_database(label: str, url: str, n: int, workdir: Path) -> dict[str, Any]:
    print(f"{label}:")
    t0 = time.perf_counter()
    upgrade(url)
    unit_ids = asyncio.run(_unit_ids(url))
    gen = Generator(n, unit_ids)
    gen.generate()
    print(f"  generated {len(gen.orders)} work orders, {len(gen.events)} events, {len(gen.returns)} returns, "
          f"{len(gen.extensions)} extensions, {len(gen.supervision)} supervision orders "
          f"in {time.perf_counter() - t0:.1f} s")
    figures = asyncio.run(load(url, gen))
    print(f"  loaded in {figures['load_s']} s")
    figures.update(asyncio.run(time_kpi(url)))
    figures.update(asyncio.run(time_repeats(url)))
    figures.update(asyncio.run(list_load(url, unit_ids, workdir)))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    pg_base = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if not pg_base and not args.skip_postgres and not os.environ.get("KPI_BENCH_REEXEC"):
        script = ROOT / "scripts" / "with-postgres.sh"
        env = {**os.environ, "KPI_BENCH_REEXEC": "1"}
        return subprocess.call(["bash", str(script), sys.executable, __file__, *sys.argv[1:]], env=env)
    workdir = Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    results: dict[str, Any] = {}
    try:
        results["sqlite"] = run_database("SQLite", f"sqlite+aiosqlite:///{workdir}/bench.sqlite3", args.orders, workdir)
        if pg_base and not args.skip_postgres:
            name = f"kpi_bench_{uuid.uuid4().hex[:8]}"
            asyncio.run(_admin(pg_base, f'CREATE DATABASE "{name}"'))
            url = make_url(pg_base).set(database=name).render_as_string(hide_password=False)
            try:
                results["postgres"] = run_database("PostgreSQL", url, args.orders, workdir)
            finally:
                asyncio.run(_admin(pg_base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    met: dict[str, bool] = {}
    for db, r in results.items():
        met[f"{db}_kpi_under_{KPI_TARGET_S:g}s"] = r["kpi_s"] < KPI_TARGET_S
        met[f"{db}_list_p99_under_{P99_TARGET_MS:g}ms"] = r["p99_ms"] < P99_TARGET_MS and r["errors"] == 0
        met[f"{db}_repeat_check_p95_under_{REPEAT_P95_TARGET_MS:g}ms"] = r["repeat_check_p95_ms"] < REPEAT_P95_TARGET_MS
    if "postgres" not in results:
        met["postgres_measured"] = False
    summary = {
        "bench": "kpi_load",
        "orders": args.orders,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **{f"{db}_{k}": v for db, r in results.items() for k, v in r.items()},
        "targets": {"kpi_s": f"< {KPI_TARGET_S}", "list_p99_ms": f"< {P99_TARGET_MS:g} with {CLIENTS} clients",
                    "repeat_check_p95_ms": f"< {REPEAT_P95_TARGET_MS:g}"},
        "met": met,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
