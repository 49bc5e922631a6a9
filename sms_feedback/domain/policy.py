"""When a survey SMS may go out (发送策略): pure decisions over the history the caller hands in.

- Quiet hours: no SMS from 21:00 to 08:00 (Asia/Shanghai); what falls inside waits until 08:00.
- At most 2 surveys per number in any 24 hours (Twilio's China rules reject a third like message);
  every survey pending for a number goes out together as one merged message.
- An opt-out (退订) is honoured for good: nothing is ever sent to that number again.
- An unclear reply gets one clarifying SMS per survey, never a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"policy times must carry a time zone: {at!r}")
    return at


@dataclass(frozen=True)
class QuietHours:
    """The hours no SMS is sent (免打扰时段), local to `timezone`; may span midnight."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    timezone: str = "Asia/Shanghai"

    def contains(self, at: datetime) -> bool:
        local = _aware(at).astimezone(ZoneInfo(self.timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, at: datetime) -> datetime:
        """`at` itself outside quiet hours, else the end of the quiet hours that contain it."""
        if not self.contains(at):
            return at
        zone = ZoneInfo(self.timezone)
        local = _aware(at).astimezone(zone)
        day = local.date()
        if local.time() >= self.end and self.start > self.end:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=zone).astimezone(at.tzinfo)


@dataclass(frozen=True)
class PendingSurvey:
    """A survey waiting in the outbox for one closed work order."""

    survey_id: str
    work_order_number: str
    closed_at: datetime


@dataclass(frozen=True)
class ContactHistory:
    """What was already sent to one number, and whether it opted out (the caller reads it from the DB)."""

    survey_sent_at: Sequence[datetime] = field(default=())
    opted_out_at: datetime | None = None


@dataclass(frozen=True)
class SendNow:
    """Send one message now covering these surveys (merged when more than one)."""

    survey_ids: tuple[str, ...]

    @property
    def merged(self) -> bool:
        return len(self.survey_ids) > 1


@dataclass(frozen=True)
class Defer:
    """Try again at `until`; `reason` is quiet-hours or daily-limit."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class Suppress:
    """Never send: the number opted out."""

    reason: str


Decision = SendNow | Defer | Suppress


@dataclass(frozen=True)
class SurveyPolicy:
    """The sending rules, with the figures a deployment may change."""

    quiet_hours: QuietHours = field(default_factory=QuietHours)
    max_surveys: int = 2
    window: timedelta = timedelta(hours=24)

    def decide(self, now: datetime, pending: Sequence[PendingSurvey], history: ContactHistory) -> Decision:
        """What to do with every survey pending for one number at `now`."""
        if not pending:
            raise ValueError("decide() needs at least one pending survey")
        _aware(now)
        if history.opted_out_at is not None:
            return Suppress("opted-out")
        recent = sorted(t for t in history.survey_sent_at if now - self.window < _aware(t) <= now)
        if len(recent) >= self.max_surveys:
            # the slot frees when the oldest of the last `max_surveys` leaves the window
            until = recent[-self.max_surveys] + self.window
            return Defer(self.quiet_hours.next_allowed(until), "daily-limit")
        if self.quiet_hours.contains(now):
            return Defer(self.quiet_hours.next_allowed(now), "quiet-hours")
        ordered = sorted(pending, key=lambda p: (p.closed_at, p.survey_id))
        return SendNow(tuple(p.survey_id for p in ordered))

    def clarification_allowed(self, clarifications_sent: int, history: ContactHistory) -> bool:
        """An unclear reply earns one clarifying SMS per survey, and none after an opt-out."""
        return clarifications_sent == 0 and history.opted_out_at is None

    def send_time(self, now: datetime) -> datetime:
        """When a reply-driven SMS (clarification, thanks) may go: now, or 08:00 after quiet hours."""
        return self.quiet_hours.next_allowed(now)


def needs_phone_survey(
    sent_at: datetime | None,
    now: datetime,
    *,
    rated: bool,
    delivery_failed: bool,
    wait: timedelta = timedelta(hours=24),
) -> bool:
    """电话回访 is due when the SMS failed or no rating came within `wait` of sending."""
    if rated:
        return False
    if delivery_failed:
        return True
    return sent_at is not None and now - _aware(sent_at) >= wait
