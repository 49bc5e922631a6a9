"""The calendar store on SQLite and PostgreSQL: overrides and imported years survive a round trip and
shape the calendar built from them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.db import Base, make_engine, make_sessionmaker
from ticketing.adapters.calendar_orm import CalendarOverrideRow, CalendarYearDayRow, CalendarYearRow
from ticketing.adapters.calendar_store import CalendarStore, calendar_tables_present
from ticketing.domain.calendar import DayOverride, OfficeHours, YearSchedule

TABLES = [CalendarOverrideRow.__table__, CalendarYearRow.__table__, CalendarYearDayRow.__table__]
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request, tmp_path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite+aiosqlite:///{tmp_path}/calendar.sqlite3")
        yield eng
        await eng.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"calendar_{uuid.uuid4().hex[:12]}"  # a private schema: no clash with migrated tables
    admin = make_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    yield eng
    await eng.dispose()
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture
async def store(engine) -> CalendarStore:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=TABLES))
    return CalendarStore(make_sessionmaker(engine), now=lambda: NOW)


async def test_tables_are_detected(engine):
    assert not await calendar_tables_present(engine)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=TABLES))
    assert await calendar_tables_present(engine)


async def test_overrides_round_trip_and_replace(store):
    await store.save_override(DayOverride(date(2026, 10, 10), False, "县政府通知：调休取消"), by="admin")
    await store.save_override(DayOverride(date(2026, 9, 30), False, "台风停工"))
    await store.save_override(DayOverride(date(2026, 10, 10), True, "恢复调休上班"), by="admin")
    assert await store.overrides() == [
        DayOverride(date(2026, 9, 30), False, "台风停工"),
        DayOverride(date(2026, 10, 10), True, "恢复调休上班"),
    ]
    assert await store.remove_override(date(2026, 9, 30))
    assert not await store.remove_override(date(2026, 9, 30))
    assert [o.day for o in await store.overrides()] == [date(2026, 10, 10)]


async def test_a_reimported_year_replaces_the_earlier_import(store):
    # Fictitious schedules for the test only.
    first = YearSchedule(2027, holidays={date(2027, 1, 1): "元旦", date(2027, 1, 4): "元旦"})
    second = YearSchedule(2027, holidays={date(2027, 1, 1): "元旦"}, workdays={date(2027, 1, 2): "元旦调休上班"})
    await store.save_year(first, source="2027-draft.csv")
    await store.save_year(second, source="2027.csv", by="admin")
    assert await store.imported_years() == {2027: second}


async def test_the_loaded_calendar_uses_overrides_and_imports(store):
    await store.save_year(YearSchedule(2027, holidays={date(2027, 1, 1): "元旦"}), source="2027.csv")
    await store.save_override(DayOverride(date(2025, 10, 8), True, "正常上班"))
    calendar = await store.load_calendar(OfficeHours.parse())
    assert calendar.add_working_days(datetime(2025, 9, 30, 16, tzinfo=TZ), 1) == datetime(
        2025, 10, 8, 16, tzinfo=TZ
    )
    assert calendar.add_working_days(datetime(2026, 12, 31, 16, tzinfo=TZ), 1) == datetime(
        2027, 1, 4, 16, tzinfo=TZ
    )
