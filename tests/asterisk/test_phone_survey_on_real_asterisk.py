"""The phone survey (电话回访) on a real Asterisk 22: the service calls the enterprise and takes its key.

The calls go out through `HOTLINE_SURVEY_DIAL_TEMPLATE=Local/{number}@hotline-survey-check`, the
stand-in enterprises of deploy/asterisk/extensions.conf: `138001380NN` answers, waits while the question
plays and presses the number's last digit (`SendDTMF`); `13900139000` is busy, `13600136000` congested;
`13700137000` rings and never answers; `13500135000` answers and hangs up during the question. The service is built as `hotline serve` builds it, with its clock set to a survey slot
(a Wednesday, 14:30 Shanghai) and the background due check off, so the test runs the check itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer

from callflow.ari.client import AriClient
from callflow.web import CONTROLLER
from hotline.app import create_app
from hotline.db import upgrade_async
from hotline.settings import Settings
from sms_feedback.adapters.orm import PhoneAttemptRow, SurveyRow
from sms_feedback.channels_web import PHONE_SURVEYS
from sms_feedback.phone_survey import PhoneSurveys
from tests.asterisk.conftest import ARI_URL
from ticketing.background import BACKGROUND
from ticketing.web import NOW

SHANGHAI = ZoneInfo("Asia/Shanghai")
SENT_AT = datetime(2025, 6, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday
SLOT = datetime(2025, 6, 11, 14, 30, tzinfo=SHANGHAI)  # the next day's afternoon slot
DIAL_TEMPLATE = "Local/{number}@hotline-survey-check"


@dataclass
class RealSurvey:
    """The service's phone survey on the real Asterisk, and an ARI client of our own to look around."""

    surveys: PhoneSurveys
    client: AriClient
    app_name: str

    async def closed_and_sent(self, number: str, phone: str, workorder_id: int) -> int:
        store = self.surveys.store
        row = await store.create(workorder_id, number, phone, SENT_AT - timedelta(hours=1))
        await store.mark_sent(row.id, f"SM{workorder_id:032d}", SENT_AT)
        return row.id

    async def survey(self, survey_id: int) -> SurveyRow:
        row = await self.surveys.channels.by_id(survey_id)
        assert row is not None
        return row

    async def attempts(self, survey_id: int) -> list[PhoneAttemptRow]:
        return list(await self.surveys.channels.attempts_of(survey_id))

    async def survey_channels(self) -> list[str]:
        """Channels of the survey's calls still in Asterisk: ours (hotline-survey-…) and the Local halves."""
        return [
            c["name"] for c in await self.client.list_channels()
            if c["id"].startswith(f"{self.app_name}-survey-") or "hotline-survey-check" in c["name"]
        ]

    async def until_no_survey_channels(self, seconds: float = 10.0) -> list[str]:
        """Asterisk reports the Local ;2 half's end on no app's socket: poll until it is gone."""
        left = await self.survey_channels()
        for _ in range(int(seconds / 0.1)):
            if not left:
                break
            await asyncio.sleep(0.1)
            left = await self.survey_channels()
        return left


