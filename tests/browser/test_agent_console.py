"""The agent console (坐席工作台) in a real Chromium, against the whole service on the fake Asterisk: the
agent signs in, a caller goes through the voice menu to the seat and is bridged to them, the screen pops
up with the caller's history, live transcript lines appear, a Chinese knowledge search finds the entry,
the draft is edited and dispatched; then the unit signs and replies and the supervisor closes it.
Screenshots under test-output/screenshots/ (agent-*.png)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from asr.transcript import Segment
from callflow.seat.live_web import LIVE
from callflow.seat.web import SEAT_QUEUE
from callflow.web import CONTROLLER
from tests.browser.test_console_in_chromium import sign_in, sign_out
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import Call, WaitUntilBridged, WaitUntilHungUp
from tests.integration.callflow.seat.seat_fixtures import write_seat_prompts
from tests.integration.callflow.support import TIME_FACTOR
from tests.integration.console.support import People, copy_database, dispatched_order, seed_people
from tests.integration.console.test_agent_ws import AGENT, CALLER, TO_POLICY_QUERY, desk_app, prepare_desk

T = TypeVar("T")


@dataclass
class LiveDesk:
    """The service with the seat queue on a fake Asterisk, served in a thread of its own."""

    base_url: str
    app: web.Application
    fake: FakeAsterisk
    people: People
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def say(self, call_id: str, speaker: str, text: str, start: float, final: bool = True) -> None:
        """What the recognizer heard, published on the service's loop as the live engine would."""
        segment = Segment(speaker, text, start, start + 1.0, final=final)
        self.loop.call_soon_threadsafe(self.app[LIVE].transcripts.publish, call_id, segment)


@pytest.fixture(scope="module")
def live_desk(console_template: Path, menu_prompts: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDesk]:
    folder = tmp_path_factory.mktemp("browser-agent")
    write_seat_prompts(menu_prompts)
    url = copy_database(console_template, folder)
    loop = asyncio.new_event_loop()
    fake = FakeAsterisk(sounds={"hotline": menu_prompts}, recordings_dir=folder / "spool", time_factor=TIME_FACTOR)
    started: Future[tuple[web.AppRunner, int, People, web.Application]] = Future()

    async def start() -> None:
        try:
            people = await seed_people(url)
            await fake.start()
            app = desk_app(url, folder, fake)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            await asyncio.wait_for(app[CONTROLLER].events.connected.wait(), 10)
            await prepare_desk(app, people, fake)
            started.set_result((runner, runner.addresses[0][1], people, app))
        except Exception as exc:  # the test fails with the reason instead of a timeout
            started.set_exception(exc)

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.create_task(start())
        loop.run_forever()

    thread = threading.Thread(target=serve, name="live-agent-desk", daemon=True)
    thread.start()
    runner, port, people, app = started.result(timeout=60)
    desk = LiveDesk(f"http://127.0.0.1:{port}", app, fake, people, loop)
    yield desk

    async def stop() -> None:
        await app[SEAT_QUEUE].flush()
        await fake.wait_empty()
        await runner.cleanup()
        await fake.stop()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


