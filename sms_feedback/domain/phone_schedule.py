"""When to call an enterprise for the phone survey (电话回访时间表): pure decisions, no I/O.

A survey needs a call when its SMS failed, or when no rating came within `wait` (24 h) of sending
(`policy.needs_phone_survey`). Calls go out only at set times (`slots`, e.g. 09:30 and 14:30, local
time) on working days (holidays and 调休 from the working-day calendar), and only while the office is
open; a slot the service missed is still taken later the same office period. After `max_attempts`
calls without a rating the survey is reported unreachable (无法联系).

Options come from one environment string, `HOTLINE_PHONE_SURVEY` (see `parse_phone_survey_options`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sms_feedback.domain.errors import SmsFeedbackError
from sms_feedback.domain.policy import needs_phone_survey

SEARCH_DAYS = 60
"""How far ahead a free slot is looked for (the longest Chinese holiday is 8 days)."""


class PhoneSurveyConfigError(SmsFeedbackError):
    """`HOTLINE_PHONE_SURVEY` could not be read."""

    error_id = "phone-survey-config-invalid"
    status = 500


class WorkingDays(Protocol):
    """What the schedule needs of the working-day calendar (ticketing's `WorkingCalendar` fits)."""

    def is_working_day(self, day: date) -> bool: ...

    def is_open(self, at: datetime) -> bool: ...


@dataclass(frozen=True)
class PhoneSchedule:
    """The figures a deployment may change."""

    slots: tuple[time, ...] = (time(9, 30), time(14, 30))
    max_attempts: int = 3
    wait: timedelta = timedelta(hours=24)
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        if not self.slots:
            raise PhoneSurveyConfigError("电话回访至少需要一个呼叫时间 (at least one slot)")
        if self.max_attempts < 1:
            raise PhoneSurveyConfigError("电话回访次数至少为1 (max_attempts >= 1)")
        object.__setattr__(self, "slots", tuple(sorted(set(self.slots))))

    def next_slot(self, after: datetime, days: WorkingDays, *, inclusive: bool = True) -> datetime:
        """The first slot on a working day at or after `after` (strictly after when not `inclusive`)."""
        if after.tzinfo is None:
            raise ValueError(f"schedule times must carry a time zone: {after!r}")
        zone = ZoneInfo(self.timezone)
        local = after.astimezone(zone)
        day = local.date()
        for _ in range(SEARCH_DAYS):
            if days.is_working_day(day):
                for slot in self.slots:
                    at = datetime.combine(day, slot, tzinfo=zone)
                    if at > local or (inclusive and at == local):
                        return at.astimezone(after.tzinfo)
            day += timedelta(days=1)
        raise PhoneSurveyConfigError(f"{SEARCH_DAYS} 天内没有工作日 (no working day ahead of {after})")

    def decide(self, now: datetime, facts: SurveyCallFacts, days: WorkingDays) -> CallDecision:
        """What to do about one survey at `now`."""
        if facts.rated or not needs_phone_survey(
            facts.sent_at, now, rated=facts.rated, delivery_failed=facts.delivery_failed_at is not None,
            wait=self.wait,
        ):
            return NotDue()
        if facts.call_in_progress:
            return NotDue()
        if facts.attempts_made >= self.max_attempts:
            return GiveUp(facts.attempts_made)
        if facts.last_attempt_at is None:
            slot = self.next_slot(self.eligible_at(facts), days)
        else:
            slot = self.next_slot(facts.last_attempt_at, days, inclusive=False)
        if now < slot:
            return WaitUntil(slot)
        if not days.is_open(now):  # the slot passed while we were down, and the office is closed now
            return WaitUntil(self.next_slot(now, days, inclusive=False))
        return CallNow(facts.attempts_made + 1)

    def eligible_at(self, facts: SurveyCallFacts) -> datetime:
        """When the survey first needed a call: the SMS failure, or `wait` after sending."""
        candidates = [facts.delivery_failed_at] if facts.delivery_failed_at is not None else []
        if facts.sent_at is not None:
            candidates.append(facts.sent_at + self.wait)
        if not candidates:
            raise ValueError("a survey neither sent nor failed never needs a call")
        return min(candidates)


@dataclass(frozen=True)
class SurveyCallFacts:
    """One survey as the due check sees it (read from the survey and attempt tables)."""

    sent_at: datetime | None
    delivery_failed_at: datetime | None = None
    rated: bool = False
    attempts_made: int = 0
    last_attempt_at: datetime | None = None
    call_in_progress: bool = False


@dataclass(frozen=True)
class NotDue:
    """Nothing to do: rated, not yet 24 h, or a call is ringing right now."""


@dataclass(frozen=True)
class WaitUntil:
    """The next call goes out at `at` (a slot on a working day)."""

    at: datetime


@dataclass(frozen=True)
class CallNow:
    """Place call number `attempt` now."""

    attempt: int


@dataclass(frozen=True)
class GiveUp:
    """Every attempt was used: report the survey unreachable (无法联系)."""

    attempts: int


CallDecision = NotDue | WaitUntil | CallNow | GiveUp


@dataclass(frozen=True)
class PhoneSurveyOptions:
    """Everything `HOTLINE_PHONE_SURVEY` sets, with the defaults."""

    schedule: PhoneSchedule = field(default_factory=PhoneSchedule)
    check_every_s: float = 60.0
    ring_s: int = 30
    key_timeout_s: float = 6.0
    question_retries: int = 2
    enabled: bool = True


def _slots(value: str) -> tuple[time, ...]:
    out = []
    for part in value.replace("+", "/").split("/"):
        hours, sep, minutes = part.strip().partition(":")
        if not sep:
            raise ValueError(f"slot {part!r} is not HH:MM")
        out.append(time(int(hours), int(minutes)))
    return tuple(out)


def parse_phone_survey_options(text: str, timezone: str = "Asia/Shanghai") -> PhoneSurveyOptions:
    """Read e.g. `wait_h=24,slots=09:30/14:30,attempts=3,check_s=60,ring_s=30,key_timeout_s=6,retries=2`;
    empty means the defaults, `off` turns the phone survey off."""
    options = PhoneSurveyOptions(schedule=PhoneSchedule(timezone=timezone))
    if text.strip().lower() in ("off", "0", "false", "no"):
        return replace(options, enabled=False)
    schedule = options.schedule
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = (s.strip() for s in part.partition("="))
        if not sep or not value:
            raise PhoneSurveyConfigError(f"HOTLINE_PHONE_SURVEY 项应为 名称=值 (expected name=value): {part!r}")
        try:
            if key == "wait_h":
                schedule = replace(schedule, wait=timedelta(hours=float(value)))
            elif key == "slots":
                schedule = replace(schedule, slots=_slots(value))
            elif key == "attempts":
                schedule = replace(schedule, max_attempts=int(value))
            elif key == "check_s":
                options = replace(options, check_every_s=max(0.01, float(value)))
            elif key == "ring_s":
                options = replace(options, ring_s=max(1, int(value)))
            elif key == "key_timeout_s":
                options = replace(options, key_timeout_s=float(value))
            elif key == "retries":
                options = replace(options, question_retries=max(0, int(value)))
            else:
                raise PhoneSurveyConfigError(f"HOTLINE_PHONE_SURVEY 未知项 (unknown option): {key}")
        except ValueError as exc:
            raise PhoneSurveyConfigError(f"HOTLINE_PHONE_SURVEY {key}={value!r}: {exc}") from exc
    return replace(options, schedule=schedule)
