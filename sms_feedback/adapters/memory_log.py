"""`SmsEventLog` in memory: the webhooks' record until the survey service's tables take over."""

from __future__ import annotations

from sms_feedback.domain.reply import ParsedReply
from sms_feedback.ports import DeliveryStatus, InboundSms


class MemorySmsEventLog:
    """Keeps each inbound SMS once per MessageSid and each status once per (MessageSid, status)."""

    def __init__(self) -> None:
        self.inbound: dict[str, tuple[InboundSms, ParsedReply]] = {}
        self.statuses: dict[tuple[str, str], DeliveryStatus] = {}

    async def record_inbound(self, sms: InboundSms, parsed: ParsedReply) -> bool:
        if sms.message_sid in self.inbound:
            return False
        self.inbound[sms.message_sid] = (sms, parsed)
        return True

    async def record_status(self, status: DeliveryStatus) -> bool:
        key = (status.message_sid, status.status)
        if key in self.statuses:
            return False
        self.statuses[key] = status
        return True

    def latest_status(self, message_sid: str) -> DeliveryStatus | None:
        """The last status received for one message (callbacks may arrive out of order; last wins)."""
        seen = [s for (sid, _), s in self.statuses.items() if sid == message_sid]
        return seen[-1] if seen else None
