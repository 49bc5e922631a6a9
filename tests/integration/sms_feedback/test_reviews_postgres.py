"""The review lists on PostgreSQL: a bad review, its rectification and revisit, the lists, CSV and figures."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from hotline.db import upgrade
from tests.fakes.databases import fresh_postgres_database_sync, postgres_base_url
from tests.integration.sms_feedback.review_support import closed_order, review_loop, revisit_surveys
from tests.integration.ticketing.api_fixtures import WorkOrderApi


@pytest.fixture(scope="module")
def migrated_url() -> Iterator[str]:
    with fresh_postgres_database_sync(postgres_base_url(), "reviews") as url:
        upgrade(url)
        yield url


async def test_the_loop_and_its_lists_on_postgresql(review_api: WorkOrderApi) -> None:
    api = review_api
    assert api.dialect == "postgresql"
    ref = await closed_order(api)
    loop = review_loop(api)
    await loop.evaluate(ref, "dissatisfied", "sms", "许可证还没拿到", survey_id=1)
    await loop.evaluate(ref, "dissatisfied", "sms", "许可证还没拿到", survey_id=1)  # applied once
    (entry,) = (await api.ok("GET", "/reviews/rectifications", "market", state="rectifying"))["items"]
    done = await api.ok("POST", f"/reviews/{entry['id']}/rectified", "market", {"text": "已发证"})
    assert done["survey_queued"] is True and len(await revisit_surveys(api)) == 1
    await loop.evaluate(ref, "basically_satisfied", "phone", None, survey_id=2)

    (bad,) = (await api.ok("GET", "/reviews/bad-reviews", "supervisor", unit="scjgj"))["items"]
    assert (bad["workorder_number"], bad["review_state"]) == (ref, "closed_satisfied")
    (duty,) = (await api.ok("GET", "/reviews/responsibilities", "market"))["items"]
    assert duty["handler_name"] == "market"
    assert (await api.call("GET", "/reviews/rectifications", "housing", unit="scjgj"))[0] == 403
    resp = await api.client.get(
        "/api/v1/reviews/rectifications", params={"format": "csv"}, headers=api.headers("market")
    )
    rows = list(csv.reader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert rows[0][:3] == ["整改单号", "工单编号", "责任单位"] and rows[1][5] == "回访满意"
    figures = await api.ok("GET", "/reviews/figures", "supervisor")
    assert figures["total"]["rates"] == {"revisit_satisfaction_rate": 1.0, "evaluation_coverage": 1.0}
