"""Every step of the closed loop, allowed and refused, with the actor's role (统一接收 → … → 评价反馈)."""

from __future__ import annotations

import pytest

from tests.unit.ticketing.workorder_support import (
    ADMIN,
    AGENT,
    CALENDAR,
    HANDLER,
    LEADER,
    MARKET_UNIT,
    OTHER_UNIT,
    SUPERVISOR,
    at,
    dispatched_complaint,
    draft,
    registered_complaint,
)
from ticketing.domain.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ticketing.domain.roles import SYSTEM
from ticketing.domain.workorder import (
    Action,
    Complexity,
    Details,
    OrderClass,
    Rating,
    Redispatched,
    Returned,
    Service,
    Source,
    State,
    SupervisionOpened,
    close,
    discard,
    dispatch,
    evaluate,
    new_draft,
    parse_service,
    register,
    reopen,
    reply,
    return_order,
    sign,
    start_handling,
    supervise,
)

T = at(2025, 10, 9, 9)


def test_a_voice_message_becomes_a_draft_with_its_source_and_a_create_event() -> None:
    t = new_draft(
        number="YS2025100900001",
        actor=SYSTEM,
        at=T,
        source=Source.VOICE_MESSAGE,
        details=Details(caller_phone="13800002222", content="留言：厂房消防验收"),
        recording="vm-1",
    )
    assert t.order.state is State.DRAFT and t.order.source is Source.VOICE_MESSAGE
    assert t.event.action is Action.CREATE and t.event.state_before is None
    assert t.event.after["caller_phone"] == "13800002222"


def test_a_complaint_runs_the_whole_loop_and_each_step_leaves_an_event() -> None:
    order = registered_complaint(Complexity.SIMPLE)
    assert order.state is State.REGISTERED
    steps = [
        lambda o: dispatch(o, AGENT, at(2025, 9, 30, 16), unit_id=MARKET_UNIT, calendar=CALENDAR),
        lambda o: sign(o, HANDLER, at(2025, 10, 9, 9)),
        lambda o: start_handling(o, HANDLER, at(2025, 10, 9, 9, 5)),
        lambda o: reply(o, LEADER, at(2025, 10, 10, 11), text="已上门指导并完成变更登记"),
        lambda o: close(o, AGENT, at(2025, 10, 10, 15), result="回访核实：已办结"),
        lambda o: evaluate(o, SYSTEM, at(2025, 10, 11, 10), rating=Rating.SATISFIED, channel="sms"),
    ]
    trail = []
    for step in steps:
        t = step(order)
        trail.append((t.event.action, t.event.state_before, t.event.state_after))
        order = t.order
    assert trail == [
        (Action.DISPATCH, State.REGISTERED, State.DISPATCHED),
        (Action.SIGN, State.DISPATCHED, State.SIGNED),
        (Action.HANDLE, State.SIGNED, State.HANDLING),
        (Action.REPLY, State.HANDLING, State.REPLIED),
        (Action.CLOSE, State.REPLIED, State.CLOSED),
        (Action.EVALUATE, State.CLOSED, State.EVALUATED),
    ]
    assert order.signed_at == at(2025, 10, 9, 9)
    assert order.closed_at == at(2025, 10, 10, 15)
    assert order.rating is Rating.SATISFIED and order.rating_channel == "sms"


def test_the_event_records_what_changed_before_and_after() -> None:
    order = dispatched_complaint()
    t = sign(order, HANDLER, at(2025, 10, 9, 9))
    assert t.event.before == {"state": "dispatched", "signed_at": None}
    assert t.event.after == {"state": "signed", "signed_at": "2025-10-09T09:00:00+08:00"}
    assert t.event.actor == HANDLER


def test_a_consultation_answered_on_the_line_is_closed_at_once() -> None:
    t = register(
        draft(),
        AGENT,
        T,
        order_class=OrderClass.CONSULTATION,
        service=Service.MATTER_CONSULTATION,
        answered_on_line=True,
        result="已告知在浙里办办理个体户变更",
    )
    assert t.order.state is State.CLOSED
    assert t.order.answered_on_line and t.order.closed_at == T
    assert t.order.result == "已告知在浙里办办理个体户变更"


def test_a_suggestion_answered_on_the_spot_is_recorded_as_closed_for_the_monthly_summary() -> None:
    t = register(
        draft(),
        AGENT,
        T,
        order_class=OrderClass.SUGGESTION,
        service=Service.SUGGESTION,
        answered_on_line=True,
        result="已记录，纳入月度汇总",
    )
    assert t.order.state is State.CLOSED and t.order.order_class is OrderClass.SUGGESTION


