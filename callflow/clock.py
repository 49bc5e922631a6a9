"""Time as the call flow sees it. Tests run the fake Asterisk and the controller on one scaled clock.

A `ScaledClock(0.02)` makes a 5-second menu timeout last 0.1 real seconds, matching a fake Asterisk
started with the same time factor; production uses `ScaledClock(1.0)`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time (aware, UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on the call-flow time line (scaled), for durations."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of call-flow time."""
        ...

    def real_seconds(self, seconds: float) -> float:
        """Real seconds that `seconds` of call-flow time lasts (for timeouts of I/O)."""
        ...


@dataclass(frozen=True)
class ScaledClock:
    """Call-flow time runs `factor` times as long as real time (factor 1.0 = real time)."""

    factor: float = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic() / self.factor

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) * self.factor)

    def real_seconds(self, seconds: float) -> float:
        return seconds * self.factor


REAL_TIME = ScaledClock(1.0)
