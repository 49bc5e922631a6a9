"""Who may see and do what: tokens, roles, unit isolation, and refused transitions as JSON errors."""

from __future__ import annotations

from tests.integration.ticketing.api_fixtures import WorkOrderApi
from ticketing.auth import hash_token


async def test_requests_without_a_valid_token_are_refused(workorder_api: WorkOrderApi) -> None:
    client = workorder_api.client
    resp = await client.get("/api/v1/workorders")
    assert resp.status == 401 and (await resp.json())["error"] == "unauthenticated"
    resp = await client.get("/api/v1/workorders", headers={"Authorization": "Bearer not-a-token"})
    assert resp.status == 401
    resp = await client.get("/api/v1/workorders", headers={"Authorization": "Basic abc"})
    assert resp.status == 401
    me = await workorder_api.ok("GET", "/me", "market")
    assert me["role"] == "unit_handler" and me["unit_id"] == workorder_api.units["scjgj"]


async def test_tokens_are_stored_only_as_hashes(workorder_api: WorkOrderApi) -> None:
    token = workorder_api.tokens["agent"]
    assert (await workorder_api.ok("GET", "/me", "agent"))["role"] == "agent"
    stored = await workorder_api.scalar("SELECT api_token_hash FROM users WHERE login = 'agent'")
    assert stored != token and len(stored) == 64 and stored == hash_token(token)


async def test_a_unit_sees_and_acts_on_only_its_own_work_orders(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    market_order = (await api.dispatched_complaint("scjgj"))["number"]
    housing_order = (await api.dispatched_complaint("zjj"))["number"]

    mine = await api.ok("GET", "/workorders", "market")
    assert [o["number"] for o in mine["items"]] == [market_order] and mine["total"] == 1
    # asking for another unit's list gives nothing rather than an error that confirms it exists
    theirs = await api.ok("GET", "/workorders", "market", unit="zjj")
    assert theirs["items"] == [] and theirs["total"] == 0

    status, body = await api.call("GET", f"/workorders/{housing_order}", "market")
    assert status == 404 and body["error"] == "not-found"
    status, body = await api.call("POST", f"/workorders/{housing_order}/sign", "market")
    assert status == 404
    assert (await api.call("POST", f"/workorders/{housing_order}/sign", "housing"))[0] == 200
    everything = await api.ok("GET", "/workorders", "supervisor")
    assert everything["total"] == 2


async def test_roles_are_checked_on_every_write(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    ref = (await api.dispatched_complaint("scjgj"))["number"]
    for who, action, body in [
        ("agent", "sign", None),
        ("supervisor", "reply", {"reply": "x"}),
        ("market", "close", {"result": "x"}),
        ("market", "supervise", {"reason": "x"}),
        ("agent", "reopen", {"reason": "x"}),
        ("market", "dispatch", {"unit_id": api.units["zjj"]}),
    ]:
        status, data = await api.call("POST", f"/workorders/{ref}/{action}", who, body)
        assert (status, data["error"]) == (403, "forbidden"), (who, action, data)
    status, data = await api.call("POST", "/workorders", "market", {"title": "x"})
    assert status == 403


async def test_an_invalid_transition_is_a_409_naming_the_state_and_the_action(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = (await api.dispatched_complaint("scjgj"))["number"]
    status, body = await api.call("POST", f"/workorders/{ref}/close", "agent", {"result": "办结"})
    assert status == 409 and body["error"] == "invalid-transition"
    assert "dispatched" in body["message"] and "close" in body["message"]
    assert await api.scalar("SELECT count(*) FROM work_order_events WHERE action = 'close'") == 0


async def test_bad_input_is_a_400_naming_the_field(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    ref = (await api.draft())["number"]
    status, body = await api.call(
        "POST", f"/workorders/{ref}/register", "agent", {"class": "gossip", "service": "x"}
    )
    assert status == 400 and body["field"] == "class"
    status, body = await api.call(
        "POST", f"/workorders/{ref}/register", "agent", {"class": "suggestion", "service": "complaint"}
    )
    assert status == 400 and body["field"] == "service"
    resp = await api.client.post(
        f"/api/v1/workorders/{ref}/register", data=b"{not json", headers=api.headers("agent")
    )
    assert resp.status == 400 and (await resp.json())["field"] == "body"
    status, body = await api.call("GET", "/workorders", "agent", due_before="2025-10-01T00:00:00")
    assert status == 400 and body["field"] == "due_before"
    status, body = await api.call("GET", "/workorders/YS2099010100001", "agent")
    assert status == 404
