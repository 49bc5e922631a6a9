"""The supervision watcher (督办巡检) warns before deadlines, supervises overdue work orders once, and the
DingTalk notices reach a real local robot server that checks the signature, retried until delivered."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from hotline.app import ENGINE, create_app
from hotline.db import make_sessionmaker
from hotline.settings import Settings
from tests.fakes.loop_db import LoopDb
from ticketing.adapters.dingtalk_outbox import DingTalkUnitHandler
from ticketing.adapters.orm import OutboxRow, SupervisionOrderRow, UnitRow, WorkOrderEventRow, WorkOrderRow
from ticketing.background import WATCHER
from ticketing.domain.calendar import OfficeHours, WorkingCalendar
from ticketing.outbox import DINGTALK_UNIT, OutboxWorker, RetryPolicy
from ticketing.repeat_links import RepeatLinker
from ticketing.supervision import SupervisionWatcher, WatchPolicy, fixed_calendar
from ticketing.web import NOW

TZ = ZoneInfo("Asia/Shanghai")
SECRET = "SECd1f0e2b4c6a8e0f2d4b6a8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2d4c6e8f0"
TOKEN = "market-bureau-robot"
CALENDAR = WorkingCalendar(OfficeHours.parse())


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@dataclass
class FakeDingTalk:
    """A DingTalk custom robot: checks token, timestamp window and HMAC-SHA256 sign; can be told to fail."""

    failures: list[web.Response] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, request: web.Request) -> web.Response:
        if self.failures:
            return self.failures.pop(0)
        query = request.query
        timestamp = int(query.get("timestamp", "0"))
        expected = base64.b64encode(
            hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
        ).decode()
        if query.get("access_token") != TOKEN or query.get("sign") != expected or abs(
            time.time() * 1000 - timestamp
        ) > 3_600_000:
            self.refused += 1
            return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        self.received.append(await request.json())
        self.arrived.set()
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
async def dingtalk(aiohttp_server: Any) -> AsyncIterator[tuple[FakeDingTalk, str]]:
    fake = FakeDingTalk()
    app = web.Application()
    app.router.add_post("/robot/send", fake.send)
    server = await aiohttp_server(app)
    yield fake, str(server.make_url(f"/robot/send?access_token={TOKEN}"))


async def seed(db: LoopDb, webhook: str) -> None:
    async with db.sessions.begin() as s:
        s.add_all(
            [
                UnitRow(id=1, code="scjg", name="县市场监管局", dingtalk_webhook=webhook, dingtalk_secret=SECRET),
                UnitRow(id=2, code="zj", name="县住建局"),  # no robot configured
            ]
        )
        await s.flush()
        common: dict[str, Any] = dict(order_class="complaint", service="complaint", received_at=local(9, 9))
        s.add_all(
            [
                WorkOrderRow(id=1, number="YS2026110900001", title="食品店无证经营", state="handling", unit_id=1,
                             sign_due=local(10, 9), due=local(10, 16), **common),
                WorkOrderRow(id=2, number="YS2026110900002", title="工程款拖欠", state="dispatched", unit_id=1,
                             sign_due=local(11, 9), due=local(16, 9), **common),
                WorkOrderRow(id=3, number="YS2026110900003", title="施工噪音", state="handling", unit_id=2,
                             sign_due=local(10, 9), due=local(10, 15), **common),
                WorkOrderRow(id=4, number="YS2026110900004", title="已答复的事项", state="replied", unit_id=1,
                             sign_due=local(10, 9), due=local(10, 10), **common),
                WorkOrderRow(id=5, number="YS2026110900005", title="周一到期的事项", state="signed", unit_id=1,
                             sign_due=local(12, 9), due=local(16, 9), **common),
            ]
        )


def watcher(db: LoopDb) -> SupervisionWatcher:
    return SupervisionWatcher(db.sessions, fixed_calendar(CALENDAR), policy=WatchPolicy(warn_hours=2))


async def test_warnings_come_two_working_hours_before_and_overdue_orders_get_one_supervision_order(
    loop_db: LoopDb, dingtalk: tuple[FakeDingTalk, str]
) -> None:
    fake, webhook = dingtalk
    await seed(loop_db, webhook)
    w = watcher(loop_db)

    # 13:00 is lunch: two working hours from now end at 16:00, so 1 (due 16:00) and 3 (due 15:00) are due soon
    lunch = await w.scan(local(10, 13))
    assert sorted(lunch.warned) == ["YS2026110900001", "YS2026110900003"] and lunch.supervised == []

    # 16:30: 1 and 3 are overdue; 2's sign-for time tomorrow 09:00 is 1.5 working hours away
    late = await w.scan(local(10, 16, 30))
    assert sorted(late.supervised) == ["YS2026110900001", "YS2026110900003"]
    assert late.warned == ["YS2026110900002"]

    again = await w.scan(local(10, 16, 31))
    assert again.supervised == [] and again.warned == []

    async with loop_db.sessions() as s:
        orders = (await s.scalars(select(SupervisionOrderRow).order_by(SupervisionOrderRow.work_order_id))).all()
        assert [(o.work_order_id, o.unit_id, o.kind) for o in orders] == [(1, 1, "overdue"), (3, 2, "overdue")]
        assert "2026年11月10日16:00" in orders[0].reason
        assert orders[0].due == local(11, 16, 30)  # answer the supervision within one working day
        overdue = dict((await s.execute(select(WorkOrderRow.id, WorkOrderRow.overdue_at))).all())
        assert overdue == {1: local(10, 16, 30), 2: None, 3: local(10, 16, 30), 4: None, 5: None}
        events = (await s.scalars(select(WorkOrderEventRow).order_by(WorkOrderEventRow.work_order_id))).all()
        assert [(e.work_order_id, e.action, e.actor_role, e.actor_name) for e in events] == [
            (1, "supervise", "system", "督办巡检"),
            (3, "supervise", "system", "督办巡检"),
        ]
        outbox = (await s.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
        # only the unit with a robot is notified: warning 1, supervision 1, warning 2
        assert [(o.kind, o.idempotency_key) for o in outbox] == [
            (DINGTALK_UNIT, "warn:1:202611101600"),
            (DINGTALK_UNIT, "overdue:1"),
            (DINGTALK_UNIT, "warn:2:202611110900"),
        ]
        notice = outbox[1].payload
        assert notice["unit_id"] == 1
        assert "YS2026110900001" in notice["text"] and "食品店无证经营" in notice["text"]
        assert "2026年11月10日16:00" in notice["text"]


async def test_a_due_time_after_the_weekend_is_warned_on_friday_afternoon(
    loop_db: LoopDb, dingtalk: tuple[FakeDingTalk, str]
) -> None:
    await seed(loop_db, dingtalk[1])
    w = watcher(loop_db)
    # Friday 15:59: 2 h 1 min of office time remain to Monday 09:00 (Fri until 17:30 + Mon 08:30-09:00)
    assert "YS2026110900005" not in (await w.scan(local(13, 15, 59))).warned
    assert "YS2026110900005" in (await w.scan(local(13, 16, 0))).warned


async def test_each_deadline_is_warned_once_after_signing_and_after_an_extension(
    loop_db: LoopDb, dingtalk: tuple[FakeDingTalk, str]
) -> None:
    await seed(loop_db, dingtalk[1])
    w = watcher(loop_db)
    assert "YS2026110900002" in (await w.scan(local(10, 16, 30))).warned  # sign-for due Wed 09:00
    assert "YS2026110900002" not in (await w.scan(local(10, 17, 0))).warned

    async with loop_db.sessions.begin() as s:  # signed Wednesday morning; close due Monday 09:00
        order = await s.get(WorkOrderRow, 2)
        assert order is not None
        order.state, order.signed_at = "signed", local(11, 8, 45)
    assert "YS2026110900002" not in (await w.scan(local(13, 15, 59))).warned
    assert "YS2026110900002" in (await w.scan(local(13, 16, 0))).warned  # the close due time's own warning

    async with loop_db.sessions.begin() as s:  # an approved extension moves the due time to Friday 09:00
        order = await s.get(WorkOrderRow, 2)
        assert order is not None
        order.due, order.extended = local(20, 9), True
    assert "YS2026110900002" not in (await w.scan(local(13, 16, 30))).warned
    assert "YS2026110900002" in (await w.scan(local(19, 16, 0))).warned

    async with loop_db.sessions() as s:
        keys = (await s.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.work_order_id == 2))).all()
    assert sorted(keys) == ["warn:2:202611110900", "warn:2:202611160900", "warn:2:202611200900"]


async def test_notices_reach_the_units_robot_signed_and_are_retried_until_delivered(
    loop_db: LoopDb, dingtalk: tuple[FakeDingTalk, str]
) -> None:
    fake, webhook = dingtalk
    await seed(loop_db, webhook)
    await watcher(loop_db).scan(local(10, 16, 30))
    fake.failures = [
        web.json_response({"errcode": -1, "errmsg": "系统繁忙"}),
        web.Response(status=502, text="bad gateway"),
    ]
    async with aiohttp.ClientSession() as http:
        worker = OutboxWorker(
            loop_db.sessions, {DINGTALK_UNIT: DingTalkUnitHandler(loop_db.sessions, http)},
            retry=RetryPolicy(base_seconds=30, factor=2),
        )
        t = local(10, 16, 31)
        first = await worker.run_once(t)
        assert len(first.retried) == 2  # DingTalk busy, then a 502 from its gateway
        assert (await worker.run_once(t + timedelta(seconds=29))).claimed == 0  # backing off
        again = await worker.run_once(t + timedelta(seconds=30))
        assert len(again.delivered) == 2

    assert fake.refused == 0
    titles = [m["markdown"]["title"] for m in fake.received]
    assert titles == ["督办：工单YS2026110900001已超期", "临期预警：工单YS2026110900002"]
    assert all(m["msgtype"] == "markdown" for m in fake.received)
    async with loop_db.sessions() as s:
        rows = (await s.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
        assert [(r.attempts, r.delivered_at is not None) for r in rows] == [(2, True), (2, True)]
        assert rows[0].last_error is None


async def test_a_unit_whose_robot_was_removed_ends_the_notice_with_a_clear_error(
    loop_db: LoopDb, dingtalk: tuple[FakeDingTalk, str]
) -> None:
    await seed(loop_db, dingtalk[1])
    await watcher(loop_db).scan(local(10, 16, 30))
    async with loop_db.sessions.begin() as s:
        unit = await s.get(UnitRow, 1)
        assert unit is not None
        unit.dingtalk_webhook = None
    async with aiohttp.ClientSession() as http:
        worker = OutboxWorker(loop_db.sessions, {DINGTALK_UNIT: DingTalkUnitHandler(loop_db.sessions, http)})
        report = await worker.run_once(local(10, 16, 31))
    assert len(report.failed) == 2 and not report.retried  # the supervision notice and the warning
    async with loop_db.sessions() as s:
        rows = (await s.scalars(select(OutboxRow))).all()
        assert all("县市场监管局未配置钉钉机器人" in (r.last_error or "") for r in rows)
        assert all(r.failed_at is not None and r.delivered_at is None for r in rows)


async def test_two_watchers_at_once_open_one_supervision_order_per_overdue_work_order(
    loop_db: LoopDb, dingtalk: tuple[FakeDingTalk, str]
) -> None:
    await seed(loop_db, dingtalk[1])
    other = loop_db.new_engine()
    try:
        watchers = [
            watcher(loop_db),
            SupervisionWatcher(make_sessionmaker(other), fixed_calendar(CALENDAR)),
        ]
        reports = await asyncio.gather(*(w.scan(local(10, 16, 30)) for w in watchers))
    finally:
        await other.dispose()
    supervised = sorted(n for r in reports for n in r.supervised)
    assert supervised == ["YS2026110900001", "YS2026110900003"]
    async with loop_db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(SupervisionOrderRow)) == 2
        assert await s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.idempotency_key == "overdue:1")) == 1


async def test_a_repeat_complaint_is_linked_flagged_and_supervised_against_the_first_unit(
    loop_db: LoopDb, dingtalk: tuple[FakeDingTalk, str]
) -> None:
    await seed(loop_db, dingtalk[1])
    complaint: dict[str, Any] = dict(order_class="complaint", service="complaint", state="registered")
    async with loop_db.sessions.begin() as s:
        s.add_all(
            [
                WorkOrderRow(
                    id=10, number="YS2026110200001", caller_phone="13800001111", unit_id=1, state="closed",
                    order_class="complaint", service="complaint", received_at=local(2, 9), registered_at=local(2, 9),
                    title="工程款拖欠", content="城东工业园区厂房工程款一百二十万元被拖欠三个月，多次催讨未果。",
                ),
                WorkOrderRow(
                    id=11, number="YS2026111000001", caller_phone="+86 138-0000-1111", received_at=local(10, 10),
                    registered_at=local(10, 10), title="又来反映工程款",
                    content="上次反映的城东工业园区厂房工程款还是没有支付，催讨无果。", **complaint,
                ),
                WorkOrderRow(
                    id=12, number="YS2026111000002", caller_phone="13800001111", received_at=local(10, 10, 5),
                    registered_at=local(10, 10, 5), title="营业执照变更",
                    content="营业执照经营范围变更网上怎么办理。", **complaint,
                ),
            ]
        )
    w = SupervisionWatcher(loop_db.sessions, fixed_calendar(CALENDAR), repeats=RepeatLinker())

    first = await w.scan(local(10, 10, 30))
    assert first.repeats == ["YS2026111000001"]
    assert (await w.scan(local(10, 10, 31))).repeats == []

    async with loop_db.sessions() as s:
        flagged = await s.get(WorkOrderRow, 11)
        assert flagged is not None and flagged.repeat_of == 10
        assert "YS2026110200001" in (flagged.repeat_reason or "") and "工程款" in (flagged.repeat_reason or "")
        assert (await s.get(WorkOrderRow, 12)).repeat_of is None  # type: ignore[union-attr]
        repeat_orders = (
            await s.scalars(select(SupervisionOrderRow).where(SupervisionOrderRow.kind == "repeat"))
        ).all()
        assert [(o.work_order_id, o.unit_id) for o in repeat_orders] == [(11, 1)]
        notice = await s.scalar(select(OutboxRow).where(OutboxRow.idempotency_key == "repeat:11"))
        assert notice is not None and notice.payload["unit_id"] == 1
        assert "YS2026110200001" in notice.payload["text"]


async def test_the_running_service_delivers_what_its_watcher_queues(
    loop_db: LoopDb, dingtalk: tuple[FakeDingTalk, str], settings: Settings, aiohttp_client: Any
) -> None:
    fake, webhook = dingtalk
    await seed(loop_db, webhook)
    now = local(10, 16, 30)
    app = create_app(settings, overrides={ENGINE: loop_db.engine, NOW: lambda: now})
    await aiohttp_client(app)  # starts the background tasks

    report = await app[WATCHER].scan()
    assert "YS2026110900001" in report.supervised
    await asyncio.wait_for(fake.arrived.wait(), 10)  # the watcher woke the outbox worker

    assert fake.received[0]["markdown"]["title"] == "督办：工单YS2026110900001已超期"
