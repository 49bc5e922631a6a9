"""Shared scenario helpers for the work-order domain tests: people, a calendar, a registered complaint."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ticketing.domain.calendar import OfficeHours, WorkingCalendar
from ticketing.domain.roles import Actor, Role
from ticketing.domain.workorder import (
    Complexity,
    Details,
    OrderClass,
    Service,
    WorkOrder,
    dispatch,
    new_draft,
    register,
)

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar(OfficeHours.parse())

AGENT = Actor(id=1, name="王话务", role=Role.AGENT)
SUPERVISOR = Actor(id=2, name="李督查", role=Role.SUPERVISOR)
HANDLER = Actor(id=3, name="张承办", role=Role.UNIT_HANDLER, unit_id=10)
LEADER = Actor(id=4, name="赵局长", role=Role.UNIT_LEADER, unit_id=10)
OTHER_UNIT = Actor(id=5, name="陈承办", role=Role.UNIT_HANDLER, unit_id=20)
ADMIN = Actor(id=6, name="管理员", role=Role.ADMIN)

MARKET_UNIT = 10


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def draft(when: datetime | None = None, phone: str | None = "13900001111") -> WorkOrder:
    when = when or at(2025, 9, 30, 15)
    return new_draft(
        number="YS2025093000001",
        actor=AGENT,
        at=when,
        details=Details(caller_phone=phone, enterprise="庆元县香菇合作社", title="营业执照变更迟迟不办"),
    ).order


def registered_complaint(
    complexity: Complexity = Complexity.GENERAL,
    when: datetime | None = None,
    phone: str | None = "13900001111",
) -> WorkOrder:
    when = when or at(2025, 9, 30, 15)
    return register(
        draft(when, phone),
        AGENT,
        when,
        order_class=OrderClass.COMPLAINT,
        service=Service.COMPLAINT,
        complexity=complexity,
    ).order


def dispatched_complaint(
    complexity: Complexity = Complexity.GENERAL,
    when: datetime | None = None,
    phone: str | None = "13900001111",
) -> WorkOrder:
    when = when or at(2025, 9, 30, 16)
    order = registered_complaint(complexity, when, phone)
    return dispatch(order, AGENT, when, unit_id=MARKET_UNIT, calendar=CALENDAR).order
