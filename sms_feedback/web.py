"""Wires sms_feedback into the app: the SMS gateway, Twilio's webhooks, the outbox handler, the outbox API.

- `SMS_GATEWAY`: Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are set, otherwise
  the local outbox. Tests override it (and `SMS_EVENTS`) through `create_app(..., overrides=…)`.
- Twilio's webhooks (`/sms/twilio/inbound`, `/sms/twilio/status`) are mounted when an auth token is set;
  signatures are checked against HOTLINE_PUBLIC_URL + path, the address Twilio is given.
- Outbox rows of kind `sms.caller` (queued by ticketing) are delivered through the gateway.
- `GET /api/v1/sms/outbox` (agents, supervisors, admins) lists the local outbox: what would have been sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from hotline.app import SESSIONS, SETTINGS
from sms_feedback.adapters.local_outbox import LocalOutboxGateway
from sms_feedback.adapters.memory_log import MemorySmsEventLog
from sms_feedback.adapters.outbox_delivery import OutboxSmsDelivery
from sms_feedback.adapters.twilio_gateway import TwilioGateway, choose_gateway
from sms_feedback.adapters.webhooks import STATUS_PATH, TwilioWebhooks
from sms_feedback.ports import SmsEventLog, SmsGateway

log = logging.getLogger(__name__)

SMS_GATEWAY: web.AppKey[SmsGateway] = web.AppKey("sms_gateway")
SMS_EVENTS: web.AppKey[SmsEventLog] = web.AppKey("sms_events")
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


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    twilio = bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from)
    if SMS_GATEWAY not in app:
        app[SMS_GATEWAY] = choose_gateway(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from
        )
    if SMS_EVENTS not in app:
        app[SMS_EVENTS] = MemorySmsEventLog()
    if settings.twilio_auth_token:
        TwilioWebhooks(settings.twilio_auth_token, settings.public_url, app[SMS_EVENTS]).add_routes(
            app.router
        )
    else:
        log.info("no TWILIO_AUTH_TOKEN: Twilio webhooks are not mounted")
    status_callback = settings.public_url + STATUS_PATH if twilio else None
    from ticketing.background import register_outbox_handler

    register_outbox_handler(app, SMS_TO_CALLER, OutboxSmsDelivery(app[SMS_GATEWAY], status_callback))
    app.router.add_get("/api/v1/sms/outbox", list_outbox)
    app.cleanup_ctx.append(_close_gateway)
