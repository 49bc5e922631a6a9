"""The running service writes the due reports by itself (the background task of `reports.web`)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

import reports.web
from hotline.app import create_app
from hotline.db import upgrade
from hotline.settings import Settings
from reports.web import REPORTS, SCHEDULER
from tests.integration.reports.report_fixtures import TZ
from ticketing.web import NOW


async def test_on_the_first_working_day_the_service_writes_last_months_and_last_quarters_reports(
    settings: Settings, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await asyncio.to_thread(upgrade, settings.database_url)
    monkeypatch.setattr(reports.web, "FIRST_CHECK_S", 0.0)
    first_working_day = datetime(2026, 10, 8, 9, 30, tzinfo=TZ)
    client = await aiohttp_client(create_app(settings, overrides={NOW: lambda: first_working_day}))
    app = client.server.app
    await asyncio.wait_for(app[SCHEDULER].checked.wait(), 60)
    listed = app[REPORTS].folder.list()
    assert [(r.name, r.trigger) for r in listed] == [("quarterly-2026Q3", "schedule"), ("monthly-2026-09", "schedule")]
    assert (settings.data_dir / "reports" / "quarterly-2026Q3" / "report.pdf").is_file()
