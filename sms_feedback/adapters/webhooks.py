"""aiohttp handlers for Twilio's inbound-SMS webhook and message status callbacks.

Every request is checked with the library's `RequestValidator` against the PUBLIC URL Twilio called —
`public_url` + the request's path and query — because behind a proxy the URL the service sees is not
the one Twilio signed. Missing or forged signature → 403; a signed request with missing or malformed
fields → 400; in both cases nothing is recorded. A repeated delivery (same MessageSid, or for status
callbacks the same MessageSid and status) is acknowledged but recorded once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from sms_feedback.domain.reply import parse_reply
from sms_feedback.ports import DeliveryStatus, InboundSms, ReplyHandler, SmsEventLog

log = logging.getLogger(__name__)

INBOUND_PATH = "/sms/twilio/inbound"
STATUS_PATH = "/sms/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
MESSAGE_STATUSES = frozenset(
    "accepted scheduled canceled queued sending sent failed delivered undelivered receiving received read "
    "partially_delivered".split()
)
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _error(status: int, error_id: str, message: str) -> web.Response:
    return web.json_response({"error": error_id, "message": message}, status=status)


class _Rejected(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


class TwilioWebhooks:
    """The two webhook endpoints; persistence and reply handling are ports handed in."""

    def __init__(
        self,
        auth_token: str,
        public_url: str,
        events: SmsEventLog,
        replies: ReplyHandler | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._validator = RequestValidator(auth_token)
        self._public_url = public_url.rstrip("/")
        self._events = events
        self._replies = replies
        self._clock = clock

    def add_routes(
        self, router: web.UrlDispatcher, inbound_path: str = INBOUND_PATH, status_path: str = STATUS_PATH
    ) -> None:
        router.add_post(inbound_path, self.inbound)
        router.add_post(status_path, self.status)

    def public_url_of(self, request: web.Request) -> str:
        """The URL Twilio was given for this request, which is the one it signed."""
        return self._public_url + request.rel_url.path_qs

    async def _signed_form(self, request: web.Request) -> MultiDictProxy[str]:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            raise _Rejected(_error(403, "missing-signature", f"缺少 {SIGNATURE_HEADER} 签名"))
        is_form = request.content_type == "application/x-www-form-urlencoded"
        form: MultiDictProxy[str] = MultiDictProxy(MultiDict()) if not is_form else await _text_form(request)
        if not self._validator.validate(self.public_url_of(request), form, signature):
            log.warning("rejected a Twilio webhook with a bad signature: %s", request.rel_url)
            raise _Rejected(_error(403, "bad-signature", "签名无效"))
        if not is_form:
            raise _Rejected(
                _error(400, "malformed-request", "请求体须为表单 (application/x-www-form-urlencoded)")
            )
        return form

    async def inbound(self, request: web.Request) -> web.Response:
        """An enterprise's SMS: parse it, record it once, let the reply handler act on it."""
        try:
            form = await self._signed_form(request)
            sid = _required(form, "MessageSid", pattern=_SID)
            sms = InboundSms(
                message_sid=sid,
                from_number=_required(form, "From"),
                to_number=_required(form, "To"),
                body=_required(form, "Body", allow_empty=True),
                received_at=self._clock(),
            )
        except _Rejected as rejected:
            return rejected.response
        parsed = parse_reply(sms.body)
        if await self._events.record_inbound(sms, parsed):
            log.info(
                "sms reply sid=%s from=%s read as %s (%s)", sid, sms.from_number, parsed.rating, parsed.reason
            )
            if self._replies is not None:
                try:
                    await self._replies.on_reply(sms, parsed)
                except Exception:  # the reply is recorded; a retry by Twilio would only be a duplicate
                    log.exception("acting on sms reply sid=%s failed; it stays recorded", sid)
        else:
            log.info("duplicate delivery of sms reply sid=%s ignored", sid)
        return web.Response(text=str(MessagingResponse()), content_type="text/xml")

    async def status(self, request: web.Request) -> web.Response:
        """A delivery status for an SMS we sent; recorded once per (MessageSid, status)."""
        try:
            form = await self._signed_form(request)
            sid = _required(form, "MessageSid", pattern=_SID)
            status = _required(form, "MessageStatus")
            if status not in MESSAGE_STATUSES:
                raise _Rejected(_error(400, "malformed-request", f"未知的 MessageStatus: {status}"))
            code_text = form.get("ErrorCode", "")
            if code_text and not code_text.isdigit():
                raise _Rejected(_error(400, "malformed-request", f"ErrorCode 须为数字: {code_text}"))
        except _Rejected as rejected:
            return rejected.response
        event = DeliveryStatus(sid, status, int(code_text) if code_text else None, self._clock())
        if not await self._events.record_status(event):
            log.info("duplicate status callback sid=%s status=%s ignored", sid, status)
        return web.Response(status=204)


async def _text_form(request: web.Request) -> MultiDictProxy[str]:
    try:
        posted = await request.post()
    except UnicodeDecodeError as exc:  # a body that is not UTF-8: refused, never a 500
        raise _Rejected(_error(400, "malformed-request", "请求体不是 UTF-8 表单 (form is not UTF-8)")) from exc
    return MultiDictProxy(MultiDict((key, value) for key, value in posted.items() if isinstance(value, str)))


def _required(
    form: MultiDictProxy[str], name: str, *, allow_empty: bool = False, pattern: re.Pattern[str] | None = None
) -> str:
    value = form.get(name)
    if value is None or (not allow_empty and not value.strip()):
        raise _Rejected(_error(400, "malformed-request", f"缺少字段 {name}"))
    if pattern is not None and not pattern.match(value):
        raise _Rejected(_error(400, "malformed-request", f"字段 {name} 格式不对: {value[:40]}"))
    return value