@pytest.fixture
def desk_page(live_desk: LiveDesk, browser: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_desk.base_url, locale="zh-CN", viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_a_bridged_call_pops_up_and_its_draft_is_dispatched_signed_replied_and_closed(
    desk_page: Any, live_desk: LiveDesk, screenshots: Path
) -> None:
    page = desk_page
    earlier = live_desk.run(dispatched_order(live_desk.app, live_desk.people, title="食品经营许可证延续受阻"))
    sign_in(page, AGENT)
    page.wait_for_url(re.compile(r"/agent$"))  # an agent's home is the console
    page.get_by_text("已连接").wait_for()
    assert page.locator("#seat-state").inner_text() == "示闲"
    page.screenshot(path=str(screenshots / "agent-01-idle.png"), full_page=True)

    call: Call = live_desk.run(
        live_desk.fake.place_call(number=CALLER, script=[*TO_POLICY_QUERY, WaitUntilBridged(), WaitUntilHungUp()])
    )
    page.locator("#caller-number", has_text=CALLER).wait_for()
    assert page.locator("#caller-enterprise").inner_text() == "县东方食品有限公司"
    assert page.locator("#ivr-path").inner_text() == "12345主菜单 按 1 → 营商环境专线 按 1 → 政策查询"
    history = page.get_by_role("table", name="历史工单（同一号码或企业）")
    assert earlier.number in history.inner_text()
    assert "尚未办结" in page.get_by_role("list", name="重复来电提示").inner_text()
    page.locator("#seat-state", has_text="通话中").wait_for()

    call_id = next(iter(live_desk.app[SEAT_QUEUE].callers))
    assert live_desk.run(live_desk.fake.wait_until(lambda: live_desk.app[LIVE].transcripts.agent_of(call_id) == AGENT, 5))
    live_desk.say(call_id, "agent", "您好，营商环境专线，请讲。", 0.0)
    live_desk.say(call_id, "caller", "我想问一下个体户", 1.0, final=False)
    page.locator("#transcript li.partial", has_text="我想问一下个体户").wait_for()
    live_desk.say(call_id, "caller", "我想问一下个体户怎么变更经营范围，网上办不了，一直提示材料不全", 1.0)
    page.locator("#transcript li.final", has_text="一直提示材料不全").wait_for()
    assert page.locator("#transcript li").count() == 2  # the partial was replaced by its final
    page.locator("#suggestions", has_text="个体户变更经营范围如何办理").wait_for()
    page.screenshot(path=str(screenshots / "agent-02-screen-pop.png"), full_page=True)

    page.keyboard.press("Alt+S")  # the shortcut puts the cursor in the search box
    assert page.evaluate("document.activeElement.id") == "kb-q"
    page.keyboard.type("个体户经营范围变更")
    page.keyboard.press("Enter")
    page.locator("#kb-results").get_by_role("button", name="个体户变更经营范围如何办理").click()
    entry = page.locator("#kb-entry")
    entry.get_by_text("政策依据").wait_for()
    assert "浙里办" in entry.inner_text()
    page.screenshot(path=str(screenshots / "agent-03-knowledge.png"), full_page=True)

    page.get_by_role("button", name="重新生成草稿").click()
    page.locator("#draft-source", has_text="实时转写").wait_for()
    assert page.get_by_label("联系电话").input_value() == CALLER
    page.get_by_label("诉求分类").select_option("complaint")
    page.get_by_label("服务类别").select_option("complaint")
    page.get_by_label("复杂程度（投诉）").select_option("general")
    page.get_by_label("诉求事项").fill("个体户网上变更经营范围一直提示材料不全")
    page.get_by_label("承办单位（建议）").select_option(label="县市场监督管理局")
    page.keyboard.press("Alt+D")  # 登记并派单
    result = page.locator("#order-result", has_text="已派单")
    result.wait_for()
    number = re.search(r"工单 (\S+) ", result.inner_text())
    assert number is not None
    page.screenshot(path=str(screenshots / "agent-04-dispatched.png"), full_page=True)

    live_desk.run(live_desk.fake.remote_hangup(call.channel))
    page.locator("#call-state", has_text="通话已结束").wait_for()
    sign_out(page)

    sign_in(page, "wang.market")
    page.wait_for_url(re.compile(r"/unit/inbox$"))
    page.get_by_role("link", name=number.group(1)).click()
    page.get_by_role("button", name="签收").click()
    page.wait_for_url(re.compile(r"done=sign"))
    page.get_by_label("答复内容").fill("已指导来电人补齐经营者电子签名后在浙里办重新提交，已办结变更。")
    page.get_by_role("button", name="提交答复").click()
    page.wait_for_url(re.compile(r"done=reply"))
    sign_out(page)

    sign_in(page, "sun.supervisor")
    page.wait_for_url(re.compile(r"/supervise$"))
    page.goto(page.url.replace("/supervise", "/unit/inbox") + "?state=all&q=" + number.group(1))
    page.get_by_role("link", name=number.group(1)).click()
    page.get_by_label("办理结果").fill("经营范围已变更，来电人认可。")
    page.get_by_role("button", name="办结").click()
    page.wait_for_url(re.compile(r"done=close"))
    assert "已办结" in page.get_by_role("heading", level=1).inner_text()
    page.screenshot(path=str(screenshots / "agent-05-closed.png"), full_page=True)
