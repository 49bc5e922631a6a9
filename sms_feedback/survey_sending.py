"""The survey goes out (发送满意度回访短信): the handler of the outbox kind `survey.send`.

Ticketing queues a `survey.send` row when a work order is closed (the review loop queues revisits);
the outbox worker hands each row here. One row makes one survey (idempotent on the row's key, so a
redelivered row never makes a second survey or a second SMS). Then every survey pending for that
number is weighed by `SurveyPolicy`:

- opted out (退订) → the surveys are suppressed, nothing is sent;
- quiet hours or the 2-per-24-hours limit → a `survey.flush` row is queued for the time the policy
  names (one per number and time), and then the same weighing runs again — nothing is dropped;
- otherwise ONE message covers every pending survey of the number (merged when more than one), with
  the signed rating link (`HOTLINE_PUBLIC_URL/r/<token>`) and Twilio's status callback URL.

A send is at most once. The surveys move to `sending` in a committed transaction before the gateway
is called. If the gateway answers with an error, nothing went out: a retryable one puts them back to
pending and the worker tries again, a permanent one (invalid number, unsubscribed) marks the delivery
failed so the phone survey (电话回访) takes over. If the outcome is unknown (a timeout, the process
killed mid-request), the surveys count as sent with status `unconfirmed` and are never sent again —
Twilio has no idempotency key for messages, and a second survey is worse than a phone call 24 hours later.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hotline.settings import Settings
from sms_feedback.adapters.orm import SurveyRow
from sms_feedback.adapters.survey_store import NewSurvey, SqlSurveySending
from sms_feedback.domain.errors import SmsFeedbackError, SurveyTooLong
from sms_feedback.domain.numbers import NotAMobileNumber, mobile_e164
from sms_feedback.domain.policy import ContactHistory, Defer, PendingSurvey, SendNow, Suppress, SurveyPolicy
from sms_feedback.domain.rating_link import sign_link
from sms_feedback.domain.wording import SurveyItem, merged_survey_sms
from sms_feedback.ports import SmsGateway, SmsPermanentError, SmsRetryableError
from ticketing.adapters.orm import OutboxRow
from ticketing.outbox import enqueue

log = logging.getLogger(__name__)

SURVEY_SEND = "survey.send"  # payload: workorder_id, workorder_number, phone, matter, purpose, review_id
SURVEY_FLUSH = "survey.flush"  # payload: phone — weigh the number's pending surveys again
SMS_TO_CALLER = "sms.caller"  # delivered by adapters/outbox_delivery.py
RATING_PATH = "/r/"
LINK_ONLY = "逐项评价"  # the merged wording that lists no work order (wording.merged_survey_sms' last form)
PURPOSES = ("closure", "revisit")


class SurveyPayloadInvalid(SmsFeedbackError):
    """A `survey.send` row that can't be a survey (no work order, not a mobile number…); never retried."""

    error_id = "survey-payload-invalid"
    status = 422
    retryable = False


class QueuedRow(Protocol):
    """What the handlers read of an outbox row (ticketing.outbox.OutboxMessage)."""

    @property
    def payload(self) -> Mapping[str, Any]: ...

    @property
    def idempotency_key(self) -> str: ...


def link_secret(settings: Settings) -> str:
    """The rating links' signing secret: HOTLINE_SURVEY_LINK_SECRET, or one derived from the database URL
    (stable across restarts of one deployment; set the variable in production)."""
    if settings.survey_link_secret:
        return settings.survey_link_secret
    return hashlib.sha256(f"hotline-rating-link:{settings.database_url}".encode()).hexdigest()


