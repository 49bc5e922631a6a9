"""The survey tables (满意度回访) are built by sms_feedback's own migration chain, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline.db import make_engine, make_sessionmaker, upgrade_async
from sms_feedback.adapters.orm import InboundMessageRow, OptOutRow, SurveyRow
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.fakes.schema import schema_drift

SURVEY_TABLES = {"sms_surveys", "sms_inbound_messages", "sms_opt_outs"}
CLOSED_AT = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def survey_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
        await upgrade_async(url)
        yield url
        return
    async with fresh_postgres_database(postgres_base_url(), "survey") as url:
        await upgrade_async(url)
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
