"""Scripted parties: inbound callers and dialled endpoints (agents, experts) that follow a script.

A script is a list of small steps run in order, on the fake's call-flow clock::

    call = await fake.place_call(number="13800138000", script=[
        WaitForPlayback(),            # the welcome prompt started
        Press("1"),                   # key 1 (sent at the end of the digit, like RFC 2833)
        WaitForPlayback("sound:hotline/business-menu"),
        Press("3"),
        Speak(Path("complaint.wav")), # what the caller says (recordings, snoops, externalMedia)
        HangUp(),                     # remote BYE
    ])
    await call.finished()
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .audio import VoiceSegment, read_wav
from .model import Channel

if TYPE_CHECKING:
    from .fake import FakeAsterisk


@dataclass(frozen=True)
class WaitForPlayback:
    """Wait until the next playback on this channel (or its bridge) starts, optionally one with `media`.

    `started=False` waits until that playback has finished instead.
    """

    media: str | None = None
    started: bool = True
    timeout: float = 60.0


@dataclass(frozen=True)
class Wait:
    """Do nothing for `seconds` of call-flow time."""

    seconds: float


@dataclass(frozen=True)
class Press:
    """Press keys: each digit lasts `duration` s and arrives at its end; `between` s between digits."""

    digits: str
    between: float = 0.25
    duration: float = 0.15


@dataclass(frozen=True)
class Speak:
    """Say the content of a WAV file (any rate, 16-bit): it lasts the file's duration."""

    wav: Path


@dataclass(frozen=True)
class HangUp:
    """Hang up from the party's side (a SIP BYE)."""


@dataclass(frozen=True)
class WaitUntilBridged:
    """Wait until this channel is in a mixing bridge together with another channel."""

    timeout: float = 120.0


@dataclass(frozen=True)
class WaitUntilAnswered:
    """Wait until the channel is Up."""

    timeout: float = 60.0


@dataclass(frozen=True)
class WaitUntilHungUp:
    """Wait (without hanging up) until the other side hangs up the channel."""

    timeout: float = 600.0


Step = (
    WaitForPlayback | Wait | Press | Speak | HangUp | WaitUntilBridged | WaitUntilAnswered | WaitUntilHungUp
)


class ScriptTimeout(AssertionError):
    """A waiting step of a script did not see what it waited for."""


