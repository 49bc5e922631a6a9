"""The knowledge migration chain builds exactly the mapped tables, plus the dialect's full-text table."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hotline.db import make_engine
from tests.fakes.schema import schema_drift

KNOWLEDGE_TABLES = {"kb_entries", "kb_entry_versions", "kb_entry_hits", "experts"}


async def test_the_migrated_schema_matches_the_models(kb_url: str) -> None:
    drift, tables = await schema_drift(kb_url, KNOWLEDGE_TABLES)
    assert KNOWLEDGE_TABLES <= tables
    assert drift == []
    full_text = "kb_entries_fts" if kb_url.startswith("sqlite") else "kb_entry_search"
    assert full_text in tables


async def test_postgres_search_uses_a_gin_index(kb_url: str) -> None:
    if not kb_url.startswith("postgresql"):
        pytest.skip("a GIN index is PostgreSQL's; SQLite uses its FTS5 table")
    engine = make_engine(kb_url)
    try:
        async with engine.connect() as conn:
            indexdef = (
                await conn.execute(
                    text(
                        "SELECT indexdef FROM pg_indexes WHERE tablename = 'kb_entry_search' AND indexdef LIKE '%gin%'"
                    )
                )
            ).scalar()
    finally:
        await engine.dispose()
    assert indexdef is not None and "document" in indexdef
