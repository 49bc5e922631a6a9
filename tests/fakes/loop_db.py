"""A fresh work-order database per test, on SQLite and on PostgreSQL (a schema of its own).

Fixture `loop_db` (parametrized "sqlite" / "postgres") yields a `LoopDb` with the engine and a session
factory over just the ticketing tables; PostgreSQL runs are skipped without HOTLINE_TEST_POSTGRES_URL
(and fail in CI, like `postgres_url`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hotline.db import Base, make_engine, make_sessionmaker
from ticketing.adapters import calendar_orm, orm

TICKETING_TABLES = [
    orm.UnitRow.__table__,
    orm.UserRow.__table__,
    orm.WorkOrderRow.__table__,
    orm.WorkOrderEventRow.__table__,
    orm.ExtensionRow.__table__,
    orm.ReturnRow.__table__,
    orm.SupervisionOrderRow.__table__,
    orm.OutboxRow.__table__,
    orm.WorkOrderNumberRow.__table__,
    calendar_orm.CalendarOverrideRow.__table__,
    calendar_orm.CalendarYearRow.__table__,
    calendar_orm.CalendarYearDayRow.__table__,
]


@dataclass
class LoopDb:
    """One test's database: the dialect name, the engine and its session factory."""

    dialect: str
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    def new_engine(self) -> AsyncEngine:
        """A second engine on the same database (another worker process, say)."""
        return _engine(self.url, self._schema)

    _schema: str | None = None


def _engine(url: str, schema: str | None) -> AsyncEngine:
    if schema is None:
        return make_engine(url)
    return make_engine(url, connect_args={"server_settings": {"search_path": schema}})


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=TICKETING_TABLES))


@pytest.fixture(params=["sqlite", "postgres"])
async def loop_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LoopDb]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/loop.sqlite3"
        engine = _engine(url, None)
        await create_tables(engine)
        yield LoopDb("sqlite", url, engine, make_sessionmaker(engine))
        await engine.dispose()
        return
    url = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("HOTLINE_TEST_POSTGRES_URL is not set in CI: run through scripts/with-postgres.sh")
        pytest.skip("no PostgreSQL: run `make test` or scripts/with-postgres.sh")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = _engine(url, schema)
    await create_tables(engine)
    try:
        yield LoopDb("postgres", url, engine, make_sessionmaker(engine), schema)
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
