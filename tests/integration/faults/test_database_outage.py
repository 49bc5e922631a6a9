"""PostgreSQL goes away for 30 s (a TCP proxy in front of it is cut) while callers call: the calls go on
(menu, queue, agent, bridge), what they write waits in the pending writes and shows in the health probe,
and once the database is back every record lands by itself, complete."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.adapters.orm import CallRecordRow
from callflow.adapters.pending_writes import PendingWrites
from callflow.seat.orm import AgentStateChangeRow, SeatCallRow
from hotline.db import make_engine, make_sessionmaker
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import HangUp, Wait, WaitUntilBridged, WaitUntilHungUp
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.fakes.tcp_proxy import TcpProxy
from tests.integration.faults.nodes import Node, create_tables, start_node, until


@pytest.fixture
async def behind_proxy(tmp_path: Path, menu_prompts: Path) -> AsyncIterator[tuple[Node, TcpProxy, str]]:
    async with fresh_postgres_database(postgres_base_url(), "outage") as url:
        real = make_url(url)
        proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
        await proxy.start()
        engine = make_engine(real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
        sessions = make_sessionmaker(engine)
        await create_tables(sessions)
        node = await start_node("node-a", tmp_path, menu_prompts, sessions)
        node.pending = PendingWrites(first_retry_s=0.1, max_retry_s=0.4)
        try:
            yield node, proxy, url
        finally:
            node.pending.close()
            await node.stop()
            await node.fake.stop()
            await engine.dispose()
            await proxy.stop()
        assert not node.fake.violations, node.fake.violations
        assert not node.fake.problems, node.fake.problems


async def test_calls_go_on_without_the_database_and_their_records_land_when_it_returns(
    behind_proxy: tuple[Node, TcpProxy, str],
) -> None:
    node, proxy, direct_url = behind_proxy
    pending = node.pending
    assert pending is not None
    node.add_agent("agent401", answer_after=1.0, script=[WaitUntilBridged(), Wait(5), HangUp()])
    await node.start()
    queue = node.queue
    assert queue is not None

    await proxy.cut()  # the database is gone
    cut_at = node.fake.clock.monotonic()
    calls = [await node.caller([WaitUntilHungUp()], number=f"1380000050{i}") for i in range(2)]
    await asyncio.gather(*(c.finished(30) for c in calls))  # menu, queue, agent, bridge: all without it
    await until(lambda: not queue.callers, 10, "both seat sessions to end")
    probe = await pending.probe()
    assert not probe["ok"] and probe["waiting"] >= 4 and probe["dropped"] == 0 and probe["last_error"]

    direct = make_engine(direct_url)  # looking past the proxy: nothing has landed yet
    try:
        async with make_sessionmaker(direct)() as db:
            assert (await db.execute(select(CallRecordRow))).scalars().all() == []
        await node.fake.clock.sleep(max(0.0, 30 - (node.fake.clock.monotonic() - cut_at)))
        proxy.restore()  # 30 s later it is back: nobody has to do anything
        await pending.drain(10)
        await queue.flush()
        assert (await pending.probe())["ok"]
        async with make_sessionmaker(direct)() as db:
            records = (await db.execute(select(CallRecordRow))).scalars().all()
            seats = (await db.execute(select(SeatCallRow))).scalars().all()
            changes = (await db.execute(select(AgentStateChangeRow))).scalars().all()
    finally:
        await direct.dispose()
    assert sorted(r.caller_number for r in records) == ["13800000500", "13800000501"]
    assert all(r.ended_at is not None for r in records)
    assert [s.disposition for s in seats] == ["answered", "answered"]
    assert all(s.ended_at is not None and s.agent_id == "agent401" and s.ended_by == "agent" for s in seats)
    assert sum(1 for c in changes if c.state == "on_call") == 2
    assert proxy.connections > 1, "the engine reconnected by itself"
    await node.fake.wait_empty()


@dataclass
class RecordingsInTheDatabase:
    """Registers a finished recording as the recordings service does: with a write to the database —
    here the one behind the cut proxy, so a registration during the outage fails like the real one."""

    fake: FakeAsterisk
    sessions: async_sessionmaker[AsyncSession]
    kept: list[tuple[str, str, str]] = field(default_factory=list)

    async def register_finished(self, name: str, call_id: str, kind: str, fmt: str = "wav") -> object:
        assert name in self.fake.stored_recordings, f"recording {name} registered but not stored"
        async with self.sessions() as db:
            await db.execute(text("SELECT 1"))
        if (name, call_id, kind) not in self.kept:
            self.kept.append((name, call_id, kind))
        return name


async def test_a_call_recorded_while_the_database_is_away_has_its_recordings_registered_when_it_returns(
    behind_proxy: tuple[Node, TcpProxy, str],
) -> None:
    node, proxy, _ = behind_proxy
    pending = node.pending
    assert pending is not None
    registry = RecordingsInTheDatabase(node.fake, node.sessions)
    node.recordings = registry  # type: ignore[assignment]
    node.add_agent("agent402", answer_after=1.0, script=[WaitUntilBridged(), Wait(3), HangUp()])
    await node.start()
    assert node.queue is not None and node.recorder is not None
    node.recorder.pending = pending  # as the service wires it (callflow/seat/expert_web.py)

    await proxy.cut()
    call = await node.caller([WaitUntilHungUp()], number="13800000509")
    await call.finished(30)
    await until(lambda: not node.queue.callers, 10, "the seat session to end")  # type: ignore[union-attr]
    await until(lambda: len(node.recorder.tracks) > 0 and all(  # type: ignore[union-attr]
        t.state != "recording" for t in node.recorder.tracks.values()), 10, "the tracks to finish")  # type: ignore[union-attr]
    await node.recorder.flush()
    assert registry.kept == []
    waiting = [key for key in pending.waiting if key[0] == "recording"]
    assert len(waiting) == len(node.recorder.tracks) >= 1, "every finished track waits for the database"

    proxy.restore()
    await pending.drain(10)
    assert sorted(name for name, _, _ in registry.kept) == sorted(node.recorder.tracks)
    assert len(registry.kept) == len(set(registry.kept)), "each recording registered once"
    assert (await pending.probe())["ok"]
    await node.fake.wait_empty()
