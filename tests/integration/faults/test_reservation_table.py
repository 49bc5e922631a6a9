"""The agent-reservation table that `hotline db upgrade` creates matches its model, on SQLite and PostgreSQL,
and a claim there is exclusive on either database."""

from __future__ import annotations

from callflow.seat.reservations import SeatReservationRow, SqlSeatReservations, reservations_for
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
