"""A failing handler never strands a caller, and one call's failure leaves the others alone."""

from __future__ import annotations

from dataclasses import dataclass

from callflow.adapters.store import SqlCallRecordStore
from callflow.domain.call import CallRecord, VoiceMessage
from callflow.services import SeatRequest
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


async def test_a_failing_port_sends_that_caller_to_an_agent_and_other_calls_carry_on(hotline: Hotline) -> None:
    hotline.ports.records = StoreFailingForOneCaller(hotline.store, BROKEN_NUMBER)
    broken = await hotline.call([WaitUntilHungUp()], number=BROKEN_NUMBER)
    healthy = await hotline.call(
        [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"),
         Press("4"), WaitUntilHungUp()],
        number="13800000002",
    )
    where = await hotline.left_menu(broken)
    assert (where["context"], where["exten"]) == ("hotline-seat", "s")  # an agent, not silence
    assert broken.channel.variables["HOTLINE_DESTINATION"] == "business_seat"
    assert hotline.controller.stats.handler_failures == 1

    await hotline.left_menu(healthy)
    assert healthy.channel.variables["HOTLINE_SERVICE"] == "difficult_matter"
    await hotline.hang_up(healthy)
    await hotline.hang_up(broken)
    record = await hotline.record_of(healthy)
    assert record.disposition == "routed-to-seat"
    await hotline.fake.wait_empty()


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
