"""Which greeting a new call hears (开场白): the open menu, or the closed message and a voice message.

Office hours and the working-day calendar (holidays, 调休) belong to `ticketing`'s `WorkingCalendar`;
the ARI session passes it in as an `OpenHours` and feeds the result to `Navigation` as `Started`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ivr.domain.navigation import Started
from ivr.domain.ports import OpenHours

log = logging.getLogger(__name__)


def start_for(open_hours: OpenHours | None, at: datetime) -> Started:
    """The `Started` event for a call arriving `at`.

    With no calendar configured the line counts as open. If the calendar fails, the caller still
    reaches the menu (and, after retries, an agent): a broken calendar must never send every call to
    the voice mailbox.
    """
    if open_hours is None:
        return Started(open_now=True)
    try:
        return Started(open_now=bool(open_hours.is_open(at)))
    except Exception:
        log.exception("office-hours check failed at %s; treating the line as open", at.isoformat())
        return Started(open_now=True)
