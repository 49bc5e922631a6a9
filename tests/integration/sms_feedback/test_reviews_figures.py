"""整改回访满意率 and evaluation coverage on a small fixed data set, recomputed by hand (SQLite): one
definition, ticketing's KPI over the work orders received in the period, beside the review loop's counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from hotline.db import upgrade
from sms_feedback.adapters.orm import SurveyRow
from sms_feedback.adapters.survey_store import SqlSurveyStore
from tests.integration.sms_feedback.review_support import closed_order, order, review_loop
from tests.integration.ticketing.api_fixtures import TZ, WorkOrderApi

NOVEMBER: dict[str, Any] = {"from": "2025-11-01", "to": "2025-11-30"}  # dates, `to` inclusive


@pytest.fixture(scope="module")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("reviews-figures")
    url = f"sqlite+aiosqlite:///{folder}/hotline.sqlite3"
    upgrade(url)
    yield url


async def survey_in_state(api: WorkOrderApi, ref: str, state: str) -> None:
    order = await api.ok("GET", f"/workorders/{ref}", "supervisor")
    row = await SqlSurveyStore(api.sessions).create(order["id"], ref, "+8613900001111", api.clock.now())
    async with api.sessions.begin() as session:
        await session.execute(update(SurveyRow).where(SurveyRow.id == row.id).values(state=state))


async def rectified_and_revisited(api: WorkOrderApi, ref: str, answer: str, survey_id: int) -> None:
    loop = review_loop(api)
    await loop.evaluate(ref, "dissatisfied", "sms", "没解决", survey_id=survey_id)
    items = (await api.ok("GET", "/reviews/rectifications", "supervisor"))["items"]
    (entry,) = [i for i in items if i["workorder_number"] == ref]
    await api.ok("POST", f"/reviews/{entry['id']}/rectified", "market", {"text": "已整改"})
    await loop.evaluate(ref, answer, "sms", None, survey_id=survey_id + 1)


def rates_of(doc: dict[str, Any], unit_name: str) -> dict[str, Any]:
    (unit,) = [u for u in doc["units"] if u["unit_name"] == unit_name]
    return {key: unit["rates"][key] for key in ("revisit_satisfaction_rate", "evaluation_coverage")}


async def test_figures_and_unrated_orders_of_november(review_api: WorkOrderApi) -> None:
    api = review_api
    loop = review_loop(api)
    # October: o0 received, rated dissatisfied, rectified; its revisit is answered in November
    api.clock.set(datetime(2025, 10, 20, 9, 0, tzinfo=TZ))
    o0 = await closed_order(api)
    await loop.evaluate(o0, "dissatisfied", "sms", "许可证还没拿到", survey_id=1000)
    (e0,) = [i for i in (await api.ok("GET", "/reviews/rectifications", "market"))["items"]]
    await api.ok("POST", f"/reviews/{e0['id']}/rectified", "market", {"text": "已发证"})
    api.clock.set(datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    # 县市场监督管理局: four closures
    o1 = await closed_order(api)
    await loop.evaluate(o1, "satisfied", "sms", None, survey_id=1)
    o2 = await closed_order(api)
    await rectified_and_revisited(api, o2, "satisfied", 10)  # revisit satisfied
    o3 = await closed_order(api)
    await rectified_and_revisited(api, o3, "dissatisfied", 20)  # round 2 (a second bad review)
    o4 = await closed_order(api)
    await survey_in_state(api, o4, "sent")  # not rated yet, but a survey is under way
    await loop.evaluate(o0, "satisfied", "phone", None, survey_id=1001)  # October's order, revisited now
    # 县住房和城乡建设局: three closures
    o5 = await closed_order(api, "zjj", "housing")
    await loop.evaluate(o5, "dissatisfied", "phone", "乱收费", survey_id=30)
    (e5,) = [i for i in (await api.ok("GET", "/reviews/rectifications", "housing"))["items"]]
    await api.ok("POST", f"/reviews/{e5['id']}/close", "supervisor", {"reason": "经核实收费合规，已解释"})
    o6 = await closed_order(api, "zjj", "housing")
    await survey_in_state(api, o6, "unreachable")  # SMS unanswered, phone survey never answered
    o7 = await closed_order(api, "zjj", "housing", phone="0763-3388123")  # a landline: no survey at all
    # December: outside the period
    api.clock.set(datetime(2025, 12, 1, 10, 0, tzinfo=TZ))
    await closed_order(api, "zjj", "housing", phone="0763-3388124")

    # the revisit answers reached ticketing although o2 and o3 were never closed again
    o2_now, o3_now = await order(api, o2), await order(api, o3)
    assert (o2_now["state"], o2_now["revisit_rating"]) == ("reopened", "satisfied")
    assert (o3_now["state"], o3_now["revisit_rating"]) == ("reopened", "dissatisfied")
    trail = [(e["action"], e["action_label"], e["state_after"]) for e in o2_now["events"]]
    assert trail[-1] == ("revisit", "整改回访", "reopened")  # appended to the trail, the state kept

    doc = await api.ok("GET", "/reviews/figures", "supervisor", None, **NOVEMBER)
    assert (doc["from"], doc["to"]) == ("2025-11-01T00:00:00+08:00", "2025-12-01T00:00:00+08:00")
    by_unit = {u["unit_name"]: u for u in doc["units"]}
    market, housing = by_unit["县市场监督管理局"], by_unit["县住房和城乡建设局"]
    # by hand, ticketing's cohort (received in November): market received and closed o1–o4, rated
    # o1–o3; o2 and o3 reopened and revisited, o2 satisfied → 1 ÷ 2; o0 belongs to October's cohort.
    # The loop's own counts: bad reviews o2, o3, o3's revisit; entries o2 (closed) and o3 (round 2, open)
    assert market["counts"] == {
        "bad_reviews": 3, "rectifications_opened": 2, "rectifications_open": 1, "closed_by_supervisor": 0,
        "unrated_final": 0, "revisit_answered": 2, "revisit_satisfied": 1, "closed": 4, "rated": 3,
    }
    assert market["rates"] == {"revisit_satisfaction_rate": 0.5, "evaluation_coverage": 0.75}
    # housing closed o5–o7, rated o5 only (reopened, closed by a supervisor: never revisited);
    # o6 unreachable, o7 never surveyed
    assert housing["counts"] == {
        "bad_reviews": 1, "rectifications_opened": 1, "rectifications_open": 0, "closed_by_supervisor": 1,
        "unrated_final": 2, "revisit_answered": 0, "revisit_satisfied": 0, "closed": 3, "rated": 1,
    }
    assert housing["rates"] == {"revisit_satisfaction_rate": None, "evaluation_coverage": 0.3333}
    total = doc["total"]
    assert (total["counts"]["closed"], total["counts"]["rated"], total["counts"]["unrated_final"]) == (7, 4, 2)
    assert total["rates"] == {"revisit_satisfaction_rate": 0.5, "evaluation_coverage": 0.5714}
    assert [d["key"] for d in doc["definitions"]] == ["revisit_satisfaction_rate", "evaluation_coverage"]

    # one definition: the same values as ticketing's KPI for the unit and period
    kpi = await api.ok("GET", "/kpi", "supervisor", None, period="2025-11")
    for name in ("县市场监督管理局", "县住房和城乡建设局"):
        assert rates_of(doc, name) == rates_of(kpi, name)
    assert {k: doc["total"]["rates"][k] for k in total["rates"]} == {k: kpi["total"]["rates"][k] for k in total["rates"]}
    # o0's revisit (answered in November) counts in October, the month its work order was received
    october = await api.ok("GET", "/reviews/figures", "supervisor", None, **{"from": "2025-10-01", "to": "2025-10-31"})
    (market_october,) = october["units"]
    assert (market_october["counts"]["revisit_answered"], market_october["counts"]["revisit_satisfied"]) == (1, 1)
    assert market_october["rates"] == {"revisit_satisfaction_rate": 1.0, "evaluation_coverage": 1.0}
    assert rates_of(october, "县市场监督管理局") == rates_of(
        await api.ok("GET", "/kpi", "supervisor", None, period="2025-10"), "县市场监督管理局"
    )

    unrated = await api.ok("GET", "/reviews/unrated", "supervisor", None, **NOVEMBER)
    assert [(i["workorder_number"], i["survey_state"], i["reason"]) for i in unrated["items"]] == [
        (o6, "unreachable", "电话回访未接通"),
        (o7, None, "未发起回访（无企业手机号）"),
    ]
    own = await api.ok("GET", "/reviews/figures", "market", None, **NOVEMBER)
    assert [u["unit_name"] for u in own["units"]] == ["县市场监督管理局"] and "total" not in own
    assert (await api.ok("GET", "/reviews/unrated", "market"))["items"] == []
    everything = await api.ok("GET", "/reviews/unrated", "housing")
    assert len(everything["items"]) == 3  # without a period, December's landline closure too