def test_a_complaint_cannot_be_closed_on_the_line_nor_registered_without_complexity() -> None:
    with pytest.raises(InvalidInput) as exc:
        register(
            draft(),
            AGENT,
            T,
            order_class=OrderClass.COMPLAINT,
            service=Service.COMPLAINT,
            complexity=Complexity.SIMPLE,
            answered_on_line=True,
            result="x",
        )
    assert exc.value.field == "answered_on_line"
    with pytest.raises(InvalidInput) as exc:
        register(draft(), AGENT, T, order_class=OrderClass.COMPLAINT, service=Service.COMPLAINT)
    assert exc.value.field == "complexity"


def test_a_service_that_does_not_fit_the_class_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        register(draft(), AGENT, T, order_class=OrderClass.SUGGESTION, service=Service.COMPLAINT)
    assert exc.value.field == "service" and exc.value.error_id == "invalid-input"


def test_an_invalid_transition_names_the_state_and_the_action() -> None:
    order = registered_complaint()
    with pytest.raises(InvalidTransition) as exc:
        close(order, AGENT, T, result="x")
    assert exc.value.error_id == "invalid-transition"
    assert exc.value.state == "registered" and exc.value.action == "close"
    assert "registered" in str(exc.value) and "close" in str(exc.value) and "不能执行" in str(exc.value)


@pytest.mark.parametrize(
    ("state_maker", "step"),
    [
        (draft, lambda o: sign(o, HANDLER, T)),
        (draft, lambda o: dispatch(o, AGENT, T, unit_id=MARKET_UNIT, calendar=CALENDAR)),
        (
            registered_complaint,
            lambda o: register(
                o,
                AGENT,
                T,
                order_class=OrderClass.COMPLAINT,
                service=Service.COMPLAINT,
                complexity=Complexity.SIMPLE,
            ),
        ),
        (dispatched_complaint, lambda o: reply(o, HANDLER, T, text="答复")),
        (dispatched_complaint, lambda o: start_handling(o, HANDLER, T)),
        (dispatched_complaint, lambda o: evaluate(o, AGENT, T, rating=Rating.SATISFIED)),
        (dispatched_complaint, lambda o: reopen(o, SUPERVISOR, T, reason="差评")),
        (dispatched_complaint, lambda o: dispatch(o, AGENT, T, unit_id=MARKET_UNIT, calendar=CALENDAR)),
        (draft, lambda o: supervise(o, SUPERVISOR, T, reason="催办")),
        (registered_complaint, lambda o: return_order(o, HANDLER, T, reason="不属于本单位")),
    ],
)
def test_steps_out_of_order_are_refused(state_maker, step) -> None:
    order = state_maker()
    with pytest.raises((InvalidTransition, NotFound)) as exc:
        step(order)
    if isinstance(exc.value, InvalidTransition):
        assert exc.value.state == order.state.value


@pytest.mark.parametrize(
    ("actor", "step"),
    [
        (
            HANDLER,
            lambda o, a: register(o, a, T, order_class=OrderClass.CONSULTATION, service=Service.POLICY_QUERY),
        ),
        (HANDLER, lambda o, a: dispatch(o, a, T, unit_id=MARKET_UNIT, calendar=CALENDAR)),
        (AGENT, lambda o, a: sign(o, a, T)),
        (SUPERVISOR, lambda o, a: reply(o, a, T, text="答复")),
        (LEADER, lambda o, a: close(o, a, T, result="办结")),
        (AGENT, lambda o, a: supervise(o, a, T, reason="催办")),
        (HANDLER, lambda o, a: reopen(o, a, T, reason="差评")),
        (AGENT, lambda o, a: return_order(o, a, T, reason="退")),
    ],
)
def test_roles_that_may_not_act_are_refused(actor, step) -> None:
    with pytest.raises(Forbidden) as exc:
        step(draft(), actor)
    assert exc.value.error_id == "forbidden" and exc.value.role == actor.role.value


def test_a_unit_cannot_act_on_another_units_work_order() -> None:
    order = dispatched_complaint()
    with pytest.raises(NotFound):
        sign(order, OTHER_UNIT, T)
    with pytest.raises(NotFound):
        return_order(order, OTHER_UNIT, T, reason="不是我们的")


def test_a_return_needs_a_reason_is_counted_and_sends_the_order_back_for_redispatch() -> None:
    order = dispatched_complaint()
    with pytest.raises(InvalidInput):
        return_order(order, HANDLER, T, reason="  ")
    t = return_order(order, HANDLER, T, reason="属于住建局职责")
    assert t.order.state is State.RETURNED and t.order.unit_id is None and t.order.returns_count == 1
    assert t.order.due is None and t.event.reason == "属于住建局职责"
    assert t.record == Returned(MARKET_UNIT, "属于住建局职责")

    again = dispatch(t.order, AGENT, at(2025, 10, 9, 10), unit_id=30, calendar=CALENDAR)
    assert again.order.state is State.DISPATCHED and again.order.unit_id == 30
    assert again.record == Redispatched(30)
    assert again.order.sign_due == at(2025, 10, 10, 10)  # fresh limits from the new receipt
    assert again.order.returns_count == 1


