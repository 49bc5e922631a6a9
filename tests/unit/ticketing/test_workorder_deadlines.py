"""Time limits on the working-day clock (分类处理时限), with the real calendar around National Day 2025."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.ticketing.workorder_support import (
    AGENT,
    CALENDAR,
    MARKET_UNIT,
    at,
    dispatched_complaint,
    draft,
    registered_complaint,
)
from ticketing.domain.workorder import (
    Complexity,
    OrderClass,
    Service,
    dispatch,
    format_number,
    limits_for,
    register,
)


def test_a_complaint_dispatched_before_national_day_must_be_signed_the_first_working_day_after() -> None:
    order = dispatched_complaint(Complexity.GENERAL, at(2025, 9, 30, 16))
    assert order.sign_due == at(2025, 10, 9, 16)
    assert order.clock_start == at(2025, 9, 30, 16)


def test_a_general_complaint_is_due_five_working_days_later_counting_the_make_up_saturday() -> None:
    # 10-09 Thu, 10-10 Fri, 10-11 Sat (调休 working day), 10-13 Mon, 10-14 Tue
    order = dispatched_complaint(Complexity.GENERAL, at(2025, 9, 30, 16))
    assert order.due == at(2025, 10, 14, 16)


def test_a_simple_complaint_is_due_two_working_days_later() -> None:
    order = dispatched_complaint(Complexity.SIMPLE, at(2025, 9, 30, 16))
    assert order.due == at(2025, 10, 10, 16)


def test_a_difficult_complaint_starts_with_the_general_limit() -> None:
    order = dispatched_complaint(Complexity.DIFFICULT, at(2025, 9, 30, 16))
    assert order.due == at(2025, 10, 14, 16)


def test_a_consultation_must_be_answered_within_one_working_day_of_the_units_receipt() -> None:
    when = at(2025, 9, 30, 16)
    order = register(
        draft(when), AGENT, when, order_class=OrderClass.CONSULTATION, service=Service.POLICY_QUERY
    ).order
    order = dispatch(order, AGENT, when, unit_id=MARKET_UNIT, calendar=CALENDAR).order
    assert order.due == at(2025, 10, 9, 16)
    assert order.complexity is None


def test_dispatch_on_a_saturday_starts_the_clock_on_the_make_up_sunday_morning() -> None:
    order = dispatched_complaint(Complexity.GENERAL, at(2025, 9, 27, 10))
    assert order.clock_start == at(2025, 9, 28, 8, 30)
    assert order.sign_due == at(2025, 9, 29, 8, 30)


def test_dispatch_after_office_hours_starts_the_clock_at_the_next_opening() -> None:
    order = dispatched_complaint(Complexity.SIMPLE, at(2026, 3, 2, 17, 45))  # Monday evening
    assert order.clock_start == at(2026, 3, 3, 8, 30)
    assert order.sign_due == at(2026, 3, 4, 8, 30)
    assert order.due == at(2026, 3, 5, 8, 30)


def test_dispatch_during_lunch_starts_the_clock_at_two_in_the_afternoon() -> None:
    order = dispatched_complaint(Complexity.SIMPLE, at(2026, 3, 3, 12, 30))
    assert order.clock_start == at(2026, 3, 3, 14, 0)
    assert order.sign_due == at(2026, 3, 4, 14, 0)


def test_an_unsigned_order_is_overdue_after_its_sign_due_and_a_signed_one_after_its_due() -> None:
    order = dispatched_complaint(Complexity.SIMPLE, at(2025, 9, 30, 16))
    assert not order.is_overdue(at(2025, 10, 9, 15, 59))
    assert order.is_overdue(at(2025, 10, 9, 16, 1))
    registered = registered_complaint()
    assert not registered.is_overdue(at(2030, 1, 1))


def test_limits_follow_the_plan() -> None:
    assert (limits_for(OrderClass.COMPLAINT, Complexity.SIMPLE).due_days) == 2
    assert (limits_for(OrderClass.COMPLAINT, Complexity.GENERAL).due_days) == 5
    assert (limits_for(OrderClass.COMPLAINT, Complexity.GENERAL).sign_days) == 1
    assert (limits_for(OrderClass.CONSULTATION, None).due_days) == 1


def test_work_order_numbers_carry_the_date_and_a_five_digit_sequence() -> None:
    assert format_number(date(2026, 11, 30), 1) == "YS2026113000001"
    with pytest.raises(ValueError):
        format_number(date(2026, 11, 30), 100000)
