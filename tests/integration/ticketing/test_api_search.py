"""Search, filters and pagination of the work-order list (units, state, class, due, overdue, phone, text)."""

from __future__ import annotations

from datetime import datetime

from tests.integration.ticketing.api_fixtures import TZ, WorkOrderApi


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TZ)


async def _seed(api: WorkOrderApi) -> dict[str, str]:
    """Five orders: three complaints (two units), a consultation waiting, a suggestion closed on the spot."""
    api.clock.set(at(9, 29, 9))
    a = (
        await api.dispatched_complaint(
            "scjgj",
            "simple",
            caller_phone="13811112222",
            enterprise="庆元县香菇合作社",
            title="香菇收购价格欺诈",
        )
    )["number"]
    api.clock.set(at(9, 29, 10))
    b = (
        await api.dispatched_complaint(
            "zjj",
            "general",
            caller_phone="13933334444",
            enterprise="庆元竹木制品有限公司",
            title="厂房报建审批拖延",
        )
    )["number"]
    api.clock.set(at(9, 29, 11))
    c = (
        await api.dispatched_complaint(
            "scjgj",
            "general",
            caller_phone="13811112222",
            enterprise="庆元县香菇合作社",
            title="食品经营许可证办理",
        )
    )["number"]
    api.clock.set(at(9, 29, 14))
    d = (await api.draft(title="稳岗补贴政策", caller_phone="13555556666"))["number"]
    await api.ok(
        "POST", f"/workorders/{d}/register", "agent", {"class": "consultation", "service": "policy_query"}
    )
    api.clock.set(at(9, 29, 15))
    e = (await api.draft(title="建议延长窗口服务时间", caller_phone="13777778888"))["number"]
    await api.ok(
        "POST",
        f"/workorders/{e}/register",
        "agent",
        {"class": "suggestion", "service": "suggestion", "answered_on_line": True, "result": "已记录"},
    )
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def numbers(page: dict) -> list[str]:
    return [o["number"] for o in page["items"]]


async def test_filters_combine_and_the_newest_receipt_comes_first(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    n = await _seed(api)
    everything = await api.ok("GET", "/workorders", "agent")
    assert numbers(everything) == [n["e"], n["d"], n["c"], n["b"], n["a"]] and everything["total"] == 5
    assert numbers(await api.ok("GET", "/workorders", "agent", unit="scjgj")) == [n["c"], n["a"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", unit=str(api.units["zjj"]))) == [n["b"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", state="registered,closed")) == [n["e"], n["d"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", **{"class": "consultation"})) == [n["d"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", service="suggestion")) == [n["e"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", phone="13811112222")) == [n["c"], n["a"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", enterprise="竹木")) == [n["b"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", q="许可证")) == [n["c"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", q=n["b"])) == [n["b"]]
    assert numbers(await api.ok("GET", "/workorders", "agent", q="100%")) == []
    combined = await api.ok("GET", "/workorders", "agent", unit="scjgj", phone="13811112222", q="欺诈")
    assert numbers(combined) == [n["a"]]


async def test_due_before_and_overdue_follow_the_working_day_clock(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    n = await _seed(api)
    # simple complaint a: dispatched Mon 9-29 09:00 → sign by Tue 9-30 09:00, close by 10-09 09:00
    due_soon = await api.ok("GET", "/workorders", "agent", due_before="2025-10-10T00:00:00+08:00")
    assert numbers(due_soon) == [n["a"]]
    api.clock.set(at(9, 30, 11, 30))
    overdue = await api.ok("GET", "/workorders", "agent", overdue="true")
    assert set(numbers(overdue)) == {n["a"], n["b"], n["c"]}  # none signed by Tue 11:00
    assert all(o["overdue"] for o in overdue["items"])
    for ref, who in ((n["a"], "market"), (n["b"], "housing"), (n["c"], "market")):
        await api.ok("POST", f"/workorders/{ref}/sign", who)
    assert numbers(await api.ok("GET", "/workorders", "agent", overdue="1")) == []
    api.clock.set(at(10, 9, 9, 1))
    assert numbers(await api.ok("GET", "/workorders", "agent", overdue="true")) == [n["a"]]
    assert numbers(await api.ok("GET", "/workorders", "market", overdue="true")) == [n["a"]]


async def test_pages_cover_every_row_once_with_a_total(workorder_api: WorkOrderApi) -> None:
    api = workorder_api
    for i in range(7):
        api.clock.set(at(9, 29, 9, i))
        await api.draft(title=f"事项{i}")
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = await api.ok("GET", "/workorders", "agent", limit=3, offset=offset)
        assert page["total"] == 7 and page["limit"] == 3
        seen += numbers(page)
        offset = page["next_offset"]
    assert len(seen) == 7 == len(set(seen))
    assert seen[0] == "YS2025092900007"
    status, body = await api.call("GET", "/workorders", "agent", limit=500)
    assert status == 400 and body["field"] == "limit"
    status, body = await api.call("GET", "/workorders", "agent", state="lost")
    assert status == 400 and body["field"] == "state"


async def test_totals_count_up_to_a_cap_and_say_so(workorder_api: WorkOrderApi, monkeypatch) -> None:
    from ticketing.adapters import repository

    monkeypatch.setattr(repository, "TEXT_COUNT_CAP", 4)
    api = workorder_api
    for i in range(7):
        api.clock.set(at(9, 29, 9, i))
        await api.draft(title=f"消防验收{i}")
    await api.draft(title="用电报装")
    first = await api.ok("GET", "/workorders", "agent", q="消防", limit=2)
    assert first["total"] == 4 and first["total_exact"] is False and first["next_offset"] == 2
    seen = numbers(first)
    offset = first["next_offset"]
    while offset is not None:
        page = await api.ok("GET", "/workorders", "agent", q="消防", limit=2, offset=offset)
        seen += numbers(page)
        offset = page["next_offset"]
    assert len(seen) == 7 == len(set(seen))
    exact = await api.ok("GET", "/workorders", "agent", q="用电")
    assert exact["total"] == 1 and exact["total_exact"] is True and exact["next_offset"] is None
    plain = await api.ok("GET", "/workorders", "agent", limit=2)
    assert plain["total"] == 8 and plain["total_exact"] is True
    monkeypatch.setattr(repository, "COUNT_CAP", 5)
    capped = await api.ok("GET", "/workorders", "agent", limit=2)
    assert capped["total"] == 5 and capped["total_exact"] is False and capped["next_offset"] == 2
    last = await api.ok("GET", "/workorders", "agent", limit=2, offset=6)
    assert last["total"] == 8 and last["total_exact"] is True and last["next_offset"] is None
