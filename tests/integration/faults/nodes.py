"""Asterisk nodes for fault tests: each node is a fake Asterisk with its own controller and seat queue,
and every node shares one database (PostgreSQL in the multi-controller tests), as in the `scale` profile.

A node's controller can be killed (its tasks cancelled, the event WebSocket closed: the process died)
and started again (a new process: new controller, new seat queue, agents log in again) while the fake
Asterisk keeps its channels, bridges and recordings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.adapters.orm import CallRecordRow, VoiceMessageRow
from callflow.adapters.pending_writes import PendingWrites, RetryingCallRecordStore, RetryingSeatStore
from callflow.adapters.store import SqlCallRecordStore
from callflow.ari.client import AriClient
from callflow.ari.events import Backoff
from callflow.controller import Controller
from callflow.seat.domain import SeatRules
from callflow.seat.recording import CallRecorder
from callflow.seat.reservations import SeatReservationRow, SeatReservations, SqlSeatReservations
from callflow.seat.services import SeatConfig, SeatQueue, SeatStore
from callflow.seat.store import SqlSeatStore
from callflow.seat.takeover import SeatTakeover, SqlSeatCallLookup
from callflow.services import CallRecordStore, DialplanSeatHandoff
from hotline.db import Base
from ivr.config import load_menu
from ivr.session import NAVIGATION_ARGS, NavigationPorts, navigation_factory
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import Call, Press, Step, WaitForPlayback
from tests.integration.callflow.seat.seat_fixtures import SEAT_TABLES, RecordedOrders, write_seat_prompts
from tests.integration.callflow.support import FixedHours

TABLES = [CallRecordRow.__table__, VoiceMessageRow.__table__, *SEAT_TABLES, SeatReservationRow.__table__]

NODE_CONFIG = SeatConfig(
    ring_s=10,
    announce_every_s=20.0,
    held_elsewhere_retry_s=2.0,
    rules=SeatRules(wait_limit_s=900.0, wrap_up_s=2.0, busy_skip_s=30.0),
)


@dataclass
class KeptRecordings:
    """Stands in for the recordings service: keeps what it is handed, and checks the file is there."""

    fake: FakeAsterisk
    kept: list[tuple[str, str, str]] = field(default_factory=list)

    async def register_finished(self, name: str, call_id: str, kind: str, fmt: str = "wav") -> object:
        assert name in self.fake.stored_recordings, f"recording {name} registered but not stored"
        self.kept.append((name, call_id, kind))
        return name


async def create_tables(sessions: async_sessionmaker[AsyncSession]) -> None:
    engine = sessions.kw["bind"]
    async with engine.begin() as conn:
        tables = [Base.metadata.tables[str(t.name)] for t in TABLES]  # type: ignore[attr-defined]
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))


@dataclass
class Node:
    """One Asterisk node and the controller process serving it."""

    name: str
    fake: FakeAsterisk
    sessions: async_sessionmaker[AsyncSession]
    prompts: Path
    config: SeatConfig = NODE_CONFIG
    client: AriClient | None = None
    controller: Controller | None = None
    queue: SeatQueue | None = None
    task: asyncio.Task[None] | None = None
    orders: RecordedOrders = field(default_factory=lambda: RecordedOrders([]))
    agents: list[str] = field(default_factory=list)
    recorder: CallRecorder | None = None
    takeover: SeatTakeover | None = None
    recordings: KeptRecordings | None = None
    pending: PendingWrites | None = None
    """When set, writes go through it (they wait out a database outage), as in the service."""

    @property
    def records(self) -> SqlCallRecordStore:
        return SqlCallRecordStore(self.sessions)

    @property
    def store(self) -> SqlSeatStore:
        return SqlSeatStore(self.sessions)

    def reservations(self) -> SeatReservations:
        return SqlSeatReservations(self.sessions, self.name)

    async def start(self) -> Controller:
        """Start the controller process: it registers the app, reconciles, and its agents log in."""
        client = AriClient(self.fake.url, "asterisk", "asterisk")
        controller = Controller(client, "hotline", clock=self.fake.clock, backoff=Backoff(0.02, 0.2))
        store: SeatStore = self.store
        records: CallRecordStore = self.records
        if self.pending is not None:
            store, records = RetryingSeatStore(store, self.pending), RetryingCallRecordStore(records, self.pending)
        queue = SeatQueue(
            client, controller, self.fake.clock, store, config=self.config, records=records,
            callback_orders=self.orders, reservations=self.reservations(),
        )
        ports = NavigationPorts(
            client=client, menu=load_menu(None), open_hours=FixedHours(), records=records,
            seat=DialplanSeatHandoff(client), clock=self.fake.clock,
        )
        ports.seat = queue
        factory = navigation_factory(ports)
        for arg in NAVIGATION_ARGS:
            controller.route(arg, factory)
        if self.queue is not None:
            # Call-flow time runs on across the restart, as wall time does in production (factor 1).
            queue._origin, queue._origin_mono = self.queue._origin, self.queue._origin_mono
        self.client, self.controller, self.queue = client, controller, queue
        if self.recordings is None:
            self.recordings = KeptRecordings(self.fake)
        self.recorder = CallRecorder(queue, self.recordings)
        self.takeover = SeatTakeover(queue, SqlSeatCallLookup(self.sessions))
        for agent in self.agents:
            await queue.add_member(agent, name=f"坐席{agent}")
            await queue.login(agent, f"PJSIP/{agent}")
        self.task = asyncio.create_task(controller.run(), name=f"controller-{self.name}")
        await self.fake.wait_for_app("hotline")
        await until(lambda: controller.stats.reconciles > 0, 5, f"{self.name}'s first reconcile")
        return controller

    async def kill(self) -> None:
        """The controller process dies: its tasks stop where they are, its event socket closes."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        if self.queue is not None:
            self.queue.close()
        await self.fake.drop_websockets()
        if self.client is not None:
            await self.client.close()

    async def stop(self) -> None:
        if self.queue is not None:
            self.queue.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.queue.flush(), 5)
        await self.kill()

    def add_agent(self, agent_id: str, answer_after: float, script: list[Step]) -> None:
        """The agent's phone as this node reaches it (`PJSIP/<agent>`); the agent logs in at start."""
        self.fake.add_endpoint(f"PJSIP/{agent_id}", answer_after=answer_after, script=script)
        if agent_id not in self.agents:
            self.agents.append(agent_id)

    async def caller(self, then: list[Step], number: str) -> Call:
        """A caller who chooses 营商环境专线 → 政策查询 (a seat destination), then does `then`."""
        script: list[Step] = [
            WaitForPlayback("sound:hotline/greeting"), Press("1"),
            WaitForPlayback("sound:hotline/business_menu"), Press("1"),
            *then,
        ]
        return await self.fake.place_call(number=number, script=script)


