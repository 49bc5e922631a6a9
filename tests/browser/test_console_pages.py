"""Every main console page in a real Chromium, with a screenshot of each under test-output/screenshots/
(pages-*.png): every form field on every page has a label (found with `get_by_label`) and the keyboard
focus is visible; a Chinese knowledge-base search finds the right entry; the seat wall updates in place
(no reload) when an agent changes state."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from callflow.seat.web import SEAT_QUEUE
from knowledge.web import EXPERTS, KNOWLEDGE
from sms_feedback.reviews_web import REVIEW_LOOP
from tests.browser.conftest import LiveConsole
from tests.integration.console.support import PASSWORD, People, dispatched_order
from ticketing.web import WORKORDERS

SLOW_MACHINE_MS = 30_000  # the whole suite shares two cores with other suites: give Chromium time
# Every visible form control, with the text of its label (None when it has none).
CONTROLS_JS = """() => Array.from(document.querySelectorAll('main input, main select, main textarea'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .map(el => ({id: el.id, name: el.name,
               label: el.labels && el.labels.length ? el.labels[0].textContent.trim() : null}))"""


def sign_in(page: Any, login: str) -> None:
    page.goto("/login")
    page.get_by_label("账号").fill(login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/login"))


async def badly_rated_order(app: Any, people: People) -> str:
    """A 县市场监督管理局 work order closed and rated 不满意 by SMS: a rectification task for the unit."""
    order = await dispatched_order(app, people, title="页面巡检：差评工单")
    unit, service = people.actors["wang.market"], app[WORKORDERS]
    await service.sign(unit, order.id)
    await service.reply(unit, order.id, "已办理。")
    await service.close(people.actors["sun.supervisor"], order.id, "已办结。")
    await app[REVIEW_LOOP].evaluate(order.number, "dissatisfied", "sms", "办理太慢")
    return str(order.number)


def check_page(page: Any, path: str, shot: Path) -> list[str]:
    """Open `path` (200), screenshot it, check every field is found by its label and that the keyboard
    focus is drawn; returns the labels seen."""
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    page.screenshot(path=str(shot), full_page=True)
    labels = []
    for control in page.evaluate(CONTROLS_JS):
        assert control["label"], f"{path}: field {control['name'] or control['id']} has no label"
        labels.append(control["label"])
        found = page.get_by_label(control["label"], exact=True)
        assert found.count() >= 1, f"{path}: get_by_label({control['label']!r}) finds nothing"
    # Tab (from wherever autofocus put us) to a control inside the page's content, if it has one
    has_controls = page.evaluate(
        "() => !!document.querySelector('main a[href], main button, main input:not([type=hidden]), main select, main textarea')"
    )
    for _ in range(40):
        page.keyboard.press("Tab")
        if not has_controls or page.evaluate("() => !!document.activeElement.closest('main')"):
            break
    else:
        raise AssertionError(f"{path}: Tab never reaches the page's content")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and outline[1] != "0px", f"{path}: focus not visible ({outline})"
    return labels


def test_every_main_page_has_labelled_fields_visible_focus_and_a_screenshot(
    page: Any, live_console: LiveConsole, screenshots: Path
) -> None:
    page.set_default_timeout(SLOW_MACHINE_MS)
    order = live_console.run(dispatched_order(live_console.app, live_console.people, title="页面巡检用工单"))
    expert = live_console.run(
        live_console.app[EXPERTS].add(
            live_console.people.actors["sun.supervisor"],
            {"name": "巡检专家", "contact": "PJSIP/expert801", "topics": ["食品经营"], "duty": ["每天 00:00-24:00"]},
        )
    )
    bad = live_console.run(badly_rated_order(live_console.app, live_console.people))
    kb = live_console.app[KNOWLEDGE]
    market = live_console.people.actors["wang.market"]
    tax = live_console.run(kb.create(market, {
        "title": "个体户税务登记", "question": "个体户领了执照还要去税务登记吗？",
        "answer": "办理营业执照后信息自动共享，无需单独办理税务登记。", "key_points": ["多证合一"]}))
    live_console.run(kb.create(market, {
        "title": "2019年小微企业年报补报", "question": "往年年报还能补报吗？", "answer": "该政策已停止执行。",
        "expires_on": "2020-06-30"}))
    live_console.run(kb.update(market, tax.id or 0, {"answer": "办理营业执照后信息自动共享，无需单独办理税务登记；如需发票请在电子税务局申领。", "version": 1}))
    live_console.run(kb.record_hit(live_console.people.actors["zhao.agent"], tax.id or 0, query="个体户税务登记"))
    page.goto("/login")
    page.screenshot(path=str(screenshots / "pages-01-login.png"), full_page=True)
    assert page.get_by_label("账号").count() == 1 and page.get_by_label("密码").count() == 1

    sign_in(page, "wang.market")
    check_page(page, "/unit/inbox", screenshots / "pages-02-unit-inbox.png")
    check_page(page, f"/unit/orders/{order.id}", screenshots / "pages-03-order.png")
    check_page(page, "/kb", screenshots / "pages-04a-kb-unit.png")
    check_page(page, f"/kb/{tax.id}", screenshots / "pages-04b-kb-entry-history.png")
    assert "修订记录（2）" in page.get_by_role("heading", level=2).all_inner_texts()
    labels = check_page(page, "/kb/new", screenshots / "pages-04-kb-new.png")
    assert {"标题", "问题", "答复口径", "政策依据", "生效日期"} <= set(labels)
    check_page(page, "/experts", screenshots / "pages-05-experts-unit.png")
    labels = check_page(page, "/unit/reviews", screenshots / "pages-05b-unit-reviews.png")
    assert any(label.startswith("整改情况（整改单") for label in labels)
    assert bad in page.locator("table.tasks").inner_text()
    sign_out(page)

    sign_in(page, "sun.supervisor")
    pages = [
        ("/supervise", "pages-06-supervise.png"),
        ("/kb", "pages-07-kb.png"),
        ("/experts", "pages-08-experts.png"),
        ("/experts/new", "pages-09-experts-new.png"),
        (f"/experts/{expert.id}/edit", "pages-10-experts-edit.png"),
        ("/seat/wall", "pages-11-seat-wall.png"),
        ("/unit/reviews", "pages-11b-reviews-supervisor.png"),
        ("/admin/menu", "pages-12-admin-menu.png"),
    ]
    for path, name in pages:
        check_page(page, path, screenshots / name)
    sign_out(page)

    sign_in(page, "qian.admin")
    for path, name in (
        ("/admin/users", "pages-13-admin-users.png"),
        ("/admin/units", "pages-14-admin-units.png"),
        ("/admin/calendar", "pages-15-admin-calendar.png"),
    ):
        check_page(page, path, screenshots / name)


def test_a_chinese_search_on_the_knowledge_base_page_finds_the_right_entry(
    page: Any, live_console: LiveConsole, screenshots: Path
) -> None:
    page.set_default_timeout(SLOW_MACHINE_MS)
    market = live_console.people.actors["wang.market"]
    service = live_console.app[KNOWLEDGE]
    for title, question, answer in (
        ("个体工商户变更经营范围", "个体户想增加经营范围，去哪里办？", "可在浙里办提交变更登记，或到市场监管窗口办理，一般当场办结。"),
        ("食品经营许可证注销", "不开店了，食品经营许可证怎么注销？", "通过浙里办申请注销，提交营业执照复印件即可。"),
        ("广告发布登记", "户外广告要不要登记？", "发布户外广告应向市场监管部门办理广告发布登记。"),
    ):
        live_console.run(service.create(market, {"title": title, "question": question, "answer": answer}))
    sign_in(page, "wang.market")
    page.goto("/kb")
    # the search box has the focus: type the caller's words as they said them
    page.wait_for_function("document.activeElement && document.activeElement.id === 'kb-q'")
    page.keyboard.type("不开店了许可证怎么注销")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/kb\?q="))
    first = page.locator("ol.kb-results li").first
    assert first.locator("a").inner_text() == "食品经营许可证注销"
    page.screenshot(path=str(screenshots / "pages-16-kb-search.png"), full_page=True)
    first.locator("a").click()
    page.wait_for_url(re.compile(r"/kb/\d+$"))
    assert "修订记录（1）" in page.get_by_role("heading", level=2).all_inner_texts()


def test_the_seat_wall_updates_in_place_when_an_agent_changes_state(
    page: Any, live_console: LiveConsole, screenshots: Path
) -> None:
    page.set_default_timeout(SLOW_MACHINE_MS)
    queue = live_console.app[SEAT_QUEUE]
    live_console.run(queue.add_member("agent901", name="墙上坐席"))
    live_console.run(queue.login("agent901", "PJSIP/agent901"))
    sign_in(page, "sun.supervisor")
    page.goto("/seat/wall")
    row = page.locator('#wall-agents tr[data-agent="agent901"]')
    assert "空闲" in row.inner_text()
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page were reloaded

    live_console.run(queue.pause("agent901", "培训"))
    page.wait_for_function(
        """() => { const r = document.querySelector('#wall-agents tr[data-agent="agent901"]');
                   return r && r.innerText.includes('小休（培训）'); }""",
        timeout=SLOW_MACHINE_MS,
    )
    assert page.evaluate("() => window.__sameDocument === true")
    assert page.locator('[data-field="state_paused"]').inner_text() != "0"
    # a caller joins the queue (the seat's own rules, on the server's loop): the wall lists them
    async def caller(joins: bool) -> None:
        if joins:
            queue.seat.enqueue("wall-call", "wall-chan", "13912345678", queue.now())
        else:
            queue.seat.caller_left("wall-call", queue.now())

    live_console.run(caller(joins=True))
    page.wait_for_function(
        "() => document.getElementById('wall-callers').innerText.includes('139****5678')", timeout=SLOW_MACHINE_MS
    )
    assert page.locator('[data-field="waiting"]').inner_text() == "1"
    page.screenshot(path=str(screenshots / "pages-17-seat-wall-paused.png"), full_page=True)
    live_console.run(caller(joins=False))
    page.wait_for_function(
        "() => document.getElementById('wall-callers').innerText.includes('当前无人排队')", timeout=SLOW_MACHINE_MS
    )
    live_console.run(queue.resume("agent901"))
    page.wait_for_function(
        """() => document.querySelector('#wall-agents tr[data-agent="agent901"]').innerText.includes('空闲')""",
        timeout=SLOW_MACHINE_MS,
    )
