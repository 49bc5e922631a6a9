"""The phone survey (电话回访) through the fake Asterisk: the enterprise is called, hears the question,
presses a key, and the rating reaches the survey and ticketing; unanswered calls are retried at the next
slot and finally reported unreachable. Nothing is left on the fake Asterisk afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callflow.ari.client import AriClient
from callflow.ari.events import Backoff
from callflow.controller import Controller
from hotline.db import make_engine, make_sessionmaker, upgrade_async
from ivr.config import load_menu
from sms_feedback.adapters.orm import SurveyRow
from sms_feedback.adapters.survey_channels import SqlSurveyChannels
from sms_feedback.adapters.survey_store import SqlSurveyStore
from sms_feedback.domain.phone_schedule import (
    PhoneSchedule,
    PhoneSurveyConfigError,
    PhoneSurveyOptions,
    WorkingDays,
)
from sms_feedback.phone_survey import PhoneSurveys, checked_dial_template, dial_number
from tests.fakes.asterisk import BusyExten, Press, WaitForPlayback
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.schema import schema_drift
from tests.integration.callflow.support import write_prompt
from ticketing.domain.calendar import OfficeHours, WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
SENT_AT = datetime(2025, 6, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday
FIRST_SLOT = datetime(2025, 6, 11, 14, 30, tzinfo=SHANGHAI)
PHONE = "+8613800138000"
SURVEY_PROMPTS = ("survey_question", "survey_keys", "survey_invalid", "survey_thanks", "survey_goodbye", "no_input")
QUESTION = "sound:hotline/survey_question"
KEYS = "sound:hotline/survey_keys"


@dataclass
class TicketingRecorder:
    """Stands in for ticketing's evaluate/reopen: keeps what it was asked to do."""

    evaluated: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    reopened: list[tuple[str, str]] = field(default_factory=list)

    async def evaluate(self, workorder_number: str, rating: str, channel: str, comment: str | None) -> None:
        self.evaluated.append((workorder_number, rating, channel, comment))

    async def reopen(self, workorder_number: str, reason: str) -> None:
        self.reopened.append((workorder_number, reason))


@dataclass
class Survey:
    """The system under test, the fake Asterisk, and a hand-moved wall clock for the schedule."""

    fake: FakeAsterisk
    surveys: PhoneSurveys
    store: SqlSurveyStore
    channels: SqlSurveyChannels
    ticketing: TicketingRecorder
    now: list[datetime]
    db_url: str

    def at(self, when: datetime) -> None:
        self.now[0] = when

    async def closed_and_sent(self, number: str, phone: str = PHONE, workorder_id: int = 1) -> int:
        row = await self.store.create(workorder_id, number, phone, SENT_AT - timedelta(hours=1))
        await self.store.mark_sent(row.id, f"SM{workorder_id:032d}", SENT_AT)
        return row.id

    async def state_of(self, survey_id: int) -> SurveyRow:
        row = await self.channels.by_id(survey_id)
        assert row is not None
        return row


@pytest.fixture(scope="module")
def survey_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("survey-prompts")
    menu = load_menu(None)
    for name in SURVEY_PROMPTS:
        assert name in menu.prompts, f"prompt {name} missing from the menu's prompts"
        write_prompt(folder / f"{name}.wav", 2.0)
    return folder


async def _calendar() -> WorkingDays:
    return WorkingCalendar(OfficeHours.parse("08:30-12:00,14:00-17:30"))


@pytest.fixture
async def survey(tmp_path: Path, survey_prompts: Path) -> AsyncIterator[Survey]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    fake = FakeAsterisk(sounds={"hotline": survey_prompts}, recordings_dir=tmp_path / "spool", time_factor=0.02)
    await fake.start()
    client = AriClient(fake.url, "asterisk", "asterisk")
    controller = Controller(client, "hotline", clock=fake.clock, backoff=Backoff(0.02, 0.2))
    task = asyncio.create_task(controller.run())
    await fake.wait_for_app("hotline")
    now = [SENT_AT]
    options = PhoneSurveyOptions(schedule=PhoneSchedule(max_attempts=2), ring_s=20, key_timeout_s=5)
    store = SqlSurveyStore(sessions)
    channels = SqlSurveyChannels(sessions)
    ticketing = TicketingRecorder()
    surveys = PhoneSurveys(channels, store, ticketing, _calendar, controller, options, now=lambda: now[0])
    try:
        yield Survey(fake, surveys, store, channels, ticketing, now, url)
        await fake.wait_empty()  # no channel, playback or bridge left behind
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()
        await fake.stop()
        await engine.dispose()
    assert not fake.violations, "protocol violations:\n" + "\n".join(map(str, fake.violations))
    assert not fake.problems, "fake Asterisk problems:\n" + "\n".join(fake.problems)


