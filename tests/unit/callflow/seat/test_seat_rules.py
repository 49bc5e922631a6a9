"""The seat's rules without Asterisk: states, longest idle, reservations, racing answers, overflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callflow.seat.domain import AgentBusy, AgentState, InvalidEndpoint, Seat, SeatRules, UnknownAgent

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def staffed_seat(*agents: str, rules: SeatRules | None = None) -> Seat:
    seat = Seat(rules=rules)
    for i, agent in enumerate(agents):
        seat.add_member(agent, at(i))
        seat.login(agent, f"PJSIP/{agent}", at(i))
    return seat


def test_an_agent_goes_through_its_states_with_timestamps() -> None:
    seat = staffed_seat("101")
    seat.pause("101", "午休", at(10))
    seat.resume("101", at(20))
    seat.logout("101", at(30))
    changes = [(c.state, c.at, c.reason) for c in seat.drain_changes()]
    assert changes == [
        (AgentState.AVAILABLE, at(0), None),
        (AgentState.PAUSED, at(10), "午休"),
        (AgentState.AVAILABLE, at(20), None),
        (AgentState.OFFLINE, at(30), None),
    ]


def test_the_longest_idle_agent_is_chosen() -> None:
    seat = staffed_seat("101", "102", "103")
    seat.pause("101", "break", at(5))
    seat.resume("101", at(6))  # idle again only since 6
    seat.enqueue("c1", "ch1", "138", at(10))
    [ring] = seat.assignments(at(10))
    assert ring.agent_id == "102"


def test_an_agent_never_rings_for_two_callers_and_a_caller_never_for_two_agents() -> None:
    seat = staffed_seat("101", "102")
    for n in range(3):
        seat.enqueue(f"c{n}", f"ch{n}", "138", at(10 + n))
    rings = seat.assignments(at(20))
    assert [(r.call_id, r.agent_id) for r in rings] == [("c0", "101"), ("c1", "102")]
    assert seat.assignments(at(21)) == []


def test_with_a_ring_group_the_first_answer_wins_and_the_others_are_released() -> None:
    seat = staffed_seat("101", "102", rules=SeatRules(ring_parallel=2))
    seat.enqueue("c1", "ch1", "138", at(10))
    assert {r.agent_id for r in seat.assignments(at(10))} == {"101", "102"}
    won = seat.answer("c1", "102", at(12))
    assert won is not None and won.release == ("101",)
    assert seat.answer("c1", "101", at(12)) is None  # the late answer loses
    assert seat.agents["101"].state is AgentState.AVAILABLE and seat.agents["101"].reserved_for is None
    assert seat.agents["102"].state is AgentState.ON_CALL


def test_a_ring_timeout_moves_on_and_a_busy_agent_is_skipped_for_a_while() -> None:
    seat = staffed_seat("101", "102", "103", rules=SeatRules(busy_skip_s=30))
    seat.enqueue("c1", "ch1", "138", at(10))
    [ring] = seat.assignments(at(10))
    seat.ring_failed("c1", ring.agent_id, "busy", at(11))
    [ring2] = seat.assignments(at(11))
    assert ring2.agent_id == "102"
    seat.ring_failed("c1", "102", "no-answer", at(26))
    [ring3] = seat.assignments(at(26))
    assert ring3.agent_id == "103"
    assert not seat.agents["101"].is_free(at(30)) and seat.agents["101"].is_free(at(42))


def test_an_unreachable_agent_is_paused() -> None:
    seat = staffed_seat("101")
    seat.enqueue("c1", "ch1", "138", at(10))
    seat.assignments(at(10))
    seat.ring_failed("c1", "101", "unreachable", at(11))
    assert (seat.agents["101"].state, seat.agents["101"].reason) == (AgentState.PAUSED, "unreachable")


def test_a_caller_who_leaves_releases_the_ringing_agent() -> None:
    seat = staffed_seat("101")
    seat.enqueue("c1", "ch1", "138", at(10))
    seat.assignments(at(10))
    assert seat.caller_left("c1", at(12)) == ("101",)
    assert seat.agents["101"].is_free(at(12))
    assert seat.answer("c1", "101", at(13)) is None


def test_overflow_when_nobody_is_staffed_or_the_wait_is_too_long() -> None:
    seat = Seat(rules=SeatRules(wait_limit_s=60))
    seat.enqueue("c1", "ch1", "138", at(0))
    overflow = seat.overflow_due("c1", at(1))
    assert overflow is not None and overflow.reason == "no-agents"
    seat.add_member("101", at(0), endpoint="PJSIP/101")
    seat.pause("101", "meeting", at(0))
    assert seat.overflow_due("c1", at(1)) is not None  # paused agents don't staff the seat
    seat.resume("101", at(1))
    seat.agents["101"].state = AgentState.ON_CALL  # busy with somebody else
    assert seat.overflow_due("c1", at(59)) is None
    overflow = seat.overflow_due("c1", at(60))
    assert overflow is not None and overflow.reason == "wait-limit"


def test_wrap_up_follows_a_call_then_the_agent_is_available_and_idle_from_then() -> None:
    seat = staffed_seat("101", rules=SeatRules(wrap_up_s=15))
    seat.enqueue("c1", "ch1", "138", at(10))
    seat.assignments(at(10))
    seat.answer("c1", "101", at(12))
    seat.call_ended("101", at(100))
    assert seat.agents["101"].state is AgentState.WRAP_UP
    assert seat.wrap_up_done("101", at(115))
    assert seat.agents["101"].idle_since == at(115)


def test_positions_count_the_callers_ahead() -> None:
    seat = Seat()
    for n in range(3):
        seat.enqueue(f"c{n}", f"ch{n}", "138", at(n))
    assert [seat.position(f"c{n}") for n in range(3)] == [0, 1, 2]
    seat.caller_left("c0", at(5))
    assert seat.position("c2") == 1 and seat.position("c0") is None


def test_refusals_have_stable_error_ids() -> None:
    seat = staffed_seat("101")
    with pytest.raises(UnknownAgent) as unknown:
        seat.login("999", "PJSIP/999", at(1))
    assert unknown.value.error_id == "seat-unknown-agent"
    with pytest.raises(InvalidEndpoint):
        seat.login("101", "agent101", at(1))
    seat.enqueue("c1", "ch1", "138", at(2))
    seat.assignments(at(2))
    with pytest.raises(AgentBusy):
        seat.logout("101", at(3))
    with pytest.raises(AgentBusy):
        seat.remove_member("101", at(3))


def test_a_caller_whose_agent_vanished_at_answer_gets_their_place_back() -> None:
    seat = staffed_seat("101", "102")
    seat.enqueue("c1", "ch1", "138", at(10))
    seat.enqueue("c2", "ch2", "139", at(11))
    seat.assignments(at(11))
    seat.answer("c1", "101", at(12))
    seat.requeue("c1", "ch1", "138", at(10), "101", at(13))
    assert [c.call_id for c in seat.waiting] == ["c1", "c2"]
    assert seat.agents["101"].state is AgentState.AVAILABLE and seat.agents["101"].reserved_for is None
    assert seat.choose_agent(at(13), exclude=set(seat.waiting[0].tried)) is None  # 102 rings for c2