class PlaybackWatch:
    """What Asterisk played on each channel: a second ARI app subscribed to everything (`subscribeAll`)."""

    def __init__(self, client: AriClient) -> None:
        self.client = client
        self.heard: dict[str, list[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> PlaybackWatch:
        self._task = asyncio.create_task(self._listen())
        await asyncio.wait_for(self._ready.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _listen(self) -> None:
        url = self.client.events_url(["hotline-test-watch"]).replace("subscribeAll=false", "subscribeAll=true")
        async with self.client.session.ws_connect(url, headers=self.client.headers) as ws:
            self._ready.set()
            async for message in ws:
                event = json.loads(message.data)
                if event.get("type") == "PlaybackStarted":
                    playback = event["playback"]
                    channel = str(playback.get("target_uri", "")).removeprefix("channel:")
                    self.heard.setdefault(channel, []).append(str(playback["media_uri"]))


@contextlib.asynccontextmanager
async def _survey_service(tmp_path: Path, now: list[datetime]) -> AsyncIterator[RealSurvey]:
    """The service on `tmp_path`'s database, its clock at `now[0]`; stopping it leaves Asterisk's calls."""
    sounds = os.environ.get("HOTLINE_TEST_ASTERISK_SOUNDS_DIR")
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path}/hotline.sqlite3",
        data_dir=tmp_path,
        prompts_dir=Path(sounds) if sounds else tmp_path / "prompts",
        recordings_dir=tmp_path / "recordings",
        ari_url=ARI_URL,
        ari_user=os.environ.get("HOTLINE_TEST_ARI_USER", "asterisk"),
        ari_password=os.environ.get("HOTLINE_TEST_ARI_PASSWORD", "asterisk"),
        office_hours="08:30-12:00,14:00-17:30",
        survey_dial_template=DIAL_TEMPLATE,
        phone_survey="ring_s=4,key_timeout_s=4,retries=1,attempts=3",
    )
    if sounds:
        from ivr.adapters.synthesis import EspeakSox
        from ivr.config import load_menu
        from ivr.prompts import PromptBuilder

        await PromptBuilder(EspeakSox(), settings.prompts_dir).build(load_menu(None))
    await upgrade_async(settings.database_url)
    app = create_app(settings, {BACKGROUND: False, NOW: lambda: now[0]})
    server = TestServer(app)
    await server.start_server()
    client = AriClient(settings.ari_url, settings.ari_user, settings.ari_password)
    try:
        await asyncio.wait_for(app[CONTROLLER].events.connected.wait(), 10)
        yield RealSurvey(app[PHONE_SURVEYS], client, settings.ari_app)
    finally:
        await client.close()
        await server.close()


@pytest.fixture
async def real_survey(tmp_path: Path) -> AsyncIterator[RealSurvey]:
    async with _survey_service(tmp_path, [SLOT]) as survey:
        yield survey


async def test_an_enterprise_that_answers_and_presses_2_is_rated_basically_satisfied_by_phone(
    real_survey: RealSurvey,
) -> None:
    survey_id = await real_survey.closed_and_sent("YS20250610101", "+8613800138002", 101)
    async with PlaybackWatch(real_survey.client) as watch:
        report = await real_survey.surveys.check_once()
        [call] = report.placed
        assert call.number == "13800138002"
        assert await asyncio.wait_for(call.ended, 30) == "rated"
    # the enterprise heard the question (its key cut it short), then the thanks
    heard = watch.heard[call.channel_id]
    assert heard[0] == "sound:hotline/survey_question" and heard[-1] == "sound:hotline/survey_thanks", heard

    row = await real_survey.survey(survey_id)
    assert (row.state, row.rating, row.channel) == ("rated", "basically_satisfied", "phone")
    [attempt] = await real_survey.attempts(survey_id)
    assert (attempt.attempt, attempt.outcome, attempt.rating) == (1, "rated", "basically_satisfied")
    assert attempt.number == "+8613800138002" and attempt.channel_id == call.channel_id
    assert attempt.answered_at is not None and attempt.ended_at is not None
    assert await real_survey.until_no_survey_channels() == []
    # rated: the next slot calls nobody
    assert (await real_survey.surveys.check_once()).placed == []


async def test_an_invalid_key_then_silence_ends_in_goodbye_without_a_rating(real_survey: RealSurvey) -> None:
    # 13800138000 presses 0 (not a rating), then stays silent: asked again once (retries=1), then goodbye
    survey_id = await real_survey.closed_and_sent("YS20250610104", "+8613800138000", 104)
    async with PlaybackWatch(real_survey.client) as watch:
        [call] = (await real_survey.surveys.check_once()).placed
        assert await asyncio.wait_for(call.ended, 60) == "no-rating"
    heard = watch.heard[call.channel_id]
    assert heard.count("sound:hotline/survey_question") == 2 and "sound:hotline/survey_invalid" in heard, heard
    assert heard[-1] == "sound:hotline/survey_goodbye", heard
    [attempt] = await real_survey.attempts(survey_id)
    assert attempt.outcome == "no-rating" and attempt.answered_at is not None and attempt.rating is None
    assert (await real_survey.survey(survey_id)).state == "sent"
    assert await real_survey.until_no_survey_channels() == []


async def test_an_enterprise_hanging_up_during_the_question_is_no_rating(real_survey: RealSurvey) -> None:
    survey_id = await real_survey.closed_and_sent("YS20250610105", "+8613500135000", 105)
    [call] = (await real_survey.surveys.check_once()).placed
    assert await asyncio.wait_for(call.ended, 30) == "no-rating"
    [attempt] = await real_survey.attempts(survey_id)
    assert attempt.outcome == "no-rating" and attempt.answered_at is not None
    assert await real_survey.until_no_survey_channels() == []


async def test_a_line_that_never_answers_is_recorded_as_no_answer_with_its_cause(real_survey: RealSurvey) -> None:
    survey_id = await real_survey.closed_and_sent("YS20250610102", "+8613700137000", 102)
    [call] = (await real_survey.surveys.check_once()).placed
    assert await asyncio.wait_for(call.ended, 30) == "no-answer"
    [attempt] = await real_survey.attempts(survey_id)
    assert attempt.outcome == "no-answer" and attempt.answered_at is None
    assert attempt.cause is not None and attempt.ended_at is not None
    assert (await real_survey.survey(survey_id)).state == "sent"  # tried again at the next slot
    assert await real_survey.until_no_survey_channels() == []


@pytest.mark.parametrize(
    ("phone", "outcome", "detail"),
    [("+8613900139000", "busy", "Dial BUSY"), ("+8613600136000", "failed", "Dial CONGESTION")],
)
async def test_a_line_refused_in_the_dialplan_is_recorded_with_dials_status(
    real_survey: RealSurvey, phone: str, outcome: str, detail: str
) -> None:
    # Asterisk 22 destroys the originated Local ;1 half with cause 0 "Unknown" (only ;2 carries 17 or 34):
    # the attempt keeps Dial's status, not a made-up cause.
    survey_id = await real_survey.closed_and_sent("YS20250610103", phone, 103)
    [call] = (await real_survey.surveys.check_once()).placed
    assert await asyncio.wait_for(call.ended, 30) == outcome
    [attempt] = await real_survey.attempts(survey_id)
    assert (attempt.outcome, attempt.cause, attempt.detail) == (outcome, None, detail)
    assert attempt.answered_at is None
    assert await real_survey.until_no_survey_channels() == []


async def test_a_number_missing_from_the_dial_plan_is_failed_not_no_answer(real_survey: RealSurvey) -> None:
    # Asterisk 22: the Local channel to a missing extension dies at once, cause 0, and no Dial event
    survey_id = await real_survey.closed_and_sent("YS20250610107", "+8619999999999", 107)
    [call] = (await real_survey.surveys.check_once()).placed
    assert await asyncio.wait_for(call.ended, 30) == "failed"
    [attempt] = await real_survey.attempts(survey_id)
    assert (attempt.outcome, attempt.cause, attempt.answered_at) == ("failed", None, None)
    assert attempt.detail is not None and "未拨出" in attempt.detail
    assert await real_survey.until_no_survey_channels() == []


async def test_the_default_trunk_placeholder_is_congested_and_the_attempt_failed(real_survey: RealSurvey) -> None:
    # deploy/asterisk/pjsip.conf's trunk points at trunk.example.invalid: Asterisk answers the dial itself
    # with 503 → Dial CONGESTION, cause 34 on the PJSIP channel (which, unlike a Local ;1, carries it)
    real_survey.surveys.dial_template = "PJSIP/{number}@trunk"
    survey_id = await real_survey.closed_and_sent("YS20250610108", "+8613800138002", 108)
    [call] = (await real_survey.surveys.check_once()).placed
    assert await asyncio.wait_for(call.ended, 30) == "failed"
    [attempt] = await real_survey.attempts(survey_id)
    assert (attempt.outcome, attempt.cause, attempt.answered_at) == ("failed", 34, None)
    assert not [c for c in await real_survey.client.list_channels() if c["id"] == call.channel_id]


async def test_a_survey_call_that_outlives_the_service_hears_goodbye_from_the_next_one(tmp_path: Path) -> None:
    # 13800138000 presses 0 and then stays on the line for a minute: the service stops meanwhile.
    now = [SLOT]
    async with _survey_service(tmp_path, now) as first:
        survey_id = await first.closed_and_sent("YS20250610106", "+8613800138000", 106)
        [call] = (await first.surveys.check_once()).placed
        answered = await _until_answered(first, survey_id)
        assert answered.outcome == "calling"
    async with _survey_service(tmp_path, now) as second:
        # the next service finds the call in its app (Stasis(hotline,survey,<id>)), says goodbye, hangs up
        assert await second.until_no_survey_channels(30) == [], "the orphaned survey call was not hung up"
        [attempt] = await second.attempts(survey_id)
        assert attempt.outcome == "calling" and attempt.channel_id == call.channel_id
        now[0] = SLOT + timedelta(minutes=16)  # a call left `calling` by a stop is lost after 15 minutes
        assert (await second.surveys.check_once()).placed == []  # the next attempt waits for tomorrow's slot
        [lost] = await second.attempts(survey_id)
        assert lost.outcome == "lost"


async def _until_answered(survey: RealSurvey, survey_id: int) -> PhoneAttemptRow:
    for _ in range(100):
        [attempt] = await survey.attempts(survey_id)
        if attempt.answered_at is not None:
            return attempt
        await asyncio.sleep(0.1)
    raise AssertionError("the survey call was never answered")