def test_a_badly_rated_order_is_reopened_redispatched_to_the_same_unit_and_revisited() -> None:
    order = dispatched_complaint(Complexity.SIMPLE)
    for step in (
        lambda o: sign(o, HANDLER, at(2025, 10, 9, 9)),
        lambda o: reply(o, HANDLER, at(2025, 10, 9, 11), text="已答复"),
        lambda o: close(o, AGENT, at(2025, 10, 9, 15), result="已办结"),
        lambda o: evaluate(o, SYSTEM, at(2025, 10, 10, 9), rating=Rating.DISSATISFIED, comment="没解决"),
    ):
        order = step(order).order
    with pytest.raises(InvalidInput):
        reopen(order, SUPERVISOR, T, reason="")
    t = reopen(order, SYSTEM, at(2025, 10, 10, 9, 1), reason="不满意评价，整改")
    assert t.order.state is State.REOPENED and t.order.reopened_count == 1
    order = dispatch(t.order, ADMIN, at(2025, 10, 10, 10), unit_id=None, calendar=CALENDAR).order
    assert order.unit_id == MARKET_UNIT and order.signed_at is None
    for step in (
        lambda o: sign(o, HANDLER, at(2025, 10, 10, 11)),
        lambda o: reply(o, HANDLER, at(2025, 10, 11, 11), text="整改完成"),
        lambda o: close(o, AGENT, at(2025, 10, 11, 15), result="整改后办结"),
        lambda o: evaluate(o, SYSTEM, at(2025, 10, 12, 9), rating=Rating.SATISFIED),
    ):
        order = step(order).order
    assert order.rating is Rating.DISSATISFIED  # the first rating stays for the figures
    assert order.revisit_rating is Rating.SATISFIED


def test_a_supervisor_supervises_an_open_order_and_the_unit_is_notified_through_dingtalk() -> None:
    order = dispatched_complaint()
    t = supervise(order, SUPERVISOR, T, reason="群众反映强烈，请加快办理", due=at(2025, 10, 10, 17))
    assert t.order == order and t.event.action is Action.SUPERVISE
    assert t.record == SupervisionOpened(MARKET_UNIT, "群众反映强烈，请加快办理", at(2025, 10, 10, 17))
    (message,) = t.messages
    assert message.kind == "dingtalk.unit" and message.payload["unit_id"] == MARKET_UNIT
    assert "YS2025093000001" in message.payload["text"] and "2025年10月10日17:00" in message.payload["text"]


def test_a_draft_from_the_transcript_carries_suggestions_the_agent_confirms_or_corrects() -> None:
    suggested = new_draft(
        number="YS2025100900002",
        actor=SYSTEM,
        at=T,
        order_class=OrderClass.COMPLAINT,
        service=Service.DIFFICULT_MATTER,
        complexity=Complexity.GENERAL,
    ).order
    confirmed = register(suggested, AGENT, T).order
    assert (confirmed.order_class, confirmed.service, confirmed.complexity) == (
        OrderClass.COMPLAINT,
        Service.DIFFICULT_MATTER,
        Complexity.GENERAL,
    )
    corrected = register(suggested, AGENT, T, complexity=Complexity.DIFFICULT).order
    assert corrected.complexity is Complexity.DIFFICULT
    with pytest.raises(InvalidInput) as exc:
        register(draft(), AGENT, T)
    assert exc.value.field == "class"


def test_the_extractors_coordination_is_the_difficult_matter_service() -> None:
    assert parse_service("coordination") is Service.DIFFICULT_MATTER
    assert parse_service("policy_query") is Service.POLICY_QUERY
    with pytest.raises(ValueError):
        parse_service("gossip")


def test_an_empty_voice_message_draft_is_discarded_with_a_reason_and_nothing_else() -> None:
    voice = new_draft(number="YS2025100900003", actor=SYSTEM, at=T, source=Source.VOICE_MESSAGE).order
    with pytest.raises(InvalidInput):
        discard(voice, AGENT, T, reason="")
    with pytest.raises(Forbidden):
        discard(voice, HANDLER, T, reason="空留言")
    t = discard(voice, AGENT, T, reason="空留言，无有效内容")
    assert t.order.state is State.DISCARDED and t.event.reason == "空留言，无有效内容"
    with pytest.raises(InvalidTransition):
        discard(registered_complaint(), AGENT, T, reason="重复")
    with pytest.raises(InvalidTransition):
        register(t.order, AGENT, T, order_class=OrderClass.CONSULTATION, service=Service.POLICY_QUERY)
