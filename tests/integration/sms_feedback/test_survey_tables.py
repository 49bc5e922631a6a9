"""The survey tables (满意度回访) are built by sms_feedback's own migration chain, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline.db import make_engine, make_sessionmaker
from sms_feedback.adapters.orm import InboundMessageRow, OptOutRow, SurveyRow
from sms_feedback.adapters.survey_store import SqlSurveyStore
from tests.fakes.databases import migrated_database
from tests.fakes.schema import schema_drift

SURVEY_TABLES = {"sms_surveys", "sms_inbound_messages", "sms_opt_outs"}
CLOSED_AT = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def survey_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with migrated_database(request.param, tmp_path, "survey") as url:
        yield url


async def test_the_migration_builds_exactly_the_survey_tables(survey_db: str) -> None:
    drift, tables = await schema_drift(survey_db, SURVEY_TABLES)
    assert SURVEY_TABLES <= tables
    assert drift == []


async def test_a_rated_survey_keeps_its_rating_channel_and_comment(survey_db: str) -> None:
    engine = make_engine(survey_db)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            session.add(
                SurveyRow(
                    workorder_id=7,
                    workorder_number="YS20261130001",
                    phone="+8613800138000",
                    state="rated",
                    token="tok-7",
                    created_at=CLOSED_AT,
                    sent_at=CLOSED_AT,
                    rating="dissatisfied",
                    channel="link",
                    rated_at=CLOSED_AT,
                    comment="办理太慢，希望尽快整改",
                )
            )
        async with sessions() as session:
            row = (await session.execute(select(SurveyRow).where(SurveyRow.token == "tok-7"))).scalar_one()
        assert (row.rating, row.channel, row.comment) == ("dissatisfied", "link", "办理太慢，希望尽快整改")
        assert row.rated_at == CLOSED_AT
    finally:
        await engine.dispose()


async def test_the_same_inbound_message_sid_is_stored_once(survey_db: str) -> None:
    engine = make_engine(survey_db)
    sessions = make_sessionmaker(engine)

    def reply() -> InboundMessageRow:
        return InboundMessageRow(
            message_sid="SM0001",
            from_number="+8613800138000",
            to_number="+8657112345",
            body="1",
            parsed_kind="rating",
            received_at=CLOSED_AT,
        )

    try:
        async with sessions.begin() as session:
            session.add(reply())
        with pytest.raises(IntegrityError):
            async with sessions.begin() as session:
                session.add(reply())
        async with sessions.begin() as session:
            session.add(OptOutRow(phone="+8613800138000", message_sid="SM0002", opted_out_at=CLOSED_AT))
        with pytest.raises(IntegrityError):
            async with sessions.begin() as session:
                session.add(OptOutRow(phone="+8613800138000", message_sid="SM0003", opted_out_at=CLOSED_AT))
        async with sessions() as session:
            kept = (await session.execute(select(InboundMessageRow))).scalars().all()
        assert [m.message_sid for m in kept] == ["SM0001"]
    finally:
        await engine.dispose()


async def test_a_reply_rates_the_latest_open_survey_of_the_number_only_once(survey_db: str) -> None:
    engine = make_engine(survey_db)
    store = SqlSurveyStore(make_sessionmaker(engine))
    phone = "+8613800138000"
    try:
        older = await store.create(1, "YS20261130001", phone, CLOSED_AT)
        newer = await store.create(2, "YS20261130002", phone, CLOSED_AT + timedelta(hours=1))
        await store.mark_sent(newer.id, "SM-out-2", CLOSED_AT + timedelta(hours=1))
        assert older.token != newer.token
        latest = await store.latest_open_for(phone)
        assert latest is not None and latest.workorder_number == "YS20261130002"
        assert latest.state == "sent" and latest.message_sid == "SM-out-2"
        assert await store.rate(newer.id, "satisfied", "sms", CLOSED_AT + timedelta(hours=2))
        assert not await store.rate(newer.id, "dissatisfied", "link", CLOSED_AT + timedelta(hours=3))
        still_open = await store.latest_open_for(phone)
        assert still_open is not None and still_open.id == older.id
        assert await store.record_inbound("SM-in-1", phone, "+8657112345", "1", "rating", CLOSED_AT)
        assert not await store.record_inbound("SM-in-1", phone, "+8657112345", "1", "rating", CLOSED_AT)
    finally:
        await engine.dispose()


async def test_an_opt_out_closes_open_surveys_and_holds_for_later_closures(survey_db: str) -> None:
    engine = make_engine(survey_db)
    store = SqlSurveyStore(make_sessionmaker(engine))
    phone = "+8613900139000"
    try:
        open_one = await store.create(3, "YS20261130003", phone, CLOSED_AT)
        await store.opt_out(phone, "SM-td", CLOSED_AT + timedelta(minutes=5))
        await store.opt_out(phone, "SM-td-again", CLOSED_AT + timedelta(minutes=6))
        assert await store.is_opted_out(phone)
        assert await store.latest_open_for(phone) is None
        assert not await store.rate(open_one.id, "satisfied", "sms", CLOSED_AT + timedelta(minutes=7))
        later = await store.create(4, "YS20261201001", phone, CLOSED_AT + timedelta(days=1))
        assert later.state == "opted_out"
    finally:
        await engine.dispose()