@dataclass(eq=False)
class Call:
    """A scripted party's side of one channel."""

    fake: FakeAsterisk
    channel: Channel
    script: list[Step]
    task: asyncio.Task[None] | None = None
    steps_done: int = 0
    hung_up_by: str | None = None  # "party" | "asterisk"
    _heard_cursor: int = 0
    events: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.channel.id

    @property
    def name(self) -> str:
        return self.channel.name

    @property
    def state(self) -> str:
        return self.channel.state if self.channel.alive else "Hungup"

    @property
    def heard(self) -> list[str]:
        """Media URIs played to this party, in order (channel and bridge playbacks)."""
        return [h.media for h in self.channel.heard]

    @property
    def dtmf_heard(self) -> str:
        """Digits the application sent to this party."""
        return "".join(self.channel.dtmf_heard)

    @property
    def alive(self) -> bool:
        return self.channel.alive

    @property
    def music_on_hold(self) -> str | None:
        """The MOH class the party hears right now (its own, or its holding bridge's), if any."""
        bridge = self.channel.bridge
        if self.channel.moh_class:
            return self.channel.moh_class
        return bridge.moh_class if bridge is not None else None

    @property
    def on_hold(self) -> bool:
        return self.channel.on_hold

    @property
    def dialplan(self) -> dict[str, object] | None:
        """Where continueInDialplan sent the channel (context, exten, priority), if it left that way."""
        return self.channel.left_to.to_json() if self.channel.left_to else None

    @property
    def dialled(self) -> str:
        """What the application dialled to reach this party (`agent1`, `13800138000@trunk`), if it did."""
        return self.channel.dialstring

    @property
    def redirected_to(self) -> str | None:
        return self.channel.redirected_to

    @property
    def done(self) -> bool:
        return self.task is None or self.task.done()

    async def finished(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait (real seconds) until the script has run to its end or the channel is gone."""
        if self.task is not None:
            await asyncio.wait_for(asyncio.shield(self.task), timeout)

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(
            self._run(list(self.script)), name=f"party {self.channel.name}"
        )

    def add_steps(self, *steps: Step) -> None:
        """More for the party to do, after what its script still has to do (e.g. speak now)."""
        previous = self.task
        self.script.extend(steps)

        async def after_previous() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await self._run(list(steps))

        self.task = asyncio.get_running_loop().create_task(
            after_previous(), name=f"party {self.channel.name}"
        )

    async def _run(self, steps: list[Step]) -> None:
        try:
            for step in steps:
                if not self.channel.alive:
                    return
                await self._step(step)
                self.steps_done += 1
                self.fake.poke(self.channel)
        except asyncio.CancelledError:
            raise
        except ScriptTimeout as exc:
            self.fake.report_problem(f"{self.channel.name}: {exc}")
            raise

    async def _step(self, step: Step) -> None:
        fake = self.fake
        clock = fake.clock
        if isinstance(step, Wait):
            await fake.wait_call_flow(
                step.seconds, until=lambda: not self.channel.alive, channel=self.channel
            )
        elif isinstance(step, Press):
            for i, digit in enumerate(step.digits):
                await fake.wait_call_flow(
                    step.duration, until=lambda: not self.channel.alive, channel=self.channel
                )
                if not self.channel.alive:
                    return
                fake.party_dtmf(self.channel, digit, int(step.duration * 1000))
                if i + 1 < len(step.digits):
                    await fake.wait_call_flow(
                        step.between, until=lambda: not self.channel.alive, channel=self.channel
                    )
        elif isinstance(step, Speak):
            samples = read_wav(step.wav)
            segment = VoiceSegment(clock.monotonic(), samples)
            fake.voice_started(self.channel, segment)
            await fake.wait_call_flow(
                segment.end - segment.start, until=lambda: not self.channel.alive, channel=self.channel
            )
        elif isinstance(step, HangUp):
            if self.channel.alive:
                self.hung_up_by = "party"
                await fake.remote_hangup(self.channel)
        elif isinstance(step, WaitForPlayback):
            await self._wait_playback(step)
        elif isinstance(step, WaitUntilBridged):

            def bridged() -> bool:
                b = self.channel.bridge
                return b is not None and b.bridge_type == "mixing" and len(b.channels) > 1

            await self._wait(bridged, step.timeout, "to be bridged with another channel")
        elif isinstance(step, WaitUntilAnswered):
            await self._wait(lambda: self.channel.state == "Up", step.timeout, "to be answered")
        elif isinstance(step, WaitUntilHungUp):
            await fake.wait_until(
                lambda: not self.channel.alive, clock.real_seconds(step.timeout), self.channel
            )

    async def _wait(self, predicate: Callable[[], bool], limit: float, what: str) -> None:
        real = self.fake.clock.real_seconds(limit)
        ok = await self.fake.wait_until(
            lambda: bool(predicate()) or not self.channel.alive, real, self.channel
        )
        if not ok:
            raise ScriptTimeout(f"waited {limit} s (call-flow) {what}")

    async def _wait_playback(self, step: WaitForPlayback) -> None:
        found: list[int] = []

        def match() -> bool:
            heard = self.channel.heard
            for i in range(self._heard_cursor, len(heard)):
                if step.media is None or heard[i].media == step.media:
                    found.append(i)
                    return True
            return not self.channel.alive

        await self._wait(match, step.timeout, f"for a playback of {step.media or 'anything'}")
        if not found:
            return
        index = found[0]
        self._heard_cursor = index + 1
        if not step.started:
            entry = self.channel.heard[index]
            await self._wait(
                lambda: entry.finished, step.timeout, f"for the playback of {entry.media} to finish"
            )


@dataclass
class Endpoint:
    """A dialable endpoint (`PJSIP/agent101`): how it answers and what it does once answered."""

    resource: str
    answer_after: float | None = 2.0
    busy: bool = False
    unreachable: bool = False
    silent: bool = False
    script: list[Step] = field(default_factory=list)
    context: str = "from-agents"
    calls: list[Call] = field(default_factory=list)

    @property
    def tech(self) -> str:
        return self.resource.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.resource.split("/", 1)[1]
