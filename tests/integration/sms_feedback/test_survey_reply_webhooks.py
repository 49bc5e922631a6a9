"""Replies and delivery receipts reach the survey through Twilio's signed webhooks, in the whole service:
ratings evaluate or reopen the work order, unclear replies get one clarification, nothing forged,
repeated, unknown or late changes anything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotline.settings import Settings
from sms_feedback.adapters.orm import ReviewRectificationRow
from sms_feedback.adapters.webhooks import INBOUND_PATH
from sms_feedback.domain.wording import clarification_sms
from sms_feedback.reviews_web import review_loop_for
from sms_feedback.web import SURVEY_STORE, WORK_ORDER_RATINGS
from tests.integration.sms_feedback.survey_harness import PHONE, SENDER, SurveyHarness, local, survey_harness
from ticketing.domain.roles import Actor, Role

OTHER = "+8613700002222"


def sid(n: int) -> str:
    return f"SM{n:032d}"


@pytest.fixture
async def harness(settings: Settings, aiohttp_client: Any, aiohttp_server: Any) -> AsyncIterator[SurveyHarness]:
    async with survey_harness(settings, aiohttp_client, aiohttp_server) as h:
        yield h


async def surveyed(harness: SurveyHarness, *titles: str) -> list[str]:
    """Work orders closed and their survey sent (merged when several)."""
    numbers = [await harness.close_work_order(title=t) for t in titles]
    await harness.deliver()
    return numbers


async def test_a_satisfied_reply_evaluates_the_work_order_by_sms(harness: SurveyHarness) -> None:
    (number,) = await surveyed(harness, "营业执照变更")
    response = await harness.reply("1 办得很快，谢谢", sid(1))
    assert response.status == 200 and "<Response" in await response.text()

    survey = await harness.survey_of(number)
    order = await harness.work_order(number)
    assert (survey.state, survey.rating, survey.channel) == ("rated", "satisfied", "sms")
    assert (order.state, order.rating, order.rating_channel) == ("evaluated", "satisfied", "sms")
    (kept,) = await harness.inbound()
    assert (kept.message_sid, kept.survey_id, kept.parsed_kind) == (sid(1), survey.id, "satisfied")


async def test_a_dissatisfied_reply_reopens_the_work_order_for_rectification(harness: SurveyHarness) -> None:
    (number,) = await surveyed(harness, "消防验收预约不上")
    await harness.reply("3 问题根本没解决", sid(2))
    order = await harness.work_order(number)
    assert (order.rating, order.state, order.reopened_count) == ("dissatisfied", "reopened", 1)


async def test_forged_misaddressed_or_malformed_webhooks_are_refused_and_change_nothing(
    harness: SurveyHarness,
) -> None:
    (number,) = await surveyed(harness, "营业执照变更")
    form = {"MessageSid": sid(3), "From": PHONE, "To": SENDER, "Body": "1"}
    forged = await harness.client.post(INBOUND_PATH, data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    other_url = await harness.post_signed(INBOUND_PATH, form, signed_url="https://evil.example.com" + INBOUND_PATH)
    unsigned = await harness.client.post(INBOUND_PATH, data=form)
    no_from = await harness.post_signed(INBOUND_PATH, {"MessageSid": sid(3), "To": SENDER, "Body": "1"})
    bad_status = await harness.status(sid(3), "exploded")

    assert [r.status for r in (forged, other_url, unsigned, no_from, bad_status)] == [403, 403, 403, 400, 400]
    assert await harness.inbound() == []
    assert (await harness.survey_of(number)).state == "sent"


async def test_a_repeated_delivery_of_one_reply_is_recorded_and_acted_on_once(harness: SurveyHarness) -> None:
    (number,) = await surveyed(harness, "营业执照变更")
    first = await harness.reply("3 拖了两个月", sid(4))
    again = await harness.reply("3 拖了两个月", sid(4))
    assert (first.status, again.status) == (200, 200)
    assert len(await harness.inbound()) == 1
    assert (await harness.work_order(number)).reopened_count == 1


async def test_a_reply_from_an_unknown_number_is_recorded_and_rates_nothing(harness: SurveyHarness) -> None:
    (number,) = await surveyed(harness, "营业执照变更")
    assert (await harness.reply("1", sid(5), phone=OTHER)).status == 200
    (kept,) = await harness.inbound()
    assert (kept.from_number, kept.survey_id) == (OTHER, None)
    assert (await harness.survey_of(number)).state == "sent"
    assert await harness.outbox("sms.caller") == []


async def test_a_late_reply_after_the_phone_survey_rated_changes_nothing(harness: SurveyHarness) -> None:
    (number,) = await surveyed(harness, "营业执照变更")
    survey = await harness.survey_of(number)
    phone_time = harness.clock.now() + timedelta(hours=25)
    assert await harness.app[SURVEY_STORE].rate(survey.id, "basically_satisfied", "phone", phone_time, None)
    harness.clock.at = phone_time + timedelta(hours=1)

    await harness.reply("3 太慢了", sid(6))
    after = await harness.survey_of(number)
    assert (after.rating, after.channel, after.rated_at) == ("basically_satisfied", "phone", phone_time)
    assert (await harness.work_order(number)).reopened_count == 0
    assert [m.message_sid for m in await harness.inbound()] == [sid(6)]


async def test_an_unclear_reply_gets_one_clarification_and_the_answer_after_it_rates(
    harness: SurveyHarness,
) -> None:
    (number,) = await surveyed(harness, "营业执照变更")
    await harness.reply("你好", sid(7))
    await harness.reply("收到", sid(8))
    await harness.deliver()

    clarifications = harness.sms_to()[1:]
    assert [r.form["Body"] for r in clarifications] == [clarification_sms([number])]
    assert (await harness.survey_of(number)).clarified_at == harness.clock.now()
    await harness.reply("2", sid(9))
    assert (await harness.survey_of(number)).rating == "basically_satisfied"


async def test_a_bare_digit_to_a_merged_survey_asks_which_and_tail_answers_rate_each(
    harness: SurveyHarness,
) -> None:
    first, second = await surveyed(harness, "营业执照变更", "消防验收预约不上")
    await harness.reply("1", sid(10))
    await harness.deliver()
    (asked,) = harness.sms_to()[1:]
    assert asked.form["Body"] == clarification_sms([first, second])
    assert {s.state for s in await harness.surveys()} == {"sent"}

    tail_a, tail_b = first[-4:], second[-4:]
    await harness.reply(f"{tail_a} 1，{tail_b} 3", sid(11))
    assert (await harness.survey_of(first)).rating == "satisfied"
    assert (await harness.survey_of(second)).rating == "dissatisfied"
    assert (await harness.work_order(second)).state == "reopened"


async def test_a_reply_that_needs_clarifying_at_night_is_answered_at_eight(harness: SurveyHarness) -> None:
    harness.clock.at = local(12, 1, 20)
    (number,) = await surveyed(harness, "营业执照变更")
    harness.clock.at = local(12, 1, 23, 15)
    await harness.reply("嗯", sid(12))
    (queued,) = await harness.outbox("sms.caller")
    assert queued.next_attempt_at == local(12, 2, 8) and queued.payload["to"] == PHONE
    await harness.deliver()
    assert len(harness.sms_to()) == 1
    harness.clock.at = local(12, 2, 8)
    await harness.deliver()
    assert harness.sms_to()[1].form["Body"] == clarification_sms([number])


async def test_an_undelivered_survey_is_marked_failed_once_for_the_phone_survey(harness: SurveyHarness) -> None:
    (number,) = await surveyed(harness, "营业执照变更")
    message_sid = (await harness.survey_of(number)).message_sid
    assert message_sid is not None
    assert (await harness.status(message_sid, "sent")).status == 204
    harness.clock.at += timedelta(minutes=3)
    failed_at = harness.clock.now()
    assert (await harness.status(message_sid, "undelivered", "30003")).status == 204
    harness.clock.at += timedelta(minutes=3)
    assert (await harness.status(message_sid, "undelivered", "30003")).status == 204  # repeated: once

    survey = await harness.survey_of(number)
    assert (survey.delivery_status, survey.delivery_failed_at) == ("undelivered", failed_at)


@dataclass
class TicketingDownOnce:
    """The review loop, except that the first rating handed to it fails (ticketing's database away)."""

    app: Any = None
    failures: int = 1

    async def evaluate(self, workorder_number: str, rating: str, channel: str, comment: str | None) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("ticketing database unavailable")
        await review_loop_for(self.app).evaluate(workorder_number, rating, channel, comment)

    async def reopen(self, workorder_number: str, reason: str) -> None:
        await review_loop_for(self.app).reopen(workorder_number, reason)


async def test_a_reply_whose_handling_failed_is_acted_on_again_by_the_outbox(
    settings: Settings, aiohttp_client: Any, aiohttp_server: Any
) -> None:
    ratings = TicketingDownOnce()
    overrides = {WORK_ORDER_RATINGS: ratings}
    async with survey_harness(settings, aiohttp_client, aiohttp_server, overrides=overrides) as harness:
        ratings.app = harness.app
        (number,) = await surveyed(harness, "消防验收预约不上")
        assert (await harness.reply("3 还是没人管", sid(13))).status == 200
        (kept,) = await harness.inbound()
        assert kept.processed_at is None and (await harness.work_order(number)).state == "closed"
        assert (await harness.survey_of(number)).reply_sid == sid(13)

        harness.clock.at += timedelta(minutes=2)
        await harness.deliver()
        order = await harness.work_order(number)
        assert (order.rating, order.state) == ("dissatisfied", "reopened")
        (kept,) = await harness.inbound()
        assert kept.processed_at == harness.clock.now()
        survey = await harness.survey_of(number)
        assert (survey.rating, survey.channel) == ("dissatisfied", "sms")


async def test_a_reply_acted_on_at_once_leaves_its_safety_row_nothing_to_do(harness: SurveyHarness) -> None:
    (number,) = await surveyed(harness, "营业执照变更")
    await harness.reply("1", sid(14))
    (row,) = await harness.outbox("survey.reply")
    assert row.payload == {"message_sid": sid(14)} and row.next_attempt_at == harness.clock.now() + timedelta(minutes=2)
    harness.clock.at += timedelta(minutes=2)
    report = await harness.deliver()
    assert report.delivered == [row.id] and len(harness.sms_to()) == 1
    assert (await harness.work_order(number)).state == "evaluated"


async def test_a_bad_rating_leads_to_a_revisit_survey_whose_good_answer_closes_the_rectification(
    harness: SurveyHarness,
) -> None:
    (number,) = await surveyed(harness, "消防验收预约不上")
    await harness.reply("3 还是约不上", sid(15))
    loop = review_loop_for(harness.app)
    async with harness.sessions() as session:
        (entry,) = (await session.scalars(select(ReviewRectificationRow))).all()
    assert entry.workorder_number == number and entry.state == "rectifying"

    harness.clock.at += timedelta(hours=3)
    supervisor = Actor(id=None, name="督查员", role=Role.SUPERVISOR)
    assert (await loop.report_rectified(supervisor, entry.id, "已协调窗口开通预约")).survey_queued
    await harness.deliver()
    revisit = [s for s in await harness.surveys() if s.purpose == "revisit"]
    assert [(s.review_id, s.state) for s in revisit] == [(entry.id, "sent")]
    assert len(harness.sms_to()) == 2

    await harness.reply("1 这次解决了", sid(16))
    async with harness.sessions() as session:
        closed = await session.get(ReviewRectificationRow, entry.id)
    assert closed is not None and (closed.state, closed.revisit_rating) == ("closed_satisfied", "satisfied")
