"""Throw-away PostgreSQL databases for tests: one per test or module, dropped afterwards.

`make test` runs pytest under scripts/with-postgres.sh, which sets HOTLINE_TEST_POSTGRES_URL; in CI a
missing server is a failure, on a developer's machine a skip.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from hotline.db import make_engine, upgrade_async


def postgres_base_url() -> str:
    url = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("HOTLINE_TEST_POSTGRES_URL is not set in CI: run through scripts/with-postgres.sh")
        pytest.skip("no PostgreSQL: run `make test` or scripts/with-postgres.sh")
    return url


async def admin_sql(url: str, sql: str) -> None:
    """Run `sql` outside a transaction (CREATE/DROP DATABASE)."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def fresh_postgres_database(base: str, prefix: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on the server of `base`; dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def migrated_database(dialect: str, folder: Path, prefix: str) -> AsyncIterator[str]:
    """A database brought to every package's head: a SQLite file in `folder`, or a fresh PostgreSQL
    database named after `prefix` (dropped afterwards). For fixtures parametrized over both dialects."""
    if dialect == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'hotline.db'}"
        await upgrade_async(url)
        yield url
        return
    async with fresh_postgres_database(postgres_base_url(), prefix) as url:
        await upgrade_async(url)
        yield url


@contextmanager
def fresh_postgres_database_sync(base: str, prefix: str) -> Iterator[str]:
    """The same, for synchronous (module-scoped) fixtures."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_sql(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
