"""Difficult matters: extension request, supervisor decision, and the caller's SMS queued atomically."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.integration.ticketing.api_fixtures import TZ, WorkOrderApi
from ticketing.adapters.orm import ExtensionRow, OutboxRow, UnitRow
from ticketing.domain.roles import Actor, Role
from ticketing.web import WORKORDERS

REASON = "涉及多部门联合踏勘"
BASIS = "《庆元县营商环境投诉处理办法》第十二条"


async def _requested(api: WorkOrderApi) -> str:
    ref = (await api.dispatched_complaint("scjgj", "difficult"))["number"]  # due 2025-10-14 16:00
    api.clock.set(datetime(2025, 10, 9, 9, tzinfo=TZ))
    await api.ok("POST", f"/workorders/{ref}/sign", "market")
    body = {"working_days": 3, "reason": REASON, "basis": BASIS}
    await api.ok("POST", f"/workorders/{ref}/extensions", "market", body)
    return ref


async def test_approval_moves_the_due_time_and_queues_the_callers_sms_with_the_change(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = await _requested(api)
    status, body = await api.call("POST", f"/workorders/{ref}/extensions/approve", "market_leader", {})
    assert status == 403
    approved = await api.ok("POST", f"/workorders/{ref}/extensions/approve", "supervisor", {"note": "同意"})
    assert (
        approved["due"] == "2025-10-17T16:00:00+08:00"
        and approved["original_due"] == "2025-10-14T16:00:00+08:00"
    )
    assert approved["extended"] is True

    async with api.sessions() as session:
        (sms,) = (await session.scalars(select(OutboxRow))).all()
    assert sms.kind == "sms.caller" and sms.payload["to"] == "13900001111"
    assert REASON in sms.payload["body"] and BASIS in sms.payload["body"]
    assert "2025年10月17日16:00" in sms.payload["body"]
    assert (
        sms.delivered_at is None
        and sms.attempts == 0
        and sms.idempotency_key.startswith("extension-approved:")
    )

    detail = await api.ok("GET", f"/workorders/{ref}", "market")
    (ext,) = detail["extensions"]
    assert ext["status"] == "approved" and ext["new_due"] == "2025-10-17T16:00:00+08:00"
    assert [e["action"] for e in detail["events"]][-2:] == ["request_extension", "approve_extension"]


async def test_when_the_outbox_row_cannot_be_written_the_approval_is_not_applied_either(
    workorder_api: WorkOrderApi,
) -> None:
    """Same transaction: a clash on the outbox's idempotency key rolls back the due change and the event."""
    api = workorder_api
    ref = await _requested(api)
    async with api.sessions.begin() as session:
        requested = (await session.scalars(select(ExtensionRow.requested_at))).one()
        # occupy the idempotency key the approval's SMS will use
        session.add(
            OutboxRow(
                kind="sms.caller",
                payload={},
                idempotency_key=f"extension-approved:{ref}:{requested.isoformat()}",
                created_at=requested,
                next_attempt_at=requested,
            )
        )
    supervisor = Actor(None, "督查", Role.SUPERVISOR)
    with pytest.raises(IntegrityError):
        await api.client.app[WORKORDERS].approve_extension(supervisor, ref)
    detail = await api.ok("GET", f"/workorders/{ref}", "supervisor")
    assert detail["due"] == "2025-10-14T16:00:00+08:00" and detail["extended"] is False
    assert detail["extensions"][0]["status"] == "pending"
    assert "approve_extension" not in [e["action"] for e in detail["events"]]
    assert await api.scalar("SELECT count(*) FROM outbox") == 1


async def test_rejection_keeps_the_due_time_and_queues_nothing(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    ref = await _requested(api)
    status, body = await api.call("POST", f"/workorders/{ref}/extensions/reject", "supervisor", {})
    assert status == 400 and body["field"] == "note"
    rejected = await api.ok(
        "POST", f"/workorders/{ref}/extensions/reject", "supervisor", {"note": "请按期办结"}
    )
    assert rejected["due"] == "2025-10-14T16:00:00+08:00" and rejected["extended"] is False
    assert await api.scalar("SELECT count(*) FROM outbox") == 0
    status, body = await api.call("POST", f"/workorders/{ref}/extensions/approve", "supervisor", {})
    assert status == 409 and body["error"] == "invalid-transition"


async def test_only_difficult_matters_may_ask_for_more_time(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    ref = (await api.dispatched_complaint("scjgj", "general"))["number"]
    await api.ok("POST", f"/workorders/{ref}/sign", "market")
    body = {"working_days": 3, "reason": REASON, "basis": BASIS}
    status, data = await api.call("POST", f"/workorders/{ref}/extensions", "market", body)
    assert status == 409 and data["error"] == "invalid-transition" and "疑难" in data["message"]


async def test_supervision_opens_an_order_and_notifies_the_unit_only_if_it_has_a_robot(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    quiet = (await api.dispatched_complaint("zjj"))["number"]
    loud = (await api.dispatched_complaint("scjgj"))["number"]
    async with api.sessions.begin() as session:
        unit = await session.get(UnitRow, api.units["scjgj"])
        assert unit is not None
        unit.dingtalk_webhook = "http://127.0.0.1:9/robot/send?access_token=x"
        unit.dingtalk_secret = "SEC123"
    for ref in (quiet, loud):
        await api.ok(
            "POST",
            f"/workorders/{ref}/supervise",
            "supervisor",
            {"reason": "企业多次来电，请加快办理", "due": "2025-10-10T17:00:00+08:00"},
        )
    assert await api.scalar("SELECT count(*) FROM supervision_orders") == 2
    assert await api.scalar("SELECT count(*) FROM outbox WHERE kind = 'dingtalk.unit'") == 1
    detail = await api.ok("GET", f"/workorders/{loud}", "market")
    (sup,) = detail["supervision"]
    assert sup["kind"] == "manual" and sup["due"] == "2025-10-10T17:00:00+08:00"
    units = await api.ok("GET", "/units", "agent")
    market = next(u for u in units["items"] if u["code"] == "scjgj")
    assert market["dingtalk"] is True and "SEC123" not in str(units)
