"""The same hand-worked quarter on PostgreSQL: the reports' SQL (the regrouped KPI cohort, FILTER counts,
the accountability signs) gives the same figures as on SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hotline.db import make_engine, make_sessionmaker, upgrade
from hotline.settings import Settings
from reports.web import build_service
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.integration.reports.report_fixtures import AS_OF, HAND, load_fixed
from ticketing.domain.kpi import Period

pytestmark = pytest.mark.postgres


async def test_the_fixed_quarters_report_content_is_the_same_on_postgresql(tmp_path) -> None:
    async with fresh_postgres_database(postgres_base_url(), "reports") as url:
        await asyncio.to_thread(upgrade, url)
        units = await load_fixed(url)
        engine = make_engine(url)
        try:
            service = build_service(Settings(database_url=url, data_dir=tmp_path), make_sessionmaker(engine),
                                    lambda: datetime(2026, 10, 9, 2, 0, tzinfo=UTC))
            content = await service.content("quarterly", Period.parse("2026Q3"), AS_OF)
        finally:
            await engine.dispose()
    county = content.figures.county
    for rate, expected in HAND["county"].items():
        assert getattr(county, rate) == pytest.approx(expected), rate
    ranked = {r.unit_name: (r.rank, r.score) for r in content.ranking}
    assert ranked[units["B"][1]] == (1, pytest.approx(83.33, abs=0.01))
    assert ranked[units["A"][1]] == (2, pytest.approx(54.17, abs=0.01))
    assert ranked[units["C"][1]] == (None, None)
    by_class = {(f.order_class, f.service): f.figures.received for f in content.figures.by_class_service}
    assert by_class == {("complaint", "complaint"): 7, ("suggestion", "suggestion"): 1}
    assert content.figures.calls.service_level == pytest.approx(0.5)
    assert sorted(e.order.number for e in content.accountability.entries) == [
        "YS2026080300002", "YS2026080300003", "YS2026080300004", "YS2026080300006"]
    assert content.hot_issues.issues[0].common_across_units  # 工程款拖欠 at A, B and the hotline
    assert content.opinions.total == 1
