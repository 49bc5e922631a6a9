"""The console in a real Chromium: keyboard-only sign-in, a dispatched work order signed and replied
by its unit and closed by the supervisor, 403 for another unit, a CSRF-less post refused, and a
screenshot of each main page under test-output/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveConsole
from tests.integration.console.support import PASSWORD, dispatched_order


def sign_in(page: Any, login: str) -> None:
    page.goto("/login")
    page.get_by_label("账号").fill(login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/login"))


def test_sign_in_with_the_keyboard_only(page: Any, screenshots: Path) -> None:
    page.goto("/login")
    page.screenshot(path=str(screenshots / "01-login.png"), full_page=True)
    # autofocus: typing starts at once
    page.wait_for_function("document.activeElement && document.activeElement.id === 'login'")
    page.keyboard.type("wang.market")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/unit/inbox$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("工单收件箱")


def test_a_wrong_password_keeps_the_browser_on_the_sign_in_page(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("账号").fill("wang.market")
    page.get_by_label("密码").fill("not-my-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "账号或密码错误 (wrong login or password)"
    assert page.url.endswith("/login")


def test_the_unit_signs_and_replies_and_the_supervisor_closes(
    page: Any, live_console: LiveConsole, screenshots: Path
) -> None:
    order = live_console.run(dispatched_order(live_console.app, live_console.people, title="食品经营许可证延续受阻"))
    sign_in(page, "wang.market")
    page.wait_for_url(re.compile(r"/unit/inbox$"))
    page.screenshot(path=str(screenshots / "02-unit-inbox.png"), full_page=True)
    page.get_by_role("link", name=order.number).click()
    page.wait_for_url(re.compile(rf"/unit/orders/{order.id}$"))
    page.screenshot(path=str(screenshots / "03-order-dispatched.png"), full_page=True)
    page.get_by_role("button", name="签收").click()
    page.wait_for_url(re.compile(r"done=sign"))
    assert "已签收" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_label("答复内容").fill("已现场核查并于当日办理延续手续，已电话告知企业负责人。")
    page.get_by_role("button", name="提交答复").click()
    page.wait_for_url(re.compile(r"done=reply"))
    assert "已答复" in page.get_by_role("heading", level=1).inner_text()
    page.screenshot(path=str(screenshots / "04-order-replied.png"), full_page=True)
    sign_out(page)

    sign_in(page, "sun.supervisor")
    page.wait_for_url(re.compile(r"/supervise$"))
    page.screenshot(path=str(screenshots / "05-supervise.png"), full_page=True)
    page.goto(f"/unit/orders/{order.id}")
    page.get_by_label("办理结果").fill("企业食品经营许可证已延续，来电人表示认可。")
    page.get_by_role("button", name="办结").click()
    page.wait_for_url(re.compile(r"done=close"))
    assert "已办结" in page.get_by_role("heading", level=1).inner_text()
    trail = page.locator("ol.trail").inner_text()
    for step in ("派单", "签收", "答复", "办结"):
        assert step in trail
    page.screenshot(path=str(screenshots / "06-order-closed.png"), full_page=True)


def test_a_unit_cannot_open_another_units_work_order(page: Any, live_console: LiveConsole) -> None:
    order = live_console.run(dispatched_order(live_console.app, live_console.people, unit="scjgj"))
    sign_in(page, "li.housing")
    page.wait_for_url(re.compile(r"/unit/inbox$"))
    response = page.goto(f"/unit/orders/{order.id}")
    assert response.status == 403
    assert "无权查看" in page.get_by_role("alert").inner_text()
    assert order.title not in page.content()


def test_a_post_without_the_csrf_token_is_refused(page: Any, live_console: LiveConsole) -> None:
    order = live_console.run(dispatched_order(live_console.app, live_console.people))
    sign_in(page, "wang.market")
    page.wait_for_url(re.compile(r"/unit/inbox$"))
    # the browser sends its session cookie, as a forged cross-site form would, but no token
    status = page.evaluate(
        """async (id) => (await fetch(`/unit/orders/${id}/sign`, {method: "POST",
             headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "x=1"})).status""",
        order.id,
    )
    assert status == 403
    api_status = page.evaluate(
        "async (id) => (await fetch(`/api/v1/workorders/${id}/sign`, {method: 'POST', body: '{}'})).status", order.id
    )
    assert api_status == 403
    page.goto(f"/unit/orders/{order.id}")
    assert "已派单" in page.get_by_role("heading", level=1).inner_text()


def test_admin_pages(page: Any, screenshots: Path) -> None:
    sign_in(page, "qian.admin")
    page.wait_for_url(re.compile(r"/admin/users$"))
    page.screenshot(path=str(screenshots / "07-admin-users.png"), full_page=True)
    page.get_by_label("账号", exact=True).fill("wu.agent")
    page.get_by_label("姓名", exact=True).fill("吴话务员")
    page.get_by_label("角色", exact=True).select_option("agent")
    page.get_by_label("初始密码（至少 8 位）").fill("agent-pass-1")
    page.get_by_role("button", name="新建用户").click()
    page.wait_for_url(re.compile(r"done=create"))
    assert page.get_by_role("cell", name="wu.agent", exact=True).is_visible()
    for name, path in (("08-admin-units", "/admin/units"), ("09-admin-calendar", "/admin/calendar"), ("10-admin-menu", "/admin/menu")):
        response = page.goto(path)
        assert response.status == 200
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    assert "菜单配置有效" in page.content()


def test_a_unit_handler_signs_an_order_with_the_keyboard_only(page: Any, live_console: LiveConsole) -> None:
    order = live_console.run(dispatched_order(live_console.app, live_console.people, title="键盘签收"))
    page.goto("/login")
    # autofocus lands once the page has settled; type only then, as a person would
    page.wait_for_function("document.activeElement && document.activeElement.id === 'login'")
    page.keyboard.type("wang.market")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/unit/inbox$"))
    page.goto(f"/unit/orders/{order.id}")
    # the next step's button has the focus on each page: Enter signs, Enter again starts handling
    assert page.evaluate("document.activeElement.textContent") == "签收"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done=sign"))
    assert page.evaluate("document.activeElement.textContent") == "开始办理"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done=handle"))
    assert "办理中" in page.get_by_role("heading", level=1).inner_text()
