"""Does a migrated database match the ORM models? (Alembic's autogenerate comparison, per package.)"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hotline.db import Base, make_engine
from hotline.models import import_all_models


async def schema_drift(url: str, tables: set[str]) -> tuple[list[Any], set[str]]:
    """The differences between the database at `url` and the models that touch `tables`, and the
    tables the database has. An empty list means the package's migrations build exactly its models."""
    import_all_models()
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def differences(sync_conn: Any) -> list[Any]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(context, Base.metadata))

            diffs = await conn.run_sync(differences)
            present = set(await conn.run_sync(lambda c: c.dialect.get_table_names(c)))
    finally:
        await engine.dispose()
    return [d for d in diffs if _touches(d, tables)], present


def _touches(diff: Any, tables: set[str]) -> bool:
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item[1:] if isinstance(item, tuple) else []:
            if isinstance(part, str) and part in tables:
                return True
            table = getattr(part, "table", None)
            if getattr(part, "name", None) in tables or getattr(table, "name", None) in tables:
                return True
    return False
