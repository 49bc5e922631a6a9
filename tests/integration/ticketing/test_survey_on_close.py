"""Closing a work order queues its satisfaction survey (办结回访) in the same transaction, SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from tests.integration.ticketing.api_fixtures import WorkOrderApi
from ticketing.adapters.orm import OutboxRow, WorkOrderEventRow
from ticketing.domain.workorder import NOT_RATABLE_BY_SMS, SURVEY_SEND


async def _replied(api: WorkOrderApi, **fields: object) -> str:
    ref = (await api.dispatched_complaint("scjgj", "simple", **fields))["number"]
    await api.ok("POST", f"/workorders/{ref}/sign", "market")
    await api.ok("POST", f"/workorders/{ref}/reply", "market", {"reply": "已上门办理"})
    return str(ref)


async def _surveys(api: WorkOrderApi) -> list[OutboxRow]:
    async with api.sessions() as session:
        return list((await session.scalars(select(OutboxRow).where(OutboxRow.kind == SURVEY_SEND))).all())


async def test_closing_queues_one_survey_for_the_callers_mobile_with_the_agreed_payload(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = await _replied(api, caller_phone="139-0000-1111", title="食品经营许可证办理缓慢")
    closed = await api.ok("POST", f"/workorders/{ref}/close", "agent", {"result": "已办结"})
    (row,) = await _surveys(api)
    assert row.payload == {
        "workorder_id": closed["id"],
        "workorder_number": ref,
        "phone": "+8613900001111",
        "matter": "食品经营许可证办理缓慢",
        "purpose": "closure",
        "review_id": None,
    }
    assert row.idempotency_key == f"survey.send:closure:{ref}" and row.work_order_id == closed["id"]


async def test_a_landline_caller_gets_no_survey_and_the_trail_says_not_ratable_by_sms(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = await _replied(api, caller_phone="0578-6123456")
    closed = await api.ok("POST", f"/workorders/{ref}/close", "agent", {"result": "已办结"})
    assert await _surveys(api) == []
    async with api.sessions() as session:
        event = (
            await session.scalars(
                select(WorkOrderEventRow)
                .where(WorkOrderEventRow.work_order_id == closed["id"])
                .order_by(WorkOrderEventRow.id.desc())
            )
        ).first()
    assert event is not None and event.action == "close" and event.reason == NOT_RATABLE_BY_SMS


async def test_a_consultation_answered_on_the_line_is_surveyed_too(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    ref = (await api.draft(title="个体户变更经营范围"))["number"]
    body = {
        "class": "consultation",
        "service": "matter_consultation",
        "answered_on_line": True,
        "result": "告知在浙里办办理",
    }
    await api.ok("POST", f"/workorders/{ref}/register", "agent", body)
    (row,) = await _surveys(api)
    assert row.payload["workorder_number"] == ref and row.payload["matter"] == "个体户变更经营范围"


async def test_closing_again_after_rectification_leaves_the_revisit_to_the_review_loop(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = await _replied(api)
    await api.ok("POST", f"/workorders/{ref}/close", "agent", {"result": "已办结"})
    await api.ok("POST", f"/workorders/{ref}/evaluate", "agent", {"rating": "dissatisfied"})
    await api.ok("POST", f"/workorders/{ref}/reopen", "supervisor", {"reason": "不满意，整改"})
    await api.ok("POST", f"/workorders/{ref}/dispatch", "agent", {})
    await api.ok("POST", f"/workorders/{ref}/sign", "market")
    await api.ok("POST", f"/workorders/{ref}/reply", "market", {"reply": "整改完成"})
    await api.ok("POST", f"/workorders/{ref}/close", "agent", {"result": "整改后办结"})
    assert [r.payload["purpose"] for r in await _surveys(api)] == ["closure"]