async def test_the_attempts_table_matches_its_migration(survey: Survey) -> None:
    drift, tables = await schema_drift(survey.db_url, {"sms_phone_attempts"})
    assert "sms_phone_attempts" in tables and drift == []


async def test_the_trunk_dials_national_numbers() -> None:
    assert dial_number("+8613800138000") == "13800138000"
    assert dial_number("+8675588886666") == "075588886666"
    assert dial_number("+85291234567") == "0085291234567"


async def test_an_answered_call_rated_basically_satisfied_reaches_the_survey_and_ticketing(survey: Survey) -> None:
    trunk = survey.fake.add_endpoint(
        "PJSIP/trunk", answer_after=3.0, script=[WaitForPlayback(KEYS), Press("2")]
    )
    survey_id = await survey.closed_and_sent("YS20250610001")
    survey.at(SENT_AT + timedelta(hours=23))
    assert (await survey.surveys.check_once()).placed == []  # not yet 24 hours
    survey.at(FIRST_SLOT)
    report = await survey.surveys.check_once()
    assert [c.survey_id for c in report.placed] == [survey_id]
    assert await asyncio.wait_for(report.placed[0].ended, 10) == "rated"

    row = await survey.state_of(survey_id)
    assert (row.state, row.rating, row.channel) == ("rated", "basically_satisfied", "phone")
    assert survey.ticketing.evaluated == [("YS20250610001", "basically_satisfied", "phone", None)]
    assert survey.ticketing.reopened == []
    call = trunk.calls[0]
    assert call.heard[:2] == [QUESTION, KEYS] and call.heard[-1] == "sound:hotline/survey_thanks"
    assert call.hung_up_by != "party"
    [attempt] = await survey.channels.attempts_of(survey_id)
    assert (attempt.outcome, attempt.rating, attempt.number) == ("rated", "basically_satisfied", PHONE)
    assert attempt.answered_at is not None and attempt.ended_at is not None
    originate = next(r for r in survey.fake.requests if r.method == "POST" and r.path == f"/ari/channels/{attempt.channel_id}")
    assert originate.query["endpoint"] == "PJSIP/13800138000@trunk"
    assert originate.query["appArgs"] == f"survey,{survey_id}"
    # rated: never called again
    survey.at(FIRST_SLOT + timedelta(days=1))
    assert (await survey.surveys.check_once()).placed == []


async def test_an_invalid_key_repeats_the_question_and_a_dissatisfied_key_reopens_the_work_order(
    survey: Survey,
) -> None:
    trunk = survey.fake.add_endpoint(
        "PJSIP/trunk",
        answer_after=2.0,
        script=[WaitForPlayback(KEYS), Press("7"), WaitForPlayback("sound:hotline/survey_invalid"),
                WaitForPlayback(KEYS), Press("3")],
    )
    survey_id = await survey.closed_and_sent("YS20250610002")
    survey.at(FIRST_SLOT)
    report = await survey.surveys.check_once()
    assert await asyncio.wait_for(report.placed[0].ended, 10) == "rated"
    heard = trunk.calls[0].heard
    assert heard.count(QUESTION) == 2 and "sound:hotline/survey_invalid" in heard
    assert (await survey.state_of(survey_id)).rating == "dissatisfied"
    assert [n for n, _ in survey.ticketing.reopened] == ["YS20250610002"]
    assert survey.ticketing.reopened[0][1] == "企业电话回访评价不满意"


async def test_silence_after_the_question_twice_retried_then_goodbye_and_the_next_slot(survey: Survey) -> None:
    trunk = survey.fake.add_endpoint("PJSIP/trunk", answer_after=1.0, script=[])
    survey_id = await survey.closed_and_sent("YS20250610003")
    survey.at(FIRST_SLOT)
    report = await survey.surveys.check_once()
    assert await asyncio.wait_for(report.placed[0].ended, 20) == "no-rating"
    heard = trunk.calls[0].heard
    assert heard.count(QUESTION) == 3  # asked, then retried twice
    assert heard[-1] == "sound:hotline/survey_goodbye"
    assert (await survey.state_of(survey_id)).state == "sent"
    survey.at(FIRST_SLOT + timedelta(minutes=30))
    again = await survey.surveys.check_once()
    assert again.placed == [] and again.next_call_at == datetime(2025, 6, 12, 9, 30, tzinfo=SHANGHAI)


