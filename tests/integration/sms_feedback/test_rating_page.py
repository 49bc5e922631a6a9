"""The rating link page (评价链接): a phone browser opens the signed link, taps one of three ratings and
may add a comment; one rating per survey; altered or expired links change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hotline.app import create_app
from hotline.db import make_engine, make_sessionmaker, upgrade_async
from hotline.settings import Settings
from sms_feedback.adapters.survey_channels import SqlSurveyChannels
from sms_feedback.adapters.survey_store import SqlSurveyStore
from sms_feedback.channels_web import PHONE_SURVEYS, RATING_PAGE
from sms_feedback.domain.rating_link import sign_link
from sms_feedback.rating_page import COMMENT_MAX, RatingPage
from sms_feedback.survey_sending import link_secret
from sms_feedback.web import SURVEY_STORE
from ticketing.background import BACKGROUND
from ticketing.web import NOW as TICKETING_NOW

SECRET = "test-rating-link-secret"
SENT_AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
NOW = SENT_AT + timedelta(hours=2)
PHONE = "+8613800138000"


@dataclass
class TicketingRecorder:
    """Stands in for ticketing's evaluate/reopen: keeps what it was asked to do."""

    evaluated: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    reopened: list[tuple[str, str]] = field(default_factory=list)

    async def evaluate(self, workorder_number: str, rating: str, channel: str, comment: str | None) -> None:
        self.evaluated.append((workorder_number, rating, channel, comment))

    async def reopen(self, workorder_number: str, reason: str) -> None:
        self.reopened.append((workorder_number, reason))


@dataclass
class Matters:
    """Ticketing's matter of each work order (诉求事项)."""

    titles: dict[str, str]

    async def matter(self, workorder_number: str) -> str | None:
        return self.titles.get(workorder_number)


@dataclass
class Page:
    client: TestClient[Any, Any]
    store: SqlSurveyStore
    channels: SqlSurveyChannels
    ticketing: TicketingRecorder

    async def survey(self, workorder_id: int, number: str) -> tuple[int, str]:
        """A closed work order's survey, sent; returns its id and its link token (valid 7 days)."""
        row = await self.store.create(workorder_id, number, PHONE, SENT_AT - timedelta(minutes=5))
        await self.store.mark_sent(row.id, f"SM{workorder_id:032d}", SENT_AT)
        return row.id, sign_link(row.token, SENT_AT + timedelta(days=7), SECRET)


@pytest.fixture
async def page(tmp_path: Path, aiohttp_client: Callable[[web.Application], Awaitable[TestClient[Any, Any]]]) -> AsyncIterator[Page]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    store, channels, ticketing = SqlSurveyStore(sessions), SqlSurveyChannels(sessions), TicketingRecorder()
    app = web.Application()
    matters = Matters({"YS20261130001": "食品经营许可证办理缓慢"})
    RatingPage(channels, store, ticketing, SECRET, lambda: NOW, matters).add_routes(app.router)
    client = await aiohttp_client(app)
    yield Page(client, store, channels, ticketing)
    await engine.dispose()


async def test_the_link_opens_a_chinese_page_with_the_work_order_and_three_big_buttons(page: Page) -> None:
    _, link = await page.survey(1, "YS20261130001")
    response = await page.client.get(f"/r/{link}")
    html = await response.text()
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html
    assert "YS20261130001" in html and "食品经营许可证办理缓慢" in html
    for value, words in (("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意")):
        assert f'value="{value}">{words}</button>' in html
    assert f'maxlength="{COMMENT_MAX}"' in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN


async def test_a_tap_rates_once_with_channel_web_and_a_second_rating_is_refused(page: Page) -> None:
    survey_id, link = await page.survey(2, "YS20261130002")
    response = await page.client.post(f"/r/{link}", data={"rating": "satisfied", "comment": ""})
    assert response.status == 200 and "感谢您的评价" in await response.text()
    row = await page.channels.by_id(survey_id)
    assert row is not None
    assert (row.state, row.rating, row.channel, row.comment, row.rated_at) == ("rated", "satisfied", "web", None, NOW)
    assert page.ticketing.evaluated == [("YS20261130002", "satisfied", "web", None)]

    again = await page.client.post(f"/r/{link}", data={"rating": "dissatisfied"})
    assert again.status == 409 and "已评价" in await again.text()
    shown = await page.client.get(f"/r/{link}")
    assert shown.status == 200 and "已评价" in (text := await shown.text()) and "<form" not in text
    row = await page.channels.by_id(survey_id)
    assert row is not None and row.rating == "satisfied"
    assert len(page.ticketing.evaluated) == 1 and page.ticketing.reopened == []


async def test_a_dissatisfied_rating_keeps_the_comment_and_reopens_the_work_order(page: Page) -> None:
    survey_id, link = await page.survey(3, "YS20261130003")
    comment = "窗口说材料齐了，可到现在还没办下来"
    response = await page.client.post(f"/r/{link}", data={"rating": "dissatisfied", "comment": f"  {comment} "})
    assert response.status == 200 and "整改" in await response.text()
    row = await page.channels.by_id(survey_id)
    assert row is not None and (row.rating, row.comment) == ("dissatisfied", comment)
    assert page.ticketing.evaluated == [("YS20261130003", "dissatisfied", "web", comment)]
    assert page.ticketing.reopened == [("YS20261130003", f"企业网页评价不满意：{comment}")]


async def test_an_sms_reply_first_makes_the_page_say_already_rated(page: Page) -> None:
    survey_id, link = await page.survey(4, "YS20261130004")
    assert await page.store.rate(survey_id, "basically_satisfied", "sms", NOW)
    response = await page.client.post(f"/r/{link}", data={"rating": "satisfied"})
    assert response.status == 409 and "基本满意" in await response.text()
    assert page.ticketing.evaluated == []


