"""短信与回访 (/sms): a closed work order's survey, as the agent and the supervisor see it — its state,
where the SMS went and the words the enterprise received (the local outbox, since no Twilio account
is configured here); unit staff are refused."""

from __future__ import annotations

from hotline.app import SESSIONS
from tests.integration.console.console_fixtures import Console
from tests.integration.console.support import dispatched_order
from ticketing.background import OUTBOX_HANDLERS
from ticketing.outbox import OutboxWorker
from ticketing.web import WORKORDERS


async def test_the_agent_sees_a_closed_orders_survey_and_the_sms_the_enterprise_received(console: Console) -> None:
    order = await dispatched_order(console.app, console.people, title="营业执照变更迟迟未办")
    service = console.app[WORKORDERS]
    unit = console.people.actors["wang.market"]
    await service.sign(unit, order.id)
    await service.reply(unit, order.id, "已核实并办理，电话告知企业。")
    await service.close(console.people.actors["sun.supervisor"], order.id, "企业诉求已办结。")

    await console.sign_in("zhao.agent")
    before = await (await console.client.get("/sms")).text()
    assert "还没有回访记录" in before and "本地发件箱暂无短信" in before  # queued with the closure, not sent yet

    worker = OutboxWorker(console.app[SESSIONS], console.app[OUTBOX_HANDLERS], worker_id="test")
    await worker.run_once(console.clock.now())
    response = await console.client.get("/sms")
    assert response.status == 200
    html = await response.text()
    surveys = html.split('id="surveys-title"')[1].split("</section>")[0]
    assert order.number in surveys and "+8613900001111" in surveys and "已发送，待评价" in surveys and "办结回访" in surveys
    outbox = html.split('id="outbox-title"')[1].split("</section>")[0]
    assert "未配置 Twilio 账号" in outbox and "+8613900001111" in outbox
    assert f"工单{order.number}" in outbox and "回复1满意" in outbox and "/r/" in outbox


async def test_unit_staff_do_not_see_the_sms_page(console: Console) -> None:
    await console.sign_in("wang.market")
    response = await console.client.get("/sms")
    assert response.status == 403
