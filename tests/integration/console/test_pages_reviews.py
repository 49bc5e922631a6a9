"""The unit's ratings and review lists (评价与整改): the month's 满意/基本满意/不满意 counts and recent ratings
with their channel; a dissatisfied rating appears as a bad review, a responsibility row and a
rectification task with its due date coloured; the unit reports the rectification done through the
form (the review loop queues the revisit); another unit sees none of it and cannot act on it (403);
the supervisor sees every unit, with CSV links, and may close an entry with a written reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from callflow.seat.orm import SeatCallRow
from hotline.app import SESSIONS
from hotline.db import upgrade_async
from sms_feedback.reviews_web import REVIEW_LOOP
from tests.fakes.databases import fresh_postgres_database
from tests.integration.console.console_fixtures import Console
from tests.integration.console.support import (
    MovableClock,
    console_app,
    console_settings,
    dispatched_order,
    seed_people,
)
from ticketing.web import WORKORDERS


async def rated_order(console: Console, title: str, rating: str, channel: str, comment: str | None = None) -> str:
    """A work order of 县市场监督管理局 signed, replied, closed, then rated through the review loop."""
    order = await dispatched_order(console.app, console.people, title=title)
    service = console.app[WORKORDERS]
    unit = console.people.actors["wang.market"]
    await service.sign(unit, order.id)
    await service.reply(unit, order.id, "已核实并办理，电话告知企业。")
    await service.close(console.people.actors["sun.supervisor"], order.id, "企业诉求已办结。")
    console.clock.advance(timedelta(hours=1))
    await console.app[REVIEW_LOOP].evaluate(order.number, rating, channel, comment)
    return order.number


async def test_the_unit_sees_its_ratings_and_reports_a_rectification_done(console: Console) -> None:
    await rated_order(console, "营业执照变更", "satisfied", "sms")
    await rated_order(console, "食品许可延续", "basically_satisfied", "web")
    bad = await rated_order(console, "广告登记被拖延", "dissatisfied", "phone", "窗口推诿，跑了三趟")
    entry_id = await console.scalar("SELECT id FROM review_rectifications WHERE workorder_number = :n", n=bad)

    await console.sign_in("wang.market")
    html = await (await console.client.get("/unit/reviews")).text()
    assert "2026年11月评价（共 3 件，满意及基本满意 66.7%）" in html
    for rating in ("satisfied", "basically_satisfied", "dissatisfied"):
        assert f'<dd data-rating="{rating}">1</dd>' in html
    assert "评价链接" in html and "电话回访" in html and "短信" in html  # the channels, in words
    tasks = html.split('id="tasks-title"')[1].split("</section>")[0]
    assert f'id="review-{entry_id}"' in tasks and "窗口推诿，跑了三趟" in tasks and "整改中" in tasks
    assert f">{bad}</a>" in html.split('id="bad-title"')[1] and "wang.market（测试）" in html.split('id="duty-title"')[1]
    assert "/api/v1/reviews/bad-reviews?format=csv" in html

    csrf = await console.csrf("/unit/reviews")
    empty = await console.client.post(f"/unit/reviews/{entry_id}/rectified", data={"csrf_token": csrf, "text": " "})
    assert empty.status == 400 and f'id="review-{entry_id}-error"' in await empty.text()
    done = await console.client.post(
        f"/unit/reviews/{entry_id}/rectified",
        data={"csrf_token": csrf, "text": "已约谈窗口人员，当日为企业办结广告登记。"},
        allow_redirects=False,
    )
    assert done.status == 303 and done.headers["Location"] == "/unit/reviews?done=rectified"
    page = await (await console.client.get(done.headers["Location"])).text()
    assert "整改情况已报告" in page and "待回访" in page and "已约谈窗口人员" in page
    assert await console.scalar("SELECT state FROM review_rectifications WHERE id = :id", id=entry_id) == "revisiting"
    again = await console.client.post(f"/unit/reviews/{entry_id}/rectified", data={"csrf_token": csrf, "text": "再报一次"})
    assert again.status == 409


def kpi_section(html: str) -> str:
    return html.split('id="kpi-title"')[1].split("</section>")[0]


async def test_the_month_shows_ticketings_coverage_and_revisit_rate_once_the_revisit_is_answered(
    console: Console,
) -> None:
    await rated_order(console, "营业执照变更", "satisfied", "sms")
    bad = await rated_order(console, "广告登记被拖延", "dissatisfied", "phone", "窗口推诿")
    entry_id = await console.scalar("SELECT id FROM review_rectifications WHERE workorder_number = :n", n=bad)
    await console.sign_in("wang.market")
    figures = kpi_section(await (await console.client.get("/unit/reviews")).text())
    assert '<dd data-figure="evaluation_coverage">100.0%</dd>' in figures and "<dd>2 / 2</dd>" in figures
    assert '<dd data-figure="revisit_satisfaction_rate">—</dd>' in figures and "<dd>1 / 0 / 0</dd>" in figures

    csrf = await console.csrf("/unit/reviews")
    await console.client.post(
        f"/unit/reviews/{entry_id}/rectified", data={"csrf_token": csrf, "text": "已约谈窗口人员。"}
    )
    # the enterprise answers the revisit while the work order is still reopened (not closed again)
    await console.app[REVIEW_LOOP].evaluate(bad, "basically_satisfied", "web", None)
    figures = kpi_section(await (await console.client.get("/unit/reviews")).text())
    assert '<dd data-figure="revisit_satisfaction_rate">100.0%</dd>' in figures and "<dd>1 / 1 / 1</dd>" in figures


async def test_a_due_rectification_is_coloured_and_another_unit_can_neither_see_nor_act(console: Console) -> None:
    bad = await rated_order(console, "食品抽检结果未告知", "dissatisfied", "sms", "一直没人联系")
    entry_id = await console.scalar("SELECT id FROM review_rectifications WHERE workorder_number = :n", n=bad)
    console.clock.advance(timedelta(days=30))  # well past the working-day due date
    await console.sign_in("wang.market")
    html = await (await console.client.get("/unit/reviews")).text()
    assert f'<tr class="urgency-overdue" id="review-{entry_id}">' in html and "已超期" in html

    await console.client.post("/logout", data={"csrf_token": await console.csrf("/unit/reviews")})
    await console.sign_in("li.housing")
    other = await (await console.client.get("/unit/reviews")).text()
    assert "食品抽检结果未告知" not in other and "一直没人联系" not in other
    refused = await console.client.post(
        f"/unit/reviews/{entry_id}/rectified", data={"csrf_token": await console.csrf("/unit/reviews"), "text": "越权"}
    )
    assert refused.status == 404  # the review loop hides another unit's entry
    assert await console.scalar("SELECT state FROM review_rectifications WHERE id = :id", id=entry_id) == "rectifying"


async def test_the_supervisor_sees_every_unit_and_closes_with_a_reason(console: Console) -> None:
    bad = await rated_order(console, "检查扰企", "dissatisfied", "web", "一月检查五次")
    entry_id = await console.scalar("SELECT id FROM review_rectifications WHERE workorder_number = :n", n=bad)
    await console.sign_in("zhao.agent")
    assert (await console.client.get("/unit/reviews")).status == 403
    await console.client.post("/logout", data={"csrf_token": await console.csrf("/experts")})

    await console.sign_in("sun.supervisor")
    html = await (await console.client.get("/unit/reviews")).text()
    assert "检查扰企" in html and 'id="rv-unit"' in html
    for name in ("rectifications", "bad-reviews", "responsibilities"):
        assert f'href="/api/v1/reviews/{name}?format=csv"' in html
    housing = console.people.units["zjj"]
    filtered = await (await console.client.get("/unit/reviews", params={"unit": str(housing)})).text()
    assert "检查扰企" not in filtered and f"/api/v1/reviews/bad-reviews?format=csv&amp;unit={housing}" in filtered
    csv = await console.client.get("/api/v1/reviews/bad-reviews", params={"format": "csv"})
    assert csv.status == 200 and bad in (await csv.read()).decode("utf-8-sig")  # the link works with the session

    csrf = await console.csrf("/unit/reviews")
    no_reason = await console.client.post(f"/unit/reviews/{entry_id}/close", data={"csrf_token": csrf, "reason": ""})
    assert no_reason.status == 400
    missing_csrf = await console.client.post(f"/unit/reviews/{entry_id}/close", data={"reason": "企业诉求不合理"})
    assert missing_csrf.status == 403
    closed = await console.client.post(
        f"/unit/reviews/{entry_id}/close", data={"csrf_token": csrf, "reason": "检查为上级统一部署，已向企业解释"}
    )
    page = await closed.text()
    assert "整改单已销号" in page and "督查销号" in page and "检查为上级统一部署" in page
    assert await console.scalar("SELECT state FROM review_rectifications WHERE id = :id", id=entry_id) == "closed_by_supervisor"


@pytest.fixture
async def postgres_console(postgres_url: str, tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[Console]:
    async with fresh_postgres_database(postgres_url, "console_pages") as url:
        await upgrade_async(url)
        people = await seed_people(url)
        clock = MovableClock()
        client = await aiohttp_client(console_app(console_settings(url, tmp_path), clock))
        yield Console(client=client, clock=clock, people=people, url=url)
        await client.close()


@pytest.mark.postgres
async def test_the_knowledge_seat_wall_and_review_pages_on_postgres(postgres_console: Console) -> None:
    """Production's database: the pages' own queries (today's seat calls, the month's ratings) and the
    services' (PostgreSQL full-text search, the review lists) behind the same forms."""
    console = postgres_console
    bad = await rated_order(console, "广告登记被拖延", "dissatisfied", "sms", "跑了三趟")
    await rated_order(console, "营业执照变更", "satisfied", "web")
    async with console.app[SESSIONS].begin() as session:
        session.add(SeatCallRow(call_id="pg-call", queued_at=console.clock.at, disposition="abandoned",
                                agents=[], rung=[], legs=[]))

    await console.sign_in("wang.market")
    csrf = await console.csrf("/kb/new")
    made = await console.client.post(
        "/kb/new",
        data={"csrf_token": csrf, "title": "食品经营许可证注销", "question": "不开店了许可证怎么注销？",
              "answer": "通过浙里办申请注销。"},
        allow_redirects=False,
    )
    assert made.status == 303
    found = await (await console.client.get("/kb", params={"q": "许可证怎么注销"})).text()
    assert "食品经营许可证注销</a>" in found.split('class="kb-results"')[1]
    reviews = await (await console.client.get("/unit/reviews")).text()
    assert '<dd data-rating="dissatisfied">1</dd>' in reviews and '<dd data-rating="satisfied">1</dd>' in reviews
    assert f">{bad}</a>" in reviews.split('id="tasks-title"')[1]

    await console.client.post("/logout", data={"csrf_token": csrf})
    await console.sign_in("sun.supervisor")
    wall = await (await console.client.get("/seat/wall/data")).json()
    assert wall["fields"]["today_abandoned"] == "1"
