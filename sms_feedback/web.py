"""Wires sms_feedback into the app: the SMS gateway, Twilio's webhooks, the outbox handler, the outbox API.

- `SMS_GATEWAY`: Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are set, otherwise
  the local outbox. Tests override it (and `SMS_EVENTS`) through `create_app(..., overrides=…)`.
- Twilio's webhooks (`/sms/twilio/inbound`, `/sms/twilio/status`) are mounted when an auth token is set;
  signatures are checked against HOTLINE_PUBLIC_URL + path, the address Twilio is given.
- Outbox rows of kind `sms.caller` (queued by ticketing) are delivered through the gateway.
- The survey loop: `survey.send` / `survey.flush` rows go out through `SurveySender`; the webhooks record
  into the survey tables (`SqlSmsEventLog`) and hand replies to `SurveyReplies`, which rates through
  `WORK_ORDER_RATINGS` (the review loop, `ReviewLoop`). `SURVEY_STORE` and
  `WORK_ORDER_RATINGS` are filled once the database is up, for other survey channels to reuse.
- `GET /api/v1/sms/outbox` (agents, supervisors, admins) lists the local outbox: what would have been sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from hotline.app import SESSIONS, SETTINGS
from hotline.settings import Settings
from sms_feedback.adapters.local_outbox import LocalOutboxGateway
from sms_feedback.adapters.outbox_delivery import OutboxSmsDelivery
from sms_feedback.adapters.sql_event_log import SqlSmsEventLog
from sms_feedback.adapters.survey_store import SURVEY_REPLY, SqlSurveyStore
from sms_feedback.adapters.twilio_gateway import TwilioGateway, choose_gateway
from sms_feedback.adapters.webhooks import STATUS_PATH, TwilioWebhooks
from sms_feedback.domain.reply import ParsedReply
from sms_feedback.ports import DeliveryStatus, InboundSms, SmsEventLog, SmsGateway
from sms_feedback.survey_replies import SurveyReplies, WorkOrderRatings
from sms_feedback.survey_sending import (
    SURVEY_FLUSH,
    SURVEY_SEND,
    OutboxTexts,
    QueuedRow,
    SendingConfig,
    SurveySender,
    link_secret,
)

log = logging.getLogger(__name__)

SMS_GATEWAY: web.AppKey[SmsGateway] = web.AppKey("sms_gateway")
SMS_EVENTS: web.AppKey[SmsEventLog] = web.AppKey("sms_events")
SURVEY_STORE = web.AppKey("sms_survey_store", SqlSurveyStore)
WORK_ORDER_RATINGS: web.AppKey[WorkOrderRatings] = web.AppKey("sms_work_order_ratings")
SURVEY_SENDER = web.AppKey("sms_survey_sender", SurveySender)
SURVEY_REPLIES = web.AppKey("sms_survey_replies", SurveyReplies)
SMS_TO_CALLER = "sms.caller"  # the outbox kind ticketing queues (ticketing.domain.workorder.SMS_TO_CALLER)
OUTBOX_READERS = frozenset({"agent", "supervisor", "admin"})


def _error(status: int, error_id: str, message: str) -> web.Response:
    return web.json_response({"error": error_id, "message": message}, status=status)


async def list_outbox(request: web.Request) -> web.Response:
    """The local outbox, newest first (本地发件箱); with Twilio configured it says so and lists nothing."""
    from ticketing import auth
    from ticketing.domain.errors import TicketingError

    try:
        actor = await auth.authenticate(request.app[SESSIONS], request.headers.get("Authorization"))
    except TicketingError as exc:
        return _error(401, exc.error_id, exc.message)
    if str(actor.role) not in OUTBOX_READERS:
        return _error(403, "forbidden", "无权查看短信发件箱 (only agents, supervisors and admins)")
    gateway = request.app[SMS_GATEWAY]
    if not isinstance(gateway, LocalOutboxGateway):
        return web.json_response({"gateway": "twilio", "messages": []})
    messages: list[dict[str, Any]] = [
        {
            "sid": m.sid,
            "to": m.to,
            "body": m.body,
            "segments": m.segments,
            "status_callback": m.status_callback,
            "created_at": m.created_at.isoformat(),
        }
        for m in reversed(gateway.messages)
    ]
    return web.json_response({"gateway": "local", "messages": messages}, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _close_gateway(app: web.Application) -> AsyncIterator[None]:
    yield
    gateway = app[SMS_GATEWAY]
    if isinstance(gateway, TwilioGateway | LocalOutboxGateway):
        await gateway.close()


class _DatabaseEvents:
    """`SqlSmsEventLog` over the app's database (built at the first webhook: the database is up by then)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def _log(self) -> SqlSmsEventLog:
        store = self._app[SURVEY_STORE]
        return SqlSmsEventLog(store, store.sending)

    async def record_inbound(self, sms: InboundSms, parsed: ParsedReply) -> bool:
        return await self._log().record_inbound(sms, parsed)

    async def record_status(self, status: DeliveryStatus) -> bool:
        return await self._log().record_status(status)


