"""Office hours decide the greeting; the calendar itself is ticketing's and is passed in."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from ivr.config import load_menu
from ivr.domain.greeting import start_for
from ivr.domain.navigation import Navigation, Play, Started

SHANGHAI = ZoneInfo("Asia/Shanghai")


class WeekdayMornings:
    """A small calendar: open Monday to Friday 08:30-12:00 Shanghai time."""

    def __init__(self) -> None:
        self.asked: list[datetime] = []

    def is_open(self, at: datetime) -> bool:
        self.asked.append(at)
        local = at.astimezone(SHANGHAI)
        return local.weekday() < 5 and time(8, 30) <= local.time() < time(12, 0)


class BrokenCalendar:
    def is_open(self, at: datetime) -> bool:
        raise RuntimeError("calendar table missing")


def test_a_call_inside_office_hours_hears_the_greeting_and_the_menu() -> None:
    calendar = WeekdayMornings()
    tuesday_morning = datetime(2026, 12, 1, 9, 15, tzinfo=SHANGHAI)
    started = start_for(calendar, tuesday_morning)
    assert started == Started(open_now=True)
    assert calendar.asked == [tuesday_morning]
    assert Navigation(load_menu()).handle(started) == [Play(("greeting", "main_menu"))]


def test_a_call_on_saturday_hears_the_closed_message() -> None:
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)
    started = start_for(WeekdayMornings(), saturday)
    assert started == Started(open_now=False)
    assert Navigation(load_menu()).handle(started) == [Play(("closed",))]


def test_a_call_at_lunchtime_is_outside_office_hours() -> None:
    assert start_for(WeekdayMornings(), datetime(2026, 12, 1, 12, 30, tzinfo=SHANGHAI)).open_now is False


def test_a_failing_calendar_keeps_the_line_open_rather_than_sending_everyone_to_voice_mail() -> None:
    assert start_for(BrokenCalendar(), datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)) == Started(open_now=True)


def test_without_a_calendar_the_line_is_open() -> None:
    assert start_for(None, datetime(2026, 12, 5, 3, 0, tzinfo=SHANGHAI)).open_now is True
