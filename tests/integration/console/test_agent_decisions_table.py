"""The agent console's decisions table is built by console's migration c0101 exactly as the ORM describes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.db import upgrade_async
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.fakes.schema import schema_drift

TABLES = {"console_agent_decisions"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
        await upgrade_async(url)
        yield url
        return
    async with fresh_postgres_database(postgres_base_url(), "agentdesk") as url:
        await upgrade_async(url)
        yield url


async def test_the_migration_builds_exactly_the_agent_decisions_table(migrated: str) -> None:
    drift, tables = await schema_drift(migrated, TABLES)
    assert TABLES <= tables
    assert drift == []
