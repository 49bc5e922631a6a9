"""Bench of the agent console's WebSocket (坐席工作台): many agents signed in, calls bridged at once.

The whole service runs in this process on a temporary SQLite database, with the fake Asterisk. `--agents`
agents sign in through the sign-in form and open `/agent/ws`; as many callers (each with `--history`
earlier work orders of their number) go through the voice menu to the seat at the same moment and are
bridged. Then `--lines` live transcript finals per call are published on `app[LIVE].transcripts`.

Figures (real milliseconds):
- screen pop: from the moment caller and agent are in the mixing bridge (`on_answered`) to the agent's
  console receiving `call.bridged` with the caller's history;
- live line: from a final segment's publication to the console receiving its `transcript` message;
- every pop carried the caller's history; every line arrived.

    .venv/bin/python bench/agent_console.py [--agents 10] [--history 3] [--lines 10]

Prints figures, then ONE JSON line (figures, targets, met flags); exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from asr.transcript import Segment  # noqa: E402
from callflow.seat.bridged import BridgedCall  # noqa: E402
from callflow.seat.live_web import LIVE  # noqa: E402
from callflow.seat.web import SEAT_QUEUE  # noqa: E402
from callflow.web import CONTROLLER  # noqa: E402
from console.auth.services import Accounts  # noqa: E402
from hotline.app import SESSIONS  # noqa: E402
from hotline.db import upgrade_async  # noqa: E402
from ivr.config import load_menu  # noqa: E402
from tests.fakes.asterisk.fake import FakeAsterisk  # noqa: E402
from tests.fakes.asterisk.parties import WaitUntilBridged, WaitUntilHungUp  # noqa: E402
from tests.integration.callflow.seat.seat_fixtures import write_seat_prompts  # noqa: E402
from tests.integration.callflow.support import write_prompts  # noqa: E402
from tests.integration.console.support import PASSWORD, cheap_passwords, csrf_of  # noqa: E402
from tests.integration.console.test_agent_ws import TO_POLICY_QUERY, SilentEngine, desk_app  # noqa: E402
from ticketing.domain import workorder as wo  # noqa: E402
from ticketing.domain.roles import Role  # noqa: E402
from ticketing.services import Directory  # noqa: E402
from ticketing.web import WORKORDERS  # noqa: E402

T = TypeVar("T")
STARTED = time.perf_counter()
TARGET_POP_P99_MS = 500.0
TARGET_LINE_P99_MS = 250.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


class Console:
    """One agent's browser: a cookie jar, the WebSocket, and when each message arrived."""

    def __init__(self, base: str, login: str) -> None:
        self.base = base
        self.login = login
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.popped = asyncio.Event()
        self.pop: dict[str, Any] = {}
        self.pop_at = 0.0
        self.lines: dict[str, float] = {}
        self.expected = 0
        self.all_lines = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        page = await self.session.get(f"{self.base}/login")
        form = {"login": self.login, "password": PASSWORD, "csrf_token": csrf_of(await page.text())}
        signed = await self.session.post(f"{self.base}/login", data=form, allow_redirects=False)
        assert signed.status == 303, signed.status
        self.ws = await self.session.ws_connect(f"{self.base}/agent/ws", headers={"Origin": self.base})
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            message = json.loads(msg.data)
            if message["type"] == "call.bridged":
                self.pop_at = time.perf_counter()
                self.pop = message
                self.popped.set()
            elif message["type"] == "transcript" and message["final"]:
                self.lines[message["text"]] = time.perf_counter()
                if self.expected and len(self.lines) >= self.expected:
                    self.all_lines.set()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader
        await self.session.close()


