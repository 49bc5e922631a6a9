"""The outbox worker: retries with backoff, never delivers a row twice, recovers a crash mid-delivery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hotline.db import make_sessionmaker
from tests.fakes.loop_db import LoopDb
from ticketing.adapters.orm import OutboxRow
from ticketing.outbox import DeliveryFailed, OutboxMessage, OutboxWorker, RetryPolicy, enqueue

T0 = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
KIND = "sms.caller"


class Receiver:
    """A message sink that fails its first `failures` calls, then keeps every message it is given."""

    def __init__(self, failures: int = 0, retryable: bool = True) -> None:
        self.failures = failures
        self.retryable = retryable
        self.calls = 0
        self.received: list[OutboxMessage] = []

    async def __call__(self, message: OutboxMessage) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryFailed(f"短信网关繁忙 (gateway busy), call {self.calls}", retryable=self.retryable)
        await asyncio.sleep(0)  # a real send yields to the loop; let other workers interleave
        self.received.append(message)


class StuckReceiver:
    """A send that never returns (the process dies in the middle of it)."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def __call__(self, message: OutboxMessage) -> None:
        self.entered.set()
        await asyncio.Event().wait()


async def queue(db: LoopDb, *keys: str, kind: str = KIND, at: datetime = T0) -> None:
    async with db.sessions.begin() as session:
        for key in keys:
            await enqueue(session, kind, {"to": "13800001111", "text": f"您的工单{key}已延期"}, key, now=at)


async def row(db: LoopDb, key: str) -> OutboxRow:
    async with db.sessions() as session:
        found = await session.scalar(select(OutboxRow).where(OutboxRow.idempotency_key == key))
    assert found is not None
    return found


async def test_a_failing_send_is_retried_with_growing_waits_until_delivered(loop_db: LoopDb) -> None:
    await queue(loop_db, "ext:1")
    receiver = Receiver(failures=2)
    worker = OutboxWorker(loop_db.sessions, {KIND: receiver}, retry=RetryPolicy(base_seconds=10, factor=2))

    first = await worker.run_once(T0)
    assert first.retried and not first.delivered
    after_first = await row(loop_db, "ext:1")
    assert after_first.attempts == 1
    assert after_first.next_attempt_at == T0 + timedelta(seconds=10)
    assert "call 1" in (after_first.last_error or "")

    assert (await worker.run_once(T0 + timedelta(seconds=9))).claimed == 0  # still waiting
    assert (await worker.run_once(T0 + timedelta(seconds=10))).retried
    assert (await row(loop_db, "ext:1")).next_attempt_at == T0 + timedelta(seconds=30)  # waited 20 s more

    done = await worker.run_once(T0 + timedelta(seconds=30))
    assert done.delivered
    delivered = await row(loop_db, "ext:1")
    assert (delivered.attempts, delivered.delivered_at, delivered.last_error) == (3, T0 + timedelta(seconds=30), None)
    assert [m.attempt for m in receiver.received] == [3]

    assert (await worker.run_once(T0 + timedelta(days=1))).claimed == 0  # delivered rows are done
    assert len(receiver.received) == 1


async def test_a_permanent_failure_ends_the_row_and_keeps_the_error(loop_db: LoopDb) -> None:
    await queue(loop_db, "ext:2")
    worker = OutboxWorker(loop_db.sessions, {KIND: Receiver(failures=1, retryable=False)})

    assert (await worker.run_once(T0)).failed
    failed = await row(loop_db, "ext:2")
    assert failed.failed_at == T0 and failed.delivered_at is None
    assert "gateway busy" in (failed.last_error or "")
    assert (await worker.run_once(T0 + timedelta(days=1))).claimed == 0


async def test_retries_stop_after_the_configured_attempts(loop_db: LoopDb) -> None:
    await queue(loop_db, "ext:3")
    worker = OutboxWorker(
        loop_db.sessions, {KIND: Receiver(failures=99)}, retry=RetryPolicy(base_seconds=1, max_attempts=2)
    )
    assert (await worker.run_once(T0)).retried
    assert (await worker.run_once(T0 + timedelta(seconds=1))).failed
    assert (await row(loop_db, "ext:3")).attempts == 2


