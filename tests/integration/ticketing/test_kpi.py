"""Effectiveness figures (效能评估) on a small fixed data set, counted by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hotline.app import ENGINE, create_app
from hotline.cli import main
from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from tests.fakes.loop_db import LoopDb, create_tables
from ticketing.adapters.kpi_sql import HOTLINE_NAME, KpiQueries
from ticketing.adapters.orm import ReturnRow, SupervisionOrderRow, UnitRow, UserRow, WorkOrderRow
from ticketing.auth import hash_token
from ticketing.background import BACKGROUND
from ticketing.domain.kpi import InvalidPeriod, Period, total
from ticketing.web import NOW

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 10, 15, 10, 0, tzinfo=TZ)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def dispatched_order(number: int, unit: int, received: datetime, **fields: object) -> WorkOrderRow:
    """A complaint dispatched on receipt: sign due the next day, close due in five days."""
    values: dict[str, object] = dict(
        number=f"YS20260701{number:05d}",
        order_class="complaint",
        service="complaint",
        complexity="general",
        state="handling",
        caller_phone="13800001111",
        title=f"投诉{number}",
        unit_id=unit,
        received_at=received,
        registered_at=received,
        dispatched_at=received,
        clock_start=received,
        sign_due=received + timedelta(days=1),
        due=received + timedelta(days=5),
    )
    values.update(fields)
    return WorkOrderRow(id=number, **values)


async def seed(db: LoopDb) -> None:
    """The data set of the docstring table below; comments say what each row adds."""
    a, b = 1, 2
    r = at(8, 3)
    async with db.sessions.begin() as s:
        s.add_all(
            [
                UnitRow(id=a, code="scjg", name="县市场监管局"),
                UnitRow(id=b, code="zj", name="县住建局"),
                UnitRow(id=3, code="old", name="县旧单位", active=False),
                UnitRow(id=4, code="sw", name="县商务局"),
            ]
        )
        await s.flush()
        s.add_all(
            [
                # 1: signed, replied and closed in time, rated satisfied → first-time resolved
                dispatched_order(
                    1, a, r, state="closed", signed_at=r + timedelta(hours=2), replied_at=r + timedelta(days=2),
                    closed_at=r + timedelta(days=3), rating="satisfied", rated_at=r + timedelta(days=4),
                ),
                # 2: signed late, replied late, rated dissatisfied, reopened, revisit satisfied
                dispatched_order(
                    2, a, r, state="closed", signed_at=r + timedelta(days=2), replied_at=r + timedelta(days=6),
                    closed_at=r + timedelta(days=7), rating="dissatisfied", reopened_count=1,
                    revisit_rating="satisfied", revisited_at=r + timedelta(days=20),
                ),
                # 3: signed, still open and past its due time → overdue
                dispatched_order(3, a, r, signed_at=r + timedelta(hours=1)),
                # 4: received on the last evening of the quarter (local time), open, not yet due
                dispatched_order(4, a, at(9, 30, 20), signed_at=at(9, 30, 21), due=at(10, 20)),
                # 5: extension approved (due moved), replied before the new due; later complained again (7)
                dispatched_order(
                    5, a, r, state="closed", signed_at=r + timedelta(hours=3), original_due=r + timedelta(days=5),
                    due=r + timedelta(days=15), extended=True, replied_at=r + timedelta(days=10),
                    closed_at=r + timedelta(days=11), rating="basically_satisfied",
                ),
                # 6: returned once by 住建局, re-dispatched to 市场监管局, closed in time, not rated
                dispatched_order(
                    6, a, r, state="closed", signed_at=r + timedelta(hours=4), returns_count=1,
                    replied_at=r + timedelta(days=1), closed_at=r + timedelta(days=2),
                ),
                # 7: the repeat of 5 at 住建局's door: never signed, past due
                dispatched_order(7, b, at(8, 20), repeat_of=5, repeat_reason="同一来电号码"),
                # 8: a consultation answered on the line: closed at once, no unit, rated satisfied
                WorkOrderRow(
                    id=8, number="YS2026070100008", order_class="consultation", service="policy_query",
                    state="closed", received_at=r, closed_at=r, answered_on_line=True, rating="satisfied",
                ),
                # 9: received on the last afternoon of Q2 → not in Q3
                dispatched_order(9, a, at(6, 30, 16, 30)),
                # 10: a draft is not a matter yet
                WorkOrderRow(id=10, number="YS2026070100010", state="draft", received_at=r),
                # 11: 00:30 on 1 October local time is still 30 September in UTC → Q4, not Q3
                dispatched_order(11, b, at(10, 1, 0, 30)),
                # 12: a draft discarded (作废) as holding no matter is not counted either
                WorkOrderRow(id=12, number="YS2026070100012", state="discarded", received_at=r, unit_id=a),
            ]
        )
        await s.flush()
        s.add_all(
            [
                ReturnRow(work_order_id=6, unit_id=b, returned_at=at(8, 3, 15), reason="不属于本单位职责"),
                ReturnRow(work_order_id=3, unit_id=a, returned_at=at(10, 8), reason="十月的退单"),
                SupervisionOrderRow(work_order_id=3, unit_id=a, kind="overdue", opened_at=at(9, 20), reason="超期"),
                SupervisionOrderRow(work_order_id=7, unit_id=b, kind="overdue", opened_at=at(10, 2), reason="超期"),
            ]
        )


@pytest.fixture
async def kpi(loop_db: LoopDb) -> KpiQueries:
    await seed(loop_db)
    return KpiQueries(loop_db.sessions, TZ)


async def test_a_quarter_of_figures_matches_the_hand_count(kpi: KpiQueries) -> None:
    figures = {f.unit_name: f for f in await kpi.figures(Period.parse("2026Q3"), AS_OF)}

    assert set(figures) == {"县市场监管局", "县住建局", "县商务局", HOTLINE_NAME}

    market = figures["县市场监管局"]
    assert (market.received, market.dispatched, market.signed_in_time) == (6, 6, 5)
    assert market.response_rate == pytest.approx(5 / 6)
    assert (market.completed, market.completed_in_time, market.overdue_open) == (4, 3, 1)
    assert market.on_time_rate == pytest.approx(3 / 5)
    assert (market.closed, market.first_time_resolved) == (4, 1)
    assert market.first_time_rate == pytest.approx(1 / 6)
    assert (market.rated, market.satisfied, market.closed_rated) == (3, 2, 3)
    assert market.satisfaction_rate == pytest.approx(2 / 3)
    assert market.evaluation_coverage == pytest.approx(3 / 4)
    assert (market.reopened, market.revisited, market.revisit_satisfied) == (1, 1, 1)
    assert market.revisit_satisfaction_rate == 1.0
    assert (market.repeat_complaints, market.repeated) == (0, 1)
    assert (market.returns, market.supervision_orders) == (0, 1)

    housing = figures["县住建局"]
    assert (housing.received, housing.dispatched, housing.signed_in_time) == (1, 1, 0)
    assert housing.response_rate == 0.0
    assert (housing.completed, housing.overdue_open, housing.on_time_rate) == (0, 1, 0.0)
    assert (housing.repeat_complaints, housing.returns, housing.supervision_orders) == (1, 1, 0)
    assert housing.satisfaction_rate is None and housing.evaluation_coverage is None

    hotline = figures[HOTLINE_NAME]
    assert (hotline.received, hotline.dispatched, hotline.closed, hotline.first_time_resolved) == (1, 0, 1, 1)
    assert hotline.response_rate is None
    assert (hotline.satisfaction_rate, hotline.evaluation_coverage) == (1.0, 1.0)

    idle = figures["县商务局"]
    assert idle.received == 0 and idle.rates() == {key: None for key in idle.rates()}

    county = total(list(figures.values()))
    assert (county.received, county.closed, county.first_time_resolved, county.rated, county.satisfied) == (
        8, 5, 2, 4, 3,
    )
    assert county.satisfaction_rate == pytest.approx(3 / 4)


async def test_a_month_and_a_single_unit(kpi: KpiQueries) -> None:
    october = {f.unit_name: f for f in await kpi.figures(Period.parse("2026-10"), AS_OF)}
    assert october["县住建局"].received == 1  # the order received at 00:30 on 1 October
    assert october["县住建局"].supervision_orders == 1
    assert october["县市场监管局"].returns == 1
    assert HOTLINE_NAME not in october

    only = await kpi.figures(Period.parse("2026Q3"), AS_OF, unit_id=2)
    assert [(f.unit_name, f.received, f.returns) for f in only] == [("县住建局", 1, 1)]


async def test_judging_earlier_counts_fewer_overdue(kpi: KpiQueries) -> None:
    """Order 3 was due on 8 August; on the evening of 7 August it was not yet late."""
    before = {f.unit_id: f for f in await kpi.figures(Period.parse("2026Q3"), at(8, 7, 20))}
    assert before[1].overdue_open == 0


def test_periods_are_quarters_months_or_years() -> None:
    assert Period.parse("2026q3") == Period("2026Q3", at(7, 1).date(), at(10, 1).date())
    assert Period.parse("2026-12").end == datetime(2027, 1, 1).date()
    assert Period.parse("2026").name_zh == "2026年"
    assert Period.parse("2026Q4").name_zh == "2026年第4季度"
    with pytest.raises(InvalidPeriod):
        Period.parse("2026-13")
    with pytest.raises(InvalidPeriod):
        Period.parse("Q3")


# --- the API and the CLI ------------------------------------------------------------------------------


async def add_user(db: LoopDb, login: str, role: str, unit_id: int | None) -> str:
    token = f"token-{login}"
    async with db.sessions.begin() as s:
        s.add(UserRow(login=login, name=login, role=role, unit_id=unit_id, api_token_hash=hash_token(token)))
    return token


@pytest.fixture
async def kpi_client(loop_db: LoopDb, kpi: KpiQueries, settings: Settings, aiohttp_client: Any) -> Any:
    app = create_app(settings, overrides={ENGINE: loop_db.engine, NOW: lambda: AS_OF, BACKGROUND: False})
    return await aiohttp_client(app)


async def test_the_api_gives_supervisors_every_unit_and_the_county_total(
    loop_db: LoopDb, kpi_client: Any
) -> None:
    token = await add_user(loop_db, "dc", "supervisor", None)
    resp = await kpi_client.get("/api/v1/kpi", params={"period": "2026Q3"}, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200
    doc = await resp.json()
    assert (doc["period"], doc["period_name"]) == ("2026Q3", "2026年第3季度")
    assert doc["from"] == "2026-07-01T00:00:00+08:00" and doc["to"] == "2026-10-01T00:00:00+08:00"
    market = next(u for u in doc["units"] if u["unit_name"] == "县市场监管局")
    assert market["counts"]["received"] == 6
    assert market["rates"]["response_rate"] == round(5 / 6, 4)
    assert market["rates"]["on_time_rate"] == 0.6
    assert doc["total"]["counts"]["received"] == 8
    assert {d["key"] for d in doc["definitions"]} >= {"response_rate", "first_time_rate"}


async def test_a_unit_sees_only_its_own_figures(loop_db: LoopDb, kpi_client: Any) -> None:
    token = await add_user(loop_db, "zj1", "unit_handler", 2)
    headers = {"Authorization": f"Bearer {token}"}
    own = await (await kpi_client.get("/api/v1/kpi", params={"period": "2026Q3"}, headers=headers)).json()
    assert [u["unit_name"] for u in own["units"]] == ["县住建局"] and "total" not in own
    other = await kpi_client.get("/api/v1/kpi", params={"period": "2026Q3", "unit": "scjg"}, headers=headers)
    assert other.status == 403 and (await other.json())["error"] == "forbidden"


async def test_the_api_refuses_bad_periods_unknown_units_and_strangers(loop_db: LoopDb, kpi_client: Any) -> None:
    token = await add_user(loop_db, "agent1", "agent", None)
    headers = {"Authorization": f"Bearer {token}"}
    bad = await kpi_client.get("/api/v1/kpi", params={"period": "2026Q5"}, headers=headers)
    assert bad.status == 400 and (await bad.json())["error"] == "invalid-period"
    unknown = await kpi_client.get("/api/v1/kpi", params={"period": "2026Q3", "unit": "nope"}, headers=headers)
    assert unknown.status == 404
    stranger = await kpi_client.get("/api/v1/kpi", params={"period": "2026Q3"})
    assert stranger.status == 401
    described = await (await kpi_client.get("/api/v1/openapi.json")).json()
    assert "get" in described["paths"]["/api/v1/kpi"]


def test_hotline_kpi_prints_a_chinese_table_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"

    async def prepare() -> None:
        engine = make_engine(url)
        await create_tables(engine)
        await seed(LoopDb("sqlite", url, engine, make_sessionmaker(engine)))
        await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)

    assert main(["kpi", "--period", "2026Q3", "--as-of", "2026-10-15T10:00"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "2026年第3季度 效能评估（截至 2026-10-15 10:00）"
    market = next(line for line in out.splitlines() if line.startswith("县市场监管局"))
    assert market.split() == ["县市场监管局", "6", "83.3%", "60.0%", "16.7%", "66.7%", "75.0%", "100.0%", "0", "1", "1"]
    assert any(line.startswith("全县合计") for line in out.splitlines())

    assert main(["kpi", "--period", "2026Q3", "--unit", "zj", "--as-of", "2026-10-15T10:00", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [u["unit_name"] for u in doc["units"]] == ["县住建局"]

    assert main(["kpi", "--period", "2026Q9"]) == 2
    assert "2026Q9" in capsys.readouterr().err
