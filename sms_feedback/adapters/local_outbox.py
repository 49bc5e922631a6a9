"""`SmsGateway` that keeps messages locally (本地发件箱): the default when no Twilio credentials are set.

Nothing leaves the machine; the console and the API show what would have been sent. Messages live in a
list for now; the survey service's outbox table can take their place behind the same interface.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sms_feedback.domain.wording import count_segments
from sms_feedback.ports import SentMessage

log = logging.getLogger(__name__)

LOCAL_STATUS = "stored"


@dataclass(frozen=True)
class LocalMessage:
    """An SMS kept in the local outbox."""

    sid: str
    to: str
    body: str
    status_callback: str | None
    created_at: datetime
    segments: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LocalOutboxGateway:
    """Stores each message and answers like a gateway would, with a local message id (LM…)."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._messages: list[LocalMessage] = []

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SentMessage:
        message = LocalMessage(
            sid="LM" + uuid.uuid4().hex,
            to=to,
            body=body,
            status_callback=status_callback,
            created_at=self._clock(),
            segments=count_segments(body).segments,
        )
        self._messages.append(message)
        log.info("sms kept in the local outbox sid=%s to=%s: %s", message.sid, to, body)
        return SentMessage(sid=message.sid, status=LOCAL_STATUS)

    @property
    def messages(self) -> list[LocalMessage]:
        """Every stored message, oldest first."""
        return list(self._messages)

    def sent_to(self, number: str) -> list[LocalMessage]:
        return [m for m in self._messages if m.to == number]

    async def close(self) -> None:
        """Nothing to release; present so both gateways close the same way."""