class _AppReplies:
    """The webhooks' `ReplyHandler`: the app's `SurveyReplies`, once the database is up."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    async def on_reply(self, sms: InboundSms, parsed: ParsedReply) -> None:
        await self._app[SURVEY_REPLIES].on_reply(sms, parsed)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _now_of(app: web.Application) -> Callable[[], datetime]:
    from ticketing.web import NOW

    return app[NOW] if NOW in app else _utcnow


def _ratings(app: web.Application) -> WorkOrderRatings:
    """The review loop (差评整改): evaluate, and on a bad rating the three lists and the reopening."""
    from sms_feedback.reviews_web import review_loop_for

    return review_loop_for(app)


async def _surveys(app: web.Application) -> AsyncIterator[None]:
    """The survey loop's services over the database (runs after ticketing's services and worker start)."""
    from ticketing.background import OUTBOX_WORKER

    settings = app[SETTINGS]
    sessions = app[SESSIONS]
    now = _now_of(app)
    if SURVEY_STORE not in app:
        app[SURVEY_STORE] = SqlSurveyStore(sessions)
    if WORK_ORDER_RATINGS not in app:
        app[WORK_ORDER_RATINGS] = _ratings(app)
    wake = app[OUTBOX_WORKER].wake if OUTBOX_WORKER in app else None
    config = SendingConfig(settings.public_url, link_secret(settings), _status_callback(settings))
    store = app[SURVEY_STORE]
    app[SURVEY_SENDER] = SurveySender(sessions, store.sending, app[SMS_GATEWAY], config, now)
    app[SURVEY_REPLIES] = SurveyReplies(
        store, app[WORK_ORDER_RATINGS], now, OutboxTexts(sessions, wake), config.policy
    )
    yield


def _status_callback(settings: Settings) -> str | None:
    twilio = bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from)
    return settings.public_url + STATUS_PATH if twilio else None


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    if SMS_GATEWAY not in app:
        app[SMS_GATEWAY] = choose_gateway(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from
        )
    if SMS_EVENTS not in app:
        app[SMS_EVENTS] = _DatabaseEvents(app)
    if settings.twilio_auth_token:
        TwilioWebhooks(
            settings.twilio_auth_token, settings.public_url, app[SMS_EVENTS], _AppReplies(app), _now_of(app)
        ).add_routes(app.router)
    else:
        log.info("no TWILIO_AUTH_TOKEN: Twilio webhooks are not mounted")
    from ticketing.background import register_outbox_handler

    status_callback = _status_callback(settings)
    register_outbox_handler(app, SMS_TO_CALLER, OutboxSmsDelivery(app[SMS_GATEWAY], status_callback))

    async def send_survey(row: QueuedRow) -> None:
        await app[SURVEY_SENDER].send(row)

    async def flush_surveys(row: QueuedRow) -> None:
        await app[SURVEY_SENDER].flush_row(row)

    async def act_on_reply(row: QueuedRow) -> None:
        await app[SURVEY_REPLIES].redrive(row)

    register_outbox_handler(app, SURVEY_SEND, send_survey)
    register_outbox_handler(app, SURVEY_FLUSH, flush_surveys)
    register_outbox_handler(app, SURVEY_REPLY, act_on_reply)
    app.router.add_get("/api/v1/sms/outbox", list_outbox)
    app.cleanup_ctx.append(_surveys)
    app.cleanup_ctx.append(_close_gateway)