async def test_no_answer_is_retried_at_the_next_slot_then_the_survey_is_unreachable(survey: Survey) -> None:
    survey.fake.add_endpoint("PJSIP/trunk", answer_after=None)
    survey_id = await survey.closed_and_sent("YS20250610004")
    survey.at(FIRST_SLOT)
    first = await survey.surveys.check_once()
    assert await asyncio.wait_for(first.placed[0].ended, 10) == "no-answer"

    survey.at(FIRST_SLOT + timedelta(hours=1))  # 15:30: the next slot is tomorrow 09:30
    waiting = await survey.surveys.check_once()
    assert waiting.placed == [] and waiting.next_call_at == datetime(2025, 6, 12, 9, 30, tzinfo=SHANGHAI)

    survey.at(datetime(2025, 6, 12, 9, 30, tzinfo=SHANGHAI))
    second = await survey.surveys.check_once()
    assert [c.attempt for c in second.placed] == [2]
    assert await asyncio.wait_for(second.placed[0].ended, 10) == "no-answer"

    attempts = await survey.channels.attempts_of(survey_id)
    assert [(a.attempt, a.outcome, a.cause) for a in attempts] == [(1, "no-answer", 19), (2, "no-answer", 19)]
    assert (await survey.state_of(survey_id)).state == "unreachable"
    survey.at(datetime(2025, 6, 13, 9, 30, tzinfo=SHANGHAI))
    assert (await survey.surveys.check_once()).placed == []
    assert survey.ticketing.evaluated == []


async def test_one_busy_line_does_not_affect_another_survey_called_at_the_same_time(survey: Survey) -> None:
    survey.surveys.dial_template = "PJSIP/{number}"
    survey.fake.add_endpoint("PJSIP/13900139000", busy=True)
    answering = survey.fake.add_endpoint("PJSIP/13800138000", answer_after=1.0, script=[WaitForPlayback(KEYS), Press("1")])
    busy_id = await survey.closed_and_sent("YS20250610005", phone="+8613900139000", workorder_id=5)
    rated_id = await survey.closed_and_sent("YS20250610006", workorder_id=6)
    survey.at(FIRST_SLOT)
    report = await survey.surveys.check_once()
    outcomes = dict(zip([c.survey_id for c in report.placed], await asyncio.wait_for(
        asyncio.gather(*(c.ended for c in report.placed)), 10), strict=True))
    assert outcomes == {busy_id: "busy", rated_id: "rated"}
    assert (await survey.state_of(rated_id)).rating == "satisfied"
    assert (await survey.channels.attempts_of(busy_id))[0].cause == 17
    assert answering.calls[0].heard[-1] == "sound:hotline/survey_thanks"


async def test_a_local_line_refused_in_the_dialplan_keeps_dials_status_not_cause_0(survey: Survey) -> None:
    # Real Asterisk 22: a Local channel whose ;2 runs Busy()/Congestion() dies with cause 0 "Unknown" on ;1;
    # only Dial's status tells busy from congested (tests/asterisk/test_phone_survey_on_real_asterisk.py).
    survey.surveys.dial_template = "Local/{number}@hotline-survey-check"
    survey.fake.dialplan[("hotline-survey-check", "13900139000")] = BusyExten()
    survey.fake.dialplan[("hotline-survey-check", "13600136000")] = BusyExten("Congestion", "CONGESTION", 34)
    busy_id = await survey.closed_and_sent("YS20250610010", phone="+8613900139000", workorder_id=10)
    congested_id = await survey.closed_and_sent("YS20250610011", phone="+8613600136000", workorder_id=11)
    survey.at(FIRST_SLOT)
    report = await survey.surveys.check_once()
    ended = await asyncio.wait_for(asyncio.gather(*(c.ended for c in report.placed)), 10)
    assert dict(zip([c.survey_id for c in report.placed], ended, strict=True)) == {
        busy_id: "busy", congested_id: "failed"
    }
    [busy] = await survey.channels.attempts_of(busy_id)
    [congested] = await survey.channels.attempts_of(congested_id)
    assert (busy.outcome, busy.cause, busy.detail) == ("busy", None, "Dial BUSY")
    assert (congested.outcome, congested.cause, congested.detail) == ("failed", None, "Dial CONGESTION")


