"""Bench: the work-order list/search API and the signed SMS webhook under 50 concurrent clients.

1. Generates a quarter of realistic work orders (bench/kpi_load.py's generator, `--orders`, default 20,000)
   into a database migrated by `hotline db upgrade`'s code: SQLite by default, PostgreSQL with `--postgres`
   (HOTLINE_TEST_POSTGRES_URL, or the script re-runs itself under scripts/with-postgres.sh).
2. Starts `hotline serve` on it as a subprocess with TWILIO_AUTH_TOKEN set (the webhooks are mounted) and
   HOTLINE_PUBLIC_URL, the address the signatures are computed for.
3. List/search: 50 clients send `GET /api/v1/workorders` with mixed filters, pages and text search, half as a
   supervisor and half as unit handlers (each sees only their unit).
4. SMS webhook: 50 clients post enterprise replies to `/sms/twilio/inbound` with real Twilio signatures
   (`twilio.request_validator.RequestValidator`), each a new MessageSid, plus a redelivery of one in ten
   (Twilio retries): every first delivery must be stored once, redeliveries never twice.

Targets: p99 < 1 s for each, 0 errors, inbound rows stored == distinct messages sent.
Prints figures, then ONE JSON line; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import inspect, text  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from bench.kpi_load import Generator, _free_port, _tokens, _unit_ids, load  # noqa: E402
from hotline.db import make_engine, upgrade  # noqa: E402

CLIENTS = 50
REQUESTS_PER_CLIENT = 20
P99_TARGET_MS = 1000.0
TWILIO_TOKEN = "bench-twilio-auth-token"
PUBLIC_URL = "https://hotline.bench.example"
INBOUND = "/sms/twilio/inbound"
REPLIES = ["1", "2", "3", "满意", "基本满意", "不满意，问题没解决", "１", "非常满意，谢谢", "TD", "办得很快 满意"]


def _quantiles(latencies: list[float], wall: float, errors: int) -> dict[str, Any]:
    latencies = sorted(latencies)
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "rps": round(len(latencies) / wall, 1), "p50_ms": round(q[49], 1),
            "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1), "max_ms": round(latencies[-1], 1),
            "errors": errors}


async def _drive(clients: int, per_client: int, one: Callable[[int, int], Awaitable[bool]]) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0

    async def client(i: int) -> None:
        nonlocal errors
        for k in range(per_client):
            t0 = time.perf_counter()
            ok = await one(i, k)
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += 0 if ok else 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return _quantiles(latencies, time.perf_counter() - t0, errors)


async def _serve(url: str, workdir: Path) -> tuple[asyncio.subprocess.Process, str, Any]:
    port = _free_port()
    env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_DATA_DIR": str(workdir),
           "HOTLINE_ARI_URL": "http://127.0.0.1:9", "HOTLINE_HTTP_PORT": str(port),
           "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "HOTLINE_PUBLIC_URL": PUBLIC_URL}
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_FROM"):
        env.pop(name, None)  # replies in, nothing sent out: the local outbox
    log = (workdir / f"serve-{port}.log").open("w")
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hotline.cli", "serve", "--port", str(port),
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    return server, f"http://127.0.0.1:{port}", log


async def _stop(server: asyncio.subprocess.Process, log: Any) -> None:
    server.terminate()
    try:
        await asyncio.wait_for(server.wait(), 10)
    except TimeoutError:
        server.kill()
        await server.wait()
    log.close()


async def _inbound_rows(url: str) -> int | None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            if "sms_inbound_messages" not in names:
                return None
            return int((await conn.execute(text("SELECT count(*) FROM sms_inbound_messages"))).scalar_one())
    finally:
        await engine.dispose()


async def run(url: str, orders: int, workdir: Path) -> dict[str, Any]:
    units = await _unit_ids(url)
    gen = Generator(orders, units)
    gen.generate()
    loaded = await load(url, gen)
    print(f"  {orders} work orders and {len(gen.events)} events loaded in {loaded['load_s']} s")
    supervisor, handlers = await _tokens(url, units)
    rows_before = await _inbound_rows(url) or 0
    server, base, log = await _serve(url, workdir)
    rng = random.Random(12345)
    validator = RequestValidator(TWILIO_TOKEN)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS * 2)) as http:
            for _ in range(300):
                try:
                    async with http.get(f"{base}/healthz") as resp:
                        await resp.read()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"hotline serve did not start; see {log.name}")

            async def list_once(i: int, k: int) -> bool:
                unit_client = i % 2 == 1
                token = handlers[i % len(handlers)] if unit_client else supervisor
                params = rng.choice([
                    {"offset": str(rng.randrange(0, 2000))},
                    {"state": "dispatched,signed,handling"},
                    {"overdue": "1"},
                    {"class": "complaint", "service": "complaint"},
                    {"q": rng.choice(["工程款", "消防验收", "用电报装", "营业执照", "噪音"])},
                    {"enterprise": "建材"},
                    {"received_from": "2026-08-01T00:00:00+08:00", "received_to": "2026-08-15T00:00:00+08:00"},
                ])
                headers = {"Authorization": f"Bearer {token}"}
                async with http.get(f"{base}/api/v1/workorders", headers=headers,
                                    params={"limit": "20", **params}) as resp:
                    await resp.read()
                    return resp.status == 200

            print(f"  list/search API, {CLIENTS} clients × {REQUESTS_PER_CLIENT} …")
            listing = await _drive(CLIENTS, REQUESTS_PER_CLIENT, list_once)

            sent: set[str] = set()
            tag = uuid.uuid4().hex[:8]

            async def post(form: dict[str, str]) -> bool:
                headers = {"X-Twilio-Signature": validator.compute_signature(PUBLIC_URL + INBOUND, form),
                           "Content-Type": "application/x-www-form-urlencoded"}
                async with http.post(f"{base}{INBOUND}", data=urlencode(form), headers=headers) as resp:
                    await resp.read()
                    return resp.status == 200

            async def inbound_once(i: int, k: int) -> bool:
                sid = "SM" + uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}-{i}-{k}").hex
                form = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": f"+86139{i:04d}{k:04d}",
                        "To": "+8610612345", "Body": rng.choice(REPLIES), "NumSegments": "1"}
                ok = await post(form)
                sent.add(sid)
                if k % 10 == 9:  # Twilio redelivers now and then: answered 200, stored once
                    ok = await post(form) and ok
                return ok

            print(f"  SMS webhook, {CLIENTS} clients × {REQUESTS_PER_CLIENT} signed replies …")
            webhook = await _drive(CLIENTS, REQUESTS_PER_CLIENT, inbound_once)
    finally:
        await _stop(server, log)
    rows_after = await _inbound_rows(url)
    stored = None if rows_after is None else rows_after - rows_before
    webhook["distinct_messages"] = len(sent)
    webhook["stored"] = stored
    for name, r in (("list/search", listing), ("SMS webhook", webhook)):
        print(f"  {name}: {r['rps']} req/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, "
              f"max {r['max_ms']} ms, {r['errors']} errors")
    print(f"  inbound SMS stored: {stored} of {len(sent)} distinct (redeliveries not stored twice)")
    return {"list": listing, "webhook": webhook}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if args.postgres and not os.environ.get("HOTLINE_TEST_POSTGRES_URL"):
        script = ROOT / "scripts" / "with-postgres.sh"
        return subprocess.call(["bash", str(script), sys.executable, *sys.argv])
    with tempfile.TemporaryDirectory(prefix="api-load-") as tmp:
        workdir = Path(tmp)
        if args.postgres:
            url = os.environ["HOTLINE_TEST_POSTGRES_URL"]
            label = "postgresql"
        else:
            url = f"sqlite+aiosqlite:///{workdir}/hotline.sqlite3"
            label = "sqlite"
        upgrade(url)
        print(f"api_load on {label} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        figures = asyncio.run(run(url, args.orders, workdir))
    listing, webhook = figures["list"], figures["webhook"]
    met = {
        "list_p99": listing["p99_ms"] < P99_TARGET_MS,
        "list_errors": listing["errors"] == 0,
        "webhook_p99": webhook["p99_ms"] < P99_TARGET_MS,
        "webhook_errors": webhook["errors"] == 0,
        "webhook_stored_once": webhook["stored"] is None or webhook["stored"] == webhook["distinct_messages"],
    }
    print(json.dumps({
        "bench": "api_load", "database": label, "orders": args.orders, "clients": CLIENTS,
        "list": listing, "webhook": webhook,
        "targets": {"p99_ms": P99_TARGET_MS, "errors": 0, "stored": "== distinct messages"},
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "met": met, "ok": all(met.values()),
    }, ensure_ascii=False))
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
