"""A caller navigates the voice menu (统一语音导航) on the controller, through the fake Asterisk."""

from __future__ import annotations

from tests.fakes.asterisk.parties import HangUp, Press, WaitForPlayback, WaitUntilHungUp
from tests.integration.callflow.support import Hotline

GREETING = "sound:hotline/greeting"
MAIN = "sound:hotline/main_menu"
BUSINESS = "sound:hotline/business_menu"


async def test_pressing_1_then_3_reaches_the_complaint_seat_with_the_path_recorded(hotline: Hotline) -> None:
    call = await hotline.call(
        [WaitForPlayback(MAIN, started=False), Press("1"), WaitForPlayback(BUSINESS), Press("3"), WaitUntilHungUp()]
    )
    where = await hotline.left_menu(call)
    assert (where["context"], where["exten"], where["priority"]) == ("hotline-seat", "s", 1)
    assert call.channel.variables["HOTLINE_SERVICE"] == "complaint"
    assert call.channel.variables["HOTLINE_DESTINATION"] == "complaint"
    assert "main 按1 → goto:business; business 按3 → route:complaint" in call.channel.variables["HOTLINE_MENU_PATH"]
    assert call.heard[:4] == [GREETING, MAIN, BUSINESS, "sound:hotline/transfer_seat"]
    await hotline.hang_up(call)
    record = await hotline.record_of(call)
    assert [(s.node, s.key, s.outcome) for s in record.path] == [
        ("main", "1", "goto:business"),
        ("business", "3", "route:complaint"),
    ]
    assert (record.destination, record.service, record.disposition) == ("complaint", "complaint", "routed-to-seat")
    assert record.caller_number == "13800138000" and record.closed
    await hotline.fake.wait_empty()


async def test_three_timeouts_send_a_silent_caller_to_an_agent(hotline: Hotline) -> None:
    call = await hotline.call([WaitUntilHungUp()])
    where = await hotline.left_menu(call)
    assert where["context"] == "hotline-seat"
    assert call.heard.count("sound:hotline/no_input") == 3
    assert call.heard[-1] == "sound:hotline/transfer_agent"
    await hotline.hang_up(call)
    record = await hotline.record_of(call)
    outcomes = [s.outcome for s in record.path]
    assert outcomes == ["timeout"] * 4 + ["retries_exhausted:business_seat"]
    assert (record.destination, record.service, record.disposition) == ("business_seat", None, "routed-to-seat")


async def test_an_invalid_key_plays_the_invalid_prompt_and_the_caller_can_try_again(hotline: Hotline) -> None:
    call = await hotline.call(
        [
            WaitForPlayback(MAIN),
            Press("9"),
            WaitForPlayback("sound:hotline/invalid"),
            WaitForPlayback(MAIN, started=False),
            Press("1"),
            WaitForPlayback(BUSINESS),
            Press("5"),
            WaitUntilHungUp(),
        ]
    )
    await hotline.left_menu(call)
    assert call.channel.variables["HOTLINE_SERVICE"] == "suggestion"
    await hotline.hang_up(call)
    record = await hotline.record_of(call)
    assert [s.outcome for s in record.path] == ["invalid", "goto:business", "route:suggestion"]
    assert record.path[0].key == "9"


async def test_a_key_pressed_during_the_greeting_stops_it_and_is_honoured(hotline: Hotline) -> None:
    call = await hotline.call([WaitForPlayback(GREETING), Press("1", duration=0.1), WaitUntilHungUp()])
    stopped = await hotline.fake.wait_for_event("PlaybackFinished", lambda e: call.id in e["playback"]["target_uri"])
    assert stopped["playback"]["media_uri"] == GREETING  # stopped in the greeting, main menu never reached
    deletes = [r for r in hotline.fake.requests if r.method == "DELETE" and r.path.startswith("/ari/playbacks/")]
    assert deletes and deletes[0].path == f"/ari/playbacks/{stopped['playback']['id']}"
    await hotline.fake.wait_until(lambda: BUSINESS in call.heard, 5)
    assert call.heard[:2] == [GREETING, BUSINESS]
    await hotline.fake.remote_hangup(call.channel)
    record = await hotline.record_of(call)
    assert [(s.node, s.key, s.outcome) for s in record.path][0] == ("main", "1", "goto:business")


async def test_a_caller_hanging_up_mid_prompt_leaves_nothing_behind(hotline: Hotline) -> None:
    call = await hotline.call([WaitForPlayback(MAIN)])
    await call.finished()
    await hotline.fake.remote_hangup(call.channel)
    record = await hotline.record_of(call)
    assert record.disposition == "abandoned-in-menu" and record.closed
    assert [s.outcome for s in record.path] == ["hangup"]
    await hotline.fake.wait_empty()
    hotline.fake.assert_empty()


async def test_a_caller_hanging_up_during_the_transfer_announcement_is_no_failure(hotline: Hotline) -> None:
    call = await hotline.call(
        [WaitForPlayback(GREETING), Press("1"), WaitForPlayback(BUSINESS), Press("3"),
         WaitForPlayback("sound:hotline/transfer_seat"), HangUp()]
    )
    record = await hotline.record_of(call)
    assert record.disposition == "abandoned-in-menu" and record.destination is None
    assert [s.outcome for s in record.path] == ["goto:business", "route:complaint"]
    assert hotline.controller.stats.handler_failures == 0
    await hotline.fake.wait_empty()