async def test_a_number_missing_from_the_local_dial_plan_is_failed_not_no_answer(survey: Survey) -> None:
    # Real Asterisk 22: a Local channel to a missing extension dies at once with cause 0 and no Dial event.
    survey.surveys.dial_template = "Local/{number}@hotline-survey-check"
    survey_id = await survey.closed_and_sent("YS20250610012", phone="+8619999999999", workorder_id=12)
    survey.at(FIRST_SLOT)
    [call] = (await survey.surveys.check_once()).placed
    assert await asyncio.wait_for(call.ended, 10) == "failed"
    [attempt] = await survey.channels.attempts_of(survey_id)
    assert (attempt.outcome, attempt.cause) == ("failed", None)
    assert attempt.detail is not None and "未拨出" in attempt.detail


async def test_a_call_refused_by_asterisk_is_recorded_as_failed(survey: Survey) -> None:
    survey_id = await survey.closed_and_sent("YS20250610007")  # no trunk endpoint: allocation fails
    survey.at(FIRST_SLOT)
    report = await survey.surveys.check_once()
    assert await asyncio.wait_for(report.placed[0].ended, 5) == "failed"
    [attempt] = await survey.channels.attempts_of(survey_id)
    assert attempt.outcome == "failed" and attempt.detail is not None
    assert not survey.surveys.controller.workers


async def test_a_reply_that_arrives_during_the_call_wins_and_the_key_is_not_counted(survey: Survey) -> None:
    survey.fake.add_endpoint("PJSIP/trunk", answer_after=3.0, script=[WaitForPlayback(KEYS), Press("3")])
    survey_id = await survey.closed_and_sent("YS20250610008")
    survey.at(FIRST_SLOT)
    report = await survey.surveys.check_once()
    assert await survey.store.rate(survey_id, "satisfied", "sms", FIRST_SLOT)  # while the phone rings
    assert await asyncio.wait_for(report.placed[0].ended, 10) == "rated"
    row = await survey.state_of(survey_id)
    assert (row.rating, row.channel) == ("satisfied", "sms")
    assert survey.ticketing.evaluated == [] and survey.ticketing.reopened == []
    [attempt] = await survey.channels.attempts_of(survey_id)
    assert attempt.detail is not None and "已由其他渠道评价" in attempt.detail


async def test_a_failed_sms_is_called_at_the_next_slot_without_waiting_a_day(survey: Survey) -> None:
    survey.fake.add_endpoint("PJSIP/trunk", answer_after=1.0, script=[WaitForPlayback(KEYS), Press("1")])
    row = await survey.store.create(9, "YS20250610009", PHONE, SENT_AT - timedelta(hours=1))
    assert await survey.store.sending.begin_sending([row.id], SENT_AT) == [row.id]
    await survey.store.sending.finish_sending(
        [row.id], message_sid=None, status="failed", failed_at=SENT_AT + timedelta(minutes=1)
    )
    survey.at(SENT_AT + timedelta(minutes=5))  # Tuesday 10:05: the next slot is 14:30 the same day
    waiting = await survey.surveys.check_once()
    assert waiting.placed == [] and waiting.next_call_at == datetime(2025, 6, 10, 14, 30, tzinfo=SHANGHAI)
    survey.at(datetime(2025, 6, 10, 14, 30, tzinfo=SHANGHAI))
    report = await survey.surveys.check_once()
    assert await asyncio.wait_for(report.placed[0].ended, 10) == "rated"
    assert (await survey.state_of(row.id)).rating == "satisfied"


@pytest.mark.parametrize("template", ["PJSIP/trunk", "PJSIP/{phone}@trunk", "{number}", "PJSIP/{number}@{trunk}"])
async def test_a_dial_template_without_the_number_is_refused_at_start(template: str) -> None:
    with pytest.raises(PhoneSurveyConfigError) as caught:
        checked_dial_template(template)
    assert caught.value.error_id == "phone-survey-config-invalid"
    assert checked_dial_template("Local/{number}@from-survey") == "Local/{number}@from-survey"
