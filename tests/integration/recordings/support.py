"""Test support for recordings: real WAV files, and the whole app on a migrated database.

- `write_wav(path, seconds)` writes a real 8 kHz 16-bit mono WAV (a tone), as Asterisk records.
- `recordings_app` (per test, on SQLite and PostgreSQL through `migrated_url`): the real app with its
  recordings folder, a local spool folder standing in for Asterisk's (so recordings are picked up, not
  fetched), a movable clock, and one user per role with a real token (ticketing's identity).
  `record(...)` puts a WAV in the spool and registers it; `access_log()` reads the audit rows.
"""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hotline.app import create_app
from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from recordings.adapters.orm import RecordingAccessRow, RecordingPurgeRow, RecordingRow
from recordings.adapters.spool import SpoolFolder
from recordings.domain.model import Recording, RecordingKind
from recordings.services import RecordingService
from recordings.web import RECORDINGS, RECORDINGS_NOW, RECORDINGS_SOURCE
from tests.integration.ticketing.api_fixtures import USERS, MovableClock, WorkOrderApi, _clean_copy
from ticketing.services import Directory
from ticketing.web import NOW

TZ = ZoneInfo("Asia/Shanghai")


def write_wav(path: Path, seconds: float, rate: int = 8000, freq: float = 440.0) -> Path:
    """A real WAV of `seconds` (16-bit mono): a tone, so hashes differ between lengths and pitches."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(
        struct.pack("<h", int(6000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


@dataclass
class RecordingsApp:
    """A running app with recordings, its database, spool folder and one user per role."""

    client: TestClient
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: MovableClock
    spool: Path
    root: Path
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)

    @property
    def service(self) -> RecordingService:
        return self.client.app[RECORDINGS]

    @property
    def workorders(self) -> WorkOrderApi:
        return WorkOrderApi(self.client, self.engine, self.sessions, self.clock, self.engine.dialect.name, self.tokens, self.units)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "X-Forwarded-For": "10.12.34.56"}

    async def record(
        self,
        name: str,
        call_id: str,
        kind: RecordingKind = RecordingKind.MIX,
        seconds: float = 2.0,
        agent: str | None = None,
        freq: float = 440.0,
    ) -> Recording:
        write_wav(self.spool / f"{name}.wav", seconds, freq=freq)
        return await self.service.register_finished(
            name, call_id, kind, "wav", agent_user_id=self.user_ids[agent] if agent else None
        )

    async def get(self, path: str, who: str | None = None, **params: Any) -> tuple[int, Any, dict[str, str], bytes]:
        headers = self.headers(who) if who else {}
        resp = await self.client.get(f"/api/v1/recordings{path}", headers=headers, params=params or None)
        body = await resp.read()
        data: Any = None
        if resp.content_type == "application/json":
            import json

            data = json.loads(body)
        return resp.status, data, dict(resp.headers), body

    async def access_log(self) -> list[RecordingAccessRow]:
        async with self.sessions() as session:
            rows = await session.execute(select(RecordingAccessRow).order_by(RecordingAccessRow.id))
            return list(rows.scalars())

    async def purge_log(self) -> list[RecordingPurgeRow]:
        async with self.sessions() as session:
            rows = await session.execute(select(RecordingPurgeRow).order_by(RecordingPurgeRow.id))
            return list(rows.scalars())

    async def states(self) -> dict[str, str]:
        async with self.sessions() as session:
            rows = await session.execute(select(RecordingRow.name, RecordingRow.state))
            return {str(name): str(state) for name, state in rows.all()}


RECORDING_TABLES = [RecordingAccessRow, RecordingPurgeRow, RecordingRow]


@pytest.fixture
async def recordings_app(migrated_url: str, aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[RecordingsApp]:
    url = await _clean_copy(migrated_url, tmp_path)  # ticketing's: work-order events are append-only
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        for table in RECORDING_TABLES:
            await session.execute(delete(table))
    directory = Directory(sessions)
    tokens: dict[str, str] = {}
    user_ids: dict[str, int] = {}
    for login, (role, unit) in USERS.items():
        row, tokens[login] = await directory.add_user(login, login, role, unit)
        user_ids[login] = row.id
    units = {u.code: u.id for u in await directory.units()}
    clock = MovableClock(datetime(2025, 9, 30, 16, 0, tzinfo=TZ))
    spool = tmp_path / "asterisk-spool"
    spool.mkdir()
    root = tmp_path / "recordings"
    settings = Settings(
        database_url=url,
        data_dir=tmp_path,
        prompts_dir=tmp_path / "prompts",
        recordings_dir=root,
        ari_url="http://127.0.0.1:9",
    )
    app = create_app(
        settings,
        overrides={NOW: clock.now, RECORDINGS_NOW: clock.now, RECORDINGS_SOURCE: SpoolFolder(spool)},
    )
    client = await aiohttp_client(app)
    yield RecordingsApp(client, engine, sessions, clock, spool, root, tokens, user_ids, units)
    await engine.dispose()
