"""The agent console's WebSocket through the service as `hotline serve` builds it: a caller goes through
the voice menu of the fake Asterisk to the seat, is bridged to the signed-in agent, and the agent's
console gets the screen pop with the caller's history, the live text, knowledge suggestions, the draft,
and dispatches the work order; a console without a session (or from another site) is refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType, WSServerHandshakeError, web
from aiohttp.test_utils import TestClient

from asr.transcript import Segment
from callflow.ari.events import Backoff
from callflow.seat.live_web import LIVE
from callflow.seat.web import SEAT_QUEUE
from callflow.web import ARI_BACKOFF, CLOCK, CONTROLLER
from console.web import PASSWORDS
from hotline.app import create_app
from hotline.settings import Settings
from ivr.session import OPEN_HOURS
from knowledge.cli import SEED, load_entries
from knowledge.web import KNOWLEDGE
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import Press, Step, WaitForPlayback, WaitUntilBridged, WaitUntilHungUp
from tests.integration.callflow.seat.seat_fixtures import write_seat_prompts
from tests.integration.callflow.support import TIME_FACTOR, FixedHours
from tests.integration.console.support import (
    PASSWORD,
    People,
    cheap_passwords,
    copy_database,
    csrf_of,
    dispatched_order,
    seed_people,
)
from ticketing.domain.roles import SYSTEM

AGENT = "zhao.agent"  # the console login is the seat agent id
CALLER = "13900001111"  # the number of `dispatched_order`'s earlier complaint
TO_POLICY_QUERY: list[Step] = [
    WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"), Press("1")
]


@dataclass
class SilentStream:
    """A live stream that hears nothing by itself: the test says what the recognizer 'heard'."""

    sample_rate: int
    speaker: str

    async def accept(self, pcm: bytes) -> list[Segment]:
        return []

    async def finish(self) -> list[Segment]:
        return []

    async def close(self) -> None:
        return None


class SilentEngine:
    async def open_stream(self, sample_rate: int, speaker: str = "unknown") -> SilentStream:
        return SilentStream(sample_rate, speaker)


def desk_app(url: str, folder: Path, fake: FakeAsterisk) -> web.Application:
    """The whole service on the fake Asterisk, with the seat queue, cheap password hashing and a live engine."""
    settings = Settings(
        database_url=url,
        data_dir=folder,
        prompts_dir=folder / "prompts",
        recordings_dir=folder / "recordings",
        ari_url=fake.url,
        seat_queue="ring=10,wrap_up=5",
    )
    return create_app(
        settings,
        {
            CLOCK: fake.clock,
            ARI_BACKOFF: Backoff(0.02, 0.1),
            OPEN_HOURS: FixedHours(open=True),
            PASSWORDS: cheap_passwords(),
        },
    )


async def prepare_desk(app: web.Application, people: People, fake: FakeAsterisk) -> None:
    """The knowledge base's seed entries, the live engine, and the agent's phone in the seat, logged in."""
    await app[KNOWLEDGE].import_entries(SYSTEM, load_entries(SEED))
    transcriber = app[LIVE].transcriber
    assert transcriber is not None
    transcriber.engine = SilentEngine()
    fake.add_endpoint(f"PJSIP/{AGENT}", answer_after=1.0)
    queue = app[SEAT_QUEUE]
    await queue.add_member(AGENT, name="赵坐席")
    await queue.login(AGENT, f"PJSIP/{AGENT}")


@dataclass
class Desk:
    client: TestClient
    fake: FakeAsterisk
    people: People

    @property
    def app(self) -> Any:
        return self.client.server.app

    async def sign_in(self, login: str = AGENT) -> None:
        page = await self.client.get("/login")
        form = {"login": login, "password": PASSWORD, "csrf_token": csrf_of(await page.text())}
        response = await self.client.post("/login", data=form, allow_redirects=False)
        assert response.status == 303, response.status

    async def open(self, origin: str | None = None) -> ClientWebSocketResponse:
        here = str(self.client.make_url("/")).rstrip("/")
        return await self.client.ws_connect("/agent/ws", headers={"Origin": origin or here})


@pytest.fixture
async def desk(
    console_template: Path, tmp_path: Path, aiohttp_client: Any, menu_prompts: Path
) -> AsyncIterator[Desk]:
    write_seat_prompts(menu_prompts)
    url = copy_database(console_template, tmp_path)
    people = await seed_people(url)
    fake = FakeAsterisk(sounds={"hotline": menu_prompts}, recordings_dir=tmp_path / "spool", time_factor=TIME_FACTOR)
    await fake.start()
    try:
        app = desk_app(url, tmp_path, fake)
        client = await aiohttp_client(app)
        await asyncio.wait_for(app[CONTROLLER].events.connected.wait(), 5)
        await prepare_desk(app, people, fake)
        yield Desk(client, fake, people)
        await app[SEAT_QUEUE].flush()
        await fake.wait_empty()
        fake.assert_empty()
        await client.close()
    finally:
        await fake.stop()
    assert not fake.violations and not fake.problems


async def next_of(ws: ClientWebSocketResponse, kind: str, limit_s: float = 10.0, **match: Any) -> dict[str, Any]:
    """The next message of `kind` (whose fields equal `match`), skipping the others."""

    async def read() -> dict[str, Any]:
        while True:
            message = json.loads(await ws.receive_str())
            if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return message

    return await asyncio.wait_for(read(), limit_s)


async def test_a_bridged_call_pops_up_with_history_live_text_suggestions_and_is_dispatched(desk: Desk) -> None:
    earlier = await dispatched_order(desk.app, desk.people, title="食品经营许可证延续受阻")
    await desk.sign_in()
    ws = await desk.open()
    hello = await next_of(ws, "hello")
    assert hello["agent_id"] == AGENT and "小休" in hello["pause_reasons"]
    seat = await next_of(ws, "seat")
    assert (seat["state"], seat["state_zh"], seat["waiting"]) == ("available", "示闲", 0)

    call = await desk.fake.place_call(number=CALLER, script=[*TO_POLICY_QUERY, WaitUntilBridged(), WaitUntilHungUp()])
    pop = await next_of(ws, "call.bridged")
    assert pop["caller_number"] == CALLER
    assert pop["enterprise"] == "县东方食品有限公司"  # named on the caller's earlier work order
    assert [(step["label"], step["key"]) for step in pop["ivr"]["steps"]] == [("12345主菜单", "1"), ("营商环境专线", "1")]
    assert pop["ivr"]["service_zh"] == "政策查询"
    [past] = pop["history"]
    assert (past["number"], past["open"], past["unit_name"]) == (earlier.number, True, "县市场监督管理局")
    assert any("尚未办结" in hint and earlier.number in hint for hint in pop["hints"])
    assert any("重复投诉" in hint for hint in pop["hints"])

    call_id = pop["call_id"]
    transcripts = desk.app[LIVE].transcripts
    assert await desk.fake.wait_until(lambda: transcripts.agent_of(call_id) == AGENT, 5)
    transcripts.publish(call_id, Segment("caller", "我想问一下个体户", 0.0, 1.0, final=False))
    partial = await next_of(ws, "transcript")
    assert (partial["speaker"], partial["text"], partial["final"]) == ("caller", "我想问一下个体户", False)
    transcripts.publish(call_id, Segment("caller", "我想问一下个体户怎么变更经营范围，能不能网上办", 0.0, 3.0))
    final = await next_of(ws, "transcript", final=True)
    assert final["text"].endswith("能不能网上办")
    suggestions = await next_of(ws, "suggestions")
    assert suggestions["items"][0]["entry"]["title"] == "个体户变更经营范围如何办理"

    def caller_bridged() -> bool:
        return any(call.id in {c.id for c in b.channels} for b in desk.fake.bridges.values())

    assert caller_bridged()
    await ws.send_json({"type": "hold", "on": True, "ref": 1})
    assert (await next_of(ws, "hold", ref=1))["on"] is True
    assert not caller_bridged() and call.music_on_hold is not None  # the agent can't hear them; they hear music
    await ws.send_json({"type": "hold", "on": False, "ref": 2})
    await next_of(ws, "hold", ref=2)
    assert caller_bridged() and call.music_on_hold is None

    await ws.send_json({"type": "kb.search", "q": "个体户变更经营范围", "ref": 3})
    results = await next_of(ws, "kb.results", ref=3)
    entry_id = results["items"][0]["entry"]["id"]
    await ws.send_json({"type": "kb.open", "entry_id": entry_id, "q": "个体户变更经营范围", "ref": 4})
    opened = await next_of(ws, "kb.entry", ref=4)
    assert opened["hits"] == 1 and opened["entry"]["key_points"] and opened["entry"]["policy_source"]
    hits = await _scalar(desk, "SELECT count(*) FROM kb_entry_hits WHERE call_id = :c", c=call_id)
    assert hits == 1

    await ws.send_json({"type": "draft", "ref": 5})
    drafted = (await next_of(ws, "draft", ref=5, limit_s=15))["form"]
    assert drafted["source"] == "live" and drafted["order_class"] == "consultation"
    assert drafted["contact"] == CALLER and drafted["enterprise"] == "县东方食品有限公司"

    await desk.fake.remote_hangup(call.channel)
    ended = await next_of(ws, "call.ended")
    assert (ended["call_id"], ended["ended_by"]) == (call_id, "caller")

    form = {**drafted, "order_class": "complaint", "service": "complaint", "complexity": "general",
            "title": "个体户变更经营范围网上办不了", "unit": str(desk.people.units["scjgj"])}
    await ws.send_json({"type": "order.dispatch", "form": form, "ref": 6})
    done = await next_of(ws, "order.done", ref=6)
    assert (done["state"], done["state_zh"]) == ("dispatched", "已派单")
    assert {"order_class", "service", "complexity", "title"} <= set(done["changed"])
    row = await _row(desk, "SELECT call_id, unit_id, caller_phone FROM work_orders WHERE id = :i", i=done["work_order_id"])
    assert row == (call_id, desk.people.units["scjgj"], CALLER)
    decision = await _row(
        desk, "SELECT action, suggested, chosen FROM console_agent_decisions WHERE work_order_id = :i",
        i=done["work_order_id"],
    )
    assert decision[0] == "dispatched"
    assert json.loads(decision[1])["order_class"] == "consultation"
    assert json.loads(decision[2])["order_class"] == "complaint"
    await ws.close()


async def test_an_answer_on_the_line_closes_the_order_with_the_knowledge_entry_used(desk: Desk) -> None:
    await desk.sign_in()
    ws = await desk.open()
    await next_of(ws, "seat")
    call = await desk.fake.place_call(number="13712340000", script=[*TO_POLICY_QUERY, WaitUntilBridged(), WaitUntilHungUp()])
    pop = await next_of(ws, "call.bridged")
    assert pop["history"] == [] and pop["hints"] == [] and pop["enterprise"] is None
    drafted = (await next_of(ws, "draft"))["form"]
    assert drafted["source"] == "none" and drafted["service"] == "policy_query"  # from the IVR choice

    form = {**drafted, "title": "个体户变更经营范围咨询"}
    await ws.send_json({"type": "order.answer", "form": form, "ref": 1})
    refused = await next_of(ws, "error", ref=1)
    assert refused["error"] == "agent-form-invalid" and "答复内容" in refused["message"]
    form |= {"answer": "可通过浙里办在线申请变更。", "kb_entry_id": "1"}
    await ws.send_json({"type": "order.answer", "form": form, "ref": 2})
    done = await next_of(ws, "order.done", ref=2)
    assert (done["state"], done["action"]) == ("closed", "answer")
    row = await _row(desk, "SELECT answered_on_line, result FROM work_orders WHERE id = :i", i=done["work_order_id"])
    assert bool(row[0]) is True and row[1] == "可通过浙里办在线申请变更。"
    used = await _scalar(desk, "SELECT kb_entry_id FROM console_agent_decisions WHERE work_order_id = :i", i=done["work_order_id"])
    assert used == 1

    await ws.send_json({"type": "seat.pause", "reason": "培训", "ref": 3})
    busy = await next_of(ws, "error", ref=3)
    assert busy["error"] == "seat-agent-busy"  # not while talking
    await desk.fake.remote_hangup(call.channel)
    await next_of(ws, "call.ended")
    agent = desk.app[SEAT_QUEUE].seat.agents[AGENT]
    assert await desk.fake.wait_until(lambda: agent.reserved_for is None, 5)  # wrapping up (5 s), or free again
    await ws.send_json({"type": "seat.pause", "reason": "培训", "ref": 4})
    paused = await next_of(ws, "seat", state="paused")
    assert (paused["state_zh"], paused["reason"]) == ("示忙", "培训")
    await ws.send_json({"type": "seat.available", "ref": 5})
    await next_of(ws, "seat", state="available")
    await ws.close()


async def test_without_a_session_from_another_site_or_as_a_unit_the_websocket_is_refused(desk: Desk) -> None:
    with pytest.raises(WSServerHandshakeError) as refused:
        await desk.open()
    assert refused.value.status == 403
    await desk.sign_in()
    with pytest.raises(WSServerHandshakeError) as refused:
        await desk.open(origin="http://evil.example")
    assert refused.value.status == 403
    page = await desk.client.get("/agent")
    assert page.status == 200 and "坐席工作台" in await page.text()

    ws = await desk.open()
    await next_of(ws, "hello")
    csrf = csrf_of(await (await desk.client.get("/agent")).text())
    await desk.client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    await ws.send_json({"type": "kb.search", "q": "社保"})  # the next command finds the session ended
    closed = await asyncio.wait_for(ws.receive(), 5)
    while closed.type == WSMsgType.TEXT:  # pushes already under way
        closed = await asyncio.wait_for(ws.receive(), 5)
    assert (closed.type, ws.close_code) == (WSMsgType.CLOSE, 4401)

    desk.client.session.cookie_jar.clear()
    await desk.sign_in("wang.market")
    with pytest.raises(WSServerHandshakeError) as refused:
        await desk.open()
    assert refused.value.status == 403
    assert (await desk.client.get("/agent")).status == 403


async def test_a_supervisor_watches_an_agents_desk(desk: Desk) -> None:
    await desk.sign_in("sun.supervisor")
    page = await desk.client.get(f"/agent?agent={AGENT}")
    assert page.status == 200 and f"查看坐席 {AGENT}" in await page.text()
    ws = await desk.client.ws_connect(
        f"/agent/ws?agent={AGENT}", headers={"Origin": str(desk.client.make_url("/")).rstrip("/")}
    )
    assert (await next_of(ws, "hello"))["agent_id"] == AGENT
    call = await desk.fake.place_call(number="13712340003", script=[*TO_POLICY_QUERY, WaitUntilBridged(), WaitUntilHungUp()])
    assert (await next_of(ws, "call.bridged"))["caller_number"] == "13712340003"
    await desk.fake.remote_hangup(call.channel)
    await next_of(ws, "call.ended")
    await ws.close()


async def _row(desk: Desk, sql: str, **params: Any) -> Any:
    from sqlalchemy import text

    from hotline.app import ENGINE

    async with desk.app[ENGINE].connect() as conn:
        return (await conn.execute(text(sql), params)).one()


async def _scalar(desk: Desk, sql: str, **params: Any) -> Any:
    return (await _row(desk, sql, **params))[0]


async def test_the_agent_calls_in_an_on_duty_expert_joins_all_and_leaves(desk: Desk) -> None:
    from knowledge.web import EXPERTS

    await desk.app[EXPERTS].add(
        desk.people.actors["sun.supervisor"],
        {"name": "王专家", "contact": "PJSIP/expert201", "topics": ["税务"], "duty": ["daily 00:00-24:00"]},
    )
    expert_phone = desk.fake.add_endpoint("PJSIP/expert201", answer_after=2.0)
    await desk.sign_in()
    ws = await desk.open()
    call = await desk.fake.place_call(number="13712340001", script=[*TO_POLICY_QUERY, WaitUntilBridged(), WaitUntilHungUp()])
    await next_of(ws, "call.bridged")

    await ws.send_json({"type": "experts", "topic": "不动产登记", "ref": 1})
    assert (await next_of(ws, "experts", ref=1))["items"] == []
    await ws.send_json({"type": "expert.start", "topic": "不动产登记", "ref": 2})
    assert (await next_of(ws, "error", ref=2))["error"] == "expert-none-on-duty"
    await ws.send_json({"type": "experts", "topic": "税务", "ref": 3})
    [expert] = (await next_of(ws, "experts", ref=3))["items"]
    assert (expert["name"], expert["on_duty"]) == ("王专家", True)

    await ws.send_json({"type": "expert.start", "topic": "税务", "ref": 4})
    assert (await next_of(ws, "expert", ref=4))["stage"] == "ringing"
    consulting = await next_of(ws, "expert", stage="consulting")  # pushed when the expert answers
    assert consulting["caller_on_hold"] is True
    await ws.send_json({"type": "expert.join", "ref": 5})
    assert (await next_of(ws, "expert", ref=5))["stage"] == "conference"
    await ws.send_json({"type": "expert.leave", "ref": 6})
    assert (await next_of(ws, "expert", ref=6))["stage"] == "agent-left"

    await desk.fake.remote_hangup(call.channel)
    await next_of(ws, "call.ended")
    assert await desk.fake.wait_until(lambda: not expert_phone.calls[0].alive, 5)
    await ws.close()


async def test_after_the_call_the_transcription_draft_is_offered_and_its_work_order_registered_once(
    desk: Desk, tmp_path: Path
) -> None:
    from datetime import timedelta

    from asr.data import default_extractor
    from asr.domain.transcript import Turn
    from asr.jobs import TrackRef
    from callflow.seat.expert_web import CALL_RECORDER
    from hotline.transcription import TRANSCRIPTION_QUEUE, TicketingCallDrafts
    from ticketing.web import WORKORDERS

    await desk.sign_in()
    ws = await desk.open()
    call = await desk.fake.place_call(number="13712340002", script=[*TO_POLICY_QUERY, WaitUntilBridged(), WaitUntilHungUp()])
    call_id = (await next_of(ws, "call.bridged"))["call_id"]
    await desk.fake.remote_hangup(call.channel)
    await next_of(ws, "call.ended")

    # the transcription worker's part, after the call: transcript, draft, the call's draft work order
    turns = [
        Turn("agent", "您好，营商环境专线。"),
        Turn("caller", "我们是宏达路桥工程有限公司，想问一下小微企业社保补贴怎么申请"),
    ]
    transcript = {"turns": [{"speaker": t.speaker, "text": t.text} for t in turns]}
    draft = (await asyncio.to_thread(default_extractor)).draft(turns).to_dict()
    jobs = desk.app[TRANSCRIPTION_QUEUE]
    # The recorder queues the call's tracks as their recordings finish, after the call. Let that land
    # first: an enqueue running meanwhile moves the job's due time to its own clock reading, which may be
    # later than the one the claim reads (and on PostgreSQL holds the row, which the claim skips).
    recorder = desk.app[CALL_RECORDER]

    def tracks_settled() -> bool:
        return all(t in recorder.registered or t.state == "failed" for t in recorder.of_call(call_id))

    async with asyncio.timeout(10):
        while not tracks_settled():
            await desk.fake.wait_until(tracks_settled, 0.01)
    await recorder.flush()
    # with both parties' tracks the job is due now
    await jobs.enqueue(call_id, [TrackRef(f"{call_id}-test-{kind}", kind, str(tmp_path / f"{kind}.wav")) for kind in ("caller", "agent")])
    job = await jobs.claim("test-worker", timedelta(minutes=1))
    assert job is not None and job.call_id == call_id, (job, await jobs.get(call_id))
    await jobs.save_result(job, "test-worker", transcript, draft)
    number = await TicketingCallDrafts(desk.app[WORKORDERS]).deliver(call_id, transcript, draft)
    await jobs.finish(job, "test-worker", number)

    await ws.send_json({"type": "draft", "ref": 1})
    offered = (await next_of(ws, "draft", ref=1))["form"]
    assert offered["source"] == "transcription"
    assert offered["enterprise"] == "宏达路桥工程有限公司" and offered["service"] == "policy_query"
    assert "来电人：我们是宏达路桥工程有限公司" in offered["content"]

    form = {**offered, "answer": "符合条件的可在人社窗口或网上申领，材料为营业执照和参保证明。"}
    await ws.send_json({"type": "order.answer", "form": form, "ref": 2})
    done = await next_of(ws, "order.done", ref=2)
    assert (done["number"], done["state"]) == (number, "closed")  # the system's draft, not a second order
    assert await _scalar(desk, "SELECT count(*) FROM work_orders WHERE call_id = :c", c=call_id) == 1
    await ws.send_json({"type": "order.dispatch", "form": {**form, "unit": "1"}, "ref": 3})
    assert (await next_of(ws, "error", ref=3))["error"] == "agent-order-exists"
    await ws.close()
