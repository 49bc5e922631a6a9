"""The persistent reply handler (短信回复处理): a reply rates the survey(s) it answers.

Plugs into the webhooks as their `ReplyHandler` (the reply is already recorded once per MessageSid).

- An opt-out (退订/TD) is stored for good, the number's open surveys close, and one confirmation goes out.
- `domain.matching.match_reply` decides what a reply rates among the surveys SENT to that number and not
  rated yet: any of them named by work-order number or tail (`1037 1，2037 3` rates two); otherwise a bare
  rating answers the latest message — its one survey, or, for a merged message, a clarification asks
  which. Each rating is recorded once on its survey (channel sms) and handed to
  ticketing through `WorkOrderRatings`; a dissatisfied rating also reopens the work order (不满意整改).
- An unclear reply, or a bare rating while several surveys are open, gets ONE clarifying SMS per survey
  (wording.clarification_sms), queued in the outbox for now or — at night — for 08:00.
- A reply from a number with nothing open (unknown, or late: already rated by phone or link) changes
  nothing; it stays recorded in `sms_inbound_messages`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from sms_feedback.adapters.orm import SurveyRow
from sms_feedback.adapters.survey_store import SqlSurveyStore
from sms_feedback.domain.matching import OpenSurvey, match_reply
from sms_feedback.domain.policy import SurveyPolicy
from sms_feedback.domain.reply import ParsedReply, Rating, parse_reply
from sms_feedback.domain.wording import clarification_sms, opt_out_confirmation_sms
from sms_feedback.ports import InboundSms
from sms_feedback.survey_sending import QueuedRow

log = logging.getLogger(__name__)

RATINGS = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.DISSATISFIED)


class WorkOrderRatings(Protocol):
    """What the survey needs of ticketing: record the evaluation, reopen for rectification."""

    async def evaluate(self, workorder_number: str, rating: str, channel: str, comment: str | None) -> None: ...

    async def reopen(self, workorder_number: str, reason: str) -> None: ...


class TextQueue(Protocol):
    """Queues a plain SMS to go out at a given time (survey_sending.OutboxTexts)."""

    async def queue(
        self, to: str, body: str, key: str, at: datetime, *, purpose: str, work_order_id: int | None = None
    ) -> bool: ...


def _closure_order(survey: SurveyRow) -> tuple[datetime, int]:
    """The order the survey message listed them in: oldest closure first."""
    return survey.created_at, survey.id


class SurveyReplies:
    """The `ReplyHandler` backed by the survey tables."""

    def __init__(
        self,
        store: SqlSurveyStore,
        work_orders: WorkOrderRatings,
        now: Callable[[], datetime],
        texts: TextQueue | None = None,
        policy: SurveyPolicy | None = None,
    ) -> None:
        self._store = store
        self._sending = store.sending
        self._work_orders = work_orders
        self._now = now
        self._texts = texts
        self._policy = policy or SurveyPolicy()

    async def on_reply(self, sms: InboundSms, parsed: ParsedReply) -> None:
        """Act on one recorded reply, then mark it processed."""
        await self._act(sms, parsed)
        await self._sending.mark_processed(sms.message_sid, self._now())

    async def redrive(self, row: QueuedRow) -> None:
        """The `survey.reply` outbox handler: a recorded reply nobody finished acting on is acted on now."""
        message_sid = row.payload.get("message_sid")
        inbound = await self._sending.inbound(message_sid) if isinstance(message_sid, str) else None
        if inbound is None or inbound.processed_at is not None:
            return
        log.warning("acting again on sms reply %s (its first handling did not finish)", message_sid)
        sms = InboundSms(inbound.message_sid, inbound.from_number, inbound.to_number, inbound.body,
                         inbound.received_at)
        rated = await self._sending.rated_by_reply(inbound.message_sid)
        if rated:  # the reply already chose its surveys; only ticketing may not have heard of them
            for survey in rated:
                await self._tell_ticketing(survey.workorder_number, Rating(survey.rating or ""), survey.comment)
            await self._sending.mark_processed(sms.message_sid, self._now())
            return
        await self.on_reply(sms, parse_reply(inbound.body))

    async def _act(self, sms: InboundSms, parsed: ParsedReply) -> None:
        now = self._now()
        if parsed.rating is Rating.OPT_OUT:
            await self._opt_out(sms, now)
            return
        sent_before = await self._sending.open_sent_to(sms.from_number)
        open_rows = [s for s in sent_before if s.sent_at is not None and s.sent_at <= sms.received_at]
        if not open_rows:
            log.info("reply %s from %s answers no open survey (unknown number or late reply); recorded only",
                     sms.message_sid, sms.from_number)
            return
        by_id = {str(s.id): s for s in open_rows}
        opened = [OpenSurvey(str(s.id), s.workorder_number, s.sent_at or s.created_at) for s in open_rows]
        match = match_reply(sms.body, parsed, opened)
        latest = [o for o in opened if o.sent_at == opened[0].sent_at]  # what the last message carried
        if not match.ratings and len(latest) < len(opened):
            match = match_reply(sms.body, parsed, latest)
        log.info("reply %s from %s: %s", sms.message_sid, sms.from_number, match.reason)
        comment = parsed.comment or None
        for survey_id, rating in match.ratings:
            survey = by_id[survey_id]
            await self._sending.link_inbound(sms.message_sid, survey.id)
            if await self._store.rate(survey.id, rating.value, "sms", now, comment, reply_sid=sms.message_sid):
                await self._tell_ticketing(survey.workorder_number, rating, comment)
        if match.clarify:
            asked = sorted((s for s in open_rows if s.workorder_number in match.clarify), key=_closure_order)
            await self._clarify(sms, asked, now)

    async def _tell_ticketing(self, number: str, rating: Rating, comment: str | None) -> None:
        """Hand a rating the survey took to ticketing (both ports are idempotent for one rating)."""
        await self._work_orders.evaluate(number, rating.value, "sms", comment)
        if rating is Rating.DISSATISFIED:
            reason = f"企业短信评价不满意：{comment}" if comment else "企业短信评价不满意"
            await self._work_orders.reopen(number, reason)

    async def _clarify(self, sms: InboundSms, surveys: Sequence[SurveyRow], at: datetime) -> None:
        if self._texts is None or not surveys:
            return
        fresh = await self._sending.mark_clarified([s.id for s in surveys], at)
        if not fresh:
            log.info("reply %s still unclear; the clarification was already sent", sms.message_sid)
            return
        numbers = [s.workorder_number for s in surveys]
        await self._texts.queue(
            sms.from_number,
            clarification_sms(numbers),
            f"survey.clarify:{sms.message_sid}",
            self._policy.send_time(at),
            purpose="clarification",
            work_order_id=surveys[0].workorder_id,
        )

    async def _opt_out(self, sms: InboundSms, at: datetime) -> None:
        first = not await self._store.is_opted_out(sms.from_number)
        await self._store.opt_out(sms.from_number, sms.message_sid, at)
        log.info("survey opt-out from %s (%s)", sms.from_number, sms.message_sid)
        if first and self._texts is not None:
            await self._texts.queue(
                sms.from_number,
                opt_out_confirmation_sms(),
                f"survey.opt-out:{sms.from_number}",
                self._policy.send_time(at),
                purpose="opt_out_confirmation",
            )
