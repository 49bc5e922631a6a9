"""Several people at once: numbers stay unique and a step is accepted once."""

from __future__ import annotations

import asyncio

from tests.integration.ticketing.api_fixtures import WorkOrderApi


async def test_drafts_created_at_the_same_moment_get_distinct_consecutive_numbers(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    drafts = await asyncio.gather(*(api.draft(title=f"并发{i}") for i in range(12)))
    numbers = sorted(d["number"] for d in drafts)
    assert numbers == [f"YS20250930{i:05d}" for i in range(1, 13)]


async def test_two_handlers_signing_at_once_one_wins_and_one_gets_a_conflict(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = (await api.dispatched_complaint("scjgj"))["number"]
    results = await asyncio.gather(
        api.call("POST", f"/workorders/{ref}/sign", "market"),
        api.call("POST", f"/workorders/{ref}/sign", "market_leader"),
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409]
    conflict = next(body for status, body in results if status == 409)
    assert conflict["error"] in ("invalid-transition", "concurrent-update")
    assert await api.scalar("SELECT count(*) FROM work_order_events WHERE action = 'sign'") == 1


async def test_two_agents_dispatching_at_once_send_the_order_to_one_unit_only(
    workorder_api: WorkOrderApi,
) -> None:
    api = workorder_api
    ref = (await api.draft())["number"]
    await api.ok(
        "POST",
        f"/workorders/{ref}/register",
        "agent",
        {"class": "complaint", "service": "complaint", "complexity": "simple"},
    )
    results = await asyncio.gather(
        api.call("POST", f"/workorders/{ref}/dispatch", "agent", {"unit_id": api.units["scjgj"]}),
        api.call("POST", f"/workorders/{ref}/dispatch", "agent2", {"unit_id": api.units["zjj"]}),
    )
    assert sorted(status for status, _ in results) == [200, 409]
    winner = next(body for status, body in results if status == 200)
    detail = await api.ok("GET", f"/workorders/{ref}", "supervisor")
    assert detail["unit"]["code"] == winner["unit"]["code"]
    assert [e["action"] for e in detail["events"]].count("dispatch") == 1