async def start_node(
    name: str, tmp: Path, prompts: Path, sessions: async_sessionmaker[AsyncSession], time_factor: float = 0.02
) -> Node:
    write_seat_prompts(prompts)
    fake = FakeAsterisk(
        sounds={"hotline": prompts}, recordings_dir=tmp / name / "spool", time_factor=time_factor,
        asterisk_id=f"02:fc:00:00:00:{len(name):02d}", system_name=name,
    )
    await fake.start()
    return Node(name, fake, sessions, prompts)


class AgentLegWatch:
    """Watches every node's channels: how many legs ring or talk to one agent at the same moment.

    Looked at after every change in any fake (a new channel, a hang-up, a bridge), so an agent rung on
    two nodes at once is seen at the latest when the second leg appears."""

    def __init__(self, fakes: list[FakeAsterisk], agents: list[str]) -> None:
        self.fakes = fakes
        self.agents = agents
        self.most: dict[str, int] = dict.fromkeys(agents, 0)
        self.seen: dict[str, set[str]] = {a: set() for a in agents}
        self._stop = False
        self._tasks = [asyncio.create_task(f.wait_until(self._look)) for f in fakes]

    def _look(self) -> bool:
        for agent in self.agents:
            live = [
                f"{i}:{c.id}" for i, fake in enumerate(self.fakes) for c in fake.channels.values()
                if c.name.startswith(f"PJSIP/{agent}-")
            ]
            self.seen[agent].update(live)
            self.most[agent] = max(self.most[agent], len(live))
        return self._stop

    async def stop(self) -> None:
        self._stop = True
        for fake in self.fakes:
            fake.notify()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def until(predicate: Callable[[], bool], limit_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
