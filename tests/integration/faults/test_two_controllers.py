"""Two controllers, each with its own Asterisk node, share one PostgreSQL: the seat's agents are held in
the database, so no agent is rung or bridged on two nodes at once, and a controller that dies loses no
call record while the other node keeps serving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select

from callflow.seat.orm import SeatCallRow
from callflow.seat.reservations import SqlSeatReservations
from hotline.db import make_engine, make_sessionmaker
from tests.fakes.asterisk.parties import HangUp, Wait, WaitUntilBridged, WaitUntilHungUp
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.integration.faults.nodes import AgentLegWatch, Node, create_tables, start_node, until

AGENTS = ["agent101", "agent102", "agent103", "agent104"]
T = TypeVar("T")


@pytest.fixture
async def nodes(tmp_path: Path, menu_prompts: Path) -> AsyncIterator[tuple[Node, Node]]:
    async with fresh_postgres_database(postgres_base_url(), "faults") as url:
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        await create_tables(sessions)
        # Two call flows in one process on a shared machine: 0.05 leaves the scripts' waits room to breathe.
        a = await start_node("node-a", tmp_path, menu_prompts, sessions, time_factor=0.05)
        b = await start_node("node-b", tmp_path, menu_prompts, sessions, time_factor=0.05)
        try:
            yield a, b
        finally:
            for node in (a, b):
                await node.stop()
                await node.fake.stop()
            await engine.dispose()
            for node in (a, b):
                assert not node.fake.violations, f"{node.name}: {node.fake.violations}"
                assert not node.fake.problems, f"{node.name}: {node.fake.problems}"


async def settle(node: Node) -> None:
    """Wait until the node's seat sessions are over and everything they write is written."""
    queue = node.queue
    assert queue is not None
    await until(lambda: not queue.callers, 10, f"the seat sessions of {node.name} to end")
    async with asyncio.timeout(20):  # a write that never ends fails here, named, instead of hanging
        await queue.flush()


async def until_async(
    read: Callable[[], Awaitable[T]], good: Callable[[T], bool], what: str, limit_s: float = 10.0
) -> T:
    """Read from the database until the answer is good (nothing to await there but the next read)."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        value = await read()
        if good(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {value}")
        await asyncio.sleep(0.02)


async def seat_rows(node: Node) -> list[SeatCallRow]:
    async with node.sessions() as db:
        return list((await db.execute(select(SeatCallRow).order_by(SeatCallRow.queued_at))).scalars())


async def test_one_claim_wins_when_fifty_race_for_the_same_agent(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    left, right = SqlSeatReservations(a.sessions, "node-a"), SqlSeatReservations(b.sessions, "node-b")
    results = await asyncio.gather(
        *(left.claim("agent101", f"call-a{i}") for i in range(25)),
        *(right.claim("agent101", f"call-b{i}") for i in range(25)),
    )
    assert sum(results) == 1
    [(call, holder)] = (await left.holders()).values()
    loser = right if holder == "node-a" else left
    await loser.release("agent101", call)  # not theirs: nothing happens
    assert await left.holders() == {"agent101": (call, holder)}


async def test_callers_on_two_nodes_never_get_the_same_agent_at_once(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    for node in (a, b):
        for agent in AGENTS:
            node.add_agent(agent, answer_after=1.0, script=[WaitUntilBridged(), Wait(4), HangUp()])
        await node.start()
    watch = AgentLegWatch([a.fake, b.fake], AGENTS)
    calls = await asyncio.gather(
        *(node.caller([WaitUntilHungUp()], number=f"1380000{i:04d}") for node in (a, b) for i in range(7))
    )
    await asyncio.gather(*(c.finished(60) for c in calls))
    await watch.stop()

    for node in (a, b):
        await settle(node)
        await node.fake.wait_empty()
    assert watch.most == dict.fromkeys(AGENTS, 1), f"an agent had two legs at once: {watch.most}"
    rows = await seat_rows(a)
    assert len(rows) == 14
    assert {r.disposition for r in rows} == {"answered"}
    assert all(r.ended_at is not None for r in rows)
    assert sum(len(watch.seen[agent]) for agent in AGENTS) >= 14
    reservations = SqlSeatReservations(a.sessions, "node-a")  # the last agents wrap up, then are let go
    await until_async(reservations.holders, lambda held: held == {}, "every hold to end")


async def test_a_controller_that_dies_loses_no_record_and_the_other_node_keeps_serving(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    for agent in AGENTS:  # on node A the agents talk long; on node B briefly
        a.add_agent(agent, answer_after=1.0, script=[WaitUntilBridged(), Wait(600), HangUp()])
        b.add_agent(agent, answer_after=1.0, script=[WaitUntilBridged(), Wait(3), HangUp()])
    await a.start()
    await b.start()
    watch = AgentLegWatch([a.fake, b.fake], AGENTS)
    on_a = [await a.caller([WaitUntilHungUp()], number=f"1390000000{i}") for i in range(2)]
    await until(lambda: all(c.channel.bridge is not None and len(c.channel.bridge.channels) == 2 for c in on_a),
                10, "both callers on node A talking to an agent")
    holders = await SqlSeatReservations(a.sessions, "node-a").holders()
    held_on_a = {agent for agent, (_, node) in holders.items() if node == "node-a"}
    assert len(held_on_a) == 2
    assert a.queue is not None
    await a.queue.flush()  # the bridged calls' records are written (milliseconds after the answer)

    await a.kill()  # node A's controller process dies; Asterisk A goes on with both calls

    on_b = [await b.caller([WaitUntilHungUp()], number=f"1370000000{i}") for i in range(5)]
    await asyncio.gather(*(c.finished(60) for c in on_b))
    await watch.stop()
    await settle(b)

    rows = {r.caller_number: r for r in await seat_rows(a)}
    for i in range(2):  # what node A wrote before it died is all there
        row = rows[f"1390000000{i}"]
        assert row.disposition == "answered" and row.agent_id in held_on_a and row.answered_at is not None
    for i in range(5):
        row = rows[f"1370000000{i}"]
        assert row.disposition == "answered" and row.ended_at is not None
        assert row.agent_id not in held_on_a, "node B rang an agent node A still holds"
    assert watch.most == dict.fromkeys(AGENTS, 1)
    assert all(c.alive for c in on_a), "Asterisk keeps the dead controller's calls"

    # Node A's controller comes back: it takes its two calls up; when the callers hang up the records
    # close and the agents it held serve node B's callers again.
    await a.start()
    await until(lambda: a.takeover is not None and len(a.takeover.taken_over) == 2, 10, "node A to take its calls up")
    for c in on_a:
        await a.fake.remote_hangup(c.channel)
    await settle(a)
    rows = {r.caller_number: r for r in await seat_rows(a)}
    for i in range(2):
        row = rows[f"1390000000{i}"]
        assert row.ended_at is not None and row.ended_by == "caller" and row.talk_s is not None
    reservations = SqlSeatReservations(a.sessions, "node-a")
    await until_async(lambda: reservations.holders(), lambda held: held == {}, "node A's holds to end after wrap-up")
    later = [await b.caller([WaitUntilHungUp()], number=f"1360000000{i}") for i in range(4)]
    await asyncio.gather(*(c.finished(60) for c in later))
    await settle(b)
    rows = {r.caller_number: r for r in await seat_rows(a)}
    assert {rows[f"1360000000{i}"].agent_id for i in range(4)} == set(AGENTS), "all four agents serve again"
    await a.fake.wait_empty()
    await b.fake.wait_empty()