def _text(payload: Mapping[str, Any], name: str, key: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SurveyPayloadInvalid(f"回访短信缺少 {name}（{key}）")
    return value.strip()


def new_survey(row: QueuedRow) -> NewSurvey:
    """The survey a `survey.send` row asks for; `SurveyPayloadInvalid` when it can't be one."""
    payload, key = row.payload, row.idempotency_key
    workorder_id = payload.get("workorder_id")
    if not isinstance(workorder_id, int) or isinstance(workorder_id, bool):
        raise SurveyPayloadInvalid(f"回访短信缺少 workorder_id（{key}）")
    try:
        phone = mobile_e164(_text(payload, "phone", key))
    except NotAMobileNumber as exc:
        raise SurveyPayloadInvalid(f"{exc.message}（{key}）") from exc
    purpose = payload.get("purpose") or "closure"
    if purpose not in PURPOSES:
        raise SurveyPayloadInvalid(f"未知的回访目的 {purpose!r}（{key}）")
    review_id = payload.get("review_id")
    if review_id is not None and not isinstance(review_id, int):
        raise SurveyPayloadInvalid(f"review_id 须为整数（{key}）")
    matter = payload.get("matter")
    return NewSurvey(
        outbox_key=key,
        workorder_id=workorder_id,
        workorder_number=_text(payload, "workorder_number", key),
        phone=phone,
        matter=matter.strip() if isinstance(matter, str) else "",
        purpose=purpose,
        review_id=review_id,
    )


@dataclass(frozen=True)
class SendingConfig:
    """Where links point, how they are signed, where Twilio reports delivery, and the sending rules."""

    public_url: str
    link_secret: str
    status_callback: str | None = None
    link_valid: timedelta = timedelta(days=30)
    policy: SurveyPolicy = field(default_factory=SurveyPolicy)


def _never_taken(exc: SmsRetryableError) -> bool:
    """The gateway answered with an error (HTTP status known) or was never reached: nothing went out."""
    return exc.http_status is not None or isinstance(exc.__cause__, aiohttp.ClientConnectorError)


class SurveySender:
    """The `survey.send` and `survey.flush` handlers (register both with the outbox worker)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        surveys: SqlSurveySending,
        gateway: SmsGateway,
        config: SendingConfig,
        now: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._surveys = surveys
        self._gateway = gateway
        self._config = config
        self._now = now

    async def send(self, row: QueuedRow) -> None:
        """A `survey.send` row: make its survey once, then weigh the number's pending surveys."""
        new = new_survey(row)
        now = self._now()
        await self._surveys.create_once(new, now)
        await self._adopt_queued(new.phone, now)
        await self.flush(new.phone)

    async def flush_row(self, row: QueuedRow) -> None:
        """A `survey.flush` row: the time a deferral named has come."""
        await self.flush(mobile_e164(_text(row.payload, "phone", row.idempotency_key)))

    async def _adopt_queued(self, phone: str, now: datetime) -> None:
        """Surveys for the same number still waiting in the outbox join this message (one SMS for several
        closures); their own rows find their survey already made and sent."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(OutboxRow).where(
                        OutboxRow.kind == SURVEY_SEND,
                        OutboxRow.payload["phone"].as_string() == phone,  # producers queue E.164 numbers
                        OutboxRow.delivered_at.is_(None),
                        OutboxRow.failed_at.is_(None),
                        OutboxRow.next_attempt_at <= now,
                    )
                )
            ).all()
        for queued in rows:
            try:
                new = new_survey(queued)
            except SurveyPayloadInvalid:
                continue  # its own delivery reports it
            if new.phone == phone:
                await self._surveys.create_once(new, now)

    async def flush(self, phone: str) -> None:
        """Send, defer or suppress every survey pending for this number."""
        now = self._now()
        await self._settle_unconfirmed(phone)
        pending = await self._surveys.in_state(phone, "pending")
        if not pending:
            return
        policy = self._config.policy
        history = ContactHistory(
            await self._surveys.messages_sent_since(phone, now - policy.window),
            await self._surveys.opted_out_at(phone),
        )
        waiting = [PendingSurvey(str(s.id), s.workorder_number, s.created_at) for s in pending]
        decision = policy.decide(now, waiting, history)
        if isinstance(decision, Suppress):
            await self._surveys.suppress([s.id for s in pending])
            log.info("surveys %s to %s suppressed (%s)", [s.id for s in pending], phone, decision.reason)
        elif isinstance(decision, Defer):
            await self._defer(phone, decision, now)
        elif isinstance(decision, SendNow):
            order = {int(i): n for n, i in enumerate(decision.survey_ids)}
            chosen = sorted((s for s in pending if s.id in order), key=lambda s: order[s.id])
            await self._send_now(phone, chosen, now)

    async def _defer(self, phone: str, decision: Defer, now: datetime) -> None:
        key = f"{SURVEY_FLUSH}:{phone}:{decision.until.isoformat()}"
        async with self._sessions.begin() as session:
            queued = await enqueue(session, SURVEY_FLUSH, {"phone": phone}, key, now=decision.until)
        if queued:
            log.info("surveys to %s wait until %s (%s)", phone, decision.until.isoformat(), decision.reason)

    async def _settle_unconfirmed(self, phone: str) -> None:
        """Surveys left in `sending` by a crash during the gateway call: maybe sent, never sent twice."""
        stuck = await self._surveys.in_state(phone, "sending")
        if stuck:
            await self._surveys.finish_sending([s.id for s in stuck], message_sid=None, status="unconfirmed")
            log.warning("surveys %s to %s were being sent when a worker stopped: counted as sent",
                        [s.id for s in stuck], phone)

    def body(self, surveys: Sequence[SurveyRow], now: datetime) -> str:
        """The survey text for one or several work orders, each answerable by reply; the rating link (of
        the first survey) in 2 segments when it fits, else 3. Link-only wording is the last resort."""
        items = [SurveyItem(s.workorder_number, s.matter or "") for s in surveys]
        token = sign_link(surveys[0].token, now + self._config.link_valid, self._config.link_secret)
        link = f"{self._config.public_url}{RATING_PATH}{token}"
        for with_link, segments in ((link, 2), (link, 3), (None, 2), (None, 3)):
            try:
                body = merged_survey_sms(items, with_link, max_segments=segments)
            except SurveyTooLong:
                continue
            if LINK_ONLY not in body:
                return body
        return merged_survey_sms(items, link, max_segments=3)

    async def _send_now(self, phone: str, surveys: Sequence[SurveyRow], now: datetime) -> None:
        body = self.body(surveys, now)
        held = set(await self._surveys.begin_sending([s.id for s in surveys], now))
        chosen = [s for s in surveys if s.id in held]
        if not chosen:
            return
        if len(chosen) < len(surveys):  # another worker took some meanwhile: word only ours
            body = self.body(chosen, now)
        ids = [s.id for s in chosen]
        try:
            sent = await self._gateway.send(phone, body, self._config.status_callback)
        except SmsPermanentError as exc:
            await self._surveys.finish_sending(ids, message_sid=None, status="rejected", failed_at=now)
            log.warning("survey sms to %s refused for good (%s): surveys %s go to the phone survey",
                        phone, exc.message, ids)
            return
        except SmsRetryableError as exc:
            if _never_taken(exc):
                await self._surveys.back_to_pending(ids)
                raise
            await self._surveys.finish_sending(ids, message_sid=None, status="unconfirmed")
            log.warning("survey sms to %s: outcome unknown (%s); not sent again", phone, exc.message)
            return
        except Exception:
            await self._surveys.finish_sending(ids, message_sid=None, status="unconfirmed")
            log.exception("survey sms to %s: the gateway failed after the request; not sent again", phone)
            return
        await self._surveys.finish_sending(ids, message_sid=sent.sid, status=sent.status)
        log.info("survey sms %s to %s covers surveys %s", sent.sid, phone, ids)


class OutboxTexts:
    """Queues one plain SMS (a clarification, an opt-out confirmation) as an `sms.caller` outbox row due at
    `at` — 08:00 when the reply came at night — and wakes the worker."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], wake: Callable[[], None] | None = None) -> None:
        self._sessions = sessions
        self._wake = wake

    async def queue(
        self, to: str, body: str, key: str, at: datetime, *, purpose: str, work_order_id: int | None = None
    ) -> bool:
        payload = {"to": to, "body": body, "purpose": purpose}
        async with self._sessions.begin() as session:
            queued = await enqueue(session, SMS_TO_CALLER, payload, key, work_order_id=work_order_id, now=at)
        if queued and self._wake is not None:
            self._wake()
        return queued
