"""The review lists' tables are built by sms_feedback's migration s0004 exactly as the ORM describes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.db import upgrade_async
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.fakes.schema import schema_drift

REVIEW_TABLES = {"review_rectifications", "review_bad_reviews", "review_responsibilities", "review_events"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def review_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
        await upgrade_async(url)
        yield url
        return
    async with fresh_postgres_database(postgres_base_url(), "reviews") as url:
        await upgrade_async(url)
        yield url


async def test_the_migration_builds_exactly_the_review_tables(review_db: str) -> None:
    drift, tables = await schema_drift(review_db, REVIEW_TABLES)
    assert REVIEW_TABLES <= tables
    assert drift == []
