"""The pure navigation machine, scenario by scenario, on the shipped default menu."""

from __future__ import annotations

import pytest

from ivr.config import load_menu
from ivr.domain.menu import Menu
from ivr.domain.navigation import (
    ArmTimer,
    CallerHungUp,
    CancelTimer,
    Hangup,
    KeyPressed,
    Navigation,
    PathStep,
    Play,
    PromptFinished,
    RecordVoiceMessage,
    Route,
    Started,
    StopPlayback,
    TimedOut,
    VoiceMessageFinished,
    describe_path,
)


@pytest.fixture(scope="module")
def menu() -> Menu:
    return load_menu()


def open_call(menu: Menu) -> Navigation:
    """A caller during office hours who has heard the greeting and the main menu to the end."""
    nav = Navigation(menu)
    nav.handle(Started(open_now=True))
    nav.handle(PromptFinished())
    return nav


def test_an_open_line_greets_then_plays_the_main_menu_without_a_timer(menu: Menu) -> None:
    nav = Navigation(menu)
    assert nav.handle(Started(open_now=True)) == [Play(("greeting", "main_menu"))]
    assert nav.current_node == "main"
    assert nav.handle(PromptFinished()) == [ArmTimer(5.0)]


def test_business_line_then_complaint_routes_to_the_complaint_seat_and_records_the_path(menu: Menu) -> None:
    nav = open_call(menu)
    assert nav.handle(KeyPressed("1")) == [CancelTimer(), Play(("business_menu",))]
    assert nav.current_node == "business"
    nav.handle(PromptFinished())
    commands = nav.handle(KeyPressed("3"))
    assert commands == [CancelTimer(), Route(menu.destinations["complaint"], "chosen")]
    assert commands[-1].destination.service == "complaint"  # type: ignore[union-attr]
    assert nav.finished
    assert nav.path == [
        PathStep("main", "1", "goto:business"),
        PathStep("business", "3", "route:complaint"),
    ]
    assert describe_path(nav.path) == "main 按1 → goto:business; business 按3 → route:complaint"


def test_a_key_during_a_prompt_stops_it_and_counts(menu: Menu) -> None:
    nav = Navigation(menu)
    nav.handle(Started(open_now=True))
    assert nav.handle(KeyPressed("1")) == [StopPlayback(), CancelTimer(), Play(("business_menu",))]
    assert nav.handle(KeyPressed("5")) == [
        StopPlayback(),
        CancelTimer(),
        Route(menu.destinations["suggestion"], "chosen"),
    ]


def test_a_timer_firing_while_a_prompt_plays_is_stale_and_ignored(menu: Menu) -> None:
    nav = Navigation(menu)
    nav.handle(Started(open_now=True))
    assert nav.handle(TimedOut()) == []
    assert nav.path == []


def test_an_invalid_key_replays_the_menu_after_the_invalid_prompt(menu: Menu) -> None:
    nav = open_call(menu)
    assert nav.handle(KeyPressed("7")) == [CancelTimer(), Play(("invalid", "main_menu"))]
    assert nav.path == [PathStep("main", "7", "invalid")]
    assert nav.failures == 1
    assert nav.handle(PromptFinished()) == [ArmTimer(5.0)]


def test_no_input_replays_the_menu_after_the_no_input_prompt(menu: Menu) -> None:
    nav = open_call(menu)
    assert nav.handle(TimedOut()) == [Play(("no_input", "main_menu"))]
    assert nav.path == [PathStep("main", None, "timeout")]


def test_after_the_last_retry_the_caller_goes_to_an_agent_never_to_silence(menu: Menu) -> None:
    nav = open_call(menu)
    retries = menu.nodes["main"].retries
    for _ in range(retries):
        assert nav.handle(TimedOut()) == [Play(("no_input", "main_menu"))]
        nav.handle(PromptFinished())
    assert nav.handle(TimedOut()) == [Route(menu.destinations["business_seat"], "retries_exhausted")]
    assert nav.finished
    assert [s.outcome for s in nav.path] == ["timeout"] * (retries + 1) + ["retries_exhausted:business_seat"]


def test_mixed_invalid_keys_and_timeouts_share_one_retry_budget(menu: Menu) -> None:
    nav = open_call(menu)
    nav.handle(KeyPressed("9"))
    nav.handle(PromptFinished())
    nav.handle(TimedOut())
    nav.handle(PromptFinished())
    nav.handle(KeyPressed("8"))
    nav.handle(PromptFinished())
    commands = nav.handle(KeyPressed("#"))  # not bound in the main menu
    assert commands == [CancelTimer(), Route(menu.agent, "retries_exhausted")]


