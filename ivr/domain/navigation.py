"""The voice navigation state machine (语音导航): events in, commands out, no I/O.

The ARI session feeds it `Started`, `PromptFinished`, `KeyPressed`, `TimedOut`, `VoiceMessageFinished`
(and `CallerHungUp`) and executes the returned commands in order. The machine keeps the caller's
`path` through the menu (every key, timeout and choice) for the call record.

Rules, in the caller's terms:
- open line: greeting + root prompt; the caller may press a key at any time (barge-in 插话).
- the input timer runs only after a prompt has finished playing.
- an invalid key or no input re-prompts ("invalid"/"no_input" before the node prompt); after the
  node's `retries` re-prompts one more failure sends the call to the agent (转人工).
- "*" usually repeats, "#" usually goes back; both are plain actions of the menu file.
- closed line: closed prompt, then a voice message (留言), then hang up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ivr.domain.menu import Back, Destination, GoTo, Menu, MenuNode, Repeat, RouteTo

# --- events (fed in by the session) ---------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    """The call entered the navigation; office hours were decided by the session."""

    open_now: bool


@dataclass(frozen=True)
class PromptFinished:
    """The current `Play` finished by itself (not stopped by `StopPlayback`)."""


@dataclass(frozen=True)
class KeyPressed:
    digit: str


@dataclass(frozen=True)
class TimedOut:
    """The timer armed by the last `ArmTimer` fired."""


@dataclass(frozen=True)
class VoiceMessageFinished:
    """The voice message recording ended; `recording_name` is None if the caller hung up or it failed."""

    recording_name: str | None


@dataclass(frozen=True)
class CallerHungUp:
    """The caller hung up during navigation; recorded in the path, no commands follow."""


Event = Started | PromptFinished | KeyPressed | TimedOut | VoiceMessageFinished | CallerHungUp

# --- commands (executed in order by the session) --------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Play these prompts one after another; a key pressed meanwhile is valid (barge-in)."""

    prompts: tuple[str, ...]


@dataclass(frozen=True)
class StopPlayback:
    """Stop the current playback (sent before handling a key pressed during a `Play`)."""


@dataclass(frozen=True)
class ArmTimer:
    """(Re)start the input timer; a new `ArmTimer` replaces the old one."""

    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    pass


RouteReason = Literal["chosen", "retries_exhausted", "agent_key"]


@dataclass(frozen=True)
class Route:
    """Navigation finished: send the call to `destination`."""

    destination: Destination
    reason: RouteReason


@dataclass(frozen=True)
class RecordVoiceMessage:
    """Record the caller's voice message (留言) after a beep; the caller ends it with `terminate_on`."""

    max_seconds: float
    beep: bool = True
    terminate_on: str = "#"


@dataclass(frozen=True)
class Hangup:
    reason: str


Command = Play | StopPlayback | ArmTimer | CancelTimer | Route | RecordVoiceMessage | Hangup

# --- the caller's path ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PathStep:
    """One step of the caller's way through the menu.

    `outcome` is one of: "goto:<node>", "back:<node>", "repeat", "route:<destination>",
    "agent:<destination>" (agent key), "invalid", "timeout", "retries_exhausted:<destination>",
    "closed", "voice_message", "voice_message_failed", "hangup".
    """

    node: str
    key: str | None
    outcome: str

    def describe(self) -> str:
        key = f" 按{self.key}" if self.key is not None else ""
        return f"{self.node}{key} → {self.outcome}"


def describe_path(path: list[PathStep]) -> str:
    """The path as one line for the call record, e.g. "main 按1 → goto:business; business 按3 → ..."."""
    return "; ".join(step.describe() for step in path)


Phase = Literal["idle", "menu", "closed", "recording", "finished"]
CLOSED_NODE = "closed"
"""Pseudo node name used in the path while the line is closed."""


