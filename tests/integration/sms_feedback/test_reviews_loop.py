"""The loop after a rating, driven through the `WorkOrderRatings` port on the real app (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from hotline.db import upgrade
from sms_feedback.adapters.orm import ReviewBadReviewRow, ReviewRectificationRow
from sms_feedback.domain.reviews import ReviewInvalidState
from tests.integration.sms_feedback.review_support import (
    bad_reviews,
    closed_order,
    count,
    entries,
    events,
    order,
    responsibilities,
    review_loop,
    revisit_surveys,
)
from tests.integration.ticketing.api_fixtures import TZ, WorkOrderApi
from ticketing.domain.roles import Actor, Role


@pytest.fixture(scope="module")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite only here; test_reviews_postgres.py runs the lists on PostgreSQL."""
    folder: Path = tmp_path_factory.mktemp("reviews")
    url = f"sqlite+aiosqlite:///{folder}/hotline.sqlite3"
    upgrade(url)
    yield url


def market_handler(api: WorkOrderApi) -> Actor:
    return Actor(id=None, name="market", role=Role.UNIT_HANDLER, unit_id=api.units["scjgj"])


async def test_a_satisfied_rating_evaluates_the_work_order_and_lists_nothing(review_api: WorkOrderApi) -> None:
    api = review_api
    ref = await closed_order(api)
    await review_loop(api).evaluate(ref, "basically_satisfied", "sms", None, survey_id=1)
    done = await order(api, ref)
    assert done["state"] == "evaluated" and done["rating"] == "basically_satisfied"
    assert await count(api, ReviewRectificationRow) == 0


async def test_a_dissatisfied_rating_opens_the_three_lists_and_reopens_the_work_order(
    review_api: WorkOrderApi,
) -> None:
    api = review_api
    api.clock.set(datetime(2025, 9, 29, 10, 0, tzinfo=TZ))
    ref = await closed_order(api)
    loop = review_loop(api)
    await loop.evaluate(ref, "dissatisfied", "sms", "问题根本没解决，还在拖", survey_id=7)
    await loop.reopen(ref, "企业短信评价不满意：问题根本没解决")  # what SurveyReplies does next: no second reopen

    reopened = await order(api, ref)
    assert reopened["state"] == "reopened" and reopened["reopened_count"] == 1
    assert reopened["rating"] == "dissatisfied"
    (entry,) = await entries(api, ref)
    assert (entry.state, entry.round, entry.unit_id) == ("rectifying", 1, api.units["scjgj"])
    assert entry.task == "问题根本没解决，还在拖" and entry.matter == "食品经营许可证办理缓慢"
    # 5 working days from Monday 29 September 10:00: 30 Sep, then National Day (1–8 Oct) skipped,
    # 9, 10, 11 (a make-up working Saturday), 13 October
    assert entry.due_at.astimezone(TZ) == datetime(2025, 10, 13, 10, 0, tzinfo=TZ)
    (bad,) = await bad_reviews(api, ref)
    assert (bad.round, bad.rating, bad.channel, bad.comment, bad.survey_id) == (
        1, "dissatisfied", "sms", "问题根本没解决，还在拖", 7,
    )
    (duty,) = await responsibilities(api, ref)
    assert (duty.unit_name, duty.handler_name, duty.closed_by) == ("县市场监督管理局", "market", "agent")
    (opened,) = await events(api, entry.id)
    assert (opened.action, opened.actor_role, opened.state_after) == ("open", "system", "rectifying")


async def test_the_same_survey_applied_twice_opens_one_entry(review_api: WorkOrderApi) -> None:
    api = review_api
    ref = await closed_order(api)
    loop = review_loop(api)
    await loop.evaluate(ref, "dissatisfied", "web", "没人联系", survey_id=11)
    await loop.evaluate(ref, "dissatisfied", "web", "没人联系", survey_id=11)
    await loop.evaluate(ref, "dissatisfied", "phone", None)  # a late rating by another channel
    assert len(await entries(api, ref)) == 1
    assert await count(api, ReviewBadReviewRow) == 1
    assert (await order(api, ref))["reopened_count"] == 1


