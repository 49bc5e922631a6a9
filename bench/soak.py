"""Soak: a busy city line through the fake Asterisk — ~300 concurrent calls for 10 minutes of call-flow time.

The fake Asterisk runs in a subprocess (its own core, as a real Asterisk would); the whole service runs in
this process as `hotline serve` builds it (`create_app`: controller, voice menu, seat queue, call
recording, recordings store, transcription jobs, draft work orders, ticketing) on a migrated database.
Both share one `ScaledClock` factor, so 10 minutes of calls take `--minutes × 60 × --factor` real seconds.

Traffic (Poisson arrivals, rate = concurrent / mean call length):
- every caller hears the greeting, presses 1 (营商环境专线), hears the business menu and chooses a service
  (1–5) or an agent (0); one in twelve hangs up in the menu, one in twenty gives up while waiting;
- `--agents` agents (PJSIP/agentNNN, logged in to the seat queue) answer after 1–5 s and talk 20–60 s;
- every bridged call is recorded (mix + caller + agent tracks), the tracks become a transcription job
  (a scripted recognizer that "hears" a complaint), the job a draft work order, and an agent confirms each
  draft through the API (register + dispatch), as the seat's agents do.

Figures: throughput (calls/s call-flow and real), controller latency (event received → next ARI request
for that channel; StasisStart and DTMF, which always get an immediate answer) p50/p99, memory (RSS after
`gc.collect()` at the end of minute 1, the middle and the end: end − middle must stay under 10% of start),
leftovers in the fake Asterisk and in the service (0), and the pipeline counts (calls, recordings, jobs,
drafts, dispatched work orders). Recorded audio is deleted from the store once it is a minute old unless
`--keep-recordings` (10 minutes of 300 calls is gigabytes of WAV); hashes are checked at registration.

    .venv/bin/python bench/soak.py [--concurrent 300] [--minutes 10] [--factor 0.5] [--agents 240] [--sqlite]

The database is PostgreSQL, as a city line runs in production (a throw-away cluster through
scripts/with-postgres.sh unless HOTLINE_TEST_POSTGRES_URL is set); `--sqlite` runs the embedded default,
which on two shared cores does not keep up with 300 concurrent calls (connection pool exhausted,
recordings not registered: see the figures it prints).

Not run by `make test`. Prints figures, then ONE JSON line (figures, targets, met flags); exits 1 if a target
is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import random
import re
import shutil
import socket
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHANNEL_ID = re.compile(r"(\d{6,}\.\d+)")
TARGET_P99_MS = 50.0
TARGET_MEMORY_GROWTH = 0.10  # (end − middle) / start
MENU_ABANDON = 1 / 12
QUEUE_ABANDON = 1 / 20
TALK_S = (20.0, 60.0)
ANSWER_S = (1.0, 5.0)
MENU_S = 16.0  # greeting + business menu + transfer prompt, roughly (call-flow seconds)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def write_prompts(folder: Path) -> None:
    from ivr.config import load_menu
    from tests.integration.callflow.seat.seat_fixtures import write_seat_prompts
    from tests.integration.callflow.support import write_prompts as write_menu_prompts

    write_menu_prompts(folder, load_menu(None))
    write_seat_prompts(folder)


# ------------------------------------------------------------------------------------ the fake's side
async def run_fake(args: argparse.Namespace) -> None:
    from tests.fakes.asterisk.fake import FakeAsterisk
    from tests.fakes.asterisk.parties import (
        HangUp,
        Press,
        Step,
        Wait,
        WaitForPlayback,
        WaitUntilBridged,
        WaitUntilHungUp,
    )

    workdir: Path = args.workdir
    fake = FakeAsterisk(sounds={"hotline": workdir / "prompts"}, recordings_dir=workdir / "spool", time_factor=args.factor)
    await fake.start()
    print(json.dumps({"url": fake.url}), flush=True)
    rng = random.Random(args.seed)
    for n in range(args.agents):
        fake.add_endpoint(
            f"PJSIP/agent{n + 1:03d}",
            answer_after=rng.uniform(*ANSWER_S),
            script=[WaitUntilBridged(timeout=3600), Wait(rng.uniform(*TALK_S)), HangUp()],
        )
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go": agents are logged in

    mean_call_s = MENU_S + sum(ANSWER_S) / 2 + sum(TALK_S) / 2
    rate = args.concurrent / mean_call_s  # Little's law: arrivals per call-flow second
    horizon = args.minutes * 60.0
    to_business: list[Step] = [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu")]
    calls = []
    peak = 0
    placed = 0
    t0 = fake.clock.monotonic()
    started = time.perf_counter()
    next_trim = 30.0
    while fake.clock.monotonic() - t0 < horizon:
        await fake.clock.sleep(rng.expovariate(rate))
        r = rng.random()
        script: list[Step]
        if r < MENU_ABANDON:
            script = [WaitForPlayback("sound:hotline/greeting"), Wait(rng.uniform(1.0, 3.0)), HangUp()]
        elif r < MENU_ABANDON + QUEUE_ABANDON:
            script = [*to_business, Press(rng.choice("12345")), Wait(rng.uniform(8.0, 20.0)), HangUp()]
        else:
            script = [*to_business, Press(rng.choice("123450")), WaitUntilHungUp(timeout=3600)]
        placed += 1
        calls.append(await fake.place_call(number=f"13{rng.randrange(10**8, 10**9)}", script=script))
        peak = max(peak, sum(1 for c in fake.channels.values() if c.kind == "inbound" and c.alive))
        if fake.clock.monotonic() - t0 > next_trim:  # the fake's own logs grow with every request: keep it lean
            next_trim += 30.0
            fake.requests.clear()
            fake.events_sent.clear()
            fake.finished_recordings.clear()
            calls = [c for c in calls if not c.done]
            fake.calls = [c for c in fake.calls if not c.done]
    arrivals_real_s = time.perf_counter() - started
    await asyncio.wait([asyncio.ensure_future(c.finished(3600)) for c in calls], timeout=fake.clock.real_seconds(600) + 60)
    unfinished = sum(1 for c in calls if not c.done)
    try:
        await fake.wait_empty(30)
    except AssertionError:
        pass  # reported as leftovers below
    print(json.dumps({
        "placed": placed,
        "peak_concurrent": peak,
        "arrival_rate_per_s": rate,
        "arrivals_real_s": arrivals_real_s,
        "all_done_real_s": time.perf_counter() - started,
        "unfinished_scripts": unfinished,
        "leftovers": fake.leftovers(),
        "violations": [str(v) for v in fake.violations][:20],
        "violation_count": len(fake.violations),
        "problems": list(fake.problems)[:20],
        "problem_count": len(fake.problems),
    }), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "stop"
    await fake.stop()


# ------------------------------------------------------------------------------ the service's side
@dataclass
class ScriptedTranscriber:
    """A recognizer that hears a complaint on the caller's track and a greeting on the agent's (the soak
    measures the pipeline, not Vosk: bench/asr_load.py does that)."""

    heard: int = 0

    async def start(self) -> None:
        return None

    async def transcribe(self, audio: Any) -> Any:
        from asr.transcript import Segment, Transcript

        self.heard += 1
        kind = Path(audio.path).stem.rsplit("-", 1)[-1]
        said = {
            "caller": [(0.5, 6.0, "你好 我 是 宏达 路桥 工程 有限公司 的 我 要 投诉 工程款 拖欠 半年 了"),
                       (9.0, 12.0, "我的 电话 是 幺 三 九 幺 二 三 四 五 六 七 八")],
            "agent": [(0.0, 0.4, "您好 营商 环境 专线 请 讲"), (12.5, 15.0, "好的 我们 记录 下来 转 相关 部门 处理")],
        }.get(kind, [(0.0, 6.0, "您好 请 讲 我 想 问 一下 营业 执照 怎么 变更")])
        segments = tuple(Segment(audio.speaker, text, start, end) for start, end, text in said)
        return Transcript(segments, duration=15.0, sample_rate=8000, source=str(audio.path))

    async def open_stream(self, sample_rate: int, speaker: str = "unknown") -> Any:
        from asr.ports import AsrCapacityExhausted

        raise AsrCapacityExhausted("no live transcription in the soak")

    async def close(self) -> None:
        return None


class AlwaysOpen:
    def is_open(self, at: Any) -> bool:
        return True


@dataclass
class Soak:
    reacted_ms: list[float] = field(default_factory=list)
    waiting: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    unpaired: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    loop_lag_ms: list[float] = field(default_factory=list)
    confirmed: int = 0
    confirm_errors: int = 0
    deleted_bytes: int = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _count(sessions: Any, sql: str) -> int:
    from sqlalchemy import text

    async with sessions() as session:
        return int((await session.execute(text(sql))).scalar_one())


async def run_service(args: argparse.Namespace, workdir: Path, url: str) -> dict[str, Any]:
    import aiohttp
    from aiohttp import web

    from callflow.ari.events import Backoff
    from callflow.clock import ScaledClock
    from callflow.seat.web import SEAT_QUEUE
    from callflow.web import ARI_BACKOFF, ARI_CLIENT, CLOCK, CONTROLLER
    from hotline.app import SESSIONS, create_app
    from hotline.db import upgrade_async
    from hotline.settings import Settings
    from hotline.transcription import TRANSCRIBER
    from ivr.session import OPEN_HOURS
    from ticketing.domain.roles import Role
    from ticketing.services import Directory

    await upgrade_async(url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-fake", "--workdir", str(workdir), "--factor", str(args.factor),
        "--concurrent", str(args.concurrent), "--minutes", str(args.minutes), "--agents", str(args.agents),
        "--seed", str(args.seed), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(ROOT),
        limit=2**24,
    )
    assert proc.stdout is not None and proc.stdin is not None
    fake_url = json.loads(await proc.stdout.readline())["url"]
    settings = Settings(
        database_url=url, data_dir=workdir, prompts_dir=workdir / "prompts", recordings_dir=workdir / "recordings",
        ari_url=fake_url, seat_queue="ring=15,wrap_up=2", asterisk_recordings_dir=workdir / "spool",
    )
    clock = ScaledClock(args.factor)
    transcriber = ScriptedTranscriber()
    app = create_app(settings, {
        CLOCK: clock, ARI_BACKOFF: Backoff(0.05, 0.5), OPEN_HOURS: AlwaysOpen(), TRANSCRIBER: transcriber,
    })
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    soak = Soak()
    controller = app[CONTROLLER]
    await asyncio.wait_for(controller.events.connected.wait(), 10)

    # controller latency: an event that always gets an answer → the next request naming its channel
    dispatch = controller.events.handler

    def timed_dispatch(event: dict[str, Any]) -> None:
        if event.get("type") in ("StasisStart", "ChannelDtmfReceived") and "channel" in event:
            soak.waiting[event["channel"]["id"]].append(time.perf_counter())
        dispatch(event)

    controller.events.handler = timed_dispatch
    client = app[ARI_CLIENT]
    plain_request = client.request

    async def timed_request(method: str, path: str, params: Any = None, body: Any = None) -> Any:
        found = CHANNEL_ID.search(path) or CHANNEL_ID.search(str(params or ""))
        if found:
            pending = soak.waiting.get(found.group(1))
            if pending:
                latency = (time.perf_counter() - pending.pop(0)) * 1000
                if latency < 5000:
                    soak.reacted_ms.append(latency)
                else:
                    soak.unpaired += 1
                if not pending:
                    soak.waiting.pop(found.group(1), None)
        return await plain_request(method, path, params, body)

    client.request = timed_request  # type: ignore[method-assign]

    queue = app[SEAT_QUEUE]
    for n in range(args.agents):
        agent = f"agent{n + 1:03d}"
        await queue.add_member(agent, name=f"坐席{n + 1}")
        await queue.login(agent, f"PJSIP/{agent}")
    directory = Directory(app[SESSIONS])
    _, token = await directory.add_user("soak.agent", "压测话务员", Role.AGENT)
    units = [u.id for u in await directory.units()]
    headers = {"Authorization": f"Bearer {token}"}
    sessions = app[SESSIONS]

    async def confirm_drafts(http: aiohttp.ClientSession) -> None:
        """The agents confirm each call's draft work order: register it, dispatch it to a unit."""
        from sqlalchemy import text

        async with sessions() as session:
            refs = (await session.execute(text(
                "SELECT number FROM work_orders WHERE state = 'draft' AND call_id IS NOT NULL ORDER BY id LIMIT 200"
            ))).scalars().all()
        for ref in refs:
            ok = True
            async with http.post(f"{base}/api/v1/workorders/{ref}/register", headers=headers,
                                 json={"class": "complaint", "service": "complaint", "complexity": "general"}) as resp:
                ok = resp.status == 200
                await resp.read()
            if ok:
                async with http.post(f"{base}/api/v1/workorders/{ref}/dispatch", headers=headers,
                                     json={"unit_id": random.choice(units)}) as resp:
                    ok = resp.status == 200
                    await resp.read()
            soak.confirmed += ok
            soak.confirm_errors += not ok

    def free_disk() -> None:
        if args.keep_recordings:
            return
        cutoff = time.time() - 60
        for path in (workdir / "recordings").rglob("*.wav"):
            try:
                stat = path.stat()
                if stat.st_mtime < cutoff:
                    soak.deleted_bytes += stat.st_size
                    path.unlink()
            except FileNotFoundError:
                pass

    snapshots: list[Any] = []

    async def sample(label: str) -> None:
        gc.collect()
        if args.tracemalloc:
            import tracemalloc

            if label == "minute 1":
                tracemalloc.start(10)
            elif tracemalloc.is_tracing():
                snapshots.append(tracemalloc.take_snapshot())
        soak.samples.append({
            "at": label,
            "rss_mb": round(rss_mb(), 1),
            "calls_in_controller": len(controller.workers),
            "queue_callers": len(queue.callers),
            "waiting_events": len(soak.waiting),
        })
        s = soak.samples[-1]
        print(f"  [{label}] RSS {s['rss_mb']} MB, calls in the controller {s['calls_in_controller']}, "
              f"queue callers {s['queue_callers']}, drafts confirmed {soak.confirmed}", flush=True)

    async def loop_lag(stop: asyncio.Event) -> None:
        """How late the event loop wakes a 100 ms timer: the service's own CPU headroom."""
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.1)
            soak.loop_lag_ms.append((time.perf_counter() - t - 0.1) * 1000)

    async def background(http: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        minute = 0
        t0 = clock.monotonic()
        while not stop.is_set():
            await asyncio.sleep(min(2.0, clock.real_seconds(10)))
            await confirm_drafts(http)
            free_disk()
            if clock.monotonic() - t0 >= (minute + 1) * 60 and minute < args.minutes:
                minute += 1
                await sample(f"minute {minute}")

    print(f"soak on {url.split(':', 1)[0]}: {args.concurrent} concurrent calls for {args.minutes} min of call-flow time at factor "
          f"{args.factor} ({args.minutes * 60 * args.factor:.0f} s real), {args.agents} agents, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as http:
        sampler = asyncio.create_task(background(http, stop))
        lag = asyncio.create_task(loop_lag(stop))
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
        fake_report = json.loads(await proc.stdout.readline())
        stop.set()
        await sampler
        await lag
        # the pipeline drains: every job transcribed, every draft confirmed
        for _ in range(120):
            pending = await _count(sessions, "SELECT count(*) FROM transcription_jobs WHERE state IN ('queued', 'running')")
            await confirm_drafts(http)
            if pending == 0:
                break
            await asyncio.sleep(0.5)
        await confirm_drafts(http)
    if len(snapshots) >= 2:  # where the memory went between the middle and the end (--tracemalloc)
        mid = snapshots[max(0, len(snapshots) // 2 - 1)]
        print("  tracemalloc, growth from the middle to the end (top 12 by size):")
        for stat in snapshots[-1].compare_to(mid, "traceback")[:12]:
            frames = [f"{f.filename.replace(str(ROOT) + '/', '')}:{f.lineno}" for f in stat.traceback
                      if "site-packages" not in f.filename and "/lib/python3" not in f.filename][:3]
            print(f"    {stat.size_diff / 1024:+.0f} KiB, {stat.count_diff:+d} blocks  {' < '.join(frames)}")
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    await asyncio.sleep(0.5)
    gc.collect()
    final_rss = rss_mb()
    figures = {
        "call_records": await _count(sessions, "SELECT count(*) FROM callflow_call_records"),
        "recordings": await _count(sessions, "SELECT count(*) FROM recordings"),
        "jobs_done": await _count(sessions, "SELECT count(*) FROM transcription_jobs WHERE state = 'done'"),
        "jobs_not_done": await _count(sessions, "SELECT count(*) FROM transcription_jobs WHERE state <> 'done'"),
        "work_orders_from_calls": await _count(sessions, "SELECT count(*) FROM work_orders WHERE call_id IS NOT NULL"),
        "dispatched": await _count(sessions, "SELECT count(*) FROM work_orders WHERE state = 'dispatched'"),
        "drafts_left": await _count(sessions, "SELECT count(*) FROM work_orders WHERE state = 'draft'"),
    }
    service_left = {"calls_in_controller": len(controller.workers), "queue_callers": len(queue.callers)}
    stats = controller.stats
    proc.stdin.write(b"stop\n")
    await proc.stdin.drain()
    await proc.wait()
    await runner.cleanup()
    return {
        "fake": fake_report, "soak": soak, "figures": figures, "service_left": service_left, "wall_s": wall,
        "cpu_s": cpu, "final_rss_mb": final_rss, "transcribed_tracks": transcriber.heard,
        "controller": {"started": stats.calls_started, "finished": stats.calls_finished,
                       "peak_calls": stats.peak_calls, "handler_failures": stats.handler_failures},
    }


def report(args: argparse.Namespace, r: dict[str, Any]) -> int:
    fake, soak, figures, controller = r["fake"], r["soak"], r["figures"], r["controller"]
    p50, p99 = percentile(soak.reacted_ms, 50), percentile(soak.reacted_ms, 99)
    by_label = {s["at"]: s["rss_mb"] for s in soak.samples}
    start = by_label.get("minute 1", float("nan"))
    middle = by_label.get(f"minute {max(1, args.minutes // 2)}", float("nan"))
    end = by_label.get(f"minute {args.minutes}", float("nan"))
    growth = (end - middle) / start if start == start and start > 0 else float("nan")
    leftovers_fake = len(fake["leftovers"])
    leftovers_service = sum(r["service_left"].values())
    sim_s = args.minutes * 60
    print(f"calls placed {fake['placed']} over {args.minutes} min call-flow ({fake['arrivals_real_s']:.0f} s real); "
          f"peak {fake['peak_concurrent']} concurrent in Asterisk, {controller['peak_calls']} in the controller")
    print(f"throughput: {fake['placed'] / sim_s:.2f} calls/s call-flow, {fake['placed'] / max(1e-9, fake['arrivals_real_s']):.2f} "
          f"calls/s real; controller CPU {r['cpu_s']:.0f} s over {r['wall_s']:.0f} s real")
    print(f"controller latency (event → next ARI request) over {len(soak.reacted_ms)} events: p50 {p50:.2f} ms, "
          f"p99 {p99:.2f} ms, max {max(soak.reacted_ms or [0]):.1f} ms ({soak.unpaired} over 5 s left out)")
    lag50, lag99 = percentile(soak.loop_lag_ms, 50), percentile(soak.loop_lag_ms, 99)
    print(f"event-loop lag (100 ms timer): p50 {lag50:.1f} ms, p99 {lag99:.1f} ms, max {max(soak.loop_lag_ms or [0]):.0f} ms")
    print(f"memory (RSS): start {start} MB, middle {middle} MB, end {end} MB, after drain {r['final_rss_mb']:.1f} MB; "
          f"end − middle = {growth * 100:.1f}% of start")
    print(f"pipeline: {figures['call_records']} call records, {figures['recordings']} recordings, "
          f"{figures['jobs_done']} jobs done ({figures['jobs_not_done']} not), {figures['work_orders_from_calls']} "
          f"draft work orders, {figures['dispatched']} dispatched by agents ({soak.confirm_errors} errors), "
          f"{soak.deleted_bytes / 2**20:.0f} MB of audio freed")
    print(f"leftovers: Asterisk {leftovers_fake} {fake['leftovers'][:3]}, service {r['service_left']}; "
          f"protocol violations {fake['violation_count']}, problems {fake['problem_count']}, "
          f"handler failures {controller['handler_failures']}, unfinished scripts {fake['unfinished_scripts']}")
    for v in fake["violations"][:5] + fake["problems"][:5]:
        print("   ", v)
    met = {
        "concurrent": fake["peak_concurrent"] >= 0.8 * args.concurrent,
        "controller_p99_ms": p99 < TARGET_P99_MS,
        "memory_flat": growth == growth and growth < TARGET_MEMORY_GROWTH,
        "leftovers_zero": leftovers_fake == 0 and leftovers_service == 0,
        "protocol_clean": fake["violation_count"] == 0 and fake["problem_count"] == 0,
        "no_handler_failures": controller["handler_failures"] == 0,
        "every_draft_confirmed": figures["drafts_left"] == 0 and soak.confirm_errors == 0,
        "every_job_done": figures["jobs_not_done"] == 0,
    }
    out = {
        "bench": "soak", "database": "sqlite" if args.sqlite else "postgresql", "concurrent_target": args.concurrent, "minutes": args.minutes, "factor": args.factor,
        "agents": args.agents, "placed": fake["placed"], "peak_concurrent": fake["peak_concurrent"],
        "calls_per_s_callflow": round(fake["placed"] / sim_s, 3),
        "calls_per_s_real": round(fake["placed"] / max(1e-9, fake["arrivals_real_s"]), 3),
        "controller_p50_ms": round(p50, 3), "controller_p99_ms": round(p99, 3), "latency_samples": len(soak.reacted_ms),
        "loop_lag_p50_ms": round(lag50, 1), "loop_lag_p99_ms": round(lag99, 1),
        "rss_mb": {"start": start, "middle": middle, "end": end, "after_drain": round(r["final_rss_mb"], 1)},
        "memory_growth_end_minus_middle_of_start": round(growth, 4) if growth == growth else None,
        "leftovers_asterisk": leftovers_fake, "leftovers_service": leftovers_service,
        **figures, "confirm_errors": soak.confirm_errors,
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "targets": {"controller_p99_ms": TARGET_P99_MS, "memory_growth": TARGET_MEMORY_GROWTH, "leftovers": 0,
                    "concurrent": f">= 80% of {args.concurrent}"},
        "met": met, "all_met": all(met.values()),
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0 if out["all_met"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrent", type=int, default=300)
    parser.add_argument("--minutes", type=int, default=10, help="call-flow minutes of traffic")
    parser.add_argument("--factor", type=float, default=0.5, help="call-flow time factor (0.5: twice as fast)")
    parser.add_argument("--agents", type=int, default=0, help="default: enough for the talk load (≈ 0.8 × concurrent)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--sqlite", action="store_true",
        help="the embedded SQLite default instead of PostgreSQL (HOTLINE_TEST_POSTGRES_URL, or a throw-away cluster)",
    )
    parser.add_argument("--keep-recordings", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true", help="where memory grows (slow)")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.agents:
        args.agents = max(10, round(args.concurrent * 0.8))
    if args.serve_fake:
        asyncio.run(run_fake(args))
        return 0
    if not args.sqlite and not os.environ.get("HOTLINE_TEST_POSTGRES_URL"):
        import subprocess

        return subprocess.call(["bash", str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, *sys.argv])
    logging.basicConfig(level=logging.ERROR)
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        write_prompts(workdir / "prompts")
        (workdir / "spool").mkdir()
        url = f"sqlite+aiosqlite:///{workdir}/hotline.sqlite3" if args.sqlite else os.environ["HOTLINE_TEST_POSTGRES_URL"]
        result = asyncio.run(run_service(args, workdir, url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report(args, result)


if __name__ == "__main__":
    sys.exit(main())
