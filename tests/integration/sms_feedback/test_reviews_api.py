"""The review lists' API: the unit rectifies, the revisit closes, supervisors close with a reason, units
see only their own entries, CSV opens in Excel (SQLite)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hotline.db import upgrade
from tests.integration.sms_feedback.review_support import closed_order, review_loop, revisit_surveys
from tests.integration.ticketing.api_fixtures import TZ, WorkOrderApi


@pytest.fixture(scope="module")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("reviews-api")
    url = f"sqlite+aiosqlite:///{folder}/hotline.sqlite3"
    upgrade(url)
    yield url


async def bad_review(api: WorkOrderApi, unit: str = "scjgj", handler: str = "market", **kw: Any) -> dict[str, Any]:
    """A closed work order rated dissatisfied by SMS; its rectification entry as the unit sees it."""
    ref = await closed_order(api, unit, handler, **kw)
    await review_loop(api).evaluate(ref, "dissatisfied", "sms", "许可证还没拿到")
    items = (await api.ok("GET", "/reviews/rectifications", handler))["items"]
    (entry,) = [i for i in items if i["workorder_number"] == ref]
    return dict(entry)


async def test_a_bad_review_appears_on_the_three_lists_of_its_unit(review_api: WorkOrderApi) -> None:
    api = review_api
    entry = await bad_review(api)
    assert (entry["state"], entry["state_name"], entry["round"]) == ("rectifying", "整改中", 1)
    assert entry["unit_name"] == "县市场监督管理局" and entry["task"] == "许可证还没拿到"
    assert entry["overdue"] is False
    (bad,) = (await api.ok("GET", "/reviews/bad-reviews", "market"))["items"]
    assert (bad["rating_name"], bad["channel_name"], bad["comment"]) == ("不满意", "短信", "许可证还没拿到")
    (duty,) = (await api.ok("GET", "/reviews/responsibilities", "market_leader"))["items"]
    assert (duty["unit_name"], duty["handler_name"], duty["closed_by"]) == ("县市场监督管理局", "market", "agent")
    order = await api.ok("GET", f"/workorders/{entry['workorder_number']}", "supervisor")
    assert order["state"] == "reopened"


async def test_the_unit_reports_rectification_and_a_revisit_survey_is_queued(review_api: WorkOrderApi) -> None:
    api = review_api
    entry = await bad_review(api)
    path = f"/reviews/{entry['id']}/rectified"
    status, empty = await api.call("POST", path, "market", {"text": " "})
    assert (status, empty["error"], empty["field"]) == (400, "review-invalid-input", "text")
    assert (await api.call("POST", path, "housing", {"text": "不是我们的"}))[0] == 404
    done = await api.ok("POST", path, "market", {"text": "已当面发证并致歉"})
    assert done["state"] == "revisiting" and done["survey_queued"] is True
    assert done["rectified_by"] == "market"
    (survey,) = await revisit_surveys(api)
    assert survey.payload["purpose"] == "revisit" and survey.payload["review_id"] == entry["id"]
    again = await api.call("POST", path, "market", {"text": "再报一次"})
    assert (again[0], again[1]["error"]) == (409, "review-invalid-state")


async def test_a_satisfied_revisit_closes_the_entry_and_the_rate_is_full(review_api: WorkOrderApi) -> None:
    api = review_api
    entry = await bad_review(api)
    await api.ok("POST", f"/reviews/{entry['id']}/rectified", "market", {"text": "已整改"})
    await review_loop(api).evaluate(entry["workorder_number"], "satisfied", "phone", None, survey_id=501)
    closed = await api.ok("GET", f"/reviews/{entry['id']}", "supervisor")
    assert (closed["state"], closed["state_name"], closed["revisit_rating"]) == (
        "closed_satisfied", "回访满意", "satisfied",
    )
    assert [e["action_name"] for e in closed["events"]] == ["差评登记", "整改完成", "回访满意"]
    assert [e["actor_name"] for e in closed["events"]] == ["system", "market", "system"]
    figures = await api.ok("GET", "/reviews/figures", "supervisor", unit="scjgj")
    (unit,) = figures["units"]
    assert unit["rates"]["revisit_satisfaction_rate"] == 1.0
    assert unit["counts"]["revisit_answered"] == 1 and unit["counts"]["revisit_satisfied"] == 1


async def test_a_dissatisfied_revisit_starts_round_two_on_the_lists(review_api: WorkOrderApi) -> None:
    api = review_api
    entry = await bad_review(api)
    await api.ok("POST", f"/reviews/{entry['id']}/rectified", "market", {"text": "已整改"})
    await review_loop(api).evaluate(entry["workorder_number"], "dissatisfied", "web", "还是没拿到", survey_id=601)
    again = await api.ok("GET", f"/reviews/{entry['id']}", "market")
    assert (again["state"], again["round"]) == ("rectifying", 2)
    assert [(b["round"], b["comment"]) for b in again["bad_reviews"]] == [(1, "许可证还没拿到"), (2, "还是没拿到")]
    figures = await api.ok("GET", "/reviews/figures", "market")
    assert figures["units"][0]["rates"]["revisit_satisfaction_rate"] == 0.0


async def test_only_a_supervisor_closes_an_entry_and_only_with_a_written_reason(review_api: WorkOrderApi) -> None:
    api = review_api
    entry = await bad_review(api)
    path = f"/reviews/{entry['id']}/close"
    status, refused = await api.call("POST", path, "supervisor", {})
    assert (status, refused["error"], refused["field"]) == (400, "review-invalid-input", "reason")
    assert (await api.call("POST", path, "supervisor", {"reason": "   "}))[0] == 400
    assert (await api.call("POST", path, "market_leader", {"reason": "我们觉得已经办好了"}))[0] == 403
    closed = await api.ok("POST", path, "supervisor", {"reason": "诉求超出政策范围，已当面解释"})
    assert (closed["state"], closed["closed_by"], closed["close_reason"]) == (
        "closed_by_supervisor", "supervisor", "诉求超出政策范围，已当面解释",
    )
    assert (await api.call("POST", path, "supervisor", {"reason": "再关一次"}))[0] == 409
    detail = await api.ok("GET", f"/reviews/{entry['id']}", "supervisor")
    last = detail["events"][-1]
    assert (last["action"], last["actor_role"], last["note"]) == ("close", "supervisor", "诉求超出政策范围，已当面解释")


async def test_a_unit_sees_only_its_own_entries(review_api: WorkOrderApi) -> None:
    api = review_api
    market = await bad_review(api, "scjgj", "market")
    housing = await bad_review(api, "zjj", "housing", title="施工许可审批慢")
    assert [i["id"] for i in (await api.ok("GET", "/reviews/rectifications", "housing"))["items"]] == [housing["id"]]
    status, body = await api.call("GET", "/reviews/rectifications", "housing", unit="scjgj")
    assert (status, body["error"]) == (403, "review-forbidden")
    assert (await api.call("GET", "/reviews/bad-reviews", "market", unit=str(api.units["zjj"])))[0] == 403
    assert (await api.call("GET", f"/reviews/{market['id']}", "housing"))[0] == 404
    everyone = (await api.ok("GET", "/reviews/rectifications", "supervisor"))["items"]
    assert {i["id"] for i in everyone} == {market["id"], housing["id"]}
    only_zjj = (await api.ok("GET", "/reviews/rectifications", "supervisor", unit="zjj"))["items"]
    assert [i["id"] for i in only_zjj] == [housing["id"]]
    assert (await api.call("GET", "/reviews/rectifications", "supervisor", state="bogus"))[0] == 400
    assert (await api.ok("GET", "/reviews/rectifications", "supervisor", state="closed_satisfied"))["items"] == []
    for period in ({"from": "yesterday"}, {"to": "9999-12-31"}, {"from": "0001-01-01T00:00:00+14:00"}):
        odd_period: dict[str, Any] = period
        assert (await api.call("GET", "/reviews/figures", "supervisor", None, **odd_period))[0] == 400
    resp = await api.client.get("/api/v1/reviews/rectifications")
    assert resp.status == 401


async def test_the_csv_export_has_a_bom_chinese_headers_and_the_right_rows(review_api: WorkOrderApi) -> None:
    api = review_api
    entry = await bad_review(api)
    await bad_review(api, "zjj", "housing", title="施工许可审批慢")
    resp = await api.client.get(
        "/api/v1/reviews/bad-reviews", params={"format": "csv", "unit": "scjgj"}, headers=api.headers("supervisor")
    )
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert "filename*=UTF-8''%E5%B7%AE%E8%AF%84%E6%B8%85%E5%8D%95.csv" in resp.headers["Content-Disposition"]
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "整改单号", "轮次", "工单编号", "责任单位", "评价", "评价渠道", "企业意见", "评价时间", "整改状态"]
    assert [r[1:8] for r in rows[1:]] == [
        [str(entry["id"]), "1", entry["workorder_number"], "县市场监督管理局", "不满意", "短信", "许可证还没拿到"]
    ]
    status, bad = await api.call("GET", "/reviews/rectifications", "supervisor", format="xml")
    assert (status, bad["field"]) == (400, "format")


async def test_the_routes_are_in_the_openapi_document(review_api: WorkOrderApi) -> None:
    doc = await review_api.ok("GET", "/openapi.json", "agent")
    for path in ("/rectifications", "/bad-reviews", "/responsibilities", "/unrated", "/figures", "/{id}"):
        assert "get" in doc["paths"][f"/api/v1/reviews{path}"]
        assert not doc["paths"][f"/api/v1/reviews{path}"]["get"].get("x-generated")
    for action in ("rectified", "close"):
        assert "post" in doc["paths"][f"/api/v1/reviews/{{id}}/{action}"]


async def test_ids_that_name_no_entry_are_not_found(review_api: WorkOrderApi) -> None:
    for odd in ("99999999999999999999", "2147483648", "²", "١٢٣", "１２３", "-1", "0x10", "abc"):
        status, body = await review_api.call("GET", f"/reviews/{odd}", "admin")
        assert (status, body["error"]) == (404, "review-not-found"), odd
        status, _ = await review_api.call("POST", f"/reviews/{odd}/close", "admin", {"reason": "x"})
        assert status == 404, odd


async def test_entries_past_their_due_time_are_flagged_and_filtered_as_overdue(review_api: WorkOrderApi) -> None:
    api = review_api
    api.clock.set(datetime(2025, 11, 3, 9, 0, tzinfo=TZ))  # Monday: due five working days later
    late = await bad_review(api)
    done = await bad_review(api, title="食品许可证延续")
    await api.ok("POST", f"/reviews/{done['id']}/rectified", "market", {"text": "已办结延续"})
    assert late["due_at"] == "2025-11-10T09:00:00+08:00"
    api.clock.set(datetime(2025, 11, 10, 9, 1, tzinfo=TZ))
    overdue = (await api.ok("GET", "/reviews/rectifications", "market", overdue="true"))["items"]
    assert [(i["id"], i["overdue"]) for i in overdue] == [(late["id"], True)]  # the rectified one is not late
    one = (await api.ok("GET", "/reviews/bad-reviews", "supervisor", workorder=done["workorder_number"]))["items"]
    assert [b["review_id"] for b in one] == [done["id"]]
    assert (await api.call("GET", "/reviews/rectifications", "market", overdue="maybe"))[0] == 400
