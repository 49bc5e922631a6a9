"""The dedicated seat's queue through the fake Asterisk: every scenario ends with nothing left in Asterisk."""

from __future__ import annotations

from dataclasses import replace

from callflow.seat.domain import AgentState
from callflow.seat.stats import HandledCall
from tests.fakes.asterisk.parties import (
    HangUp,
    Press,
    Wait,
    WaitForPlayback,
    WaitUntilBridged,
    WaitUntilHungUp,
)
from tests.integration.callflow.seat.seat_fixtures import TEST_CONFIG, SeatLine


async def test_a_waiting_caller_hears_music_and_position_then_the_agent_answers(seat_line: SeatLine) -> None:
    seat_line.configure(replace(TEST_CONFIG, ring_s=40))
    phone = await seat_line.agent("agent101", answer_after=30.0, script=[WaitUntilBridged(), Wait(20), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    await seat_line.until(lambda: call.music_on_hold == "default", what="music on hold")
    await seat_line.until(lambda: "sound:hotline/queue_wait" in call.heard, what="the position prompt")
    row = await seat_line.finished(call)
    assert row.disposition == "answered"
    assert row.agent_id == "agent101"
    assert row.ended_by == "agent"
    assert row.wait_s is not None and row.wait_s >= 25  # the agent answered after 30 s of ringing
    assert row.talk_s is not None and row.talk_s >= 15
    assert len(phone.calls) == 1
    await seat_line.empty()


async def test_the_longest_idle_agent_is_rung_first(seat_line: SeatLine) -> None:
    await seat_line.agent("agent202", answer_after=2.0, script=[WaitUntilBridged(), Wait(2), HangUp()])
    await seat_line.hotline.fake.clock.sleep(5)
    await seat_line.agent("agent201", answer_after=2.0, script=[WaitUntilBridged(), Wait(2), HangUp()])
    await seat_line.agent("agent203", answer_after=2.0, script=[WaitUntilBridged(), Wait(2), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    row = await seat_line.finished(call)
    assert [r["agent"] for r in row.rung] == ["agent202"]
    assert row.agent_id == "agent202"
    await seat_line.empty()


async def test_a_ring_timeout_moves_on_to_the_next_agent(seat_line: SeatLine) -> None:
    await seat_line.agent("agent301", answer_after=None)
    await seat_line.hotline.fake.clock.sleep(2)
    await seat_line.agent("agent302", answer_after=3.0, script=[WaitUntilBridged(), Wait(3), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    row = await seat_line.finished(call)
    assert [(r["agent"], r["outcome"]) for r in row.rung] == [("agent301", "no-answer"), ("agent302", "answered")]
    assert row.wait_s is not None and row.wait_s >= 10  # the first agent rang for the full ring time
    await seat_line.empty()


async def test_two_agents_answering_at_once_one_wins_the_other_leg_is_hung_up(seat_line: SeatLine) -> None:
    config = replace(TEST_CONFIG, rules=replace(TEST_CONFIG.rules, ring_parallel=2))
    seat_line.configure(config)
    first = await seat_line.agent("agent401", answer_after=2.0, script=[WaitUntilBridged(), Wait(4), HangUp()])
    second = await seat_line.agent("agent402", answer_after=2.0, script=[WaitUntilBridged(), Wait(4), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    row = await seat_line.finished(call)
    outcomes = sorted(r["outcome"] for r in row.rung)
    assert outcomes == ["answered", "lost-race"]
    winner = row.agent_id
    assert winner in ("agent401", "agent402")
    loser = "agent402" if winner == "agent401" else "agent401"
    [loser_leg] = [
        r.path.rsplit("/", 1)[1] for r in seat_line.fake.requests
        if r.method == "POST" and r.query.get("endpoint") == f"PJSIP/{loser}"
    ]
    assert f"DELETE /ari/channels/{loser_leg}" in seat_line.hotline.requests_for(loser_leg)
    assert all(not c.alive for c in (first.calls + second.calls))
    assert row.agents == [winner]
    seat = seat_line.queue.seat
    assert seat.agents["agent401"].reserved_for is None and seat.agents["agent402"].reserved_for is None
    await seat_line.empty()


async def test_a_caller_hanging_up_while_the_agent_rings_hangs_up_the_agent_leg(seat_line: SeatLine) -> None:
    phone = await seat_line.agent("agent501", answer_after=None)
    call = await seat_line.caller([WaitUntilHungUp()])

    def agent_phone_rings() -> bool:
        legs = [c for c in seat_line.fake.channels.values() if c.name.startswith("PJSIP/agent501-")]
        return any(c.state == "Ringing" for c in legs)

    await seat_line.until(agent_phone_rings, what="the agent's phone to ring")  # not a fixed wait: rung by then
    await seat_line.hotline.hang_up(call)  # the caller hangs up while it rings
    row = await seat_line.finished(call)
    assert row.disposition == "abandoned"
    assert [(r["agent"], r["outcome"]) for r in row.rung] == [("agent501", "caller-left")]
    await seat_line.until(lambda: not any(c.alive for c in phone.calls) if phone.calls else True)
    stats = seat_line.queue.snapshot()
    assert stats["windows"][0]["abandoned"] == 1  # type: ignore[index]
    assert seat_line.queue.seat.agents["agent501"].state is AgentState.AVAILABLE
    await seat_line.empty()


async def test_a_busy_agent_is_skipped_and_marked_an_unreachable_one_paused(seat_line: SeatLine) -> None:
    await seat_line.agent("agent601", busy=True)
    await seat_line.hotline.fake.clock.sleep(1)
    await seat_line.agent("agent602", unreachable=True)
    await seat_line.hotline.fake.clock.sleep(1)
    await seat_line.agent("agent603", answer_after=2.0, script=[WaitUntilBridged(), Wait(2), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    row = await seat_line.finished(call)
    assert [(r["agent"], r["outcome"]) for r in row.rung] == [
        ("agent601", "busy"), ("agent602", "unreachable"), ("agent603", "answered")
    ]
    agents = seat_line.queue.seat.agents
    assert agents["agent601"].last_problem == "busy" and agents["agent601"].skip_until is not None
    assert agents["agent602"].state is AgentState.PAUSED and agents["agent602"].reason == "unreachable"
    await seat_line.empty()


async def test_with_no_agent_logged_in_the_caller_overflows_to_the_general_queue(seat_line: SeatLine) -> None:
    call = await seat_line.caller([WaitForPlayback("sound:hotline/queue_callback_offer")])
    where = await seat_line.hotline.left_menu(call)
    assert (where["context"], where["exten"]) == ("hotline-general", "s")
    await seat_line.hotline.hang_up(call)
    row = await seat_line.finished(call)
    assert (row.disposition, row.overflow_reason) == ("overflowed", "no-agents")
    await seat_line.empty()


async def test_past_the_wait_limit_the_caller_overflows(seat_line: SeatLine) -> None:
    seat_line.configure(replace(TEST_CONFIG, rules=replace(TEST_CONFIG.rules, wait_limit_s=15.0)))
    await seat_line.agent("agent701", answer_after=None)
    call = await seat_line.caller([WaitForPlayback("sound:hotline/queue_callback_offer")])
    await seat_line.hotline.left_menu(call, limit_s=15)
    await seat_line.hotline.hang_up(call)
    row = await seat_line.finished(call)
    assert (row.disposition, row.overflow_reason) == ("overflowed", "wait-limit")
    assert row.wait_s is not None and row.wait_s >= 15
    await seat_line.empty()


async def test_pressing_1_asks_for_a_callback_with_a_number_confirmed_by_keypad(seat_line: SeatLine) -> None:
    seat_line.configure(replace(TEST_CONFIG, digit_timeout_s=300.0, confirm_timeout_s=300.0))  # no timer races
    call = await seat_line.caller([
        WaitForPlayback("sound:hotline/queue_callback_offer"), Press("1"),
        WaitForPlayback("sound:hotline/callback_number_is", started=False), Press("2"),
        WaitForPlayback("sound:hotline/callback_enter_number"), Press("13912345678#"),
        WaitForPlayback("sound:hotline/callback_number_is", started=False), Press("1"),
        WaitUntilHungUp(),
    ])
    row = await seat_line.finished(call)
    assert row.disposition == "callback"
    assert "digits:13800138000" in call.heard and "digits:13912345678" in call.heard, call.heard[4:]
    assert [r.callback_number for r in seat_line.orders.made] == ["13912345678"]
    [stored] = await seat_line.store.callbacks()
    assert (stored.callback_number, stored.status, stored.work_order) == ("13912345678", "ordered", "HB0001")
    await seat_line.empty()


async def test_a_supervisor_adds_an_agent_live_and_the_waiting_caller_is_served(seat_line: SeatLine) -> None:
    seat_line.configure(replace(TEST_CONFIG, rules=replace(TEST_CONFIG.rules, overflow_when_no_agents=False)))
    call = await seat_line.caller([WaitUntilBridged(), Wait(3), HangUp()])
    await seat_line.until(lambda: len(seat_line.queue.seat.waiting) == 1, what="the caller to wait")
    seat_line.fake.add_endpoint("PJSIP/agent801", answer_after=1.0)
    await seat_line.queue.add_member("agent801", name="新增坐席", endpoint="PJSIP/agent801")
    row = await seat_line.finished(call)
    assert (row.disposition, row.agent_id, row.ended_by) == ("answered", "agent801", "caller")
    await seat_line.empty()


async def test_after_a_call_the_agent_wraps_up_then_is_available_again(seat_line: SeatLine) -> None:
    await seat_line.agent("agent901", answer_after=1.0, script=[WaitUntilBridged(), Wait(2), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    await seat_line.finished(call)
    agent = seat_line.queue.seat.agents["agent901"]
    await seat_line.until(lambda: agent.state is AgentState.AVAILABLE, what="the end of wrap-up")
    await seat_line.queue.flush()
    changes = await seat_line.store.state_changes("agent901")
    assert [c.state for c in changes] == ["available", "ringing", "on_call", "wrap_up", "available"]
    # wrap-up lasted its configured 10 s of call-flow time (timestamps are wall-clock, hence the factor)
    wrap_up = (changes[4].at - changes[3].at).total_seconds()
    assert wrap_up >= 0.9 * seat_line.queue.seat.rules.wrap_up_s * seat_line.fake.time_factor
    await seat_line.empty()


async def test_hanging_up_while_confirming_the_callback_number_leaves_nothing_behind(seat_line: SeatLine) -> None:
    call = await seat_line.caller([
        WaitForPlayback("sound:hotline/queue_callback_offer"), Press("1"),
        WaitForPlayback("sound:hotline/callback_number_is"), HangUp(),
    ])
    row = await seat_line.finished(call)
    assert row.disposition in ("overflowed", "callback")
    assert seat_line.orders.made == []  # nothing confirmed, no work order
    await seat_line.empty()


async def test_a_caller_hanging_up_during_the_conversation_frees_the_agent(seat_line: SeatLine) -> None:
    phone = await seat_line.agent("agent111", answer_after=1.0)
    call = await seat_line.caller([WaitUntilBridged(), Wait(4), HangUp()])
    row = await seat_line.finished(call)
    assert (row.disposition, row.ended_by) == ("answered", "caller")
    assert row.talk_s is not None and row.talk_s >= 3
    assert not phone.calls[0].alive
    assert seat_line.queue.seat.agents["agent111"].state is AgentState.WRAP_UP
    await seat_line.empty()


async def test_an_endpoint_asterisk_refuses_pauses_the_agent_and_the_next_one_answers(seat_line: SeatLine) -> None:
    await seat_line.queue.add_member("agent121", endpoint="PJSIP/agent121")  # no such endpoint in Asterisk
    await seat_line.hotline.fake.clock.sleep(1)
    await seat_line.agent("agent122", answer_after=1.0, script=[WaitUntilBridged(), Wait(2), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    row = await seat_line.finished(call)
    assert [(r["agent"], r["outcome"]) for r in row.rung] == [("agent121", "unreachable"), ("agent122", "answered")]
    assert seat_line.queue.seat.agents["agent121"].state is AgentState.PAUSED
    await seat_line.until(lambda: not seat_line.hotline.controller.workers, what="every session to end")
    await seat_line.empty()


async def test_an_agent_gone_before_the_bridge_puts_the_caller_back_in_the_queue(seat_line: SeatLine) -> None:
    await seat_line.agent("agent131", answer_after=1.0, script=[HangUp()])  # answers and hangs up at once
    await seat_line.hotline.fake.clock.sleep(1)
    await seat_line.agent("agent132", answer_after=1.0, script=[WaitUntilBridged(), Wait(2), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    row = await seat_line.finished(call)
    outcomes = [(r["agent"], r["outcome"]) for r in row.rung]
    if outcomes[0][1] == "hung-up-at-answer":  # the usual order: the agent left before our addChannel
        assert outcomes == [("agent131", "hung-up-at-answer"), ("agent132", "answered")]
        assert (row.disposition, row.agent_id, row.agents) == ("answered", "agent132", ["agent132"])
    else:  # the bridge was made first: then the agent's hang-up ends the call
        assert (outcomes, row.ended_by) == ([("agent131", "answered")], "agent")
    await seat_line.empty()


async def test_an_answer_during_an_event_socket_outage_is_found_after_the_reconnect(seat_line: SeatLine) -> None:
    phone = await seat_line.agent("agent141", answer_after=4.0, script=[WaitUntilBridged(), Wait(2), HangUp()])
    call = await seat_line.caller([WaitUntilHungUp()])
    fake = seat_line.fake
    await seat_line.until(lambda: any(c.endpoint == "PJSIP/agent141" for c in fake.channels.values()), what="ringing")
    fake.refuse_websockets(True)
    await fake.drop_websockets()
    await seat_line.until(lambda: bool(phone.calls), what="the agent to answer during the outage")
    fake.refuse_websockets(False)
    row = await seat_line.finished(call)
    assert (row.disposition, row.agent_id, row.ended_by) == ("answered", "agent141", "agent")
    await seat_line.empty()


async def test_a_waiting_caller_hears_the_expected_wait_once_calls_have_been_handled(seat_line: SeatLine) -> None:
    queue = seat_line.queue
    queue.stats.call_handled(HandledCall("earlier", queue.now(), talk_s=150, wrap_up_s=10))  # AHT 160 s
    await seat_line.agent("agent151", answer_after=1.0, script=[WaitUntilBridged(), Wait(60), HangUp()])
    first = await seat_line.caller([WaitUntilHungUp()], number="13800000001")
    await seat_line.until(lambda: queue.seat.agents["agent151"].state is AgentState.ON_CALL, what="the first call")
    second = await seat_line.caller(
        [WaitForPlayback("sound:hotline/queue_expected_suffix"), HangUp()], number="13800000002"
    )
    await seat_line.finished(second)
    announced = second.heard[second.heard.index("sound:hotline/queue_wait"):]
    # first in line, one agent, AHT 160 s → about 3 minutes
    assert announced[:4] == [
        "sound:hotline/queue_wait", "sound:hotline/queue_expected_prefix", "sound:hotline/number_3",
        "sound:hotline/queue_expected_suffix",
    ]
    await seat_line.finished(first)
    await seat_line.empty()
