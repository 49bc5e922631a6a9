"""The agent console's decisions table is built by console's migration c0101 exactly as the ORM describes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.databases import migrated_database
from tests.fakes.schema import schema_drift

TABLES = {"console_agent_decisions"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with migrated_database(request.param, tmp_path, "agentdesk") as url:
        yield url


async def test_the_migration_builds_exactly_the_agent_decisions_table(migrated: str) -> None:
    drift, tables = await schema_drift(migrated, TABLES)
    assert TABLES <= tables
    assert drift == []
