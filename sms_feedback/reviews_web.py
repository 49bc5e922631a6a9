"""The review lists' API (差评清单、责任清单、整改清单) under /api/v1/reviews, and the `ReviewLoop` wiring.

`REVIEW_LOOP` holds the app's `ReviewLoop` (the surveys' `WorkOrderRatings`); `review_loop_for(app)`
builds it from the ticketing services once they exist (at start-up), once per app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from hotline.app import SESSIONS, SETTINGS
from sms_feedback.review_loop import ReviewLoop
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.domain.calendar import OfficeHours
from ticketing.services import StoredCalendar, utcnow
from ticketing.web import NOW, WORKORDERS

REVIEW_LOOP = web.AppKey("review_loop", ReviewLoop)


def review_loop_for(app: web.Application) -> ReviewLoop:
    """The app's ReviewLoop, made on first use (call at start-up: it needs ticketing's services)."""
    if REVIEW_LOOP in app:
        return app[REVIEW_LOOP]
    settings = app[SETTINGS]
    sessions = app[SESSIONS]
    hours = OfficeHours.parse(settings.office_hours, settings.timezone)
    loop = ReviewLoop(
        sessions,
        app[WORKORDERS],
        StoredCalendar(CalendarStore(sessions), hours),
        app[NOW] if NOW in app else utcnow,
        rectify_days=settings.review_rectify_days,
    )
    app[REVIEW_LOOP] = loop
    return loop


async def _loop(app: web.Application) -> AsyncIterator[None]:
    review_loop_for(app)
    yield


def setup(app: web.Application) -> None:
    """Wire the review loop (after ticketing and sms)."""
    app.cleanup_ctx.append(_loop)
