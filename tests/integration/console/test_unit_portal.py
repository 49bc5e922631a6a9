"""The unit portal through its forms: a unit signs and replies, the supervisor closes; another unit
gets 403; user text is escaped; due times are coloured; CSRF guards every form and API call made
with the session cookie, while Bearer-token API calls need none."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.integration.console.console_fixtures import Console
from tests.integration.console.support import dispatched_order


async def test_the_unit_signs_and_replies_and_the_supervisor_closes(console: Console) -> None:
    order = await dispatched_order(console.app, console.people)
    await console.sign_in("wang.market")
    inbox = await (await console.client.get("/unit/inbox")).text()
    assert order.number in inbox
    csrf = await console.csrf(f"/unit/orders/{order.id}")
    signed = await console.client.post(f"/unit/orders/{order.id}/sign", data={"csrf_token": csrf}, allow_redirects=False)
    assert signed.status == 303 and signed.headers["Location"] == f"/unit/orders/{order.id}?done=sign"
    replied = await console.client.post(
        f"/unit/orders/{order.id}/reply", data={"csrf_token": csrf, "reply": "已于11月11日办结变更登记并电话告知企业。"}
    )
    page = await replied.text()
    assert replied.status == 200 and "已答复" in page and "已于11月11日办结变更登记" in page
    assert "办结</button>" not in page  # closing is the hotline's step, not the unit's

    await console.client.post("/logout", data={"csrf_token": csrf})
    await console.sign_in("sun.supervisor")
    csrf = await console.csrf(f"/unit/orders/{order.id}")
    closed = await console.client.post(
        f"/unit/orders/{order.id}/close", data={"csrf_token": csrf, "result": "企业变更登记已完成，来电人认可。"}
    )
    page = await closed.text()
    assert "已办结" in page and "企业变更登记已完成" in page
    trail = await console.scalar(
        "SELECT group_concat(action, ',') FROM (SELECT action FROM work_order_events WHERE work_order_id = :id ORDER BY id)",
        id=order.id,
    )
    assert trail == "create,register,dispatch,sign,reply,close"


async def test_a_refused_step_shows_the_services_reason_and_changes_nothing(console: Console) -> None:
    order = await dispatched_order(console.app, console.people)
    await console.sign_in("wang.market")
    csrf = await console.csrf(f"/unit/orders/{order.id}")
    resp = await console.client.post(f"/unit/orders/{order.id}/reply", data={"csrf_token": csrf, "reply": "答复"})
    assert resp.status == 409
    assert "不能执行" in await resp.text()
    assert await console.scalar("SELECT state FROM work_orders WHERE id = :id", id=order.id) == "dispatched"


async def test_extension_and_return_forms_reach_the_services(console: Console) -> None:
    from ticketing.domain.workorder import Complexity

    first = await dispatched_order(console.app, console.people, complexity=Complexity.DIFFICULT)
    second = await dispatched_order(console.app, console.people, title="另一件事")
    await console.sign_in("wang.market")
    csrf = await console.csrf(f"/unit/orders/{first.id}")
    await console.client.post(f"/unit/orders/{first.id}/sign", data={"csrf_token": csrf})
    resp = await console.client.post(
        f"/unit/orders/{first.id}/extension",
        data={"csrf_token": csrf, "working_days": "5", "reason": "需现场核查", "basis": "《办理规范》第十二条"},
    )
    assert resp.status == 200 and "待审批" in await resp.text()
    resp = await console.client.post(
        f"/unit/orders/{second.id}/return", data={"csrf_token": csrf, "reason": "不属于本单位职责，应由住建局办理"}
    )
    assert resp.status == 200
    assert await console.scalar("SELECT state FROM work_orders WHERE id = :id", id=second.id) == "returned"
    await console.client.post("/logout", data={"csrf_token": csrf})
    await console.sign_in("sun.supervisor")
    board = await (await console.client.get("/supervise")).text()
    assert first.number in board and "需现场核查" in board


async def test_another_units_order_is_forbidden_and_the_attempt_is_logged(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    order = await dispatched_order(console.app, console.people, unit="scjgj")
    await console.sign_in("li.housing")
    with caplog.at_level(logging.WARNING, logger="console.access"):
        page = await console.client.get(f"/unit/orders/{order.id}")
        csrf = await console.csrf()
        act = await console.client.post(f"/unit/orders/{order.id}/sign", data={"csrf_token": csrf})
    assert page.status == 403 and act.status == 403
    assert order.title not in await page.text()
    assert any("forbidden: user=li.housing" in r.message and f"/unit/orders/{order.id}" in r.message for r in caplog.records)
    assert (await console.client.get("/unit/orders/999999")).status == 404
    assert await console.scalar("SELECT state FROM work_orders WHERE id = :id", id=order.id) == "dispatched"


async def test_user_text_is_escaped_on_every_page(console: Console) -> None:
    script = '<script>alert("x")</script>'
    order = await dispatched_order(console.app, console.people, title=f"标题{script}", content=f"内容{script}")
    await console.sign_in("wang.market")
    for path in (f"/unit/orders/{order.id}", "/unit/inbox"):
        body = await (await console.client.get(path)).text()
        assert script not in body
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body


async def test_due_times_are_coloured_overdue_red_and_due_today_amber(console: Console) -> None:
    order = await dispatched_order(console.app, console.people)
    await console.sign_in("wang.market")
    body = await (await console.client.get("/unit/inbox")).text()
    assert "urgency-normal" in body
    # the signing deadline of a general complaint falls on a later working day; move to its morning
    sign_due = order.sign_due
    assert sign_due is not None
    console.clock.at = sign_due - timedelta(minutes=30)
    await console.sign_in("wang.market")
    body = await (await console.client.get("/unit/inbox")).text()
    assert "urgency-due-today" in body and "今日到期</span>" in body
    console.clock.at = sign_due + timedelta(minutes=1)
    await console.sign_in("wang.market")
    body = await (await console.client.get("/unit/inbox?overdue=1")).text()
    assert order.number in body and "urgency-overdue" in body and "已超期</span>" in body


async def test_a_form_post_without_or_with_a_wrong_csrf_token_is_refused(console: Console) -> None:
    order = await dispatched_order(console.app, console.people)
    await console.sign_in("wang.market")
    missing = await console.client.post(f"/unit/orders/{order.id}/sign", data={})
    wrong = await console.client.post(f"/unit/orders/{order.id}/sign", data={"csrf_token": "forged"})
    assert missing.status == wrong.status == 403
    assert "安全令牌" in await missing.text()
    assert await console.scalar("SELECT state FROM work_orders WHERE id = :id", id=order.id) == "dispatched"


async def test_the_session_cookie_authenticates_the_work_order_api_with_the_csrf_header(console: Console) -> None:
    order = await dispatched_order(console.app, console.people)
    await console.sign_in("wang.market")
    me = await (await console.client.get("/api/v1/me")).json()
    assert me["role"] == "unit_handler"
    refused = await console.client.post(f"/api/v1/workorders/{order.id}/sign", json={})
    assert refused.status == 403 and (await refused.json())["error"] == "csrf-rejected"
    csrf = await console.csrf()
    signed = await console.client.post(f"/api/v1/workorders/{order.id}/sign", json={}, headers={"X-CSRF-Token": csrf})
    assert signed.status == 200 and (await signed.json())["state"] == "signed"


async def test_bearer_token_calls_need_no_csrf_token(console: Console) -> None:
    from hotline.app import SESSIONS
    from ticketing.services import Directory

    order = await dispatched_order(console.app, console.people)
    _, token = await Directory(console.app[SESSIONS]).add_user("robot.market", "对接系统", console.people.actors["wang.market"].role, "scjgj")
    resp = await console.client.post(
        f"/api/v1/workorders/{order.id}/sign", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status == 200
