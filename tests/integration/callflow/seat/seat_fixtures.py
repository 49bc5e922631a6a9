"""Test support for seat scenarios: the voice menu hands callers to the real `SeatQueue` on the fake Asterisk.

`seat_line` builds on the `hotline` harness (controller, menu, fake Asterisk at time factor 0.02, SQLite call
records), adds the seat tables and a `SeatQueue` with short timings, and writes tones for the queue prompts.
After each test the fake must hold no channel, bridge, playback or recording.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from callflow.seat.domain import SeatRules
from callflow.seat.orm import AgentStateChangeRow, CallbackRequestRow, SeatCallRow, SeatMemberRow
from callflow.seat.records import CallbackRequest
from callflow.seat.services import SeatConfig, SeatPrompts, SeatQueue
from callflow.seat.store import SqlSeatStore
from hotline.db import Base
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import Call, Endpoint, Press, Step, WaitForPlayback
from tests.integration.callflow.support import Hotline, write_prompt

SEAT_TABLES = [SeatMemberRow.__table__, AgentStateChangeRow.__table__, SeatCallRow.__table__, CallbackRequestRow.__table__]

TEST_CONFIG = SeatConfig(
    ring_s=10,
    announce_every_s=20.0,
    callback_offer_s=6.0,
    rules=SeatRules(wait_limit_s=600.0, wrap_up_s=10.0, busy_skip_s=60.0),
)


@dataclass
class RecordedOrders:
    """Stands in for ticketing: numbers the callback work orders it is asked for."""

    made: list[CallbackRequest]

    async def create(self, request: CallbackRequest) -> str:
        self.made.append(request)
        return f"HB{len(self.made):04d}"


@dataclass
class SeatLine:
    hotline: Hotline
    queue: SeatQueue
    store: SqlSeatStore
    orders: RecordedOrders

    @property
    def fake(self) -> FakeAsterisk:
        return self.hotline.fake

    def configure(self, config: SeatConfig) -> None:
        self.queue.config = config
        self.queue.seat.rules = config.rules

    async def agent(self, agent_id: str, *, log_in: bool = True, **endpoint: object) -> Endpoint:
        """An agent's phone (`PJSIP/<agent_id>`), member of the seat and logged in unless told otherwise."""
        phone = self.fake.add_endpoint(f"PJSIP/{agent_id}", **endpoint)  # type: ignore[arg-type]
        await self.queue.add_member(agent_id, name=f"坐席{agent_id}")
        if log_in:
            await self.queue.login(agent_id, f"PJSIP/{agent_id}")
        return phone

    async def caller(self, then: list[Step], number: str = "13800138000") -> Call:
        """A caller who chooses 营商环境专线 → 政策查询 (a seat destination), then does `then`."""
        script: list[Step] = [
            WaitForPlayback("sound:hotline/greeting"),
            Press("1"),
            WaitForPlayback("sound:hotline/business_menu"),
            Press("1"),
            *then,
        ]
        return await self.hotline.call(script, number=number)

    async def until(self, predicate: Callable[[], bool], limit_s: float = 10.0, what: str = "") -> None:
        """Wait until `predicate` holds: re-checked whenever the seat changes, and every 10 ms."""

        async def check() -> None:
            while not predicate():
                async with self.queue.changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.queue.changed.wait(), 0.01)

        try:
            await asyncio.wait_for(check(), limit_s)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what or predicate}") from None

    async def finished(self, call: Call, limit_s: float = 15.0) -> SeatCallRow:
        """Wait until the call is over and the seat's part of its record is closed; return that row."""
        await asyncio.wait_for(call.finished(), limit_s)
        await self.until(lambda: not self.queue.callers or all(
            s.channel_id != call.id for s in self.queue.callers.values()), limit_s, "the seat session to end")
        record = await self.hotline.store.by_channel(call.id)
        assert record is not None
        for _ in range(200):
            async with self.store.sessions() as db:
                row = await db.get(SeatCallRow, record.id)
            if row is not None and row.ended_at is not None:
                return row
            await asyncio.sleep(0.02)
        raise AssertionError(f"seat record of {call.id} never closed")

    async def empty(self) -> None:
        await self.fake.wait_empty()
        self.fake.assert_empty()


SEAT_PROMPTS = SeatPrompts()


def write_seat_prompts(folder: Path) -> None:
    """Tones for the queue's prompts (the menu's own prompts are written by `menu_prompts`)."""
    for name in (
        SEAT_PROMPTS.wait, SEAT_PROMPTS.position_prefix, SEAT_PROMPTS.position_suffix, SEAT_PROMPTS.position_many,
        SEAT_PROMPTS.callback_offer, SEAT_PROMPTS.callback_number_is, SEAT_PROMPTS.callback_confirm,
        SEAT_PROMPTS.callback_enter, SEAT_PROMPTS.callback_registered,
        SEAT_PROMPTS.expected_prefix, SEAT_PROMPTS.expected_suffix,
        *(SEAT_PROMPTS.number.format(n=n) for n in range(1, 11)),
    ):
        path = folder / f"{name}.wav"
        if not path.exists():
            write_prompt(path, 2.0)


@pytest.fixture
async def seat_line(hotline: Hotline, menu_prompts: Path) -> AsyncIterator[SeatLine]:
    write_seat_prompts(menu_prompts)
    engine = hotline.store.sessions.kw["bind"]
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=SEAT_TABLES))
    store = SqlSeatStore(hotline.store.sessions)
    orders = RecordedOrders([])
    queue = SeatQueue(
        hotline.client,
        hotline.controller,
        hotline.fake.clock,
        store,
        config=replace(TEST_CONFIG),
        records=hotline.store,
        callback_orders=orders,
    )
    hotline.ports.seat = queue
    try:
        yield SeatLine(hotline, queue, store, orders)
    finally:
        queue.close()
        await queue.flush()
