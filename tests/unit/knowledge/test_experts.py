"""Experts: duty hours on the working-day calendar (调休 included), and the order to call them in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from knowledge.domain.errors import InvalidField
from knowledge.domain.expert import Expert, expert_from_fields, on_duty, parse_duty, pick_experts, serves
from ticketing.domain.calendar import OfficeHours, WorkingCalendar

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar(OfficeHours.parse())
OFFICE = ("工作日 08:30-12:00,14:00-17:30",)


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TZ)


def test_a_workday_expert_is_on_duty_in_office_hours_of_working_days_only() -> None:
    tax = Expert(name="王税务", contact="PJSIP/expert201", duty=OFFICE)
    assert on_duty(tax, at(30, 9), CALENDAR, TZ)  # Tuesday morning
    assert not on_duty(tax, at(30, 12, 30), CALENDAR, TZ)  # lunch
    assert not on_duty(tax, at(30, 17, 30), CALENDAR, TZ)  # closing time is already off duty
    assert not on_duty(tax, at(1, 9, month=10), CALENDAR, TZ)  # National Day
    assert on_duty(tax, at(28, 9), CALENDAR, TZ)  # Sunday 28 September 2025 is a make-up working day (调休)
    assert not on_duty(tax, at(27, 9), CALENDAR, TZ)  # an ordinary Saturday


def test_weekday_holiday_and_all_day_rotas() -> None:
    week = Expert(name="周一至周五", contact="PJSIP/expert202", duty=("mon-fri 09:00-17:00",))
    holiday = Expert(name="节假日值班", contact="PJSIP/expert203", duty=("节假日 09:00-12:00",))
    always = Expert(name="全天", contact="PJSIP/13900000000@trunk", duty=("daily 00:00-24:00",))
    national_day = at(1, 10, month=10)  # a Wednesday, but a holiday
    assert on_duty(week, national_day, CALENDAR, TZ)  # by the week, holidays ignored
    assert on_duty(holiday, national_day, CALENDAR, TZ)
    assert not on_duty(holiday, at(30, 10), CALENDAR, TZ)
    assert on_duty(always, at(30, 23, 59), CALENDAR, TZ)
    assert not on_duty(Expert(name="未设值班", contact="PJSIP/expert204"), at(30, 10), CALENDAR, TZ)
    assert not on_duty(
        Expert(name="停用", contact="PJSIP/expert205", duty=("daily 00:00-24:00",), active=False),
        at(30, 10),
        CALENDAR,
        TZ,
    )


def test_duty_is_read_in_the_hotline_zone_whatever_zone_the_time_comes_in() -> None:
    tax = Expert(name="王税务", contact="PJSIP/expert201", duty=OFFICE)
    utc_0100 = datetime(2025, 9, 30, 1, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Shanghai
    assert on_duty(tax, utc_0100, CALENDAR, TZ)


@pytest.mark.parametrize(
    "spec", ["工作日", "mon-fri 9-17", "someday 09:00-10:00", "daily 18:00-09:00", "daily 08:00-25:00"]
)
def test_unreadable_duty_hours_are_refused_with_the_expected_format(spec: str) -> None:
    with pytest.raises(InvalidField) as refused:
        parse_duty([spec])
    assert refused.value.field == "duty" and "工作日 08:30-12:00" in refused.value.message


def test_full_width_punctuation_in_duty_hours_is_accepted() -> None:
    (window,) = parse_duty(["工作日 08：30-12：00，14：00-17：30"])
    assert window.ranges == ((510, 720), (840, 1050))


def test_contacts_are_asterisk_dial_strings() -> None:
    ok = expert_from_fields({"name": "李备岗", "contact": "PJSIP/13900000000@trunk", "topics": "税务，发票"})
    assert ok.topics == ("税务", "发票")
    for bad in ("13900000000", "PJSIP/", "http://x/y", "PJSIP/a b"):
        with pytest.raises(InvalidField) as refused:
            expert_from_fields({"name": "x", "contact": bad})
        assert refused.value.field == "contact"


def test_topics_match_either_way_round() -> None:
    tax = Expert(name="王税务", contact="PJSIP/expert201", topics=("增值税留抵退税", "纳税信用"))
    assert serves(tax, "留抵退税") and serves(tax, "增值税留抵退税政策") and not serves(tax, "社保")


def experts() -> list[Expert]:
    office, always = OFFICE, ("daily 00:00-24:00",)
    return [
        Expert(
            id=1,
            name="甲 (off duty now)",
            contact="PJSIP/expert201",
            topics=("留抵退税",),
            duty=("节假日 09:00-12:00",),
            backup_id=4,
        ),
        Expert(id=2, name="乙", contact="PJSIP/expert202", topics=("留抵退税",), duty=office, backup_id=3),
        Expert(
            id=3,
            name="丙 (乙's backup)",
            contact="PJSIP/expert203",
            topics=("发票",),
            duty=always,
            backup_id=2,
        ),
        Expert(id=4, name="丁 (甲's backup)", contact="PJSIP/expert204", topics=("社保",), duty=always),
        Expert(id=5, name="戊 (other topic)", contact="PJSIP/expert205", topics=("消防验收",), duty=always),
        Expert(
            id=6, name="己 (left)", contact="PJSIP/expert206", topics=("留抵退税",), duty=always, active=False
        ),
    ]


def test_on_duty_experts_come_first_each_followed_by_their_backup() -> None:
    picks = pick_experts(experts(), "留抵退税", at(30, 10), CALENDAR, TZ)
    assert [(p.expert.id, p.on_duty, p.backup_for) for p in picks] == [
        (2, True, None),  # on duty for the topic
        (3, True, 2),  # 乙's backup, whatever their own topics
        (4, True, 1),  # 甲's backup is on duty although 甲 is not
        (1, False, None),  # off duty: last, for the agent to see
    ]


def test_backup_loops_stop_and_nobody_is_listed_twice() -> None:
    picks = pick_experts(experts(), "发票", at(30, 10), CALENDAR, TZ)
    assert [(p.expert.id, p.backup_for) for p in picks] == [(3, None), (2, 3)]


def test_out_of_hours_only_the_all_day_experts_are_on_duty() -> None:
    picks = pick_experts(experts(), "留抵退税", at(30, 20), CALENDAR, TZ)
    # Backups in the order of the (off-duty) experts they stand in for: 甲 (1) → 丁 (4), 乙 (2) → 丙 (3).
    assert [(p.expert.id, p.on_duty) for p in picks] == [(4, True), (3, True), (1, False), (2, False)]


def test_a_working_day_calendar_port_is_all_the_duty_check_needs() -> None:
    class EveryDayOff:
        def is_working_day(self, day: date) -> bool:
            return False

    tax = Expert(name="王税务", contact="PJSIP/expert201", duty=OFFICE)
    assert not on_duty(tax, at(30, 9), EveryDayOff(), TZ)
