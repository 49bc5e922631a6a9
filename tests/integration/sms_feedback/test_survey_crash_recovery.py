"""Nothing lost, nothing twice: a sender killed between the closure and the SMS, or during the request to
Twilio, is replaced by another worker and the survey goes out exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from hotline.settings import Settings
from sms_feedback.ports import SentMessage, SmsGateway, SmsRetryableError
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.fakes.fake_twilio import FakeTwilio
from tests.integration.sms_feedback.survey_harness import SurveyHarness, survey_harness


@dataclass
class SignallingFakeTwilio(FakeTwilio):
    """The fake Twilio, telling the test when a request has arrived."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def _create_message(self, request: web.Request) -> web.Response:
        self.arrived.set()
        return await super()._create_message(request)


@dataclass
class FailsAfterSending:
    """A gateway whose call reaches Twilio and then fails on our side (a timeout reading the answer, or
    the worker losing its footing right after the request)."""

    inner: SmsGateway
    error: Exception

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SentMessage:
        await self.inner.send(to, body, status_callback)
        raise self.error


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Settings]:
    if request.param == "sqlite":
        yield settings
        return
    async with fresh_postgres_database(postgres_base_url(), "surveysend") as url:
        yield replace(settings, database_url=url)


@pytest.fixture
async def harness(database: Settings, aiohttp_client: Any, aiohttp_server: Any) -> AsyncIterator[SurveyHarness]:
    fake = SignallingFakeTwilio(account_sid="", auth_token="")
    async with survey_harness(database, aiohttp_client, aiohttp_server, fake=fake) as h:
        yield h


async def test_a_worker_that_died_after_claiming_the_row_is_replaced_and_the_survey_sent_once(
    harness: SurveyHarness,
) -> None:
    number = await harness.close_work_order()
    claimed = await harness.worker("worker-1").claim(harness.clock.now())  # …and the process dies here
    assert [m.kind for m in claimed] == ["survey.send"]

    harness.clock.at += timedelta(minutes=1)
    assert (await harness.deliver("worker-2")).claimed == 0  # worker-1's lease still holds
    harness.clock.at += timedelta(minutes=5)
    report = await harness.deliver("worker-2")
    harness.clock.at += timedelta(minutes=10)
    await harness.deliver("worker-2")

    assert len(report.delivered) == 1 and len(harness.sms_to()) == 1
    assert (await harness.survey_of(number)).state == "sent"


async def test_a_worker_killed_while_twilio_holds_the_request_never_sends_the_survey_twice(
    harness: SurveyHarness,
) -> None:
    assert isinstance(harness.fake, SignallingFakeTwilio)
    number = await harness.close_work_order()
    sent_at = harness.clock.now()
    harness.fake.hold_next()
    sender = asyncio.create_task(harness.deliver("worker-1"))
    await harness.fake.arrived.wait()
    sender.cancel()  # the process is killed mid-request
    with contextlib.suppress(asyncio.CancelledError):
        await sender
    assert (await harness.survey_of(number)).state == "sending"

    harness.clock.at += timedelta(minutes=6)  # worker-1's lease has run out
    report = await harness.deliver("worker-2")
    harness.clock.at += timedelta(hours=1)
    await harness.deliver("worker-2")

    survey = await harness.survey_of(number)
    assert len(harness.fake.requests) == 1 and len(report.delivered) == 1
    assert (survey.state, survey.delivery_status, survey.sent_at) == ("sent", "unconfirmed", sent_at)


def fails_after_sending(error: Exception) -> Callable[[SmsGateway], SmsGateway]:
    return lambda twilio: FailsAfterSending(twilio, error)


@pytest.mark.parametrize(
    "error",
    [
        SmsRetryableError("Twilio 请求超时（2 秒）"),  # what TwilioGateway raises when the answer times out
        RuntimeError("the worker lost its footing right after the request"),
    ],
    ids=["timeout-reading-the-answer", "failure-after-the-request"],
)
async def test_a_send_that_reached_twilio_and_then_failed_is_not_sent_again(
    settings: Settings, aiohttp_client: Any, aiohttp_server: Any, error: Exception
) -> None:
    error.__cause__ = TimeoutError() if isinstance(error, SmsRetryableError) else None
    wrap = fails_after_sending(error)
    async with survey_harness(settings, aiohttp_client, aiohttp_server, wrap=wrap) as harness:
        number = await harness.close_work_order()
        report = await harness.deliver()
        harness.clock.at += timedelta(hours=2)
        await harness.deliver()

        survey = await harness.survey_of(number)
        assert len(harness.fake.requests) == 1 and len(report.delivered) == 1
        assert (survey.state, survey.delivery_status) == ("sent", "unconfirmed")
