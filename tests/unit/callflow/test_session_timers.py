"""Session timers run on the shared clock and arrive through the call's own queue; stale ones are dropped."""

from __future__ import annotations

import asyncio

from callflow.clock import ScaledClock
from callflow.session import CallSession, TimerFired


class TimedCall(CallSession):
    def __init__(self) -> None:
        super().__init__({"id": "1796032840.1"}, ["inbound"], ScaledClock(0.001))
        self.fired: list[str] = []
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self.attach(self.queue.put_nowait)

    async def on_timer(self, name: str) -> None:
        self.fired.append(name)

    async def next_item(self) -> object:
        item = await asyncio.wait_for(self.queue.get(), 1)
        await self.deliver(item)
        return item


async def test_a_rearmed_timer_fires_once_and_a_cancelled_one_never_reaches_the_session() -> None:
    call = TimedCall()
    call.arm_timer(5.0)  # 5 call-flow seconds = 5 ms here
    call.arm_timer(5.0)  # re-armed: the first one is cancelled
    call.arm_timer(2.0, name="announcement")
    call.cancel_timer("announcement")
    item = await call.next_item()
    assert isinstance(item, TimerFired) and item.name == "input"
    assert call.fired == ["input"]
    assert call.queue.empty()


async def test_a_timer_that_fired_before_it_was_rearmed_is_ignored_when_it_arrives() -> None:
    call = TimedCall()
    call.arm_timer(1.0)
    stale = await asyncio.wait_for(call.queue.get(), 1)  # fired, but not yet handled by the session
    call.arm_timer(50.0)  # the session moved on and re-armed meanwhile
    await call.deliver(stale)
    assert call.fired == []
    call.finish()  # finishing cancels what is still armed
    assert call.finished and call.queue.empty()
