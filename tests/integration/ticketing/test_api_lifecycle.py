"""The closed loop through the HTTP API, on SQLite and PostgreSQL: every step and its event trail."""

from __future__ import annotations

from datetime import datetime

from tests.integration.ticketing.api_fixtures import TZ, WorkOrderApi


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


async def test_a_complaint_goes_from_draft_to_evaluated_and_every_step_is_in_the_trail(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    api.clock.set(at(9, 30, 15, 50))
    draft = await api.draft(enterprise="庆元县香菇合作社", location="松源街道")
    assert draft["state"] == "draft" and draft["number"] == "YS2025093000001"
    ref = draft["number"]

    registered = await api.ok(
        "POST",
        f"/workorders/{ref}/register",
        "agent",
        {"class": "complaint", "service": "complaint", "complexity": "simple", "title": "执照变更拖延"},
    )
    assert registered["state"] == "registered" and registered["title"] == "执照变更拖延"

    api.clock.set(at(9, 30, 16))
    dispatched = await api.ok("POST", f"/workorders/{ref}/dispatch", "agent", {"unit_id": api.units["scjgj"]})
    assert dispatched["unit"]["name"] == "县市场监督管理局"
    assert dispatched["sign_due"] == "2025-10-09T16:00:00+08:00"  # National Day holidays skipped
    assert dispatched["due"] == "2025-10-10T16:00:00+08:00"

    api.clock.set(at(10, 9, 9))
    assert (await api.ok("POST", f"/workorders/{ref}/sign", "market"))["state"] == "signed"
    assert (await api.ok("POST", f"/workorders/{ref}/handle", "market"))["state"] == "handling"
    api.clock.set(at(10, 10, 10))
    replied = await api.ok("POST", f"/workorders/{ref}/reply", "market_leader", {"reply": "已上门办理变更"})
    assert replied["replied_at"] == "2025-10-10T10:00:00+08:00"
    closed = await api.ok("POST", f"/workorders/{ref}/close", "agent2", {"result": "回访核实，已办结"})
    assert closed["state"] == "closed" and closed["result"] == "回访核实，已办结"
    evaluated = await api.ok(
        "POST", f"/workorders/{ref}/evaluate", "agent", {"rating": "satisfied", "channel": "phone"}
    )
    assert evaluated["state"] == "evaluated" and evaluated["rating"] == "satisfied"

    detail = await api.ok("GET", f"/workorders/{ref}", "supervisor")
    trail = [(e["action"], e["state_before"], e["state_after"], e["actor"]["name"]) for e in detail["events"]]
    assert trail == [
        ("create", None, "draft", "agent"),
        ("register", "draft", "registered", "agent"),
        ("dispatch", "registered", "dispatched", "agent"),
        ("sign", "dispatched", "signed", "market"),
        ("handle", "signed", "handling", "market"),
        ("reply", "handling", "replied", "market_leader"),
        ("close", "replied", "closed", "agent2"),
        ("evaluate", "closed", "evaluated", "agent"),
    ]
    dispatch_event = detail["events"][2]
    assert dispatch_event["before"]["state"] == "registered"
    assert dispatch_event["after"]["sign_due"].startswith("2025-10-09T16:00:00")
    assert dispatch_event["action_label"] == "派单"
    assert await api.scalar("SELECT count(*) FROM work_order_events") == 8


async def test_a_consultation_answered_on_the_line_is_closed_when_registered(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = (await api.draft(title="个体户变更经营范围"))["number"]
    closed = await api.ok(
        "POST",
        f"/workorders/{ref}/register",
        "agent",
        {
            "class": "consultation",
            "service": "matter_consultation",
            "answered_on_line": True,
            "result": "告知在浙里办办理",
        },
    )
    assert closed["state"] == "closed" and closed["answered_on_line"] is True
    assert closed["closed_at"] == closed["registered_at"]


async def test_voice_messages_and_callback_requests_become_drafts_with_their_source(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    voice = await api.draft(
        source="voice_message", recording="vm-20250930-1", received_at="2025-09-30T20:15:00+08:00"
    )
    callback = await api.draft(source="callback")
    assert voice["source"] == "voice_message" and voice["recording"] == "vm-20250930-1"
    assert voice["received_at"] == "2025-09-30T20:15:00+08:00"
    assert callback["source"] == "callback" and callback["number"] == "YS2025093000002"
    page = await api.ok("GET", "/workorders", "agent", source="voice_message")
    assert [o["number"] for o in page["items"]] == [voice["number"]]


async def test_a_return_is_counted_recorded_and_the_order_redispatched(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    ref = (await api.dispatched_complaint("scjgj"))["number"]
    status, body = await api.call("POST", f"/workorders/{ref}/return", "market", {})
    assert status == 400 and body["error"] == "invalid-input" and body["field"] == "reason"
    api.clock.set(at(10, 9, 10))
    returned = await api.ok("POST", f"/workorders/{ref}/return", "market", {"reason": "属于住建部门职责"})
    assert returned["state"] == "returned" and returned["returns_count"] == 1 and returned["unit"] is None

    again = await api.ok("POST", f"/workorders/{ref}/dispatch", "agent", {"unit_id": api.units["zjj"]})
    assert again["unit"]["code"] == "zjj" and again["sign_due"] == "2025-10-10T10:00:00+08:00"
    detail = await api.ok("GET", f"/workorders/{ref}", "housing")
    (ret,) = detail["returns"]
    assert ret["unit"]["code"] == "scjgj" and ret["reason"] == "属于住建部门职责"
    assert ret["redispatched_to"]["code"] == "zjj" and ret["redispatched_at"] == "2025-10-09T10:00:00+08:00"
    # the returning unit may still read what it returned, but no longer act on it
    assert (await api.call("GET", f"/workorders/{ref}", "market"))[0] == 200
    assert (await api.call("POST", f"/workorders/{ref}/sign", "market"))[0] == 404


async def test_a_bad_rating_reopens_the_order_for_rectification_and_the_revisit_is_recorded(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = (await api.dispatched_complaint("scjgj", "simple"))["number"]
    await api.ok("POST", f"/workorders/{ref}/sign", "market")
    await api.ok("POST", f"/workorders/{ref}/reply", "market", {"reply": "已答复"})
    await api.ok("POST", f"/workorders/{ref}/close", "agent", {"result": "已办结"})
    await api.ok(
        "POST", f"/workorders/{ref}/evaluate", "agent", {"rating": "dissatisfied", "comment": "没解决"}
    )
    reopened = await api.ok("POST", f"/workorders/{ref}/reopen", "supervisor", {"reason": "不满意，整改"})
    assert reopened["state"] == "reopened" and reopened["reopened_count"] == 1
    back = await api.ok("POST", f"/workorders/{ref}/dispatch", "agent", {})
    assert back["unit"]["code"] == "scjgj" and back["signed_at"] is None
    await api.ok("POST", f"/workorders/{ref}/sign", "market")
    await api.ok("POST", f"/workorders/{ref}/reply", "market", {"reply": "整改完成"})
    await api.ok("POST", f"/workorders/{ref}/close", "agent", {"result": "整改后办结"})
    final = await api.ok("POST", f"/workorders/{ref}/evaluate", "agent", {"rating": "satisfied"})
    assert final["rating"] == "dissatisfied" and final["revisit_rating"] == "satisfied"


async def test_a_draft_from_the_transcript_extractor_is_confirmed_by_the_agent(
    workorder_api: WorkOrderApi,
) -> None:
    """The JSON of `hotline draft` posted as it is; the agent registers it without retyping."""
    api = workorder_api
    extracted = {
        "class": "complaint",
        "service": "coordination",
        "complexity": "general",
        "department": "县住房和城乡建设局",
        "answered_on_line": False,
        "enterprise": "庆元竹木制品有限公司",
        "contact_phone": "13912345678",
        "location": "竹口镇",
        "summary": "厂房报建涉及多部门，需协调",
        "call_id": "1764470000.42",
    }
    draft = await api.ok("POST", "/workorders", "agent", extracted)
    assert draft["state"] == "draft" and draft["service"] == "difficult_matter"
    assert draft["caller_phone"] == "13912345678" and draft["title"] == "厂房报建涉及多部门，需协调"
    assert draft["suggested_unit"] == "县住房和城乡建设局"
    registered = await api.ok("POST", f"/workorders/{draft['number']}/register", "agent", {})
    assert (registered["state"], registered["class"], registered["complexity"]) == (
        "registered",
        "complaint",
        "general",
    )


async def test_an_empty_voice_message_is_discarded_and_leaves_the_open_lists(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    voice = await api.draft(source="voice_message", caller_phone=None, title="")
    discarded = await api.ok("POST", f"/workorders/{voice['number']}/discard", "agent", {"reason": "空留言"})
    assert discarded["state"] == "discarded" and discarded["state_label"] == "已作废"
    assert (await api.ok("GET", "/workorders", "agent", state="draft"))["total"] == 0
    status, body = await api.call(
        "POST", f"/workorders/{voice['number']}/discard", "agent", {"reason": "again"}
    )
    assert status == 409 and body["error"] == "invalid-transition"
