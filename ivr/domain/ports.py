"""What the navigation session needs from outside the ivr package."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class OpenHours(Protocol):
    """Whether the line is staffed at a moment (工作时间). `ticketing`'s `WorkingCalendar` satisfies it.

    The session asks it once when a call arrives and feeds the answer to the navigation machine as
    `Started(open_now=...)`; the machine itself never looks at a clock.
    """

    def is_open(self, at: datetime) -> bool: ...