async def test_unit_rectifies_then_a_satisfied_revisit_closes_the_entry(review_api: WorkOrderApi) -> None:
    api = review_api
    ref = await closed_order(api)
    loop = review_loop(api)
    await loop.evaluate(ref, "dissatisfied", "sms", "证还没拿到", survey_id=21)
    (entry,) = await entries(api, ref)
    await loop.evaluate(ref, "satisfied", "sms", None, survey_id=22)  # before rectification: ignored
    assert (await entries(api, ref))[0].state == "rectifying"

    done = await loop.report_rectified(market_handler(api), entry.id, "已当面发放许可证并致歉")
    assert done.survey_queued and done.entry.state == "revisiting"
    (survey,) = await revisit_surveys(api)
    assert survey.payload == {
        "workorder_id": entry.workorder_id,
        "workorder_number": ref,
        "phone": "+8613900001111",
        "matter": "食品经营许可证办理缓慢",
        "purpose": "revisit",
        "review_id": entry.id,
    }
    with pytest.raises(ReviewInvalidState):
        await loop.report_rectified(market_handler(api), entry.id, "再报一次")

    await loop.evaluate(ref, "satisfied", "web", "这次满意", survey_id=23)
    (closed,) = await entries(api, ref)
    assert (closed.state, closed.revisit_rating, closed.round) == ("closed_satisfied", "satisfied", 1)
    assert [e.action for e in await events(api, entry.id)] == ["open", "rectified", "revisit_satisfied"]


async def test_a_dissatisfied_revisit_starts_round_two(review_api: WorkOrderApi) -> None:
    api = review_api
    ref = await closed_order(api)
    loop = review_loop(api)
    await loop.evaluate(ref, "dissatisfied", "sms", "没解决", survey_id=31)
    (entry,) = await entries(api, ref)
    await loop.report_rectified(market_handler(api), entry.id, "已整改")
    await loop.evaluate(ref, "dissatisfied", "phone", "还是不行", survey_id=32)

    (again,) = await entries(api, ref)
    assert (again.state, again.round, again.revisit_rating) == ("rectifying", 2, "dissatisfied")
    assert [(b.round, b.channel, b.comment) for b in await bad_reviews(api, ref)] == [
        (1, "sms", "没解决"), (2, "phone", "还是不行"),
    ]
    await loop.report_rectified(market_handler(api), entry.id, "第二次整改")
    assert len(await revisit_surveys(api)) == 2  # one revisit survey per round


async def test_the_revisit_rating_reaches_the_work_order_when_it_was_closed_again(
    review_api: WorkOrderApi,
) -> None:
    """The hotline sent the reopened order back to the unit and closed it again: the revisit answer is
    also the work order's revisit rating."""
    api = review_api
    ref = await closed_order(api)
    loop = review_loop(api)
    await loop.evaluate(ref, "dissatisfied", "sms", "没解决", survey_id=41)
    await api.ok("POST", f"/workorders/{ref}/dispatch", "agent", {})
    await api.ok("POST", f"/workorders/{ref}/sign", "market")
    await api.ok("POST", f"/workorders/{ref}/reply", "market", {"reply": "整改完成"})
    await api.ok("POST", f"/workorders/{ref}/close", "agent", {"result": "整改后办结"})
    (entry,) = await entries(api, ref)
    await loop.report_rectified(market_handler(api), entry.id, "整改完成")
    await loop.evaluate(ref, "satisfied", "sms", None, survey_id=42)
    final = await order(api, ref)
    assert final["state"] == "evaluated" and final["revisit_rating"] == "satisfied"
    assert (await entries(api, ref))[0].state == "closed_satisfied"
