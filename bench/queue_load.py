"""Load bench of the seat queue: 100 concurrent callers, 20 agents answering after random delays.

The fake Asterisk and the controller run in this process. Every caller enters the seat queue at once
(through a one-line entry route, so the figures are the queue's own); the 20 agents answer after a
random 1–6 s, talk a random 5–20 s and hang up; wrap-up is 2 s. Call-flow time runs at `--factor`.

Figures:
- assignment latency: from the moment an agent could take a waiting caller (its login or end of
  wrap-up, or the caller's arrival if later) to the originate request for that pair leaving the
  controller (real milliseconds);
- double assignments: an agent rung while it already had a live leg, or a caller bridged to more than
  one agent (must be 0);
- leftovers: channels, bridges, playbacks or recordings still in Asterisk after the last call, and
  callers or reservations still held by the queue (must be 0).

    .venv/bin/python bench/queue_load.py [--callers 100] [--agents 20] [--factor 0.05] [--seed 7]

Prints figures, then ONE JSON line (figures, targets, met flags); exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from callflow.ari.client import AriClient, Json, Params  # noqa: E402
from callflow.ari.events import Backoff  # noqa: E402
from callflow.controller import Controller  # noqa: E402
from callflow.seat.domain import SeatRules  # noqa: E402
from callflow.seat.services import MemorySeatStore, SeatConfig, SeatQueue  # noqa: E402
from callflow.seat.sessions import QueuedCallerSession  # noqa: E402
from callflow.services import SeatRequest  # noqa: E402
from callflow.session import CallSession, Event  # noqa: E402
from tests.fakes.asterisk.fake import FakeAsterisk  # noqa: E402
from tests.fakes.asterisk.parties import HangUp, Wait, WaitUntilBridged, WaitUntilHungUp  # noqa: E402

TARGET_P99_MS = 50.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class TimedClient(AriClient):
    """Notes when each originate to an agent leaves the controller, and what was live then."""

    def __init__(self, *args: Any, bench: Bench, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.bench = bench

    async def request(self, method: str, path: str, params: Params | None = None, body: Json | None = None) -> Json:
        if method == "POST" and path.startswith("/channels/") and params and "endpoint" in params:
            self.bench.originating(str(params["endpoint"]), str(params.get("callerId") or ""), path.rsplit("/", 1)[1])
        if method == "POST" and path.endswith("/addChannel") and "-seat-call-" in path and params:
            self.bench.bridged(str(params["channel"]))
        return await super().request(method, path, params, body)


class BenchQueue(SeatQueue):
    """The real queue, with the moments an assignment became possible noted for the bench."""

    bench: Bench

    def caller_entered(self, session: QueuedCallerSession) -> None:
        super().caller_entered(session)
        self.bench.entered[session.request.caller_number] = time.perf_counter()

    async def _wrap_up_done(self, agent_id: str) -> None:
        self.bench.free_at[f"PJSIP/{agent_id}"] = time.perf_counter()
        await super()._wrap_up_done(agent_id)


class EntrySession(CallSession):
    """Answers and hands the caller straight to the seat queue (what the menu does at its end)."""

    def __init__(self, channel: Event, args: list[str], queue: SeatQueue) -> None:
        super().__init__(channel, args, queue.clock)
        self.queue = queue

    async def start(self, resumed: bool = False) -> None:
        await self.queue.client.answer(self.channel_id)
        number = str((self.channel.get("caller") or {}).get("number", ""))
        request = SeatRequest(self.channel_id, f"call-{number}", number, "business_seat", "policy", "bench")
        await self.queue.enqueue(request, "business_seat")

    async def fail(self, exc: BaseException) -> None:
        await self.queue.client.hangup_if_present(self.channel_id)


class Bench:
    def __init__(self, fake: FakeAsterisk) -> None:
        self.fake = fake
        self.entered: dict[str, float] = {}
        self.free_at: dict[str, float] = {}
        self.latencies_ms: list[float] = []
        self.double_agent = 0
        self.bridged_callers: Counter[str] = Counter()
        self.legs: dict[str, str] = {}

    def originating(self, endpoint: str, number: str, leg_id: str) -> None:
        now = time.perf_counter()
        possible = max(self.free_at.get(endpoint, now), self.entered.get(number, now))
        self.latencies_ms.append((now - possible) * 1000)
        live = [c for c in self.fake.channels.values() if c.endpoint == endpoint and c.alive]
        if live:
            self.double_agent += 1
        self.legs[leg_id] = endpoint

    def bridged(self, channels: str) -> None:
        caller = channels.split(",")[0]
        self.bridged_callers[caller] += 1


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="queue-load-"))
    fake = FakeAsterisk(recordings_dir=folder / "spool", time_factor=args.factor)
    await fake.start()
    bench = Bench(fake)
    client = TimedClient(fake.url, "asterisk", "asterisk", bench=bench)
    controller = Controller(client, "hotline", clock=fake.clock, backoff=Backoff(0.05, 0.5))
    config = SeatConfig(
        ring_s=15, announce_every_s=30.0,
        rules=SeatRules(wait_limit_s=1e6, wrap_up_s=2.0, overflow_when_no_agents=False),
    )
    store = MemorySeatStore()
    queue = BenchQueue(client, controller, fake.clock, store, config=config)
    queue.bench = bench
    controller.route("seatbench", lambda channel, a: EntrySession(channel, a, queue))
    task = asyncio.create_task(controller.run())
    await fake.wait_for_app("hotline")
    for n in range(args.agents):
        agent = f"agent{n + 1:03d}"
        fake.add_endpoint(
            f"PJSIP/{agent}",
            answer_after=rng.uniform(1.0, 6.0),
            script=[WaitUntilBridged(), Wait(rng.uniform(5.0, 20.0)), HangUp()],
        )
        bench.free_at[f"PJSIP/{agent}"] = time.perf_counter()
        await queue.add_member(agent, endpoint=f"PJSIP/{agent}")
    started = time.perf_counter()
    calls = await asyncio.gather(*(
        fake.place_call(number=f"1390000{n:04d}", args=["seatbench"], script=[WaitUntilHungUp(timeout=3600)])
        for n in range(args.callers)
    ))
    peak_waiting = 0
    while not all(c.done for c in calls):
        peak_waiting = max(peak_waiting, len(queue.seat.waiting))
        await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.gather(*(c.finished() for c in calls)), 120)
    elapsed = time.perf_counter() - started
    for _ in range(500):
        if not queue.callers:
            break
        await asyncio.sleep(0.01)
    try:
        await fake.wait_empty(5.0)
    except Exception:  # counted below
        pass
    leftovers_asterisk = (
        len(fake.channels) + len(fake.bridges) + len(fake.playbacks) + len(fake.live_recordings)
    )
    leftovers_queue = (
        len(queue.callers) + len(queue.seat.waiting)
        + sum(1 for a in queue.seat.agents.values() if a.reserved_for is not None)
    )
    answered = sum(1 for c in store.calls.values() if c.disposition == "answered")
    double_callers = sum(1 for n in bench.bridged_callers.values() if n > 1)
    queue.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.close()
    await fake.stop()
    return {
        "elapsed_s": elapsed,
        "peak_waiting": peak_waiting,
        "answered": answered,
        "latencies": bench.latencies_ms,
        "double_agent": bench.double_agent,
        "double_callers": double_callers,
        "leftovers_asterisk": leftovers_asterisk,
        "leftovers_queue": leftovers_queue,
        "violations": [str(v) for v in fake.violations],
        "problems": list(fake.problems),
        "handler_failures": controller.stats.handler_failures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=100)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--factor", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    report = asyncio.run(run(args))
    lat = report["latencies"]
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    doubles = report["double_agent"] + report["double_callers"]
    leftovers = report["leftovers_asterisk"] + report["leftovers_queue"]
    print(f"{args.callers} callers, {args.agents} agents, time factor {args.factor}: "
          f"all calls over in {report['elapsed_s']:.1f} s real, peak waiting {report['peak_waiting']}")
    print(f"answered {report['answered']} of {args.callers}")
    print(f"assignment latency over {len(lat)} rings: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(lat or [0]):.2f} ms")
    print(f"double assignments: {doubles} (agent rung twice: {report['double_agent']}, "
          f"caller bridged twice: {report['double_callers']})")
    print(f"leftovers: {leftovers} (Asterisk: {report['leftovers_asterisk']}, queue: {report['leftovers_queue']})")
    if report["violations"] or report["problems"]:
        print("fake Asterisk violations/problems:", report["violations"][:5], report["problems"][:5])
    met = {
        "assignment_p99_ms": p99 < TARGET_P99_MS,
        "double_assignments": doubles == 0,
        "leftovers": leftovers == 0,
        "all_answered": report["answered"] == args.callers,
        "protocol_clean": not report["violations"] and not report["problems"],
        "no_handler_failures": report["handler_failures"] == 0,
    }
    figures = {
        "bench": "queue_load",
        "callers": args.callers,
        "agents": args.agents,
        "time_factor": args.factor,
        "answered": report["answered"],
        "assignment_latency_p50_ms": round(p50, 3),
        "assignment_latency_p99_ms": round(p99, 3),
        "rings": len(lat),
        "double_assignments": doubles,
        "leftovers": leftovers,
        "elapsed_s": round(report["elapsed_s"], 2),
        "targets": {"assignment_p99_ms": TARGET_P99_MS, "double_assignments": 0, "leftovers": 0},
        "met": met,
        "all_met": all(met.values()),
    }
    print(json.dumps(figures, ensure_ascii=False))
    return 0 if figures["all_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