async def test_queueing_the_same_key_twice_keeps_one_row(loop_db: LoopDb) -> None:
    await queue(loop_db, "ext:4")
    await queue(loop_db, "ext:4")
    async with loop_db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 1


async def test_rows_of_a_kind_nobody_handles_wait_for_their_handler(loop_db: LoopDb) -> None:
    await queue(loop_db, "ding:1", kind="dingtalk.unit")
    worker = OutboxWorker(loop_db.sessions, {KIND: Receiver()})
    assert (await worker.run_once(T0)).claimed == 0
    untouched = await row(loop_db, "ding:1")
    assert (untouched.attempts, untouched.delivered_at) == (0, None)


async def test_two_workers_on_two_connections_deliver_every_row_exactly_once(loop_db: LoopDb) -> None:
    keys = [f"bulk:{i}" for i in range(60)]
    await queue(loop_db, *keys)
    other_engine = loop_db.new_engine()
    receiver = Receiver()
    workers = [
        OutboxWorker(loop_db.sessions, {KIND: receiver}, batch=7, worker_id="a"),
        OutboxWorker(make_sessionmaker(other_engine), {KIND: receiver}, batch=7, worker_id="b"),
    ]
    try:
        while True:
            reports = await asyncio.gather(*(w.run_once(T0) for w in workers))
            if not any(r.claimed for r in reports):
                break
    finally:
        await other_engine.dispose()

    delivered_keys = [m.idempotency_key for m in receiver.received]
    assert sorted(delivered_keys) == sorted(keys)
    assert len(delivered_keys) == len(set(delivered_keys))
    async with loop_db.sessions() as session:
        by_worker = dict(
            (await session.execute(select(OutboxRow.claimed_by, func.count()).group_by(OutboxRow.claimed_by))).all()
        )
        assert set(by_worker) == {"a", "b"}  # both took part
        assert await session.scalar(select(func.max(OutboxRow.attempts))) == 1


async def test_a_crash_mid_delivery_is_recovered_after_the_lease_by_a_restarted_worker(loop_db: LoopDb) -> None:
    await queue(loop_db, "ext:5")
    crashed_engine = loop_db.new_engine()
    stuck = StuckReceiver()
    crashing = OutboxWorker(make_sessionmaker(crashed_engine), {KIND: stuck}, lease=timedelta(minutes=5))
    delivery = asyncio.create_task(crashing.run_once(T0))
    await stuck.entered.wait()
    delivery.cancel()  # the process dies while the SMS is in flight
    with pytest.raises(asyncio.CancelledError):
        await delivery
    await crashed_engine.dispose()

    held = await row(loop_db, "ext:5")
    assert (held.attempts, held.delivered_at, held.locked_until) == (1, None, T0 + timedelta(minutes=5))

    receiver = Receiver()
    restarted = OutboxWorker(loop_db.sessions, {KIND: receiver}, lease=timedelta(minutes=5))
    assert (await restarted.run_once(T0 + timedelta(minutes=1))).claimed == 0  # the lease still holds
    assert (await restarted.run_once(T0 + timedelta(minutes=5, seconds=1))).delivered

    recovered = await row(loop_db, "ext:5")
    assert recovered.attempts == 2 and recovered.delivered_at is not None
    assert [(m.idempotency_key, m.attempt) for m in receiver.received] == [("ext:5", 2)]


async def test_a_send_that_hangs_is_cut_off_within_the_lease_and_retried(loop_db: LoopDb) -> None:
    await queue(loop_db, "ext:6")
    worker = OutboxWorker(loop_db.sessions, {KIND: StuckReceiver()}, lease=timedelta(seconds=2), batch=10)
    assert worker.send_timeout == pytest.approx(0.16)  # ten sends fit in 80 % of the lease

    assert (await worker.run_once(T0)).retried
    hung = await row(loop_db, "ext:6")
    assert (hung.attempts, hung.locked_until, hung.delivered_at) == (1, None, None)
    assert (hung.last_error or "").startswith("TimeoutError")
