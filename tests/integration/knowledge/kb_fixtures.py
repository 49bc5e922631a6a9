"""The knowledge API against a migrated database, on SQLite and on PostgreSQL.

`kb_url` (session scope, "sqlite" / "postgres"): a database of its own brought up by `hotline db upgrade`'s
code; `empty_knowledge(url)` clears the knowledge tables (each test starts from it).
`kb_api` (per test): the real app on it, the knowledge tables emptied, the seed file imported, a movable
clock (Tue 2025-09-30 16:00 Asia/Shanghai), and one user per role with a real API token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.app import create_app
from hotline.db import make_engine, make_sessionmaker, upgrade
from hotline.settings import Settings
from knowledge.adapters.orm import EntryHitRow, EntryRow, EntryVersionRow, ExpertRow
from knowledge.cli import SEED, load_entries
from knowledge.web import KNOWLEDGE, NOW
from tests.fakes.databases import fresh_postgres_database_sync, postgres_base_url
from ticketing.domain.roles import SYSTEM, Role
from ticketing.services import Directory

TZ = ZoneInfo("Asia/Shanghai")

USERS = {
    "agent": (Role.AGENT, None),
    "supervisor": (Role.SUPERVISOR, None),
    "admin": (Role.ADMIN, None),
    "market": (Role.UNIT_HANDLER, "scjgj"),  # 县市场监督管理局
    "tax": (Role.UNIT_HANDLER, "swj"),  # 县税务局
    "housing": (Role.UNIT_LEADER, "zjj"),  # 县住房和城乡建设局
}


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def kb_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('kb')}/hotline.sqlite3"
        upgrade(url)
        yield url
        return
    with fresh_postgres_database_sync(postgres_base_url(), "kb") as url:
        upgrade(url)
        yield url


@dataclass
class Clock:
    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass
class KbApi:
    """A running app with the seed entries, and one authenticated user per role."""

    client: TestClient
    engine: AsyncEngine
    clock: Clock
    dialect: str
    tokens: dict[str, str] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    seed_ids: dict[str, int] = field(default_factory=dict)  # title → id

    async def call(
        self, method: str, path: str, who: str | None, body: dict[str, Any] | None = None, **params: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        resp = await self.client.request(
            method, f"/api/v1{path}", headers=headers, json=body, params=params or None
        )
        return resp.status, await resp.json()

    async def ok(
        self, method: str, path: str, who: str, body: dict[str, Any] | None = None, **params: Any
    ) -> Any:
        status, data = await self.call(method, path, who, body, **params)
        assert status in (200, 201), (status, data)
        return data

    async def scalars(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).scalars())

    async def titles(self, query: str, who: str = "agent", **params: Any) -> list[str]:
        data = await self.ok("GET", "/kb/search", who, q=query, **params)
        return [r["entry"]["title"] for r in data["results"]]


async def empty_knowledge(url: str) -> None:
    """No entries, versions, hits or experts: every test starts from here."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            for table in (EntryHitRow, EntryVersionRow, EntryRow):
                await session.execute(delete(table))
            full_text = "kb_entries_fts" if engine.dialect.name == "sqlite" else "kb_entry_search"
            await session.execute(text(f"DELETE FROM {full_text}"))
            await session.execute(text("UPDATE experts SET backup_id = NULL"))
            await session.execute(delete(ExpertRow))
    finally:
        await engine.dispose()


_USERS_BY_URL: dict[str, tuple[dict[str, str], dict[str, int]]] = {}


async def _users(url: str, directory: Directory) -> tuple[dict[str, str], dict[str, int]]:
    """One user per role with a real token, created once per database (the database lives all session)."""
    if url not in _USERS_BY_URL:
        tokens = {}
        for login, (role, unit) in USERS.items():
            _, tokens[login] = await directory.add_user(login, login, role, unit)
        _USERS_BY_URL[url] = tokens, {u.code: u.id for u in await directory.units()}
    return _USERS_BY_URL[url]


@pytest.fixture
async def kb_api(kb_url: str, aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[KbApi]:
    await empty_knowledge(kb_url)
    engine = make_engine(kb_url)
    sessions = make_sessionmaker(engine)
    tokens, units = await _users(kb_url, Directory(sessions))
    clock = Clock(datetime(2025, 9, 30, 16, 0, tzinfo=TZ))
    settings = Settings(database_url=kb_url, data_dir=tmp_path, ari_url="http://127.0.0.1:9")
    app = create_app(settings, overrides={NOW: clock.now})
    client = await aiohttp_client(app)
    await app[KNOWLEDGE].import_entries(SYSTEM, load_entries(SEED))
    async with engine.connect() as conn:
        seed_ids = {t: i for i, t in (await conn.execute(text("SELECT id, title FROM kb_entries"))).all()}
    yield KbApi(client, engine, clock, engine.dialect.name, tokens, units, seed_ids)
    await engine.dispose()
