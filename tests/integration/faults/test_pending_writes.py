"""The pending writes on their own: order kept, latest state per record, bounded with loud drops."""

from __future__ import annotations

import logging

import pytest

from callflow.adapters.pending_writes import PendingWrites


class FlakyTable:
    """A table that refuses writes while `down`, and remembers what landed in which order."""

    def __init__(self) -> None:
        self.down = True
        self.rows: list[tuple[str, int]] = []

    def writer(self, key: str, version: int):  # type: ignore[no-untyped-def]
        async def write() -> None:
            if self.down:
                raise ConnectionRefusedError("the database is away")
            self.rows.append((key, version))

        return write


async def test_waiting_writes_keep_their_order_and_only_the_latest_version_lands() -> None:
    table, pending = FlakyTable(), PendingWrites(first_retry_s=0.01, max_retry_s=0.02)
    await pending.write(("record", "a"), table.writer("a", 1))
    await pending.write(("record", "b"), table.writer("b", 1))
    await pending.write(("record", "a"), table.writer("a", 2))  # replaces a/1 where it waits
    table.down = False
    await pending.write(("record", "c"), table.writer("c", 1))  # does not overtake a and b
    await pending.drain(5)
    assert table.rows == [("a", 2), ("b", 1), ("c", 1)]
    probe = await pending.probe()
    assert probe["ok"] and probe["written_late"] == 3 and probe["waiting"] == 0


async def test_a_full_queue_drops_the_oldest_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    table, pending = FlakyTable(), PendingWrites(limit=3, first_retry_s=0.01, max_retry_s=0.02)
    with caplog.at_level(logging.ERROR):
        for i in range(5):
            await pending.write(("record", str(i)), table.writer(str(i), 1))
    assert list(pending.waiting) == [("record", "2"), ("record", "3"), ("record", "4")]
    probe = await pending.probe()
    assert probe["dropped"] == 2 and not probe["ok"] and probe["waiting"] == 3
    assert sum("dropped the oldest" in r.message for r in caplog.records) == 2
    table.down = False
    await pending.drain(5)
    assert [k for k, _ in table.rows] == ["2", "3", "4"]
    assert not (await pending.probe())["ok"], "a drop stays visible in /healthz"


async def test_a_write_the_database_refuses_for_what_it_is_fails_loudly_and_blocks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table, pending = FlakyTable(), PendingWrites(first_retry_s=0.01, max_retry_s=0.02)
    table.down = False

    async def violates_a_constraint() -> None:
        raise ValueError("duplicate key value violates unique constraint")

    with caplog.at_level(logging.ERROR):
        await pending.write(("record", "bad"), violates_a_constraint)
    await pending.write(("record", "good"), table.writer("good", 1))
    assert table.rows == [("good", 1)] and not pending.waiting
    probe = await pending.probe()
    assert probe["failed"] == 1 and not probe["ok"] and "unique constraint" in probe["last_error"]
    assert any("refused by the database" in r.message for r in caplog.records)


def test_an_outage_is_the_database_away_or_every_connection_busy_never_a_refused_write() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from callflow.adapters.pending_writes import is_outage

    assert is_outage(ConnectionRefusedError("away"))
    assert is_outage(OperationalError("SELECT 1", {}, OSError("connection reset")))
    assert is_outage(PoolTimeout("QueuePool limit of size 5 overflow 10 reached"))  # overload: wait, don't drop
    assert not is_outage(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_outage(ValueError("a bug"))
