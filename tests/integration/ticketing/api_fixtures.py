"""The work-order API against a migrated database, on SQLite and on PostgreSQL.

`migrated_url` (module scope, parametrized "sqlite" / "postgres"): a fresh database per test module,
brought up by the same `hotline db upgrade` code path users run. PostgreSQL gets a database of its own,
dropped afterwards. `workorder_api` (per test): the real app with a movable clock on a clean copy
(SQLite: a copy of the migrated file; PostgreSQL: the work-order tables truncated — events are
append-only, so rows are never deleted one by one), and one user per role with a real token.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hotline.app import create_app
from hotline.db import make_engine, make_sessionmaker, upgrade
from hotline.settings import Settings
from tests.fakes.databases import fresh_postgres_database_sync, postgres_base_url
from ticketing.adapters import orm
from ticketing.domain.roles import Role
from ticketing.services import Directory
from ticketing.web import NOW

TZ = ZoneInfo("Asia/Shanghai")

WORK_TABLES = [
    orm.OutboxRow,
    orm.SupervisionOrderRow,
    orm.ReturnRow,
    orm.ExtensionRow,
    orm.WorkOrderEventRow,
    orm.WorkOrderRow,
    orm.WorkOrderNumberRow,
    orm.UserRow,
]


async def _clean_copy(migrated_url: str, folder: Path) -> str:
    """A database in the state `hotline db upgrade` left it, for one test."""
    if migrated_url.startswith("sqlite"):
        template = Path(migrated_url.split(":///", 1)[1])
        copy = folder / "workorders.sqlite3"
        shutil.copyfile(template, copy)
        return f"sqlite+aiosqlite:///{copy}"
    engine = make_engine(migrated_url)
    try:
        async with engine.begin() as conn:
            names = ", ".join(t.__tablename__ for t in WORK_TABLES)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            await conn.execute(update(orm.UnitRow).values(dingtalk_webhook=None, dingtalk_secret=None))
    finally:
        await engine.dispose()
    return migrated_url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated with `hotline db upgrade`'s code, fresh for this test module."""
    if request.param == "sqlite":
        folder: Path = tmp_path_factory.mktemp("workorders")
        url = f"sqlite+aiosqlite:///{folder}/hotline.sqlite3"
        upgrade(url)
        yield url
        return
    with fresh_postgres_database_sync(postgres_base_url(), "wo") as url:
        upgrade(url)
        yield url


@dataclass
class MovableClock:
    """The service's "now", set by the scenario."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at


@dataclass
class WorkOrderApi:
    """A running app, its database and one authenticated user per role."""

    client: TestClient
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: MovableClock
    dialect: str
    tokens: dict[str, str] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def call(
        self, method: str, path: str, who: str, body: dict[str, Any] | None = None, **params: Any
    ) -> tuple[int, Any]:
        resp = await self.client.request(
            method, f"/api/v1{path}", headers=self.headers(who), json=body, params=params or None
        )
        return resp.status, await resp.json()

    async def ok(
        self, method: str, path: str, who: str, body: dict[str, Any] | None = None, **params: Any
    ) -> Any:
        status, data = await self.call(method, path, who, body, **params)
        assert status in (200, 201), (status, data)
        return data

    async def draft(self, who: str = "agent", **fields: Any) -> dict[str, Any]:
        body = {
            "source": "call",
            "caller_phone": "13900001111",
            "title": "营业执照变更",
            "content": "来电反映",
            **fields,
        }
        return await self.ok("POST", "/workorders", who, body)

    async def dispatched_complaint(
        self, unit: str = "scjgj", complexity: str = "general", **fields: Any
    ) -> dict[str, Any]:
        order = await self.draft(**fields)
        ref = order["number"]
        await self.ok(
            "POST",
            f"/workorders/{ref}/register",
            "agent",
            {"class": "complaint", "service": "complaint", "complexity": complexity},
        )
        return await self.ok("POST", f"/workorders/{ref}/dispatch", "agent", {"unit_id": self.units[unit]})

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()


USERS = {
    "agent": (Role.AGENT, None),
    "agent2": (Role.AGENT, None),
    "supervisor": (Role.SUPERVISOR, None),
    "admin": (Role.ADMIN, None),
    "market": (Role.UNIT_HANDLER, "scjgj"),  # 县市场监督管理局
    "market_leader": (Role.UNIT_LEADER, "scjgj"),
    "housing": (Role.UNIT_HANDLER, "zjj"),  # 县住房和城乡建设局
}


@pytest.fixture
async def workorder_api(
    migrated_url: str, aiohttp_client: Any, tmp_path: Path
) -> AsyncIterator[WorkOrderApi]:
    url = await _clean_copy(migrated_url, tmp_path)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    directory = Directory(sessions)
    tokens = {}
    for login, (role, unit) in USERS.items():
        _, tokens[login] = await directory.add_user(login, login, role, unit)
    units = {u.code: u.id for u in await directory.units()}
    clock = MovableClock(datetime(2025, 9, 30, 16, 0, tzinfo=TZ))
    settings = Settings(database_url=url, data_dir=tmp_path, ari_url="http://127.0.0.1:9")
    app = create_app(settings, overrides={NOW: clock.now})
    client = await aiohttp_client(app)
    api = WorkOrderApi(client, engine, sessions, clock, engine.dialect.name, tokens, units)
    yield api
    await engine.dispose()
