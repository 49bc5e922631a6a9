"""`WorkOrderRatings` through ticketing's services (评价入工单), acting as the SYSTEM actor.

The stand-in until the review loop (`sms_feedback.review_loop.ReviewLoop`) takes this port over: a
rating evaluates the closed work order; a dissatisfied one also reopens it for rectification (整改). A
work order that is no longer waiting for a rating (an agent recorded one by phone, or it was reopened)
is left as it is: the survey keeps its rating, and the refusal is logged.
"""

from __future__ import annotations

import logging

from ticketing.domain.errors import InvalidTransition
from ticketing.domain.roles import SYSTEM
from ticketing.domain.workorder import Rating
from ticketing.services import WorkOrderService

log = logging.getLogger(__name__)


class TicketingRatings:
    """Evaluate and reopen through `WorkOrderService` (the one-transaction transitions with their trail)."""

    def __init__(self, service: WorkOrderService) -> None:
        self._service = service

    async def evaluate(self, workorder_number: str, rating: str, channel: str, comment: str | None) -> None:
        try:
            await self._service.evaluate(SYSTEM, workorder_number, Rating(rating), channel, comment)
        except InvalidTransition as exc:
            log.warning("survey rating of %s not applied to the work order: %s", workorder_number, exc)

    async def reopen(self, workorder_number: str, reason: str) -> None:
        try:
            await self._service.reopen(SYSTEM, workorder_number, reason)
        except InvalidTransition as exc:
            log.warning("work order %s not reopened after a bad rating: %s", workorder_number, exc)
