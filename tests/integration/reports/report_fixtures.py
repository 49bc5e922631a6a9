"""Fixtures of the reports tests (registered in tests/conftest.py): a migrated database template and a
small fixed data set whose figures are worked out by hand in `HAND` below.

Fixed quarter 2026Q3, judged as of 2026-10-09 10:00 (+08:00). Units: A = 县市场监督管理局 (scjgj),
B = 县住房和城乡建设局 (zjj), C = the first other seeded unit (no orders of its own; it returned one).

| order | unit | what happened |
|---|---|---|
| a1 | A | signed in time, replied in time, closed, 满意 — “工程款拖欠” |
| a2 | A | signed late, replied after due, closed, 不满意, reopened, revisit 满意 |
| a3 | A | returned by B and by C first (退单 ×2), signed and replied in time, closed, 基本满意 |
| a4 | A | signed in time, no reply, past due → overdue open |
| b1 | B | signed in time, replied in time, closed, 满意 — “工程款拖欠” |
| b2 | B | signed in time, replied in time, closed, not rated; repeated later by b3 |
| b3 | B | repeat complaint of b2, signed in time, open, due after as-of |
| h1 | —  | suggestion answered on the line (当场办结), closed, 满意 — “工程款拖欠” |
Calls: four queued calls — answered after 5 s, 30 s and 10 s, one abandoned.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from callflow.adapters.orm import CallRecordRow
from callflow.seat.orm import SeatCallRow
from hotline.db import make_engine, upgrade
from ticketing.adapters.orm import ReturnRow, UnitRow, WorkOrderEventRow, WorkOrderRow

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 10, 9, 10, 0, tzinfo=TZ)
DAY = datetime(2026, 8, 3, 9, 0, tzinfo=TZ)  # a Monday in 2026Q3

# Worked out by hand from the table above (see test_figures_by_hand.py for the arithmetic).
HAND = {
    "A": {"response_rate": 3 / 4, "on_time_rate": 2 / 4, "first_time_rate": 1 / 4, "satisfaction_rate": 2 / 3},
    "B": {"response_rate": 3 / 3, "on_time_rate": 2 / 2, "first_time_rate": 1 / 3, "satisfaction_rate": 1 / 1},
    "county": {
        "received": 8,
        "response_rate": 6 / 7,
        "on_time_rate": 4 / 6,
        "first_time_rate": 3 / 8,
        "satisfaction_rate": 4 / 5,
        "evaluation_coverage": 5 / 6,
        "revisit_satisfaction_rate": 1 / 1,
    },
}


@dataclass
class FixedQuarter:
    url: str
    folder: Path
    units: dict[str, tuple[int, str]]  # A/B/C → (id, name)


@pytest.fixture(scope="session")
def reports_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("reports-template")
    path = folder / "hotline.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield path


def _order(oid: int, number: str, unit: int | None, received: datetime, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict(
        id=oid, number=number, order_class="complaint", service="complaint", state="closed", source="call",
        caller_phone=f"1380000{oid:04d}", title="", content="", unit_id=unit, received_at=received,
        registered_at=received, created_at=received, updated_at=received, reopened_count=0, returns_count=0,
        extended=False, answered_on_line=False, version=1,
    )
    if unit is not None:
        row.update(dispatched_at=received + timedelta(minutes=10), sign_due=received + timedelta(days=1),
                   due=received + timedelta(days=5))
    row.update(values)
    return row


def fixed_rows(units: dict[str, tuple[int, str]]) -> dict[str, list[dict[str, Any]]]:
    a, b, c = units["A"][0], units["B"][0], units["C"][0]
    d = DAY
    debt = dict(title="工程款拖欠", content="承建的城东工业园区厂房工程款被拖欠三个月，多次催讨未果。")
    orders = [
        _order(1, "YS2026080300001", a, d, signed_at=d + timedelta(hours=2), replied_at=d + timedelta(days=3),
               closed_at=d + timedelta(days=3, hours=2), rating="satisfied", rated_at=d + timedelta(days=4), **debt),
        _order(2, "YS2026080300002", a, d, signed_at=d + timedelta(days=2), replied_at=d + timedelta(days=7),
               closed_at=d + timedelta(days=7, hours=1), rating="dissatisfied", rated_at=d + timedelta(days=8),
               rating_comment="答复敷衍", reopened_count=1, revisit_rating="satisfied",
               revisited_at=d + timedelta(days=12), title="消防验收进度", content="新建仓库消防验收迟迟没有安排现场检查。"),
        _order(3, "YS2026080300003", a, d, returns_count=2, signed_at=d + timedelta(hours=5),
               replied_at=d + timedelta(days=2), closed_at=d + timedelta(days=2, hours=3),
               rating="basically_satisfied", rated_at=d + timedelta(days=3), title="用电报装",
               content="新厂房用电报装申请三周未接电。"),
        _order(4, "YS2026080300004", a, d, state="handling", signed_at=d + timedelta(hours=1), title="环评审批超期",
               content="新生产线的环评审批已超过法定时限仍未批复。"),
        _order(5, "YS2026080300005", b, d, signed_at=d + timedelta(hours=3), replied_at=d + timedelta(days=1),
               closed_at=d + timedelta(days=1, hours=1), rating="satisfied", rated_at=d + timedelta(days=2),
               **{**debt, "content": "城西工业园区仓库工程款被拖欠半年，多次催讨未果。"}),
        _order(6, "YS2026080300006", b, d, signed_at=d + timedelta(hours=3), replied_at=d + timedelta(days=2),
               closed_at=d + timedelta(days=2, hours=1), title="施工噪音", content="工地夜间施工噪音扰民。"),
        _order(7, "YS2026092800001", b, datetime(2026, 9, 28, 9, 0, tzinfo=TZ), state="handling", repeat_of=6,
               signed_at=datetime(2026, 9, 28, 11, 0, tzinfo=TZ), due=datetime(2026, 10, 20, 9, 0, tzinfo=TZ),
               title="施工噪音", content="再次反映：工地夜间施工噪音扰民。"),
        _order(8, "YS2026080300008", None, d, order_class="suggestion", service="suggestion", answered_on_line=True,
               closed_at=d + timedelta(minutes=8), rating="satisfied", rated_at=d + timedelta(hours=5),
               title="工程款拖欠", content="建议建立政府工程款拖欠清欠台账，定期通报清欠进度。"),
    ]
    returns = [
        dict(work_order_id=3, unit_id=b, returned_at=d + timedelta(minutes=20), reason="不属于本单位职责",
             redispatched_at=d + timedelta(minutes=40), redispatched_to=c),
        dict(work_order_id=3, unit_id=c, returned_at=d + timedelta(hours=1), reason="职责不清，建议改派",
             redispatched_at=d + timedelta(hours=1, minutes=10), redispatched_to=a),
    ]
    events = [
        dict(work_order_id=3, at=d, actor_id=None, actor_name="赵坐席", actor_role="agent", action="dispatch",
             state_before="registered", state_after="dispatched", reason=None, before={}, after={}),
        dict(work_order_id=3, at=d + timedelta(minutes=20), actor_id=None, actor_name="住建承办人",
             actor_role="unit_handler", action="return", state_before="dispatched", state_after="registered",
             reason="不属于本单位职责", before={}, after={}),
    ]
    calls, seat = [], []
    for i, (disposition, wait) in enumerate([("answered", 5.0), ("answered", 30.0), ("abandoned", 40.0), ("answered", 10.0)]):
        queued = d + timedelta(hours=i)
        call_id = f"00000000-0000-0000-0000-00000000000{i}"
        calls.append(dict(id=call_id, channel_id=f"ch{i}", caller_number="13800000000", started_at=queued,
                          menu_path=[], destination="seat", service="complaint", disposition=disposition,
                          ended_at=queued + timedelta(minutes=5)))
        seat.append(dict(call_id=call_id, caller_number="13800000000", destination="seat", queued_at=queued,
                         answered_at=queued + timedelta(seconds=wait) if disposition == "answered" else None,
                         ended_at=queued + timedelta(minutes=5), wait_s=wait, talk_s=None, agent_id=None, agents=[],
                         rung=[], legs=[], disposition=disposition, overflow_reason=None, ended_by="caller"))
    return {"orders": orders, "returns": returns, "events": events, "calls": calls, "seat": seat}


async def load_fixed(url: str) -> dict[str, tuple[int, str]]:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            rows = (await conn.execute(select(UnitRow.id, UnitRow.code, UnitRow.name).order_by(UnitRow.id))).all()
            by_code = {code: (uid, name) for uid, code, name in rows}
            other = next((uid, name) for uid, code, name in rows if code not in ("scjgj", "zjj"))
            units = {"A": by_code["scjgj"], "B": by_code["zjj"], "C": other}
            data = fixed_rows(units)
            order_keys = {k for r in data["orders"] for k in r}
            await conn.execute(insert(WorkOrderRow), [{k: r.get(k) for k in order_keys} for r in data["orders"]])
            await conn.execute(insert(ReturnRow), data["returns"])
            await conn.execute(insert(WorkOrderEventRow), data["events"])
            await conn.execute(insert(CallRecordRow), data["calls"])
            await conn.execute(insert(SeatCallRow), data["seat"])
    finally:
        await engine.dispose()
    return units


@pytest.fixture
async def fixed_quarter(reports_template: Path, tmp_path: Path) -> FixedQuarter:
    path = tmp_path / "hotline.sqlite3"
    shutil.copy(reports_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    return FixedQuarter(url=url, folder=tmp_path, units=await load_fixed(url))
