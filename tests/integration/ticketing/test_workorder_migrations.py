"""`hotline db upgrade` builds the ticketing schema on SQLite and PostgreSQL, exactly as the models say."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hotline.cli import main
from hotline.db import Base, make_engine
from tests.fakes.schema import schema_drift
from ticketing.adapters import calendar_orm, orm

TICKETING_TABLES = {
    t.name
    for t in Base.metadata.sorted_tables
    if t.name
    in {
        m.__tablename__
        for m in (
            orm.UnitRow,
            orm.UserRow,
            orm.WorkOrderRow,
            orm.WorkOrderEventRow,
            orm.ExtensionRow,
            orm.ReturnRow,
            orm.SupervisionOrderRow,
            orm.OutboxRow,
            orm.WorkOrderNumberRow,
            calendar_orm.CalendarOverrideRow,
            calendar_orm.CalendarYearRow,
            calendar_orm.CalendarYearDayRow,
        )
    }
}


async def test_the_migrated_schema_matches_the_models(migrated_url: str) -> None:
    drift, tables = await schema_drift(migrated_url, TICKETING_TABLES)
    assert TICKETING_TABLES <= tables
    assert drift == []


async def test_the_county_units_are_seeded(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        async with engine.connect() as conn:
            names = set((await conn.execute(text("SELECT name FROM units"))).scalars())
    finally:
        await engine.dispose()
    for name in (
        "县市场监督管理局",
        "县发展和改革局",
        "县住房和城乡建设局",
        "县行政服务中心",
        "松源街道",
        "竹口镇",
    ):
        assert name in names
    assert len(names) >= 30


def test_the_hotline_db_upgrade_command_builds_a_fresh_database_and_is_safe_to_rerun(
    migrated_url: str, tmp_path, monkeypatch, capsys
) -> None:
    fresh = f"sqlite+aiosqlite:///{tmp_path}/fresh/hotline.sqlite3"
    for url in (fresh, migrated_url):  # a new SQLite file, then this module's database again
        monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
        assert main(["db", "upgrade"]) == 0
        assert "数据库已升级" in capsys.readouterr().out
    assert (tmp_path / "fresh" / "hotline.sqlite3").stat().st_size > 0


async def test_the_database_refuses_to_change_or_delete_an_event(workorder_api) -> None:
    api = workorder_api
    await api.draft()
    for statement in ("UPDATE work_order_events SET reason = 'rewritten'", "DELETE FROM work_order_events"):
        with pytest.raises(DBAPIError) as exc:
            async with api.engine.begin() as conn:
                await conn.execute(text(statement))
        assert "append-only" in str(exc.value)
    assert await api.scalar("SELECT count(*) FROM work_order_events") == 1
