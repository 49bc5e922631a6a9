"""`SmsEventLog` on the survey tables (短信上行与回执): what Twilio's webhooks deliver, kept once.

An inbound SMS is kept once per MessageSid in `sms_inbound_messages` (with what the parser read); a
status callback once per (MessageSid, status) in `sms_delivery_statuses`, and it is written onto the
surveys that message carried: the last status, and `delivery_failed_at` on failed / undelivered (the
phone survey, 电话回访, picks those up).
"""

from __future__ import annotations

from sms_feedback.adapters.survey_store import SqlSurveySending, SqlSurveyStore
from sms_feedback.domain.reply import ParsedReply
from sms_feedback.ports import DeliveryStatus, InboundSms


class SqlSmsEventLog:
    """The webhooks' record in the database; each method returns False for a repeated delivery."""

    def __init__(self, store: SqlSurveyStore, sending: SqlSurveySending) -> None:
        self._store = store
        self._sending = sending

    async def record_inbound(self, sms: InboundSms, parsed: ParsedReply) -> bool:
        return await self._store.record_inbound(
            sms.message_sid, sms.from_number, sms.to_number, sms.body, parsed.rating.value, sms.received_at
        )

    async def record_status(self, status: DeliveryStatus) -> bool:
        return await self._sending.record_status(
            status.message_sid, status.status, status.error_code, status.received_at
        )
