"""The greeting follows the working-day calendar, including a local closure entered in the database."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.db import make_engine, make_sessionmaker, upgrade_async
from ivr.session import CalendarOpenHours
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.domain.calendar import DayOverride, OfficeHours, WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_local_closure_in_the_database_closes_the_line_after_the_next_refresh(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/hotline.sqlite3"
    await upgrade_async(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    hours = OfficeHours.parse("08:30-12:00,14:00-17:30", "Asia/Shanghai")
    tuesday_morning = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    open_hours = CalendarOpenHours(WorkingCalendar(hours), refresh_s=0.01)
    assert open_hours.is_open(tuesday_morning)
    assert not open_hours.is_open(datetime(2026, 12, 1, 12, 30, tzinfo=SHANGHAI))  # lunch break

    await CalendarStore(sessions).save_override(DayOverride(date(2026, 12, 1), working=False, note="台风停工"))
    refresher = asyncio.create_task(open_hours.keep_fresh(sessions, hours))
    try:
        await asyncio.wait_for(open_hours.refreshed.wait(), 5)
        assert not open_hours.is_open(tuesday_morning)
    finally:
        refresher.cancel()
        await asyncio.gather(refresher, return_exceptions=True)
        await engine.dispose()