def test_a_new_menu_level_gets_a_fresh_retry_budget(menu: Menu) -> None:
    nav = open_call(menu)
    for _ in range(3):
        nav.handle(TimedOut())
        nav.handle(PromptFinished())
    nav.handle(KeyPressed("1"))
    nav.handle(PromptFinished())
    assert nav.failures == 0
    assert nav.handle(TimedOut()) == [Play(("no_input", "business_menu"))]


def test_star_repeats_the_current_menu_without_counting_a_failure(menu: Menu) -> None:
    nav = open_call(menu)
    nav.handle(KeyPressed("1"))
    nav.handle(PromptFinished())
    assert nav.handle(KeyPressed("*")) == [CancelTimer(), Play(("business_menu",))]
    assert nav.failures == 0
    assert nav.path[-1] == PathStep("business", "*", "repeat")


def test_hash_goes_back_to_the_main_menu(menu: Menu) -> None:
    nav = open_call(menu)
    nav.handle(KeyPressed("1"))
    nav.handle(PromptFinished())
    assert nav.handle(KeyPressed("#")) == [CancelTimer(), Play(("main_menu",))]
    assert nav.current_node == "main"
    assert nav.path[-1] == PathStep("business", "#", "back:main")


def test_zero_in_the_business_line_reaches_an_agent_without_a_service(menu: Menu) -> None:
    nav = open_call(menu)
    nav.handle(KeyPressed("1"))
    commands = nav.handle(KeyPressed("0"))
    route = commands[-1]
    assert route == Route(menu.destinations["business_seat"], "agent_key")
    assert route.destination.kind == "seat" and route.destination.service is None
    assert nav.path[-1] == PathStep("business", "0", "agent:business_seat")


def test_other_main_menu_options_transfer_to_the_general_queue_in_the_dialplan(menu: Menu) -> None:
    nav = open_call(menu)
    [_, route] = nav.handle(KeyPressed("2"))
    assert isinstance(route, Route)
    assert route.destination.kind == "transfer"
    assert (route.destination.context, route.destination.extension) == ("hotline-general", "s")


def test_keys_after_the_call_was_routed_are_ignored(menu: Menu) -> None:
    nav = open_call(menu)
    nav.handle(KeyPressed("2"))
    assert nav.handle(KeyPressed("1")) == []
    assert nav.handle(TimedOut()) == []
    assert nav.handle(PromptFinished()) == []
    assert len(nav.path) == 1


def test_a_closed_line_plays_the_closed_message_then_records_a_voice_message_then_hangs_up(menu: Menu) -> None:
    nav = Navigation(menu)
    assert nav.handle(Started(open_now=False)) == [Play(("closed",))]
    assert nav.handle(KeyPressed("1")) == []  # no menu outside office hours
    assert nav.handle(PromptFinished()) == [RecordVoiceMessage(120.0, beep=True, terminate_on="#")]
    assert nav.handle(TimedOut()) == []
    assert nav.handle(VoiceMessageFinished("vm-20261130-0001")) == [Hangup("voice_message")]
    assert nav.finished
    assert [s.outcome for s in nav.path] == ["closed", "voice_message"]


def test_a_failed_voice_message_is_kept_on_the_path(menu: Menu) -> None:
    nav = Navigation(menu)
    nav.handle(Started(open_now=False))
    nav.handle(PromptFinished())
    assert nav.handle(VoiceMessageFinished(None)) == [Hangup("voice_message")]
    assert nav.path[-1].outcome == "voice_message_failed"


def test_a_caller_hanging_up_mid_menu_ends_the_navigation_on_the_path(menu: Menu) -> None:
    nav = open_call(menu)
    nav.handle(KeyPressed("1"))
    assert nav.handle(CallerHungUp()) == []
    assert nav.finished
    assert nav.path[-1] == PathStep("business", None, "hangup")


def test_events_before_the_start_do_nothing(menu: Menu) -> None:
    nav = Navigation(menu)
    assert nav.handle(KeyPressed("1")) == []
    assert nav.handle(PromptFinished()) == []
    assert nav.handle(Started(open_now=True)) == [Play(("greeting", "main_menu"))]
    assert nav.handle(Started(open_now=True)) == []
