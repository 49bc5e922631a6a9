"""The live seat wall (专席实时监控): for supervisors and admins only; it shows the running seat queue's
agents by state (a pause with its reason), today's answered and abandoned calls from the seat's call
records, and the Erlang-C advice with its inputs; the data the page's script polls changes as an agent
changes state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from callflow.seat.orm import SeatCallRow
from callflow.seat.web import SEAT_QUEUE
from hotline.app import SESSIONS
from tests.integration.console.console_fixtures import Console


async def calls_queued(console: Console, *outcomes: tuple[str, datetime]) -> None:
    async with console.app[SESSIONS].begin() as session:
        for n, (disposition, at) in enumerate(outcomes):
            session.add(SeatCallRow(call_id=f"call-{n}", queued_at=at, disposition=disposition, agents=[], rung=[], legs=[]))


async def wall_data(console: Console) -> Any:
    response = await console.client.get("/seat/wall/data")
    assert response.status == 200
    return await response.json()


async def test_only_supervisors_and_admins_see_the_wall(console: Console) -> None:
    for login, status in (("wang.market", 403), ("zhao.agent", 403), ("qian.admin", 200)):
        await console.sign_in(login)
        assert (await console.client.get("/seat/wall")).status == status, login
        assert (await console.client.get("/seat/wall/data")).status == status, login
        await console.client.post("/logout", data={"csrf_token": await console.csrf("/experts")})


async def test_the_wall_shows_agents_today_and_the_staffing_advice(console: Console) -> None:
    queue = console.app[SEAT_QUEUE]
    await queue.add_member("agent101", name="张坐席")
    await queue.add_member("agent102", name="李坐席")
    await queue.login("agent101", "PJSIP/agent101")
    at = console.clock.at
    await calls_queued(
        console,
        ("answered", at - timedelta(hours=1)),
        ("answered", at - timedelta(minutes=5)),
        ("abandoned", at - timedelta(minutes=30)),
        ("answered", at - timedelta(days=1)),  # yesterday: not today's
        ("waiting", at - timedelta(minutes=1)),
    )
    await console.sign_in("sun.supervisor")
    html = await (await console.client.get("/seat/wall")).text()
    assert '<span data-field="today_answered">2</span>' in html
    assert '<span data-field="today_abandoned">1</span>' in html
    assert '<span data-field="today_abandon_rate">33.3%</span>' in html
    assert '<tr data-agent="agent101" class="agent-available"><td>张坐席（agent101）</td><td>空闲</td>' in html
    assert '<tr data-agent="agent102" class="agent-offline"><td>李坐席（agent102）</td><td>未登录</td>' in html
    assert html.index('data-agent="agent101"') < html.index('data-agent="agent102"')  # working agents first
    # the advice and every input it used
    for label in ("预计呼入", "平均处理时长", "话务量", "服务目标", "来电需等待概率", "预计服务水平"):
        assert f"<dt>{label}</dt>" in html
    assert '<span data-field="advice_aht">5分00秒</span>' in html  # 300 s assumed before any handled call
    assert '<script src="/static/console/seatwall.js"></script>' in html
    script = await console.client.get("/static/console/seatwall.js")
    assert script.status == 200 and "fetch(source" in await script.text()


async def test_the_polled_data_follows_an_agent_changing_state(console: Console) -> None:
    queue = console.app[SEAT_QUEUE]
    await queue.add_member("agent201", name="王坐席")
    await queue.login("agent201", "PJSIP/agent201")
    await console.sign_in("sun.supervisor")
    before = await wall_data(console)
    assert before["running"] is True
    assert before["fields"]["state_available"] == "1" and before["fields"]["state_paused"] == "0"
    assert before["agents"][0]["state_zh"] == "空闲"

    # a pause through the seat API with the browser's session (CSRF header), as the agent console sends it
    csrf = await console.csrf("/seat/wall")
    paused = await console.client.post(
        "/api/v1/seat/agents/agent201/pause", json={"reason": "午餐"}, headers={"X-CSRF-Token": csrf}
    )
    assert paused.status == 200
    after = await wall_data(console)
    assert after["fields"]["state_available"] == "0" and after["fields"]["state_paused"] == "1"
    assert after["fields"]["working"] == "0"
    assert after["agents"][0] == {**after["agents"][0], "agent": "agent201", "state": "paused", "state_zh": "小休（午餐）"}
    assert after["fields"]["waiting"] == "0" and after["fields"]["longest_wait"] == "—"


async def test_waiting_callers_are_listed_with_a_masked_number_and_their_wait(console: Console) -> None:
    queue = console.app[SEAT_QUEUE]
    await queue.add_member("agent301", name="赵坐席")  # a member, not logged in: nobody rings
    queue.seat.enqueue("call-a", "chan-a", "13800138000", queue.now() - timedelta(seconds=75))
    queue.seat.enqueue("call-b", "chan-b", "05718888", queue.now() - timedelta(seconds=12))
    await console.sign_in("qian.admin")
    wall = await wall_data(console)
    assert wall["fields"]["waiting"] == "2" and wall["fields"]["longest_wait"].startswith("1分1")
    assert [(c["position"], c["number"]) for c in wall["callers"]] == [("1", "138****8000"), ("2", "057****8888")]
    assert wall["callers"][0]["waited"].startswith("1分1") and wall["callers"][0]["ringing"] == "—"
    assert wall["fields"]["advice_gap"] == "有来电排队但无坐席在岗，请立即安排坐席"
    html = await (await console.client.get("/seat/wall")).text()
    assert "<td>1</td><td>138****8000</td>" in html and "13800138000" not in html
