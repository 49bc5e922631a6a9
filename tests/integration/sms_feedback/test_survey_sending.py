"""A closure's survey goes out through the real `twilio` library to the fake Twilio: once, merged per
number, deferred by quiet hours and the 2-per-24-hours limit, never to a number that opted out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from hotline.settings import Settings
from sms_feedback.adapters.webhooks import STATUS_PATH
from sms_feedback.domain.rating_link import verify_link
from sms_feedback.domain.wording import SurveyItem, opt_out_confirmation_sms, survey_sms
from sms_feedback.web import SURVEY_SENDER
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.integration.sms_feedback.survey_harness import (
    PHONE,
    PUBLIC,
    SENDER,
    SurveyHarness,
    local,
    survey_harness,
)
from ticketing.outbox import OutboxMessage


@pytest.fixture
async def harness(settings: Settings, aiohttp_client: Any, aiohttp_server: Any) -> AsyncIterator[SurveyHarness]:
    async with survey_harness(settings, aiohttp_client, aiohttp_server) as h:
        yield h


@pytest.fixture(params=["sqlite", "postgresql"])
async def either_database(
    request: pytest.FixtureRequest, settings: Settings, aiohttp_client: Any, aiohttp_server: Any
) -> AsyncIterator[SurveyHarness]:
    """The harness on SQLite and on PostgreSQL (JSON payload queries differ between them)."""
    if request.param == "sqlite":
        async with survey_harness(settings, aiohttp_client, aiohttp_server) as h:
            yield h
        return
    async with fresh_postgres_database(postgres_base_url(), "surveymerge") as url:
        async with survey_harness(replace(settings, database_url=url), aiohttp_client, aiohttp_server) as h:
            yield h


async def test_closing_a_work_order_sends_one_survey_sms_with_its_signed_link_and_status_callback(
    harness: SurveyHarness,
) -> None:
    number = await harness.close_work_order()
    report = await harness.deliver()

    (request,) = harness.fake.requests
    survey = await harness.survey_of(number)
    link = request.form["Body"].split("或点")[1].split("评价。")[0]
    assert link.startswith(PUBLIC + "/r/")
    assert verify_link(link.removeprefix(PUBLIC + "/r/"), "test-link-secret", harness.clock.now()) == survey.token
    assert request.form == {
        "To": PHONE,
        "From": SENDER,
        "Body": survey_sms(SurveyItem(number, "食品经营许可证办理缓慢"), link, max_segments=2),
        "StatusCallback": PUBLIC + STATUS_PATH,
    }
    assert (survey.state, survey.purpose, survey.sent_at) == ("sent", "closure", harness.clock.now())
    assert survey.message_sid is not None and survey.message_sid.startswith("SM")
    assert survey.delivery_status == "queued" and len(report.delivered) == 1

    # the same row delivered again (a crash after the send, before the outbox noted it): nothing more
    (row,) = await harness.outbox("survey.send")
    again = OutboxMessage(row.id, row.kind, dict(row.payload), row.idempotency_key, row.work_order_id, 2)
    await harness.app[SURVEY_SENDER].send(again)
    assert len(harness.fake.requests) == 1 and len(await harness.surveys()) == 1


async def test_two_closures_waiting_for_one_number_go_out_as_one_merged_message(
    either_database: SurveyHarness,
) -> None:
    harness = either_database
    await harness.close_work_order(phone="13700002222", title="另一家企业的事项")
    first = await harness.close_work_order(title="食品经营许可证办理缓慢")
    second = await harness.close_work_order(title="消防验收预约不上")
    await harness.deliver()

    (request,) = harness.sms_to()
    body = request.form["Body"]
    assert "2件事项已办结" in body and first[-4:] in body and second[-4:] in body
    surveys = [s for s in await harness.surveys() if s.phone == PHONE]
    assert {s.state for s in surveys} == {"sent"} and len({s.message_sid for s in surveys}) == 1
    assert [r.delivered_at is not None for r in await harness.outbox("survey.send")] == [True, True, True]
    assert len(harness.sms_to("+8613700002222")) == 1


async def test_a_third_survey_within_24_hours_waits_for_the_slot_and_then_goes_merged(
    harness: SurveyHarness,
) -> None:
    harness.clock.at = local(12, 1, 9)
    await harness.close_work_order(title="营业执照变更")
    await harness.deliver()
    harness.clock.at = local(12, 1, 10)
    await harness.close_work_order(title="税务登记迁移")
    await harness.deliver()
    harness.clock.at = local(12, 1, 11)
    third = await harness.close_work_order(title="食品经营许可证办理缓慢")
    await harness.deliver()
    harness.clock.at = local(12, 1, 15)
    fourth = await harness.close_work_order(title="消防验收预约不上")
    await harness.deliver()

    assert len(harness.sms_to()) == 2
    (flush,) = await harness.outbox("survey.flush")  # one deferral for the number, at 09:00 next day
    assert flush.next_attempt_at == local(12, 2, 9) and flush.payload == {"phone": PHONE}
    assert [s.state for s in await harness.surveys()] == ["sent", "sent", "pending", "pending"]

    harness.clock.at = local(12, 2, 8, 59)
    await harness.deliver()
    assert len(harness.sms_to()) == 2
    harness.clock.at = local(12, 2, 9)
    await harness.deliver()
    merged = harness.sms_to()[2].form["Body"]
    assert third[-4:] in merged and fourth[-4:] in merged
    assert {s.state for s in await harness.surveys()} == {"sent"}


async def test_a_closure_at_night_is_surveyed_at_eight_in_the_morning(harness: SurveyHarness) -> None:
    harness.clock.at = local(12, 1, 22, 30)
    number = await harness.close_work_order()
    await harness.deliver()
    assert harness.fake.requests == []
    (flush,) = await harness.outbox("survey.flush")
    assert flush.next_attempt_at == local(12, 2, 8)

    harness.clock.at = local(12, 2, 7, 59)
    assert (await harness.deliver()).claimed == 0
    harness.clock.at = local(12, 2, 8)
    await harness.deliver()
    (request,) = harness.sms_to()
    assert number in request.form["Body"]
    assert (await harness.survey_of(number)).sent_at == local(12, 2, 8)


async def test_a_number_that_opted_out_is_never_surveyed_again(harness: SurveyHarness) -> None:
    assert (await harness.reply("TD", "SM" + "7" * 32)).status == 200
    await harness.deliver()  # the one confirmation of the opt-out
    assert [r.form["Body"] for r in harness.sms_to()] == [opt_out_confirmation_sms()]

    harness.clock.at += timedelta(days=400)
    number = await harness.close_work_order()
    await harness.deliver()
    assert len(harness.sms_to()) == 1
    assert (await harness.survey_of(number)).state == "opted_out"


async def test_a_number_twilio_refuses_is_not_retried_and_waits_for_the_phone_survey(
    harness: SurveyHarness,
) -> None:
    harness.fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    number = await harness.close_work_order()
    await harness.deliver()
    await harness.deliver()
    survey = await harness.survey_of(number)
    assert len(harness.fake.requests) == 1
    assert (survey.state, survey.delivery_status, survey.delivery_failed_at) == (
        "sent",
        "rejected",
        harness.clock.now(),
    )


async def test_a_twilio_outage_puts_the_survey_back_and_the_retry_sends_it_once(harness: SurveyHarness) -> None:
    harness.fake.fail_next(503, 20500, "Service unavailable")
    number = await harness.close_work_order()
    report = await harness.deliver()
    assert len(report.retried) == 1 and (await harness.survey_of(number)).state == "pending"
    (row,) = await harness.outbox("survey.send")
    assert row.next_attempt_at > harness.clock.now() and "SmsRetryableError" in (row.last_error or "")

    harness.clock.at = row.next_attempt_at
    await harness.deliver()
    assert len(harness.fake.requests) == 2 and (await harness.survey_of(number)).state == "sent"
    harness.clock.at += timedelta(hours=1)
    await harness.deliver()
    assert len(harness.fake.requests) == 2


async def test_a_survey_row_that_cannot_be_a_survey_fails_for_good(harness: SurveyHarness) -> None:
    from ticketing.outbox import enqueue

    async with harness.sessions.begin() as session:
        payload = {"workorder_id": 1, "workorder_number": "X1", "phone": "0578-6123456", "matter": "m"}
        await enqueue(session, "survey.send", payload, "survey.send:bad", now=harness.clock.now())
    report = await harness.deliver()
    (row,) = await harness.outbox("survey.send")
    assert len(report.failed) == 1 and "SurveyPayloadInvalid" in (row.last_error or "")
    assert await harness.surveys() == [] and harness.fake.requests == []
