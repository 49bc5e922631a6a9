"""The persistent reply handler (短信回复处理): a reply rates the latest open survey of its number.

Plugs into the webhooks as their `ReplyHandler`. A rating is recorded once on the survey (channel
sms) and handed to ticketing through the `WorkOrderRatings` port; a dissatisfied rating also asks for
the work order to be reopened for rectification (不满意整改). An opt-out (退订) is stored for good.
Unclear replies and replies from numbers with no open survey change nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sms_feedback.adapters.survey_store import SqlSurveyStore
from sms_feedback.domain.reply import ParsedReply, Rating
from sms_feedback.ports import InboundSms

log = logging.getLogger(__name__)

RATINGS = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.DISSATISFIED)


class WorkOrderRatings(Protocol):
    """What the survey needs of ticketing: record the evaluation, reopen for rectification."""

    async def evaluate(self, workorder_number: str, rating: str, channel: str, comment: str | None) -> None: ...

    async def reopen(self, workorder_number: str, reason: str) -> None: ...


class SurveyReplies:
    """The `ReplyHandler` backed by the survey tables."""

    def __init__(
        self, store: SqlSurveyStore, work_orders: WorkOrderRatings, now: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._work_orders = work_orders
        self._now = now

    async def on_reply(self, sms: InboundSms, parsed: ParsedReply) -> None:
        if parsed.rating is Rating.OPT_OUT:
            await self._store.opt_out(sms.from_number, sms.message_sid, self._now())
            log.info("survey opt-out from %s (%s)", sms.from_number, sms.message_sid)
            return
        if parsed.rating not in RATINGS:
            return
        survey = await self._store.latest_open_for(sms.from_number)
        if survey is None:
            log.info("reply %s from %s matches no open survey", sms.message_sid, sms.from_number)
            return
        comment = parsed.comment or None
        if not await self._store.rate(survey.id, parsed.rating.value, "sms", self._now(), comment):
            return
        await self._work_orders.evaluate(survey.workorder_number, parsed.rating.value, "sms", comment)
        if parsed.rating is Rating.DISSATISFIED:
            reason = f"企业短信评价不满意：{comment}" if comment else "企业短信评价不满意"
            await self._work_orders.reopen(survey.workorder_number, reason)
