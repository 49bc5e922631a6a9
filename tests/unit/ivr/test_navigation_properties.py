"""Whatever a caller does, the navigation never leaves them in silence and keeps an honest path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.config import load_menu
from ivr.domain.navigation import (
    ArmTimer,
    Event,
    Hangup,
    KeyPressed,
    Navigation,
    Play,
    PromptFinished,
    Route,
    Started,
    StopPlayback,
    TimedOut,
    VoiceMessageFinished,
)

MENU = load_menu()
KEYS = list("0123456789*#")

caller_events = st.lists(
    st.one_of(
        st.sampled_from(KEYS).map(KeyPressed),
        st.just(TimedOut()),
        st.just(PromptFinished()),
        st.sampled_from([VoiceMessageFinished("vm-1"), VoiceMessageFinished(None)]),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(open_now=st.booleans(), events=caller_events)
def test_any_caller_behaviour_keeps_the_machine_consistent(open_now: bool, events: list[Event]) -> None:
    nav = Navigation(MENU)
    playing = False
    ends = 0
    for event in [Started(open_now=open_now), *events]:
        steps_before = len(nav.path)
        was_finished = nav.finished
        if isinstance(event, PromptFinished):
            playing = False  # the session reports a prompt finished only when one was playing
        commands = nav.handle(event)
        if was_finished:
            assert commands == []
        for command in commands:
            if isinstance(command, StopPlayback):
                assert playing, "stops only a prompt that is playing"
                playing = False
            elif isinstance(command, Play):
                assert all(name in MENU.prompts for name in command.prompts)
                playing = True
            elif isinstance(command, ArmTimer):
                assert not playing, "the input timer never runs during a prompt"
            elif isinstance(command, Route | Hangup):
                ends += 1
        if isinstance(event, KeyPressed) and open_now and not was_finished:
            assert len(nav.path) > steps_before, "every key in the menu is on the path"
    assert ends <= 1
    assert nav.finished == (ends == 1)


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.sampled_from(["6", "7", "8", "9", None]), min_size=1, max_size=20))
def test_a_caller_who_only_fumbles_always_reaches_an_agent(keys: list[str | None]) -> None:
    """Wrong keys and silence, in any mix: after the retries the call goes to an agent, never to silence."""
    nav = Navigation(MENU)
    nav.handle(Started(open_now=True))
    nav.handle(PromptFinished())
    budget = MENU.nodes[MENU.root].retries + 1
    last: list = []
    for i in range(budget):
        key = keys[i % len(keys)]
        last = nav.handle(TimedOut() if key is None else KeyPressed(key))
        if not nav.finished:
            nav.handle(PromptFinished())
    assert nav.finished
    assert last[-1] == Route(MENU.agent, "retries_exhausted")
