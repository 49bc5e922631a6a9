"""Replies to the survey SMS rate the latest open survey, tell ticketing, and honour opt-outs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.db import make_engine, make_sessionmaker, upgrade_async
from sms_feedback.adapters.survey_store import SqlSurveyStore
from sms_feedback.domain.reply import parse_reply
from sms_feedback.ports import InboundSms
from sms_feedback.survey_replies import SurveyReplies

CLOSED_AT = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
PHONE = "+8613800138000"


@dataclass
class TicketingRecorder:
    """Stands in for ticketing's evaluate/reopen: keeps what it was asked to do."""

    evaluated: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    reopened: list[tuple[str, str]] = field(default_factory=list)

    async def evaluate(self, workorder_number: str, rating: str, channel: str, comment: str | None) -> None:
        self.evaluated.append((workorder_number, rating, channel, comment))

    async def reopen(self, workorder_number: str, reason: str) -> None:
        self.reopened.append((workorder_number, reason))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlSurveyStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    yield SqlSurveyStore(make_sessionmaker(engine))
    await engine.dispose()


def sms(sid: str, body: str) -> InboundSms:
    return InboundSms(sid, PHONE, "+8657112345", body, CLOSED_AT + timedelta(hours=1))


async def reply(handler: SurveyReplies, sid: str, body: str) -> None:
    await handler.on_reply(sms(sid, body), parse_reply(body))


async def test_a_satisfied_reply_rates_the_latest_survey_and_evaluates_its_work_order(
    store: SqlSurveyStore,
) -> None:
    ticketing = TicketingRecorder()
    handler = SurveyReplies(store, ticketing, lambda: CLOSED_AT + timedelta(hours=1))
    first = await store.create(1, "YS20261130001", PHONE, CLOSED_AT)
    second = await store.create(2, "YS20261130002", PHONE, CLOSED_AT + timedelta(minutes=10))
    await store.mark_sent(first.id, "SMa", CLOSED_AT)
    await store.mark_sent(second.id, "SMb", CLOSED_AT + timedelta(minutes=10))
    await reply(handler, "SM1", "1")
    assert [(n, r, c) for n, r, c, _ in ticketing.evaluated] == [("YS20261130002", "satisfied", "sms")]
    assert ticketing.reopened == []
    left = await store.latest_open_for(PHONE)
    assert left is not None and left.workorder_number == "YS20261130001"


async def test_a_dissatisfied_reply_reopens_the_work_order_for_rectification(store: SqlSurveyStore) -> None:
    ticketing = TicketingRecorder()
    handler = SurveyReplies(store, ticketing, lambda: CLOSED_AT + timedelta(hours=1))
    await store.mark_sent((await store.create(3, "YS20261130003", PHONE, CLOSED_AT)).id, "SMc", CLOSED_AT)
    await reply(handler, "SM2", "3 问题根本没解决")
    assert [(n, r) for n, r, _, _ in ticketing.evaluated] == [("YS20261130003", "dissatisfied")]
    assert [n for n, _ in ticketing.reopened] == ["YS20261130003"]
    assert ticketing.reopened[0][1].startswith("企业短信评价不满意")
    await reply(handler, "SM3", "3")
    assert len(ticketing.evaluated) == 1


async def test_an_opt_out_is_kept_and_an_unclear_reply_changes_nothing(store: SqlSurveyStore) -> None:
    ticketing = TicketingRecorder()
    handler = SurveyReplies(store, ticketing, lambda: CLOSED_AT + timedelta(hours=1))
    await store.mark_sent((await store.create(4, "YS20261130004", PHONE, CLOSED_AT)).id, "SMd", CLOSED_AT)
    await reply(handler, "SM4", "谢谢")
    assert await store.latest_open_for(PHONE) is not None
    await reply(handler, "SM5", "退订")
    assert await store.is_opted_out(PHONE)
    assert await store.latest_open_for(PHONE) is None
    assert ticketing.evaluated == [] and ticketing.reopened == []
