"""One rating from any channel (评价入账): recorded once on the survey, then handed to ticketing.

The SMS reply, the rating link (web) and the phone survey (phone) all end here: the survey takes the
rating once (a second one, from any channel, changes nothing), ticketing evaluates the work order
through the `WorkOrderRatings` port, and a dissatisfied rating reopens it for rectification (整改).
If ticketing fails at that point the rating still stands (the enterprise is thanked, not shown an
error) and the failure is logged with the work-order number.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sms_feedback.adapters.survey_store import SqlSurveyStore
from sms_feedback.domain.reply import Rating
from sms_feedback.survey_replies import WorkOrderRatings

log = logging.getLogger(__name__)

RATINGS = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.DISSATISFIED)
CHANNEL_WORDS = {"web": "网页", "phone": "电话回访", "sms": "短信"}


async def record_rating(
    store: SqlSurveyStore,
    work_orders: WorkOrderRatings,
    *,
    survey_id: int,
    workorder_number: str,
    rating: Rating,
    channel: str,
    at: datetime,
    comment: str | None = None,
) -> bool:
    """True when this rating was the survey's first (and ticketing was told); False if already rated."""
    if rating not in RATINGS:
        raise ValueError(f"not a rating: {rating!r}")
    if not await store.rate(survey_id, rating.value, channel, at, comment):
        return False
    log.info("survey %s rated %s by %s", survey_id, rating.value, channel)
    try:
        await work_orders.evaluate(workorder_number, rating.value, channel, comment)
        if rating is Rating.DISSATISFIED:
            words = CHANNEL_WORDS.get(channel, channel)
            reason = f"企业{words}评价不满意：{comment}" if comment else f"企业{words}评价不满意"
            await work_orders.reopen(workorder_number, reason)
    except Exception:  # the enterprise's rating stands; ticketing's side is logged for a supervisor to redo
        log.exception("survey %s: rating kept, but ticketing could not take it for %s", survey_id, workorder_number)
    return True
