"""The rating link on a phone-sized screen in Chromium: the enterprise opens the SMS link, writes a
comment, taps 基本满意, and the survey is rated once (channel web); screenshots rate-*.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from hotline.app import SETTINGS
from sms_feedback.adapters.survey_channels import SqlSurveyChannels
from sms_feedback.domain.rating_link import sign_link
from sms_feedback.survey_sending import link_secret
from sms_feedback.web import SURVEY_STORE
from tests.browser.conftest import LiveConsole

PHONE_SCREEN = {"width": 375, "height": 740}


def test_an_enterprise_rates_by_tapping_on_a_phone_screen(live_console: LiveConsole, browser: Any, screenshots: Path) -> None:
    app = live_console.app
    store = app[SURVEY_STORE]
    now = live_console.clock.now()
    survey = live_console.run(store.create(90001, "YS20261130901", "+8613800138000", now))
    live_console.run(store.mark_sent(survey.id, "SM" + "9" * 32, now))
    link = sign_link(survey.token, now + timedelta(days=7), link_secret(app[SETTINGS]))

    context = browser.new_context(
        base_url=live_console.base_url, locale="zh-CN", viewport=PHONE_SCREEN, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"/r/{link}")
        assert page.locator("#number").inner_text() == "YS20261130901"
        buttons = [page.get_by_role("button", name=words, exact=True) for words in ("满意", "基本满意", "不满意")]
        for button in buttons:
            box = button.bounding_box()
            assert box is not None and box["width"] >= 300 and box["height"] >= 48  # big enough for a thumb
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]  # no sideways scroll
        page.get_by_label("意见或建议（选填，最多200字）").fill("办理及时，希望后续多沟通")
        page.screenshot(path=str(screenshots / "rate-01-form.png"), full_page=True)

        buttons[1].tap()
        page.get_by_role("heading", name="感谢您的评价").wait_for()
        assert page.locator("#result").inner_text() == "基本满意"
        page.screenshot(path=str(screenshots / "rate-02-thanks.png"), full_page=True)

        page.goto(f"/r/{link}")
        page.get_by_role("heading", name="已评价").wait_for()
        assert page.get_by_role("button").count() == 0
    finally:
        context.close()

    from hotline.app import SESSIONS

    row = live_console.run(SqlSurveyChannels(app[SESSIONS]).by_id(survey.id))
    assert row is not None
    assert (row.state, row.rating, row.channel, row.comment) == ("rated", "basically_satisfied", "web", "办理及时，希望后续多沟通")
