"""整改回访: the revisit answer after rectification reaches the work order whatever its state."""

from __future__ import annotations

import pytest

from tests.unit.ticketing.workorder_support import AGENT, CALENDAR, HANDLER, LEADER, at, dispatched_complaint
from ticketing.domain.errors import Forbidden, InvalidTransition
from ticketing.domain.roles import SYSTEM
from ticketing.domain.workorder import (
    Action,
    Rating,
    State,
    WorkOrder,
    close,
    dispatch,
    evaluate,
    record_revisit,
    reopen,
    reply,
    sign,
)


def closed_and_rated_dissatisfied() -> WorkOrder:
    order = dispatched_complaint()
    order = sign(order, HANDLER, at(2025, 10, 9, 9)).order
    order = reply(order, LEADER, at(2025, 10, 10, 11), text="已上门指导").order
    order = close(order, AGENT, at(2025, 10, 10, 15), result="已办结").order
    return evaluate(order, SYSTEM, at(2025, 10, 11, 9), rating=Rating.DISSATISFIED, channel="sms").order


def reopened_for_rectification() -> WorkOrder:
    return reopen(closed_and_rated_dissatisfied(), SYSTEM, at(2025, 10, 11, 9, 1), reason="企业评价不满意").order


def test_a_revisit_answer_while_the_order_is_still_reopened_is_recorded_without_a_state_change() -> None:
    order = reopened_for_rectification()
    t = record_revisit(order, SYSTEM, at(2025, 10, 15, 10), rating=Rating.SATISFIED, channel="web", comment="已解决")
    assert t.order.state is State.REOPENED
    assert t.order.revisit_rating is Rating.SATISFIED and t.order.revisited_at == at(2025, 10, 15, 10)
    assert t.order.rating is Rating.DISSATISFIED  # the first rating after closure is kept
    assert (t.order.rating_channel, t.order.rating_comment) == ("web", "已解决")
    assert (t.event.action, t.event.state_before, t.event.state_after) == (
        Action.REVISIT,
        State.REOPENED,
        State.REOPENED,
    )
    assert t.event.after == {
        "revisit_rating": "satisfied",
        "revisited_at": "2025-10-15T10:00:00+08:00",
        "rating_channel": "web",
        "rating_comment": "已解决",
    }
    assert Action.REVISIT.label_zh == "整改回访"


def test_a_later_revisit_answer_replaces_the_earlier_one() -> None:
    order = reopened_for_rectification()
    order = record_revisit(order, SYSTEM, at(2025, 10, 15, 10), rating=Rating.DISSATISFIED, channel="sms").order
    order = record_revisit(order, SYSTEM, at(2025, 10, 22, 10), rating=Rating.BASICALLY_SATISFIED, channel="phone").order
    assert (order.revisit_rating, order.revisited_at) == (Rating.BASICALLY_SATISFIED, at(2025, 10, 22, 10))


def test_a_revisit_answer_on_a_closed_order_evaluates_it() -> None:
    order = dispatch(reopened_for_rectification(), AGENT, at(2025, 10, 13, 9), unit_id=None, calendar=CALENDAR).order
    order = sign(order, HANDLER, at(2025, 10, 13, 10)).order
    order = reply(order, LEADER, at(2025, 10, 16, 11), text="已重新核查并整改").order
    closed = close(order, AGENT, at(2025, 10, 16, 15), result="整改完成").order
    t = record_revisit(closed, SYSTEM, at(2025, 10, 20, 10), rating=Rating.SATISFIED, channel="sms")
    assert (t.event.action, t.order.state) == (Action.EVALUATE, State.EVALUATED)
    assert t.order.revisit_rating is Rating.SATISFIED and t.order.rating is Rating.DISSATISFIED


def test_an_order_never_reopened_has_no_revisit_and_unit_staff_cannot_record_one() -> None:
    with pytest.raises(InvalidTransition):
        record_revisit(dispatched_complaint(), SYSTEM, at(2025, 10, 15, 10), rating=Rating.SATISFIED)
    with pytest.raises(Forbidden):
        record_revisit(reopened_for_rectification(), HANDLER, at(2025, 10, 15, 10), rating=Rating.SATISFIED)
