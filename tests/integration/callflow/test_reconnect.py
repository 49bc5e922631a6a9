"""Asterisk doesn't replay events missed while the WebSocket is down: reconcile keeps the caller going."""

from __future__ import annotations

from tests.fakes.asterisk.parties import Press, WaitForPlayback, WaitUntilHungUp
from tests.integration.callflow.support import Hotline


async def test_a_websocket_drop_mid_menu_loses_no_caller(hotline: Hotline) -> None:
    fake = hotline.fake
    call = await hotline.call(
        [
            WaitForPlayback("sound:hotline/greeting"),
            WaitForPlayback("sound:hotline/no_input"),  # only played if the session resumed after the gap
            Press("1"),
            WaitForPlayback("sound:hotline/business_menu"),
            Press("3"),
            WaitUntilHungUp(),
        ]
    )
    await fake.wait_until(lambda: "sound:hotline/greeting" in call.heard, 5)
    fake.refuse_websockets(True)
    await fake.drop_websockets()
    # While we are away the greeting and main menu finish: that PlaybackFinished is lost for good.
    assert await fake.wait_until(lambda: not any(call.id in p.target_uri for p in fake.playbacks.values()), 5)
    fake.refuse_websockets(False)
    await fake.wait_for_app("hotline")

    where = await hotline.left_menu(call)
    assert where["context"] == "hotline-seat" and call.channel.variables["HOTLINE_SERVICE"] == "complaint"
    assert hotline.controller.stats.reconciles >= 2
    assert any(r.method == "GET" and r.path.startswith("/ari/playbacks/") for r in fake.requests)
    await hotline.hang_up(call)
    record = await hotline.record_of(call)
    assert [s.outcome for s in record.path] == ["timeout", "goto:business", "route:complaint"]
    assert record.disposition == "routed-to-seat"


async def test_a_caller_who_hangs_up_while_we_are_away_gets_a_closed_record(hotline: Hotline) -> None:
    fake = hotline.fake
    call = await hotline.call([WaitForPlayback("sound:hotline/greeting")])
    await call.finished()
    fake.refuse_websockets(True)
    await fake.drop_websockets()
    await fake.remote_hangup(call.channel)  # StasisEnd is lost
    fake.refuse_websockets(False)
    record = await hotline.record_of(call)
    assert record.disposition == "abandoned-in-menu" and record.closed
    await fake.wait_empty()


async def test_a_restarted_controller_takes_up_the_calls_already_in_the_app(hotline: Hotline) -> None:
    fake = hotline.fake
    call = await hotline.call([WaitUntilHungUp()])
    await fake.wait_until(lambda: "sound:hotline/greeting" in call.heard, 5)
    old = hotline.controller
    await hotline.stop_controller()  # the service process dies mid-greeting; the caller stays in Stasis
    assert old.workers == {}
    new = hotline.start_controller()
    # the new controller finds the caller in the app and greets them again
    assert await fake.wait_until(lambda: call.heard.count("sound:hotline/greeting") == 2, 5), call.heard
    assert new.stats.resumed_new == 1
    fake.party_dtmf(call.channel, "1", 150)
    assert await fake.wait_until(lambda: "sound:hotline/business_menu" in call.heard, 5)
    fake.party_dtmf(call.channel, "2", 150)
    await hotline.left_menu(call)
    assert call.channel.variables["HOTLINE_SERVICE"] == "matter_consultation"
    await hotline.hang_up(call)
    record = await hotline.record_of(call)
    assert [s.outcome for s in record.path] == ["goto:business", "route:matter_consultation"]


async def test_reconcile_cleans_up_bridges_and_snoops_nobody_owns(hotline: Hotline) -> None:
    fake = hotline.fake
    call = await hotline.call([WaitUntilHungUp()])
    await fake.wait_until(lambda: "sound:hotline/greeting" in call.heard, 5)
    # Leftovers of a controller that crashed mid-call: a bridge of ours and a snoop on the caller.
    bridge = await hotline.client.request("POST", "/bridges", {"type": "mixing", "name": "hotline-call-lost"})
    snoop = await hotline.client.request("POST", f"/channels/{call.id}/snoop", {"app": "hotline", "spy": "in"})
    assert bridge["id"] in fake.bridges and snoop["id"] in fake.channels

    await fake.drop_websockets()  # the controller reconnects and reconciles
    assert await fake.wait_until(lambda: bridge["id"] not in fake.bridges and snoop["id"] not in fake.channels, 5)
    assert hotline.controller.stats.orphans_cleaned == 2
    assert call.alive and hotline.controller.session(call.id) is not None  # the caller's own call goes on

    fake.party_dtmf(call.channel, "1", 150)
    assert await fake.wait_until(lambda: "sound:hotline/business_menu" in call.heard, 5)
    await fake.remote_hangup(call.channel)
    await hotline.record_of(call)
    await fake.wait_empty()


async def test_after_an_asterisk_restart_lost_calls_are_closed_and_new_calls_are_served(hotline: Hotline) -> None:
    fake = hotline.fake
    lost = await hotline.call([WaitUntilHungUp()])
    await fake.wait_until(lambda: "sound:hotline/greeting" in lost.heard, 5)
    await fake.restart()  # every channel vanishes without an event
    record = await hotline.record_of(lost)
    assert record.closed and record.disposition == "abandoned-in-menu"

    await fake.wait_for_app("hotline")
    fresh = await hotline.call(
        [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"),
         Press("5"), WaitUntilHungUp()]
    )
    await hotline.left_menu(fresh)
    assert fresh.channel.variables["HOTLINE_SERVICE"] == "suggestion"
    await hotline.hang_up(fresh)
    await hotline.record_of(fresh)
