"""The sending side of the survey tables on SQLite and PostgreSQL: one survey per outbox row even when two
workers race, one sender per survey, receipts kept once, a merged message counted once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hotline.db import make_engine, make_sessionmaker, upgrade
from sms_feedback.adapters.survey_store import NewSurvey, SqlSurveySending
from tests.fakes.databases import fresh_postgres_database_sync, postgres_base_url
from tests.fakes.schema import schema_drift

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TABLES = {"sms_surveys", "sms_delivery_statuses"}


def phone_of(n: int) -> str:
    return f"+86138001380{n:02d}"


def closure(n: int) -> NewSurvey:
    """The survey of work order n, to the number of its test (tests share one database)."""
    return NewSurvey(f"survey.send:closure:YS{n}", n, f"YS2026120100{n:03d}", phone_of(n // 10), "营业执照变更")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database per module and dialect; each test uses its own phone number."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('surveystore') / 'hotline.db'}"
        upgrade(url)
        yield url
        return
    with fresh_postgres_database_sync(postgres_base_url(), "surveystore") as url:
        upgrade(url)
        yield url


@pytest.fixture
async def sessions(database: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(database)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_the_sending_migration_matches_the_models(database: str) -> None:
    drift, tables = await schema_drift(database, TABLES)
    assert TABLES <= tables and drift == []


async def test_two_workers_delivering_one_outbox_row_make_one_survey(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = SqlSurveySending(sessions), SqlSurveySending(sessions)
    first, second = await asyncio.gather(a.create_once(closure(11), AT), b.create_once(closure(11), AT))
    assert first.id == second.id and first.state == "pending" and first.outbox_key == closure(11).outbox_key
    assert [s.id for s in await a.in_state(phone_of(1), "pending")] == [first.id]


async def test_only_one_sender_holds_a_survey(sessions: async_sessionmaker[AsyncSession]) -> None:
    store = SqlSurveySending(sessions)
    survey = await store.create_once(closure(21), AT)
    held = await asyncio.gather(*(SqlSurveySending(sessions).begin_sending([survey.id], AT) for _ in range(4)))
    assert sorted(len(h) for h in held) == [0, 0, 0, 1]
    (sending,) = await store.in_state(phone_of(2), "sending")
    assert sending.sent_at == AT


async def test_a_merged_message_counts_once_toward_the_daily_limit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlSurveySending(sessions)
    ids = [(await store.create_once(closure(n), AT)).id for n in (31, 32)]
    await store.begin_sending(ids, AT)
    await store.finish_sending(ids, message_sid="SM" + "a" * 32, status="queued")
    later = (await store.create_once(closure(33), AT)).id
    await store.begin_sending([later], AT + timedelta(hours=2))
    await store.finish_sending([later], message_sid="SM" + "b" * 32, status="queued")

    assert await store.messages_sent_since(phone_of(3), AT - timedelta(hours=24)) == [AT, AT + timedelta(hours=2)]
    assert [s.id for s in await store.open_sent_to(phone_of(3))] == [later, ids[1], ids[0]]


async def test_receipts_are_kept_once_and_a_failure_is_not_undone_by_a_late_receipt(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlSurveySending(sessions)
    survey = await store.create_once(closure(41), AT)
    sid = "SM" + "c" * 32
    await store.begin_sending([survey.id], AT)
    await store.finish_sending([survey.id], message_sid=sid, status="queued")

    failed_at = AT + timedelta(minutes=2)
    assert await store.record_status(sid, "sent", None, AT + timedelta(minutes=1))
    assert await store.record_status(sid, "undelivered", 30003, failed_at)
    assert not await store.record_status(sid, "undelivered", 30003, AT + timedelta(minutes=3))
    assert await store.record_status(sid, "delivered", None, AT + timedelta(minutes=4))

    (row,) = await store.open_sent_to(phone_of(4))
    assert (row.delivery_status, row.delivery_failed_at) == ("undelivered", failed_at)


async def test_a_receipt_arriving_after_a_later_one_does_not_move_the_status_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlSurveySending(sessions)
    survey = await store.create_once(closure(51), AT)
    sid = "SM" + "d" * 32
    await store.begin_sending([survey.id], AT)
    await store.finish_sending([survey.id], message_sid=sid, status="queued")
    assert await store.record_status(sid, "delivered", None, AT + timedelta(minutes=2))
    assert await store.record_status(sid, "sent", None, AT + timedelta(minutes=1))
    (row,) = await store.open_sent_to(phone_of(5))
    assert (row.delivery_status, row.delivery_failed_at) == ("delivered", None)
