"""The ports of sms_feedback: what the services need from the outside world, as Protocols.

`SmsGateway` sends one SMS (Twilio, or the local outbox when no credentials are set). `SmsEventLog`
records what the webhooks receive; it answers whether a delivery is new so duplicates are recorded once.
`ReplyHandler` is told about every new inbound reply (the survey service plugs in here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sms_feedback.domain.errors import SmsFeedbackError
from sms_feedback.domain.reply import ParsedReply


@dataclass(frozen=True)
class SentMessage:
    """The gateway's receipt: its message id (Twilio's MessageSid) and first status (queued, accepted…)."""

    sid: str
    status: str


class SmsSendError(SmsFeedbackError):
    """Sending failed. `retryable` tells the outbox worker whether trying again can help."""

    error_id = "sms-send-failed"
    status = 502
    retryable = False

    def __init__(self, message: str, *, http_status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code  # the gateway's own error code, e.g. Twilio 21211 (invalid To number)


class SmsRetryableError(SmsSendError):
    """A 5xx, a 429, a timeout or a broken connection: the same request may succeed later."""

    error_id = "sms-send-retryable"
    retryable = True


class SmsPermanentError(SmsSendError):
    """A 4xx with the gateway's error code: the request itself is wrong and retrying won't help."""

    error_id = "sms-send-rejected"


class SmsGateway(Protocol):
    """Sends one SMS. Raises `SmsRetryableError` or `SmsPermanentError`."""

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SentMessage: ...


@dataclass(frozen=True)
class InboundSms:
    """One SMS from an enterprise, as Twilio's inbound webhook reports it (上行短信)."""

    message_sid: str
    from_number: str
    to_number: str
    body: str
    received_at: datetime


@dataclass(frozen=True)
class DeliveryStatus:
    """One status callback for an SMS we sent (queued, sent, delivered, undelivered, failed…)."""

    message_sid: str
    status: str
    error_code: int | None
    received_at: datetime

    @property
    def failed(self) -> bool:
        """A final failure: the phone survey (电话回访) takes over."""
        return self.status in ("failed", "undelivered")


class SmsEventLog(Protocol):
    """Where webhook deliveries are kept. Each `record_*` returns False for a duplicate delivery."""

    async def record_inbound(self, sms: InboundSms, parsed: ParsedReply) -> bool: ...

    async def record_status(self, status: DeliveryStatus) -> bool: ...


class ReplyHandler(Protocol):
    """Acts on a new reply (rate the survey, send a clarification, honour an opt-out)."""

    async def on_reply(self, sms: InboundSms, parsed: ParsedReply) -> None: ...
