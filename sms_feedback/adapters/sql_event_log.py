"""`SmsEventLog` on the survey tables (短信上行与回执): what Twilio's webhooks deliver, kept once.

An inbound SMS is kept once per MessageSid in `sms_inbound_messages` (with what the parser read),
together with a `survey.reply` outbox row due `REDRIVE_AFTER` later: the reply handler normally acts at
once and marks the reply processed, so the row finds nothing to do; if it failed, the row acts then. A
status callback once per (MessageSid, status) in `sms_delivery_statuses`, and it is written onto the
surveys that message carried: the last status, and `delivery_failed_at` on failed / undelivered (the
phone survey, 电话回访, picks those up).
"""

from __future__ import annotations

from datetime import timedelta

from sms_feedback.adapters.survey_store import SqlSurveySending, SqlSurveyStore
from sms_feedback.domain.reply import ParsedReply
from sms_feedback.ports import DeliveryStatus, InboundSms

REDRIVE_AFTER = timedelta(minutes=2)


class SqlSmsEventLog:
    """The webhooks' record in the database; each method returns False for a repeated delivery."""

    def __init__(self, store: SqlSurveyStore, sending: SqlSurveySending) -> None:
        self._store = store
        self._sending = sending

    async def record_inbound(self, sms: InboundSms, parsed: ParsedReply) -> bool:
        return await self._sending.record_reply(
            sms.message_sid,
            sms.from_number,
            sms.to_number,
            sms.body,
            parsed.rating.value,
            sms.received_at,
            sms.received_at + REDRIVE_AFTER,
        )

    async def record_status(self, status: DeliveryStatus) -> bool:
        return await self._sending.record_status(
            status.message_sid, status.status, status.error_code, status.received_at
        )
