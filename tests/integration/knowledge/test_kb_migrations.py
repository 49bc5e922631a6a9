"""The knowledge migration chain builds exactly the mapped tables, plus the dialect's full-text table."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from hotline.db import Base, make_engine
from hotline.models import import_all_models

KNOWLEDGE_TABLES = {"kb_entries", "kb_entry_versions", "kb_entry_hits", "experts"}


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if getattr(part, "c", None) is not None and getattr(part, "name", None):
            return str(part.name)
    return next((p for p in item[1:] if isinstance(p, str)), None)


async def test_the_migrated_schema_matches_the_models(kb_url: str) -> None:
    import_all_models()
    engine = make_engine(kb_url)
    try:
        async with engine.connect() as conn:

            def differences(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(context, Base.metadata)

            diffs = await conn.run_sync(differences)
            tables = set(await conn.run_sync(lambda c: c.dialect.get_table_names(c)))
    finally:
        await engine.dispose()
    assert KNOWLEDGE_TABLES <= tables
    assert [d for d in diffs if _table_of(d) in KNOWLEDGE_TABLES] == []
    full_text = "kb_entries_fts" if engine.dialect.name == "sqlite" else "kb_entry_search"
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
