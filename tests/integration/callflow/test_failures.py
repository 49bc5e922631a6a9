"""A failing handler never strands a caller, and one call's failure leaves the others alone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from callflow.adapters.store import SqlCallRecordStore
from callflow.domain.call import CallRecord, VoiceMessage
from callflow.services import DialplanSeatHandoff, SeatRequest
from ivr.session import NavigationSession
from tests.fakes.asterisk.parties import Press, WaitForPlayback, WaitUntilHungUp
from tests.integration.callflow.support import Hotline

BROKEN_NUMBER = "13900000001"


class StoreDown(Exception):
    """What a database outage looks like to the session."""


@dataclass
class StoreFailingForOneCaller:
    """The real store, except that it fails for one caller's records."""

    inner: SqlCallRecordStore
    broken_number: str

    async def save(self, record: CallRecord) -> None:
        if record.caller_number == self.broken_number:
            raise StoreDown("database unreachable")
        await self.inner.save(record)

    async def add_voice_message(self, message: VoiceMessage, file_path: str | None) -> None:
        await self.inner.add_voice_message(message, file_path)

    async def find_open(self, channel_id: str) -> CallRecord | None:
        return await self.inner.find_open(channel_id)


@dataclass
class SeatDown:
    """A seat hand-off that always fails (the queue service is down)."""

    attempts: int = 0

    async def enqueue(self, call: SeatRequest, destination: str) -> None:
        self.attempts += 1
        raise RuntimeError("seat queue unavailable")


@dataclass
class SeatFailingForOneService:
    """The dialplan seat hand-off, except that handing over one service raises (a broken queue)."""

    inner: DialplanSeatHandoff
    broken_service: str

    async def enqueue(self, call: SeatRequest, destination: str) -> None:
        if call.service == self.broken_service:
            raise RuntimeError(f"queue for {self.broken_service} is broken")
        await self.inner.enqueue(call, destination)


async def test_a_failing_port_sends_that_caller_to_an_agent_and_other_calls_carry_on(hotline: Hotline) -> None:
    hotline.ports.seat = SeatFailingForOneService(DialplanSeatHandoff(hotline.client), "complaint")
    script = [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu")]
    broken = await hotline.call([*script, Press("3"), WaitUntilHungUp()], number="13900000001")
    healthy = await hotline.call([*script, Press("4"), WaitUntilHungUp()], number="13800000002")

    where = await hotline.left_menu(broken)
    assert (where["context"], where["exten"]) == ("hotline-seat", "s")  # an agent, not silence
    assert broken.channel.variables["HOTLINE_DESTINATION"] == "business_seat"
    assert hotline.controller.stats.handler_failures == 1

    await hotline.left_menu(healthy)
    assert healthy.channel.variables["HOTLINE_SERVICE"] == "difficult_matter"
    await hotline.hang_up(healthy)
    await hotline.hang_up(broken)
    assert (await hotline.record_of(healthy)).disposition == "routed-to-seat"
    failed = await hotline.record_of(broken)
    assert (failed.disposition, failed.destination) == ("fallback-to-agent", "business_seat")
    assert [s.outcome for s in failed.path] == ["goto:business", "route:complaint"]
    await hotline.fake.wait_empty()


async def test_a_database_outage_does_not_keep_callers_from_the_seat(hotline: Hotline) -> None:
    hotline.ports.records = StoreFailingForOneCaller(hotline.store, BROKEN_NUMBER)
    call = await hotline.call(
        [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"),
         Press("1"), WaitUntilHungUp()],
        number=BROKEN_NUMBER,
    )
    await hotline.left_menu(call)
    assert call.channel.variables["HOTLINE_SERVICE"] == "policy_query"
    await hotline.hang_up(call)
    session = await hotline.controller.wait_finished(call.id)
    assert isinstance(session, NavigationSession) and session.record_write_failures >= 1
    assert await hotline.store.by_channel(call.id) is None  # lost, and logged; the caller was served
    assert hotline.controller.stats.handler_failures == 0


async def test_when_even_the_agent_hand_off_fails_the_caller_goes_back_to_the_dialplan(hotline: Hotline) -> None:
    seat = SeatDown()
    hotline.ports.seat = seat
    call = await hotline.call(
        [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"),
         Press("3"), WaitUntilHungUp()]
    )
    where = await hotline.left_menu(call)
    # the next priority after Stasis() in the caller's own context (extensions.conf queues there)
    assert (where["context"], where["exten"], where["priority"]) == ("from-caller", "12345", 3)
    assert seat.attempts == 2  # the chosen seat, then the agent fallback
    await hotline.hang_up(call)
    record = await hotline.record_of(call)
    assert record.disposition == "fallback-to-dialplan"
    assert [s.outcome for s in record.path] == ["goto:business", "route:complaint"]


async def test_with_a_fallback_context_a_caller_whose_hand_off_fails_reaches_the_seat_dialplan(
    hotline: Hotline,
) -> None:
    hotline.ports.seat = SeatDown()
    hotline.ports.fallback = ("hotline-seat", "s")  # what the service wires from HOTLINE_SEAT_CONTEXT
    call = await hotline.call(
        [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"),
         Press("0"), WaitUntilHungUp()]
    )
    where = await hotline.left_menu(call)
    assert (where["context"], where["exten"], where["priority"]) == ("hotline-seat", "s", 1)
    await hotline.hang_up(call)
    assert (await hotline.record_of(call)).disposition == "fallback-to-dialplan"


@dataclass
class SeatThatHangs:
    """A hand-off that never returns for one service (a queue service that stopped answering)."""

    inner: DialplanSeatHandoff
    stuck_service: str
    release: asyncio.Event

    async def enqueue(self, call: SeatRequest, destination: str) -> None:
        if call.service == self.stuck_service:
            await self.release.wait()
        await self.inner.enqueue(call, destination)


async def test_a_call_stuck_in_its_handler_does_not_hold_up_the_others(hotline: Hotline) -> None:
    release = asyncio.Event()
    hotline.ports.seat = SeatThatHangs(DialplanSeatHandoff(hotline.client), "complaint", release)
    script = [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu")]
    stuck = await hotline.call([*script, Press("3"), WaitUntilHungUp()], number="13900000003")
    assert await hotline.fake.wait_until(lambda: "sound:hotline/transfer_seat" in stuck.heard, 5)
    others = [await hotline.call([*script, Press(key), WaitUntilHungUp()]) for key in "1245"]
    for call in others:
        await hotline.left_menu(call)
        await hotline.hang_up(call)
    assert stuck.dialplan is None  # still waiting on its hand-off, alone
    release.set()
    assert (await hotline.left_menu(stuck))["context"] == "hotline-seat"
    await hotline.hang_up(stuck)
    await hotline.fake.wait_empty()
