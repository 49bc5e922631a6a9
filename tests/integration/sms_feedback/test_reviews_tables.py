"""The review lists' tables are built by sms_feedback's migration s0004 exactly as the ORM describes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.databases import migrated_database
from tests.fakes.schema import schema_drift

REVIEW_TABLES = {"review_rectifications", "review_bad_reviews", "review_responsibilities", "review_events"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def review_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with migrated_database(request.param, tmp_path, "reviews") as url:
        yield url


async def test_the_migration_builds_exactly_the_review_tables(review_db: str) -> None:
    drift, tables = await schema_drift(review_db, REVIEW_TABLES)
    assert REVIEW_TABLES <= tables
    assert drift == []
