"""The agent-reservation table that `hotline db upgrade` creates matches its model, on SQLite and PostgreSQL,
and a claim there is exclusive on either database."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from callflow.seat.reservations import (
    LOCK_TIMEOUT_MS,
    SeatReservationRow,
    SqlSeatReservations,
    reservations_for,
)
from hotline.db import make_engine, make_sessionmaker
from tests.fakes.schema import schema_drift

OUR_TABLES = {SeatReservationRow.__tablename__}


async def test_the_reservation_migration_matches_the_model(migrated_url: str) -> None:
    drift, tables = await schema_drift(migrated_url, OUR_TABLES)
    assert OUR_TABLES <= tables
    assert drift == []


async def test_an_agent_is_held_once_released_by_its_holder_and_stale_holds_are_let_go(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    sessions = make_sessionmaker(engine)
    node_a, node_b = SqlSeatReservations(sessions, "node-a"), SqlSeatReservations(sessions, "node-b")
    try:
        assert await node_a.claim("agent901", "call-1")
        assert await node_a.claim("agent901", "call-1"), "a repeated claim for the same call still holds"
        assert not await node_b.claim("agent901", "call-2")
        await node_b.release("agent901", "call-1")  # not node B's hold: nothing happens
        assert (await node_a.holders())["agent901"] == ("call-1", "node-a")
        await node_a.release("agent901", "call-1")
        assert await node_b.claim("agent901", "call-2")
        assert await node_a.claim("agent902", "call-3")
        assert await node_a.claim("agent903", "call-4")
        # node A restarts still having call-4 in Asterisk: call-3's hold is stale
        assert await node_a.release_stale({"call-4"}) == ["agent902"]
        held = await node_a.holders()
        assert held == {"agent901": ("call-2", "node-b"), "agent903": ("call-4", "node-a")}
        await node_a.release("agent903", "call-4")
        await node_b.release("agent901", "call-2")
        assert await node_a.holders() == {}
    finally:
        await engine.dispose()
    chosen = reservations_for(engine.dialect.name, sessions, "node-a")
    assert isinstance(chosen, SqlSeatReservations) == (engine.dialect.name == "postgresql")


async def test_a_claim_gives_up_behind_a_transaction_that_holds_the_agent_and_never_hangs(migrated_url: str) -> None:
    if not migrated_url.startswith("postgresql"):
        return  # SQLite has one writer at a time: nothing to wait behind but the busy timeout
    engine = make_engine(migrated_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions.begin() as stuck:  # e.g. a controller frozen in the middle of its claim
            stuck.add(SeatReservationRow(agent_id="agent909", call_id="call-x", controller_id="node-x",
                                         reserved_at=datetime.now(UTC)))
            await stuck.flush()
            started = time.monotonic()
            assert not await SqlSeatReservations(sessions, "node-b").claim("agent909", "call-y")
            assert time.monotonic() - started < LOCK_TIMEOUT_MS / 1000 + 3
            await stuck.rollback()
    finally:
        await engine.dispose()