class Asterisk:
    """The fake Asterisk on an event loop of its own (another machine, as in production): its audio
    and RTP work does not share the service's loop, so the figures are the service's."""

    def __init__(self, fake: FakeAsterisk) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-asterisk", daemon=True)
        self.thread.start()

    async def on(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def stop(self) -> None:
        await self.on(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


async def bench(agents: int, history: int, lines: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="agent-console-bench-"))
    prompts = write_prompts(folder / "prompts-wav", load_menu(None))
    write_seat_prompts(prompts)
    url = f"sqlite+aiosqlite:///{folder}/hotline.sqlite3"
    await upgrade_async(url)
    fake = FakeAsterisk(sounds={"hotline": prompts}, recordings_dir=folder / "spool", time_factor=1.0)  # real time: RTP at its real rate
    asterisk = Asterisk(fake)
    await asterisk.on(fake.start())
    app = desk_app(url, folder, fake)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    consoles: list[Console] = []
    try:
        await asyncio.wait_for(app[CONTROLLER].events.connected.wait(), 10)
        transcriber = app[LIVE].transcriber
        assert transcriber is not None
        transcriber.engine = SilentEngine()
        accounts = Accounts(app[SESSIONS], cheap_passwords())
        units = [u.id for u in await Directory(app[SESSIONS]).units()]
        logins = [f"agent{i:03d}" for i in range(agents)]
        numbers = [f"139{i:08d}" for i in range(agents)]
        queue = app[SEAT_QUEUE]
        hotline_staff = None
        for login in logins:
            row = await accounts.create_user(login, f"坐席{login}", Role.AGENT, None, PASSWORD)
            hotline_staff = hotline_staff or row
            await asterisk.on(_add_endpoint(fake, f"PJSIP/{login}"))
            await queue.add_member(login, name=f"坐席{login}")
            await queue.login(login, f"PJSIP/{login}")
        assert hotline_staff is not None
        from ticketing.domain.roles import Actor

        agent = Actor(id=hotline_staff.id, name=hotline_staff.name, role=Role.AGENT)
        service = app[WORKORDERS]
        for n, number in enumerate(numbers):
            for h in range(history):
                draft = await service.create_draft(
                    agent, details=wo.Details(caller_phone=number, enterprise=f"县第{n}食品有限公司", title=f"第{h}次来电")
                )
                await service.register(agent, draft.id, order_class=wo.OrderClass.COMPLAINT,
                                       service=wo.Service.COMPLAINT, complexity=wo.Complexity.GENERAL)
                await service.dispatch(agent, draft.id, units[h % len(units)])

        bridged_at: dict[str, float] = {}

        def hook(call: BridgedCall) -> None:
            async def answered(c: BridgedCall) -> None:
                bridged_at[c.agent.who] = time.perf_counter()

            call.on_answered.insert(0, answered)  # the moment the bridge is made, before every other hook

        queue.bridged_call_hooks.append(hook)
        _stage("seeded")
        consoles = [Console(base, login) for login in logins]
        await asyncio.gather(*(c.open() for c in consoles))
        _stage("consoles open")
        calls = await asyncio.gather(*(
            asterisk.on(fake.place_call(number=number, script=[*TO_POLICY_QUERY, WaitUntilBridged(), WaitUntilHungUp()]))
            for number in numbers
        ))
        await asyncio.wait_for(asyncio.gather(*(c.popped.wait() for c in consoles)), 60)
        _stage("popped")
        pops = [(c.pop_at - bridged_at[c.login]) * 1000 for c in consoles]
        with_history = sum(1 for c in consoles if len(c.pop["history"]) == history)

        transcripts = app[LIVE].transcripts
        by_agent = {c.login: c for c in consoles}
        call_of = {c.login: c.pop["call_id"] for c in consoles}
        deadline = time.perf_counter() + 20
        while any(transcripts.agent_of(cid) != who for who, cid in call_of.items()):  # live streams open
            assert time.perf_counter() < deadline, "live text never started for every call"
            await asyncio.sleep(0.02)
        _stage("live text open")
        sent: dict[tuple[str, str], float] = {}
        for console in consoles:
            console.expected = lines
        for i in range(lines):
            for login, call_id in call_of.items():
                text = f"{login}第{i}句：个体户怎么变更经营范围"
                sent[(login, text)] = time.perf_counter()
                transcripts.publish(call_id, Segment("caller", text, float(i), float(i) + 1.0))
            await asyncio.sleep(0.05)  # a sentence every 50 ms per call (far more than people speak)

        await asyncio.wait_for(asyncio.gather(*(c.all_lines.wait() for c in consoles)), 30)
        _stage("lines")
        line_ms = [(by_agent[login].lines[text] - at) * 1000 for (login, text), at in sent.items()]
        for call in calls:
            await asyncio.wait_for(asterisk.on(fake.remote_hangup(call.channel)), 10)
        _stage("hang-ups sent")
        deadline = time.perf_counter() + 20
        while queue.callers:
            assert time.perf_counter() < deadline, "calls never ended"
            await asyncio.sleep(0.02)
        _stage("hung up")
        await asyncio.wait_for(queue.flush(), 20)
        _stage("flushed")
    except BaseException as exc:
        _stage(f"failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        for console in consoles:
            await console.close()
        await runner.cleanup()
        await asterisk.stop()
    return {
        "agents": agents,
        "history_per_caller": history,
        "pop_p50_ms": round(percentile(pops, 50), 1),
        "pop_p99_ms": round(percentile(pops, 99), 1),
        "pops_with_history": with_history,
        "lines": len(line_ms),
        "line_p50_ms": round(percentile(line_ms, 50), 1),
        "line_p99_ms": round(percentile(line_ms, 99), 1),
    }


def _stage(what: str) -> None:
    print(f"  … {what} at {time.perf_counter() - STARTED:.1f} s", file=sys.stderr, flush=True)


async def _add_endpoint(fake: FakeAsterisk, resource: str) -> None:
    fake.add_endpoint(resource, answer_after=1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--history", type=int, default=3)
    parser.add_argument("--lines", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    figures = asyncio.run(bench(args.agents, args.history, args.lines))
    print(f"{figures['agents']} agents, {figures['agents']} callers bridged at once, "
          f"{figures['history_per_caller']} earlier work orders per caller")
    print(f"screen pop: p50 {figures['pop_p50_ms']} ms, p99 {figures['pop_p99_ms']} ms; "
          f"with history {figures['pops_with_history']}/{figures['agents']}")
    print(f"live lines: {figures['lines']}, p50 {figures['line_p50_ms']} ms, p99 {figures['line_p99_ms']} ms")
    targets = {"pop_p99_ms": TARGET_POP_P99_MS, "line_p99_ms": TARGET_LINE_P99_MS,
               "pops_with_history": figures["agents"]}
    met = {
        "pop_p99_ms": figures["pop_p99_ms"] <= TARGET_POP_P99_MS,
        "line_p99_ms": figures["line_p99_ms"] <= TARGET_LINE_P99_MS,
        "pops_with_history": figures["pops_with_history"] == figures["agents"],
    }
    print(json.dumps({"figures": figures, "targets": targets, "met": met}, ensure_ascii=False))
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
