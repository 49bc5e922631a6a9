"""Load bench of the voice menu: N concurrent callers navigate the menu through the fake Asterisk.

The fake Asterisk runs in a subprocess (its own core, like a real Asterisk would), the controller in this
process. The fake measures, for every DTMF digit, the time between sending `ChannelDtmfReceived` and
receiving the controller's next request for that channel (barge-in DELETE /playbacks, or the next play).
This process measures its own CPU time (controller, sessions, SQLite store) per call.

    .venv/bin/python bench/ivr_load.py [--calls 200] [--factor 1.0] [--ramp 2.0] [--store sqlite|memory]

Real time (factor 1.0) by default: a smaller factor compresses every call, so the same number of callers
becomes a proportionally heavier load (factor 0.1 ≈ ten times the callers).

Prints figures, then ONE JSON line (figures, targets, met flags); exits 1 if a target is missed.
Target: 200 concurrent callers with p99 < 50 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import json
import logging
import math
import random
import re
import statistics
import sys
import tempfile
import time
import wave
from bisect import bisect_right
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_CONCURRENT = 200
TARGET_P99_MS = 50.0
PROMPT_SECONDS = {"greeting": 4.0, "main_menu": 8.0, "business_menu": 10.0, "invalid": 1.5, "no_input": 1.5}
CHANNEL_ID = re.compile(r"(\d{6,}\.\d+)")


def write_prompts(folder: Path, names: list[str]) -> None:
    rate = 8000
    period = [int(6000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate // 40)]
    for name in names:
        n = int(PROMPT_SECONDS.get(name, 2.0) * rate)
        samples = array.array("h", period * (n // len(period) + 1))[:n]
        with wave.open(str(folder / f"{name}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(samples.tobytes())


# ----------------------------------------------------------------------------------- the fake's side
class _Stamped(list):  # type: ignore[type-arg]
    """A list that notes when each item was appended (to time the fake's traffic without touching it)."""

    def __init__(self, on_append: Any) -> None:
        super().__init__()
        self.on_append = on_append

    def append(self, item: Any) -> None:
        super().append(item)
        self.on_append(item)


def _keys(i: int, rng: random.Random) -> list[tuple[float, str]]:
    """When (call-flow seconds after arrival) caller `i` presses which key.

    Most press 1 during the greeting (barge-in) and a service key during the business menu; every
    tenth presses an invalid key first; every tenth waits for the whole main menu, then asks for an agent.
    """
    first = rng.uniform(1.0, 3.5)
    second = first + rng.uniform(2.0, 6.0)
    kind = i % 10
    if kind == 8:
        return [(first, "9"), (first + rng.uniform(1.0, 2.0), "1"), (second + 2.0, "2")]
    if kind == 9:
        return [(12.5 + rng.uniform(0.2, 2.0), "0")]
    return [(first, "1"), (second, str(1 + kind % 5))]


async def run_fake(calls: int, factor: float, ramp: float, workdir: Path) -> None:
    from ivr.config import load_menu
    from tests.fakes.asterisk.fake import FakeAsterisk

    prompts = workdir / "prompts"
    prompts.mkdir(parents=True, exist_ok=True)
    write_prompts(prompts, load_menu(None).referenced_prompts())
    fake = FakeAsterisk(sounds={"hotline": prompts}, recordings_dir=workdir / "spool", time_factor=factor)
    dtmf: dict[str, list[float]] = defaultdict(list)
    requests: dict[str, list[float]] = defaultdict(list)

    def on_event(event: dict[str, Any]) -> None:
        if event.get("type") == "ChannelDtmfReceived":
            dtmf[event["channel"]["id"]].append(time.perf_counter())

    def on_request(record: Any) -> None:
        found = CHANNEL_ID.search(record.path)
        if found:
            requests[found.group(1)].append(time.perf_counter())

    fake.events_sent = _Stamped(on_event)
    fake.requests = _Stamped(on_request)
    await fake.start()
    print(json.dumps({"url": fake.url}), flush=True)
    await fake.wait_for_app("hotline", 60)
    rng = random.Random(12345)
    started = time.perf_counter()
    cpu_before = time.process_time()
    # The callers' keys are pressed by plain timers (not scripts that wait on the fake's state), so the
    # fake's own bookkeeping of 200 waiting scripts doesn't distort the latency being measured.
    placed = []
    presses = []

    async def press_later(channel: Any, at: float, digit: str) -> None:
        await fake.clock.sleep(at)
        if channel.alive and channel.app is not None:
            fake.party_dtmf(channel, digit, 150)

    for i in range(calls):  # arrivals spread over `ramp` call-flow seconds, all in the menu together
        call = await fake.place_call(number=f"138{i:08d}", script=[])
        placed.append(call)
        presses += [asyncio.create_task(press_later(call.channel, at, digit)) for at, digit in _keys(i, rng)]
        await fake.clock.sleep(ramp / calls)

    deadline = time.perf_counter() + fake.clock.real_seconds(120)
    reached: set[str] = set()
    while len(reached) < calls and time.perf_counter() < deadline:
        for call in placed:
            if call.id not in reached and call.dialplan is not None:
                reached.add(call.id)
                await fake.remote_hangup(call.channel)  # the caller leaves the seat queue
            elif call.id not in reached and not call.alive:
                reached.add(call.id)  # hung up by the menu (counted, but not as reaching a seat)
        await asyncio.sleep(0.05)
    await asyncio.gather(*presses, return_exceptions=True)
    for call in placed:
        if call.alive:
            await fake.remote_hangup(call.channel)
    reached_seat = sum(1 for c in placed if c.dialplan is not None)
    elapsed = time.perf_counter() - started
    fake_cpu = time.process_time() - cpu_before
    latencies = []
    for channel_id, sent_at in dtmf.items():
        times = requests[channel_id]
        for t0 in sent_at:
            k = bisect_right(times, t0)
            if k < len(times):
                latencies.append((times[k] - t0) * 1000)
    await fake.wait_empty(10)
    await fake.stop()
    print(
        json.dumps(
            {
                "reached": reached_seat,
                "elapsed_s": elapsed,
                "fake_cpu_s": fake_cpu,
                "latencies_ms": latencies,
                "violations": [str(v) for v in fake.violations],
                "problems": fake.problems,
            }
        ),
        flush=True,
    )


# ----------------------------------------------------------------------------- the controller's side
class AlwaysOpen:
    def is_open(self, at: datetime) -> bool:
        return True


async def run_controller(calls: int, factor: float, ramp: float, store_kind: str) -> dict[str, Any]:
    from callflow.adapters.orm import CallRecordRow, VoiceMessageRow
    from callflow.adapters.store import SqlCallRecordStore
    from callflow.ari.client import AriClient
    from callflow.ari.events import Backoff
    from callflow.clock import ScaledClock
    from callflow.controller import Controller
    from callflow.services import CallRecordStore, DialplanSeatHandoff, MemoryCallRecordStore
    from hotline.db import Base, make_engine, make_sessionmaker
    from ivr.config import load_menu
    from ivr.session import NAVIGATION_ARGS, NavigationPorts, navigation_factory

    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        workdir = Path(tmp)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve-fake", "--calls", str(calls), "--factor", str(factor),
            "--ramp", str(ramp), "--workdir", str(workdir), stdout=asyncio.subprocess.PIPE, cwd=str(ROOT), limit=2**26,
        )
        assert proc.stdout is not None
        url = json.loads(await proc.stdout.readline())["url"]
        engine = None
        store: CallRecordStore
        if store_kind == "sqlite":
            engine = make_engine(f"sqlite+aiosqlite:///{workdir}/calls.sqlite3")
            async with engine.begin() as conn:
                await conn.run_sync(
                    lambda c: Base.metadata.create_all(c, tables=[CallRecordRow.__table__, VoiceMessageRow.__table__])
                )
            store = SqlCallRecordStore(make_sessionmaker(engine))
        else:
            store = MemoryCallRecordStore()
        clock = ScaledClock(factor)
        dtmf_at: dict[str, list[float]] = defaultdict(list)
        inside: list[float] = []

        class TimedClient(AriClient):
            """Notes the controller-side part of the latency: event received → request sent."""

            async def request(self, method: str, path: str, params: Any = None, body: Any = None) -> Any:
                found = CHANNEL_ID.search(path)
                if found and dtmf_at.get(found.group(1)):
                    inside.append((time.perf_counter() - dtmf_at[found.group(1)].pop(0)) * 1000)
                return await super().request(method, path, params, body)

        client = TimedClient(url, "asterisk", "asterisk")
        controller = Controller(client, "hotline", clock=clock, backoff=Backoff(0.05, 1.0))
        dispatch = controller.events.handler

        def timed_dispatch(event: dict[str, Any]) -> None:
            if event.get("type") == "ChannelDtmfReceived":
                dtmf_at[event["channel"]["id"]].append(time.perf_counter())
            dispatch(event)

        controller.events.handler = timed_dispatch
        ports = NavigationPorts(
            client=client, menu=load_menu(None), open_hours=AlwaysOpen(), records=store,
            seat=DialplanSeatHandoff(client), clock=clock,
        )
        factory = navigation_factory(ports)
        for arg in NAVIGATION_ARGS:
            controller.route(arg, factory)
        cpu_before = time.process_time()
        task = asyncio.create_task(controller.run())
        report = json.loads(await proc.stdout.readline())
        cpu = time.process_time() - cpu_before
        await proc.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()
        if engine is not None:
            await engine.dispose()
    report["cpu_s"] = cpu
    report["controller_latencies_ms"] = inside
    report["controller"] = {
        "started": controller.stats.calls_started,
        "finished": controller.stats.calls_finished,
        "handler_failures": controller.stats.handler_failures,
        "peak_calls": controller.stats.peak_calls,
    }
    return report


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--factor", type=float, default=1.0, help="call-flow time factor (1.0 = real time; 0.1 = 10x load)"
    )
    parser.add_argument("--ramp", type=float, default=2.0, help="call-flow seconds over which callers arrive")
    parser.add_argument("--store", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        asyncio.run(run_fake(args.calls, args.factor, args.ramp, args.workdir))
        return 0

    logging.getLogger("callflow.ari.events").setLevel(logging.ERROR)  # the fake leaves first: no reconnect noise
    report = asyncio.run(run_controller(args.calls, args.factor, args.ramp, args.store))
    latencies = report["latencies_ms"]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    calls_per_s = report["reached"] / report["elapsed_s"] if report["elapsed_s"] else 0.0
    cpu_per_call = report["cpu_s"] / max(1, args.calls)
    print(f"callers: {args.calls} arriving over {args.ramp} s, time factor {args.factor}, store {args.store}; "
          f"peak {report['controller']['peak_calls']} calls in the menu at once")
    print(f"reached a destination: {report['reached']}/{args.calls} in {report['elapsed_s']:.2f} s "
          f"({calls_per_s:.1f} calls/s)")
    print(f"DTMF → next ARI request: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(latencies or [0]):.2f} ms "
          f"over {len(latencies)} digits")
    inside = report["controller_latencies_ms"]
    print(f"  of which inside the controller (event received → request sent): p50 {percentile(inside, 50):.2f} ms, "
          f"p99 {percentile(inside, 99):.2f} ms")
    print(f"controller CPU: {report['cpu_s']:.2f} s total, {cpu_per_call * 1000:.2f} ms per call "
          f"(fake Asterisk process: {report['fake_cpu_s']:.2f} s)")
    if report["violations"] or report["problems"]:
        print("fake Asterisk violations/problems:", report["violations"][:5], report["problems"][:5])
    met = {
        "concurrent": report["controller"]["peak_calls"] >= TARGET_CONCURRENT and report["reached"] == args.calls,
        "p99_ms": p99 < TARGET_P99_MS,
        "protocol_clean": not report["violations"] and not report["problems"],
        "no_handler_failures": report["controller"]["handler_failures"] == 0,
    }
    figures = {
        "bench": "ivr_load",
        "calls": args.calls,
        "reached": report["reached"],
        "peak_concurrent": report["controller"]["peak_calls"],
        "calls_per_s": round(calls_per_s, 2),
        "dtmf_latency_p50_ms": round(p50, 3),
        "dtmf_latency_p99_ms": round(p99, 3),
        "dtmf_samples": len(latencies),
        "controller_p50_ms": round(percentile(inside, 50), 3),
        "controller_p99_ms": round(percentile(inside, 99), 3),
        "median_ms": round(statistics.median(latencies), 3) if latencies else None,
        "cpu_s_per_call": round(cpu_per_call, 5),
        "fake_cpu_s": round(report["fake_cpu_s"], 3),
        "targets": {"concurrent": TARGET_CONCURRENT, "p99_ms": TARGET_P99_MS},
        "met": met,
        "all_met": all(met.values()),
    }
    print(json.dumps(figures, ensure_ascii=False))
    return 0 if figures["all_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
