"""The phone survey (电话回访): call the enterprise when the SMS failed or went unanswered, take 1/2/3.

`PhoneSurveys.check_once()` is the due check: for every open survey the schedule
(`domain/phone_schedule.py`) says is due, it claims the next attempt in `sms_phone_attempts` and
originates a call through ARI (`POST /channels/{id}`, endpoint from `HOTLINE_SURVEY_DIAL_TEMPLATE`)
into our Stasis app with `appArgs=survey,<survey id>`. The call's `PhoneSurveySession` is adopted by
the controller before the originate, so it hears the call's every event (Dial, StasisStart,
ChannelDestroyed):

- answered → the question (`survey_question` + `survey_keys`), one key with a timeout; an invalid key
  or none → `survey_invalid` / `no_input` and the question again, at most `retries` times; 1/2/3 →
  the rating is recorded (channel `phone`) and ticketing told, `survey_thanks`, hang up; no valid key
  after the retries → `survey_goodbye`, hang up (outcome `no-rating`).
- not answered → `no-answer` / `busy` / `failed` with the channel's hangup cause; an originate refused
  by Asterisk → `failed`. The next attempt waits for the next slot; after the last one the survey is
  reported unreachable.

Each call runs in its own session: one failed call never affects another. `run()` repeats the check
every `check_every_s` while the ARI connection is up (calls can only be taken while our app is
registered).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from callflow.ari.errors import AriError, AriUnavailable, ChannelGone, NotFound
from callflow.controller import Controller
from callflow.session import CallSession, Event
from sms_feedback.adapters.survey_channels import CallCandidate, SqlSurveyChannels
from sms_feedback.adapters.survey_store import SqlSurveyStore
from sms_feedback.domain.phone_schedule import (
    CallNow,
    GiveUp,
    PhoneSurveyConfigError,
    PhoneSurveyOptions,
    WaitUntil,
    WorkingDays,
)
from sms_feedback.domain.reply import Rating
from sms_feedback.survey_rating import record_rating
from sms_feedback.survey_replies import WorkOrderRatings

log = logging.getLogger(__name__)

SURVEY_ARGS = "survey"
DEFAULT_DIAL_TEMPLATE = "PJSIP/{number}@trunk"

PROMPT_QUESTION = "survey_question"
PROMPT_KEYS = "survey_keys"
PROMPT_INVALID = "survey_invalid"
PROMPT_NO_INPUT = "no_input"
PROMPT_THANKS = "survey_thanks"
PROMPT_GOODBYE = "survey_goodbye"

KEY_RATINGS = {"1": Rating.SATISFIED, "2": Rating.BASICALLY_SATISFIED, "3": Rating.DISSATISFIED}
CAUSE_BUSY = 17
CAUSE_NO_ANSWER = (0, 16, 19, 21)
STALE_CALL = timedelta(minutes=15)
"""A call still `calling` after this long was cut off by a stop of the service."""

CalendarSource = Callable[[], Awaitable[WorkingDays]]


def dial_number(phone: str) -> str:
    """What the trunk dials for a stored number: +86 mobiles as 11 digits, +86 landlines with a
    leading 0 (0755…), other numbers as 00 + the international digits."""
    digits = re.sub(r"\D", "", phone)
    if phone.startswith("+86"):
        national = digits[2:]
        return national if national.startswith("1") else f"0{national}"
    return f"00{digits}" if phone.startswith("+") else digits


def checked_dial_template(template: str) -> str:
    """`HOTLINE_SURVEY_DIAL_TEMPLATE` must name `{number}` and nothing else in braces."""
    try:
        dialled = template.format(number="13800138000")
    except (KeyError, IndexError, ValueError) as exc:
        raise PhoneSurveyConfigError(f"HOTLINE_SURVEY_DIAL_TEMPLATE 无效 (invalid): {template!r}: {exc}") from exc
    if "{number}" not in template or "/" not in dialled:
        raise PhoneSurveyConfigError(
            f"HOTLINE_SURVEY_DIAL_TEMPLATE 应形如 PJSIP/{{number}}@trunk (expected tech/…{{number}}…): {template!r}"
        )
    return template


@dataclass
class SurveyCall:
    """One call placed by the due check; `ended` resolves to its outcome."""

    survey_id: int
    workorder_number: str
    attempt: int
    attempt_id: int
    channel_id: str
    number: str
    ended: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    rating: Rating | None = None
    note: str | None = None


@dataclass
class CheckReport:
    """What one due check did."""

    placed: list[SurveyCall] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    next_call_at: datetime | None = None


class PhoneSurveys:
    """The due check and the calls of the phone survey (电话回访服务)."""

    def __init__(
        self,
        channels: SqlSurveyChannels,
        store: SqlSurveyStore,
        work_orders: WorkOrderRatings,
        calendar: CalendarSource,
        controller: Controller,
        options: PhoneSurveyOptions,
        *,
        dial_template: str = DEFAULT_DIAL_TEMPLATE,
        now: Callable[[], datetime] | None = None,
        media_prefix: str = "sound:hotline/",
    ) -> None:
        self.channels = channels
        self.store = store
        self.work_orders = work_orders
        self.calendar = calendar
        self.controller = controller
        self.client = controller.client
        self.options = options
        self.dial_template = checked_dial_template(dial_template)
        self.now = now or controller.clock.now
        self.media_prefix = media_prefix
        self.calls: dict[str, SurveyCall] = {}
        """Calls in progress, by channel id."""

    async def run(self) -> None:
        """The due check every `check_every_s` seconds while ARI is connected; cancel to stop."""
        while True:
            await self.controller.events.connected.wait()
            try:
                await self.check_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # database down, calendar year missing: try again next time
                log.exception("phone survey: the due check failed")
            await asyncio.sleep(self.options.check_every_s)

    async def check_once(self) -> CheckReport:
        """Place every call that is due now; report surveys given up as unreachable."""
        now = self.now()
        report = CheckReport()
        await self.channels.close_stale(now - STALE_CALL, now)
        days = await self.calendar()
        schedule = self.options.schedule
        for candidate in await self.channels.call_candidates(now - schedule.wait):
            decision = schedule.decide(now, candidate.facts, days)
            if isinstance(decision, GiveUp):
                if await self.channels.mark_unreachable(candidate.survey_id):
                    log.info("phone survey %s: unreachable after %s calls", candidate.survey_id, decision.attempts)
                    report.unreachable.append(candidate.survey_id)
            elif isinstance(decision, CallNow):
                call = await self._place(candidate, decision.attempt, now)
                if call is not None:
                    report.placed.append(call)
                else:
                    report.failed.append(candidate.survey_id)
            elif isinstance(decision, WaitUntil):
                at = decision.at
                report.next_call_at = at if report.next_call_at is None else min(report.next_call_at, at)
        return report

    async def _place(self, candidate: CallCandidate, attempt: int, now: datetime) -> SurveyCall | None:
        channel_id = f"{self.controller.app}-survey-{uuid.uuid4().hex[:16]}"
        number = dial_number(candidate.phone)
        row = await self.channels.start_attempt(candidate.survey_id, attempt, candidate.phone, channel_id, now)
        if row is None:  # another controller placed this attempt
            return None
        call = SurveyCall(candidate.survey_id, candidate.workorder_number, attempt, row.id, channel_id, number)
        session = PhoneSurveySession(self, call)
        self.calls[channel_id] = call
        self.controller.adopt(session)
        try:
            await self.client.request(
                "POST",
                f"/channels/{channel_id}",
                {
                    "endpoint": self.dial_template.format(number=number),
                    "app": self.controller.app,
                    "appArgs": f"{SURVEY_ARGS},{candidate.survey_id}",
                    "timeout": self.options.ring_s,
                },
            )
        except AriError as exc:
            session.close()
            self.calls.pop(channel_id, None)
            if isinstance(exc, AriUnavailable):  # our side is down: this was no attempt at all
                await self.channels.forget_attempt(row.id)
                log.warning("phone survey %s: ARI unavailable, call not placed: %s", candidate.survey_id, exc)
                return None
            log.warning("phone survey %s: call refused: %s", candidate.survey_id, exc)
            await self.call_ended(call, "failed", cause=None, detail=f"{type(exc).__name__}: {exc}"[:200])
            return call
        log.info("phone survey %s: attempt %s to %s on %s", candidate.survey_id, attempt, number, channel_id)
        return call

    # --- from the call's session ---
    async def answered(self, call: SurveyCall) -> None:
        await self.channels.answered(call.attempt_id, self.now())

    async def rated(self, call: SurveyCall, rating: Rating) -> None:
        call.rating = rating
        recorded = await record_rating(
            self.store,
            self.work_orders,
            survey_id=call.survey_id,
            workorder_number=call.workorder_number,
            rating=rating,
            channel="phone",
            at=self.now(),
        )
        if not recorded:  # a reply or the link came first during the call
            call.note = "已由其他渠道评价，本次按键未计入 (already rated by another channel)"

    async def call_ended(self, call: SurveyCall, outcome: str, *, cause: int | None, detail: str | None = None) -> None:
        """Record the attempt's outcome; after the last unsuccessful attempt the survey is unreachable."""
        self.calls.pop(call.channel_id, None)
        try:
            rating = call.rating.value if call.rating is not None else None
            await self.channels.finish_attempt(
                call.attempt_id, outcome, self.now(), cause=cause, detail=detail or call.note, rating=rating
            )
            if outcome != "rated" and call.attempt >= self.options.schedule.max_attempts:
                if await self.channels.mark_unreachable(call.survey_id):
                    log.info("phone survey %s: unreachable after %s calls", call.survey_id, call.attempt)
        finally:
            if not call.ended.done():
                call.ended.set_result(outcome)


