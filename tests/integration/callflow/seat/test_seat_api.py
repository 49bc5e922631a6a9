"""The seat through the service as `hotline serve` builds it: API for agents, members, stats, call records,
and a callback request that becomes a real callback work order in ticketing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callflow.ari.events import Backoff
from callflow.seat.web import SEAT_QUEUE
from callflow.web import ARI_BACKOFF, CLOCK, CONTROLLER
from hotline.app import SESSIONS, create_app
from hotline.db import upgrade_async
from hotline.settings import Settings
from ivr.session import OPEN_HOURS
from tests.fakes.asterisk.fake import FakeAsterisk
from tests.fakes.asterisk.parties import (
    HangUp,
    Press,
    Wait,
    WaitForPlayback,
    WaitUntilBridged,
    WaitUntilHungUp,
)
from tests.fakes.databases import fresh_postgres_database, postgres_base_url
from tests.integration.callflow.seat.seat_fixtures import write_seat_prompts
from tests.integration.callflow.support import TIME_FACTOR, FixedHours
from ticketing.domain.roles import Role
from ticketing.services import Directory

TO_SEAT = [WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"), Press("1")]


@dataclass
class Service:
    client: TestClient
    fake: FakeAsterisk
    tokens: dict[str, str]

    async def call(self, method: str, path: str, who: str | None = "supervisor", **kw: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        resp = await self.client.request(method, path, headers=headers, **kw)
        return resp.status, await resp.json()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[str]:
    """A fresh database of each kind (PostgreSQL: a database of its own, dropped afterwards)."""
    if request.param == "sqlite":
        yield settings.database_url
        return
    async with fresh_postgres_database(postgres_base_url(), "seat") as url:
        yield url


@pytest.fixture
async def service(
    aiohttp_client: Any, settings: Settings, database_url: str, tmp_path: Path, menu_prompts: Path
) -> AsyncIterator[Service]:
    write_seat_prompts(menu_prompts)
    fake = FakeAsterisk(sounds={"hotline": menu_prompts}, recordings_dir=tmp_path / "spool", time_factor=TIME_FACTOR)
    await fake.start()
    settings = replace(settings, database_url=database_url, ari_url=fake.url, seat_queue="ring=10,wrap_up=5,callback_offer=20,confirm_timeout=100")
    await upgrade_async(settings.database_url)
    app = create_app(settings, {CLOCK: fake.clock, ARI_BACKOFF: Backoff(0.02, 0.1), OPEN_HOURS: FixedHours(open=True)})
    client = await aiohttp_client(app)
    await asyncio.wait_for(app[CONTROLLER].events.connected.wait(), 5)
    directory = Directory(app[SESSIONS])
    tokens = {}
    for login, role in (("supervisor", Role.SUPERVISOR), ("agent", Role.AGENT)):
        _, tokens[login] = await directory.add_user(login, login, role)
    try:
        yield Service(client, fake, tokens)
        await app[SEAT_QUEUE].flush()
        await fake.wait_empty()
        fake.assert_empty()
        await client.close()
    finally:
        await fake.stop()
    assert not fake.violations and not fake.problems


async def test_agents_log_in_through_the_api_and_the_answered_call_is_listed(service: Service) -> None:
    status, body = await service.call("POST", "/api/v1/seat/members", who="agent", json={"agent": "agent101"})
    assert (status, body["error"]) == (403, "forbidden")
    status, _ = await service.call("GET", "/api/v1/seat/stats", who=None)
    assert status == 401
    status, body = await service.call("POST", "/api/v1/seat/members", json={"agent": "agent101", "name": "张敏"})
    assert (status, body["state"]) == (201, "offline")
    service.fake.add_endpoint("PJSIP/agent101", answer_after=2.0, script=[WaitUntilBridged(), Wait(6), HangUp()])
    status, body = await service.call(
        "POST", "/api/v1/seat/agents/agent101/login", who="agent", json={"endpoint": "PJSIP/agent101"}
    )
    assert (status, body["state"]) == (200, "available")
    status, body = await service.call("POST", "/api/v1/seat/agents/agent101/login", who="agent", json={"endpoint": "x"})
    assert (status, body["error"]) == (400, "seat-invalid-endpoint")

    call = await service.fake.place_call(number="13612345678", script=[*TO_SEAT, WaitUntilHungUp()])
    await asyncio.wait_for(call.finished(), 10)
    queue = service.client.app[SEAT_QUEUE]
    await service.fake.wait_until(lambda: not queue.callers, 5)

    for _ in range(100):
        status, body = await service.call("GET", "/api/v1/calls?agent=agent101&number=1361234")
        if body["calls"] and body["calls"][0]["ended_at"] and body["calls"][0]["talk_s"] is not None:
            break
        await asyncio.sleep(0.02)
    [listed] = body["calls"]
    assert (listed["disposition"], listed["agents"], listed["caller_number"]) == ("answered", ["agent101"], "13612345678")
    assert listed["wait_s"] >= 2 and listed["talk_s"] >= 5
    status, detail = await service.call("GET", f"/api/v1/calls/{listed['id']}")
    assert status == 200
    assert [step["node"] for step in detail["menu_path"]] == ["main", "business"]
    assert [r["outcome"] for r in detail["queue"]["rung"]] == ["answered"]
    assert sorted(leg["role"] for leg in detail["legs"]) == ["agent", "caller"]
    status, body = await service.call("GET", "/api/v1/calls?disposition=abandoned")
    assert body["calls"] == []

    status, stats = await service.call("GET", "/api/v1/seat/stats", who="agent")
    assert status == 200
    assert stats["windows"][0]["answered"] == 1 and stats["windows"][0]["offered"] == 1
    assert stats["agents_by_state"]["wrap_up"] + stats["agents_by_state"]["available"] == 1
    assert {"offered_calls", "aht_s", "target_sl", "agents", "expected_sl"} <= stats["staffing"].keys()

    status, body = await service.call("POST", "/api/v1/seat/agents/agent101/pause", who="agent", json={"reason": "培训"})
    assert (body["state"], body["reason"]) == ("paused", "培训")
    status, body = await service.call("DELETE", "/api/v1/seat/members/agent101")
    assert (status, body["state"]) == (200, "offline")


async def test_a_callback_request_becomes_a_callback_work_order(service: Service) -> None:
    call = await service.fake.place_call(number="13712345678", script=[
        *TO_SEAT,
        WaitForPlayback("sound:hotline/queue_callback_offer"), Press("1"),
        WaitForPlayback("sound:hotline/callback_number_is", started=False), Press("1"),
        WaitUntilHungUp(),
    ])
    await asyncio.wait_for(call.finished(), 10)
    for _ in range(100):
        status, body = await service.call("GET", "/api/v1/calls?disposition=callback")
        if body["calls"] and body["calls"][0]["ended_at"]:
            break
        await asyncio.sleep(0.02)
    [listed] = body["calls"]
    status, detail = await service.call("GET", f"/api/v1/calls/{listed['id']}")
    [callback] = detail["callbacks"]
    assert (callback["number"], callback["status"]) == ("13712345678", "ordered")
    status, order = await service.call("GET", f"/api/v1/workorders/{callback['work_order']}")
    assert status == 200, order
    assert order["source"] == "callback" and order["call_id"] == listed["id"]


async def test_the_seat_commands_manage_members_and_print_statistics_in_chinese(service: Service) -> None:
    import io

    from callflow.seat.cli import run
    from hotline.cli import build_parser

    url = str(service.client.make_url("/"))

    async def hotline_seat(*argv: str, who: str = "supervisor") -> str:
        args = build_parser().parse_args(["seat", "--url", url, "--token", service.tokens[who], *argv])
        out = io.StringIO()
        assert await run(args, out) == 0, out.getvalue()
        return out.getvalue()

    assert "已将坐席 agent201 加入专席" in await hotline_seat("add", "agent201", "--name", "李强")
    assert "空闲" in await hotline_seat("login", "agent201", "PJSIP/agent201", who="agent")
    assert "小休" in await hotline_seat("pause", "agent201", "--reason", "会议", who="agent")
    listing = await hotline_seat("list")
    assert "agent201" in listing and "小休（会议）" in listing and "共 1 名专席坐席" in listing
    assert "空闲" in await hotline_seat("resume", "agent201", who="agent")
    stats = await hotline_seat("stats")
    assert "人力建议（Erlang C）" in stats and "近 15 分钟" in stats
    assert "未登录" in await hotline_seat("logout", "agent201", who="agent")
    assert "移出专席" in await hotline_seat("remove", "agent201")
    args = build_parser().parse_args(["seat", "--url", url, "--token", service.tokens["agent"], "add", "x"])
    assert await run(args, io.StringIO()) == 1  # agents may not change the seat's members
