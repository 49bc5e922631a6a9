"""Delivers the SMS other packages queue in the shared outbox (kind `sms.caller`) through the gateway.

Ticketing writes an outbox row in the same transaction as the change that causes the SMS (an
extension approved, a closure); the outbox worker hands each row to this handler. Errors keep the
gateway's `retryable` flag, which the worker reads: a timeout is retried with backoff, a number that
can't receive SMS ends the row.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from sms_feedback.domain.numbers import NotAMobileNumber, mobile_e164
from sms_feedback.ports import SentMessage, SmsGateway, SmsPermanentError

log = logging.getLogger(__name__)


class QueuedSms(Protocol):
    """What the handler reads of an outbox message: payload {to, body, work_order?, purpose?}."""

    @property
    def payload(self) -> Mapping[str, Any]: ...

    @property
    def idempotency_key(self) -> str: ...


class OutboxSmsDelivery:
    """The outbox handler: one queued message → one `SmsGateway.send`."""

    def __init__(self, gateway: SmsGateway, status_callback: str | None = None) -> None:
        self._gateway = gateway
        self._status_callback = status_callback

    async def __call__(self, message: QueuedSms) -> None:
        await self.deliver(message)

    async def deliver(self, message: QueuedSms) -> SentMessage:
        to, body = message.payload.get("to"), message.payload.get("body")
        if not isinstance(to, str) or not isinstance(body, str) or not body.strip():
            raise SmsPermanentError(f"发件箱短信缺少 to 或 body: {message.idempotency_key}")
        try:
            number = mobile_e164(to)
        except NotAMobileNumber as exc:
            raise SmsPermanentError(f"{exc.message}（{message.idempotency_key}）") from exc
        sent = await self._gateway.send(number, body, self._status_callback)
        log.info(
            "outbox sms %s (%s) sent as %s",
            message.idempotency_key,
            message.payload.get("purpose", "-"),
            sent.sid,
        )
        return sent