class PhoneSurveySession(CallSession):
    """One outbound survey call in our Stasis app: ask, take one key, thank, hang up."""

    def __init__(self, surveys: PhoneSurveys, call: SurveyCall) -> None:
        super().__init__({"id": call.channel_id}, [SURVEY_ARGS, str(call.survey_id)], surveys.controller.clock)
        self.surveys = surveys
        self.client = surveys.client
        self.call = call
        self.stage = "ringing"
        """ringing → asking → thanking | goodbye → ended."""
        self.asked = 0
        self.playback_id: str | None = None
        self._playbacks = 0
        self.why: str | None = None
        self.dial_status: str | None = None
        self.dialled = False
        """Asterisk reported a Dial for this call (a Local channel to a missing extension never gets one)."""
        self.answered = False
        self.reported = False

    async def start(self, resumed: bool = False) -> None:
        """Nothing yet: the call is originated right after this session is adopted."""

    def close(self) -> None:
        """The originate was refused: end this session's worker now."""
        self.finish()
        self._post(None)

    async def fail(self, exc: BaseException) -> None:
        """A handler failed: the enterprise hears goodbye rather than silence, then the call ends."""
        await self.client.hangup_if_present(self.channel_id)
        await self._end("no-rating" if self.answered else "failed", None, f"{type(exc).__name__}: {exc}"[:200])

    async def resume(self, channel: Event | None) -> None:
        """After a reconnect: did the call end, or get answered, while we could not hear?"""
        try:
            current = await self.client.get_channel(self.channel_id)
        except NotFound:
            await self._end(self._outcome_after_answer() if self.answered else "no-answer", None, "事件丢失 (events lost)")
            return
        if not self.answered and current.get("state") == "Up":
            await self.on_StasisStart({"type": "StasisStart"})

    # --- events ---
    async def on_Dial(self, event: Event) -> None:
        self.dialled = True
        status = event.get("dialstatus")
        if status:
            self.dial_status = str(status)
        if status == "BUSY":
            self.why = "busy"
        elif status in ("CHANUNAVAIL", "CONGESTION"):
            self.why = "failed"

    async def on_StasisStart(self, event: Event) -> None:
        if self.answered:
            return
        self.answered = True
        self.stage = "asking"
        await self.surveys.answered(self.call)
        await self._play(PROMPT_QUESTION, PROMPT_KEYS)
        self.asked = 1

    async def on_PlaybackFinished(self, event: Event) -> None:
        if event.get("playback", {}).get("id") != self.playback_id:
            return  # one we stopped on a key, or an old one
        self.playback_id = None
        if self.stage == "asking":
            self.arm_timer(self.surveys.options.key_timeout_s)
        elif self.stage in ("thanking", "goodbye"):
            await self.client.hangup_if_present(self.channel_id)

    async def on_ChannelDtmfReceived(self, event: Event) -> None:
        if self.stage != "asking":
            return
        self.cancel_timer()
        await self._stop_playback()
        digit = str(event.get("digit", ""))
        rating = KEY_RATINGS.get(digit)
        if rating is None:
            await self._ask_again(PROMPT_INVALID)
            return
        self.stage = "thanking"
        await self.surveys.rated(self.call, rating)
        await self._play(PROMPT_THANKS)

    async def on_timer(self, name: str) -> None:
        if self.stage == "asking":
            await self._ask_again(PROMPT_NO_INPUT)

    async def on_StasisEnd(self, event: Event) -> None:
        await self._end(self._outcome_after_answer(), None)

    async def on_ChannelDestroyed(self, event: Event) -> None:
        cause = int(event.get("cause", 0) or 0)
        text = str(event.get("cause_txt", "")) or None
        if self.answered:
            await self._end(self._outcome_after_answer(), cause, text)
            return
        why = self.why or ("busy" if cause == CAUSE_BUSY else "no-answer" if cause in CAUSE_NO_ANSWER else "failed")
        if cause == 0 and not self.dialled:
            # Nothing was dialled at all (Asterisk 22: a Local channel to an extension missing from the
            # dialplan dies at once with cause 0): a wrong number or dial template, not a no-answer.
            await self._end("failed", None, "未拨出 (nothing dialled: no such number in the dial plan)")
            return
        if cause == 0 and self.dial_status:
            # A Local channel refused in its dialplan (Busy(), Congestion()) dies with cause 0 "Unknown" in
            # Asterisk 22: only Dial's status says why, so that is what the attempt keeps.
            await self._end(why, None, f"Dial {self.dial_status}")
            return
        await self._end(why, cause, text)

    # --- helpers ---
    async def _ask_again(self, lead: str) -> None:
        if self.asked > self.surveys.options.question_retries:
            self.stage = "goodbye"
            await self._play(lead, PROMPT_GOODBYE)
            return
        self.asked += 1
        await self._play(lead, PROMPT_QUESTION, PROMPT_KEYS)

    def _outcome_after_answer(self) -> str:
        return "rated" if self.call.rating is not None else "no-rating"

    async def _play(self, *prompts: str) -> None:
        self._playbacks += 1
        self.playback_id = f"{self.channel_id}-p{self._playbacks}"
        try:
            await self.client.play(self.channel_id, [f"{self.surveys.media_prefix}{p}" for p in prompts], self.playback_id)
        except ChannelGone:
            self.playback_id = None  # the enterprise hung up; StasisEnd follows

    async def _stop_playback(self) -> None:
        playback, self.playback_id = self.playback_id, None
        if playback is not None:
            await self.client.stop_playback(playback)

    async def _end(self, outcome: str, cause: int | None, detail: str | None = None) -> None:
        self.finish()
        if self.reported:
            return
        self.reported = True
        self.stage = "ended"
        await self.surveys.call_ended(self.call, outcome, cause=cause, detail=detail)