@dataclass
class Navigation:
    """One call's navigation through a `Menu`. Feed `handle(event)`; execute the returned commands."""

    menu: Menu
    path: list[PathStep] = field(default_factory=list, init=False)
    current_node: str | None = field(default=None, init=False)
    finished: bool = field(default=False, init=False)
    failures: int = field(default=0, init=False)
    """Failed attempts (invalid key or no input) at the current node."""
    phase: Phase = field(default="idle", init=False)
    playing: bool = field(default=False, init=False)
    _came_from: list[str] = field(default_factory=list, init=False, repr=False)

    def handle(self, event: Event) -> list[Command]:
        if self.finished:
            return []
        match event:
            case Started(open_now=open_now):
                return self._start(open_now)
            case PromptFinished():
                return self._prompt_finished()
            case KeyPressed(digit=digit):
                return self._key(digit)
            case TimedOut():
                return self._timed_out()
            case VoiceMessageFinished(recording_name=name):
                return self._voice_message_finished(name)
            case CallerHungUp():
                self._step(None, "hangup")
                self._finish()
                return []
        return []

    # --- event handlers ---

    def _start(self, open_now: bool) -> list[Command]:
        if self.phase != "idle":
            return []
        if not open_now:
            self.phase = "closed"
            self.current_node = None
            self.path.append(PathStep(CLOSED_NODE, None, "closed"))
            return [self._play(self.menu.closed_prompt)]
        self.phase = "menu"
        self.current_node = self.menu.root
        return [self._play(self.menu.greeting_prompt, self._node.prompt)]

    def _prompt_finished(self) -> list[Command]:
        if not self.playing:
            return []
        self.playing = False
        if self.phase == "closed":
            self.phase = "recording"
            return [RecordVoiceMessage(self.menu.voice_message_max_s, beep=True)]
        if self.phase == "menu":
            return [ArmTimer(self._node.timeout_s)]
        return []

    def _key(self, digit: str) -> list[Command]:
        if self.phase != "menu":
            return []  # keys during the closed message or the recording are not navigation
        commands: list[Command] = []
        if self.playing:
            commands.append(StopPlayback())
            self.playing = False
        commands.append(CancelTimer())
        action = self._node.keys.get(digit)
        match action:
            case GoTo(node=target):
                self._step(digit, f"goto:{target}")
                self._came_from.append(self._node.id)
                return commands + self._enter(target)
            case RouteTo(destination=name, agent=agent):
                self._step(digit, f"{'agent' if agent else 'route'}:{name}")
                return commands + self._route(name, "agent_key" if agent else "chosen")
            case Repeat():
                self._step(digit, "repeat")
                return commands + [self._play(self._node.prompt)]
            case Back():
                if not self._came_from:
                    self._step(digit, "repeat")
                    return commands + [self._play(self._node.prompt)]
                previous = self._came_from.pop()
                self._step(digit, f"back:{previous}")
                return commands + self._enter(previous)
        self._step(digit, "invalid")
        return commands + self._failed(self._node.invalid_prompt)

    def _timed_out(self) -> list[Command]:
        if self.phase != "menu" or self.playing:
            return []  # a stale timer: the session fired it after we moved on
        self._step(None, "timeout")
        return self._failed(self._node.timeout_prompt)

    def _voice_message_finished(self, recording_name: str | None) -> list[Command]:
        if self.phase != "recording":
            return []
        self._step(None, "voice_message" if recording_name else "voice_message_failed")
        self._finish()
        return [Hangup("voice_message")]

    # --- helpers ---

    @property
    def _node(self) -> MenuNode:
        assert self.current_node is not None
        return self.menu.nodes[self.current_node]

    def _play(self, *prompts: str) -> Play:
        self.playing = True
        return Play(tuple(prompts))

    def _step(self, key: str | None, outcome: str) -> None:
        node = self.current_node if self.current_node is not None else CLOSED_NODE
        self.path.append(PathStep(node, key, outcome))

    def _enter(self, node_id: str) -> list[Command]:
        self.current_node = node_id
        self.failures = 0
        return [self._play(self._node.prompt)]

    def _failed(self, reprompt: str) -> list[Command]:
        self.failures += 1
        if self.failures > self._node.retries:
            self._step(None, f"retries_exhausted:{self.menu.agent_destination}")
            return self._route(self.menu.agent_destination, "retries_exhausted")
        return [self._play(reprompt, self._node.prompt)]

    def _route(self, name: str, reason: RouteReason) -> list[Command]:
        self._finish()
        return [Route(self.menu.destinations[name], reason)]

    def _finish(self) -> None:
        self.finished = True
        self.phase = "finished"
        self.playing = False