async def test_a_tampered_link_is_refused_and_changes_nothing(page: Page) -> None:
    survey_id, link = await page.survey(5, "YS20261130005")
    token, expiry, signature = link.split(".")
    later = sign_link(token, NOW + timedelta(days=30), SECRET).split(".")[1]
    for forged in (f"{token}.{later}.{signature}", f"{token}.{expiry}.{'0' * len(signature)}", "nonsense"):
        shown = await page.client.get(f"/r/{forged}")
        assert shown.status == 403 and "链接无效" in await shown.text()
        posted = await page.client.post(f"/r/{forged}", data={"rating": "dissatisfied"})
        assert posted.status == 403
    row = await page.channels.by_id(survey_id)
    assert row is not None and row.state == "sent" and page.ticketing.evaluated == []


async def test_an_expired_link_is_gone_and_changes_nothing(page: Page) -> None:
    row = await page.store.create(6, "YS20261130006", PHONE, SENT_AT)
    link = sign_link(row.token, NOW - timedelta(seconds=1), SECRET)
    shown = await page.client.get(f"/r/{link}")
    assert shown.status == 410 and "已过期" in await shown.text()
    posted = await page.client.post(f"/r/{link}", data={"rating": "satisfied"})
    assert posted.status == 410
    fresh = await page.channels.by_id(row.id)
    assert fresh is not None and fresh.state == "pending" and page.ticketing.evaluated == []


async def test_a_link_signed_with_another_secret_is_refused(page: Page) -> None:
    row = await page.store.create(7, "YS20261130007", PHONE, SENT_AT)
    link = sign_link(row.token, NOW + timedelta(days=1), "another-deployment")
    assert (await page.client.get(f"/r/{link}")).status == 403


async def test_only_form_posts_with_a_known_rating_and_a_short_comment_are_taken(page: Page) -> None:
    survey_id, link = await page.survey(8, "YS20261130008")
    as_json = await page.client.post(f"/r/{link}", json={"rating": "satisfied"})
    assert as_json.status == 415
    no_choice = await page.client.post(f"/r/{link}", data={"comment": "还行"})
    assert no_choice.status == 400 and "请选择一项评价" in await no_choice.text()
    unknown = await page.client.post(f"/r/{link}", data={"rating": "excellent"})
    assert unknown.status == 400
    too_long = "慢" * (COMMENT_MAX + 1)
    long_comment = await page.client.post(f"/r/{link}", data={"rating": "dissatisfied", "comment": too_long})
    text = await long_comment.text()
    assert long_comment.status == 400 and f"最多{COMMENT_MAX}字" in text and too_long in text  # kept for editing
    row = await page.channels.by_id(survey_id)
    assert row is not None and row.state == "sent" and page.ticketing.evaluated == []
    at_limit = await page.client.post(f"/r/{link}", data={"rating": "dissatisfied", "comment": "慢" * COMMENT_MAX})
    assert at_limit.status == 200


async def test_a_closed_survey_cannot_be_rated(page: Page) -> None:
    survey_id, link = await page.survey(9, "YS20261130009")
    await page.store.opt_out(PHONE, "SMTD", NOW)
    shown = await page.client.get(f"/r/{link}")
    assert shown.status == 410 and "评价已关闭" in await shown.text()
    assert (await page.client.post(f"/r/{link}", data={"rating": "satisfied"})).status == 410
    row = await page.channels.by_id(survey_id)
    assert row is not None and row.state == "opted_out"


async def test_markup_in_a_comment_is_shown_as_text(page: Page) -> None:
    _, link = await page.survey(10, "YS20261130010")
    response = await page.client.post(f"/r/{link}", data={"comment": "<script>alert(1)</script>"})
    text = await response.text()
    assert response.status == 400 and "<script>alert" not in text and "&lt;script&gt;" in text


async def test_the_service_serves_links_signed_with_its_own_secret(
    settings: Settings, aiohttp_client: Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
) -> None:
    await upgrade_async(settings.database_url)
    client = await aiohttp_client(create_app(settings, overrides={BACKGROUND: False, TICKETING_NOW: lambda: NOW}))
    store = client.app[SURVEY_STORE]
    row = await store.create(11, "YS20261130011", PHONE, SENT_AT)
    await store.mark_sent(row.id, "SM" + "1" * 32, SENT_AT)
    link = sign_link(row.token, NOW + timedelta(days=7), link_secret(settings))

    shown = await client.get(f"/r/{link}")
    assert shown.status == 200 and "YS20261130011" in await shown.text()
    rated = await client.post(f"/r/{link}", data={"rating": "basically_satisfied"})
    assert rated.status == 200  # ticketing has no such work order here: logged, the rating stands
    fresh = await client.app[RATING_PAGE].channels.by_id(row.id)
    assert fresh is not None and (fresh.rating, fresh.channel) == ("basically_satisfied", "web")
    assert PHONE_SURVEYS in client.app  # built (its due check is background work, off here)


@pytest.mark.parametrize("changes", [{"survey_dial_template": "PJSIP/trunk"}, {"phone_survey": "off"}])
async def test_a_phone_survey_turned_off_or_misconfigured_leaves_the_page_serving(
    settings: Settings,
    changes: dict[str, str],
    aiohttp_client: Callable[[web.Application], Awaitable[TestClient[Any, Any]]],
) -> None:
    settings = replace(settings, **changes)
    await upgrade_async(settings.database_url)
    client = await aiohttp_client(create_app(settings, overrides={BACKGROUND: False, TICKETING_NOW: lambda: NOW}))
    assert PHONE_SURVEYS not in client.app
    assert (await client.get("/r/not-a-link")).status == 403
