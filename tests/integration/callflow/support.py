"""Test support for call-flow scenarios: the voice menu on a real controller against the fake Asterisk.

`hotline` starts a `FakeAsterisk` (time factor 0.02) with generated prompt WAVs, a controller sharing its
`ScaledClock`, the navigation session with the shipped default menu, a SQLite call-record store and the
dialplan seat hand-off. Scripts say what the caller does; the test then reads the call record.
"""

from __future__ import annotations

import array
import asyncio
import math
import sys
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from callflow.adapters.orm import CallRecordRow, VoiceMessageRow
from callflow.adapters.store import SqlCallRecordStore
from callflow.ari.client import AriClient
from callflow.ari.events import Backoff
from callflow.controller import Controller
from callflow.domain.call import CallRecord
from callflow.services import DialplanSeatHandoff
from hotline.db import Base, make_engine, make_sessionmaker
from ivr.config import load_menu
from ivr.domain.menu import Menu
from ivr.session import NAVIGATION_ARGS, NavigationPorts, navigation_factory
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import Call, Step

TIME_FACTOR = 0.02

PROMPT_SECONDS = {
    "greeting": 4.0,
    "main_menu": 8.0,
    "business_menu": 10.0,
    "invalid": 1.5,
    "no_input": 1.5,
    "closed": 8.0,
    "transfer_seat": 2.0,
    "transfer_agent": 2.0,
}


def write_prompt(path: Path, seconds: float, rate: int = 8000) -> None:
    """A 440 Hz tone of `seconds` as 8 kHz 16-bit mono WAV (what `hotline prompts build` writes)."""
    period = [int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate // 40)]  # 25 ms
    wave_ = array.array("h", period * (int(seconds * rate) // len(period) + 1))[: int(seconds * rate)]
    if sys.byteorder == "big":
        wave_.byteswap()
    samples = wave_.tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples)


def write_prompts(folder: Path, menu: Menu) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in menu.referenced_prompts():
        write_prompt(folder / f"{name}.wav", PROMPT_SECONDS.get(name, 2.0))
    return folder


@dataclass
class FixedHours:
    """Office hours that are simply open or closed (the real calendar is tested in ticketing)."""

    open: bool = True
    calls: list[datetime] = field(default_factory=list)

    def is_open(self, at: datetime) -> bool:
        self.calls.append(at)
        return self.open


@dataclass
class Hotline:
    """The system under test and its fake surroundings."""

    fake: FakeAsterisk
    controller: Controller
    client: AriClient
    store: SqlCallRecordStore
    ports: NavigationPorts
    hours: FixedHours
    tmp: Path
    task: asyncio.Task[None] | None = None

    def start_controller(self) -> Controller:
        """A controller for the app (a new process of the service, as far as Asterisk can tell)."""
        controller = Controller(self.client, "hotline", clock=self.fake.clock, backoff=Backoff(0.02, 0.2))
        factory = navigation_factory(self.ports)
        for arg in NAVIGATION_ARGS:
            controller.route(arg, factory)
        self.controller = controller
        self.task = asyncio.create_task(controller.run())
        return controller

    async def stop_controller(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def call(self, script: list[Step], number: str = "13800138000") -> Call:
        return await self.fake.place_call(number=number, script=script)

    async def record_of(self, call: Call, limit_s: float = 10.0) -> CallRecord:
        """The call record once the caller's session has ended."""
        await asyncio.wait_for(self.controller.wait_finished(call.id), limit_s)
        record = await self.store.by_channel(call.id)
        assert record is not None, f"no call record for {call.id}"
        return record

    async def left_menu(self, call: Call, limit_s: float = 10.0) -> dict[str, object]:
        """Wait until the menu sent the caller on into the dialplan; returns where to."""
        assert await self.fake.wait_until(lambda: call.dialplan is not None, limit_s), (
            f"{call.name} never left the menu; heard {call.heard}"
        )
        assert call.dialplan is not None
        return call.dialplan

    async def hang_up(self, call: Call) -> None:
        """The caller (now in the dialplan's queue) hangs up."""
        if call.alive:
            await self.fake.remote_hangup(call.channel)

    def requests_for(self, channel_id: str) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.fake.requests if channel_id in r.path]


@pytest.fixture(scope="session")
def menu_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prompt WAVs of the shipped default menu (tones of plausible lengths), made once per test run."""
    return write_prompts(tmp_path_factory.mktemp("prompts"), load_menu(None))


@pytest.fixture
async def hotline(tmp_path: Path, menu_prompts: Path) -> AsyncIterator[Hotline]:
    menu = load_menu(None)
    sounds = menu_prompts
    fake = FakeAsterisk(sounds={"hotline": sounds}, recordings_dir=tmp_path / "spool", time_factor=TIME_FACTOR)
    await fake.start()
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/calls.sqlite3")
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda c: Base.metadata.create_all(c, tables=[CallRecordRow.__table__, VoiceMessageRow.__table__])
        )
    store = SqlCallRecordStore(make_sessionmaker(engine))
    client = AriClient(fake.url, "asterisk", "asterisk")
    hours = FixedHours()
    ports = NavigationPorts(
        client=client,
        menu=menu,
        open_hours=hours,
        records=store,
        seat=DialplanSeatHandoff(client),
        clock=fake.clock,
        voice_messages_dir=tmp_path / "voice-messages",
    )
    harness = Hotline(fake, Controller(client, "hotline"), client, store, ports, hours, tmp_path)
    harness.start_controller()
    await fake.wait_for_app("hotline")
    try:
        yield harness
    finally:
        await harness.stop_controller()
        await client.close()
        await fake.stop()
        await engine.dispose()
    assert not fake.violations, "protocol violations:\n" + "\n".join(map(str, fake.violations))
    assert not fake.problems, "fake Asterisk problems:\n" + "\n".join(fake.problems)
