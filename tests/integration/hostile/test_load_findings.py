"""What the soak (bench/soak.py) found under load, kept as tests: on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from callflow.adapters.store import SqlCallRecordStore
from callflow.domain.call import CallRecord
from hotline.db import make_engine, make_sessionmaker


async def test_saves_of_a_new_call_record_at_the_same_moment_keep_one_row_and_raise_nothing(
    migrated_url: str,
) -> None:
    """The menu and the seat save a call's record together as it starts: both used to find no row and
    insert, and the second insert failed (UNIQUE callflow_call_records.id) into the pending-writes queue."""
    engine = make_engine(migrated_url)
    try:
        store = SqlCallRecordStore(make_sessionmaker(engine))
        started = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        for n in range(10):
            call_id = f"soak-race-{n}-{engine.dialect.name}"
            first = CallRecord(call_id, f"1764.{n}", "13900001111", started)
            second = CallRecord(call_id, f"1764.{n}", "13900001111", started, destination="business_seat")
            await asyncio.gather(store.save(first), store.save(second))
            kept = await store.get(call_id)
            assert kept is not None and kept.id == call_id
        await store.save(CallRecord("soak-race-0-" + engine.dialect.name, "1764.0", "13900001111", started,
                                    destination="policy_query", ended_at=started))
        again = await store.get("soak-race-0-" + engine.dialect.name)
        assert again is not None and again.destination == "policy_query" and again.ended_at is not None
    finally:
        await engine.dispose()
