"""The agent console's hold (保持) on a real Asterisk 22: the agent holds and resumes a real SIP caller.

agent101 signs in to the console (a user whose login is the seat agent id), a SIP caller (SIPp) meets the
registered SIP agent101 in the seat's bridge, the console gets the screen pop, and the agent's `hold`
commands take the caller out of the seat's bridge with music on hold and back (callflow/seat/hold.py — ARI's
channel hold alone leaves the caller's voice in the bridge): the caller leaves the bridge, comes back, the
call goes on to its end and nothing is left.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from callflow.seat.web import SEAT_QUEUE, SEAT_STORE
from callflow.web import CONTROLLER
from console.web import ACCOUNTS
from tests.asterisk.conftest import RealHotline
from tests.asterisk.test_seat_on_real_asterisk import (
    AGENT,
    ENDPOINT,
    _agent_phone,
    _ours_left,
    _registered,
    _sipp,
    _until,
)
from tests.asterisk.test_seat_takeover_on_real_asterisk import _long_caller
from tests.integration.console.support import csrf_of
from ticketing.domain.roles import Role

PASSWORD = "agent101-测试-密码"


async def _next_of(ws: aiohttp.ClientWebSocketResponse, kind: str, limit_s: float = 30.0) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        while True:
            message = json.loads(await ws.receive_str())
            if message["type"] == kind:
                return dict(message)

    return await asyncio.wait_for(read(), limit_s)


async def _in_bridge(hotline: RealHotline, call_id: str, channel_id: str) -> bool:
    bridge = await hotline.client.request("GET", f"/bridges/hotline-seat-call-{call_id}")
    return channel_id in bridge["channels"]


async def test_the_agent_holds_and_resumes_a_real_sip_caller_from_the_console(
    real_hotline: RealHotline, tmp_path: Path
) -> None:
    sipp = _sipp()
    app = real_hotline.server.app
    await asyncio.wait_for(app[CONTROLLER].events.connected.wait(), 10)
    await app[ACCOUNTS].create_user(AGENT, "测试坐席", Role.AGENT, None, PASSWORD)
    queue = app[SEAT_QUEUE]
    await queue.add_member(AGENT, "测试坐席")
    site = str(real_hotline.server.make_url("")).rstrip("/")

    phone = caller = None
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        page = await browser.get(f"{site}/login")
        form = {"login": AGENT, "password": PASSWORD, "csrf_token": csrf_of(await page.text())}
        signed = await browser.post(f"{site}/login", data=form, allow_redirects=False)
        assert signed.status == 303, await signed.text()
        try:
            phone = await _agent_phone(sipp, tmp_path)
            assert await _until(lambda: _registered(real_hotline.client), 10), "agent101 did not register"
            await queue.login(AGENT, ENDPOINT)
            async with browser.ws_connect(f"{site}/agent/ws", headers={"Origin": site}) as ws:
                assert (await _next_of(ws, "hello"))["agent_id"] == AGENT
                caller = await _long_caller(sipp, tmp_path)
                caller_done = asyncio.ensure_future(caller.communicate())
                pop = await _next_of(ws, "call.bridged", 40)
                call_id = pop["call_id"]
                caller_channel = queue.callers[next(iter(queue.callers))].channel_id
                assert pop["caller_number"] == "13800138000"

                await ws.send_json({"type": "hold", "on": True, "ref": 1})
                held = await _next_of(ws, "hold")
                assert (held["on"], held["call_id"]) == (True, call_id), held
                assert not await _in_bridge(real_hotline, call_id, caller_channel), "the held caller is out of the bridge"
                await asyncio.sleep(1.0)  # the caller hears music on hold for a moment (no event to await)
                await ws.send_json({"type": "hold", "on": False, "ref": 2})
                resumed = await _next_of(ws, "hold")
                assert resumed["on"] is False
                assert await _in_bridge(real_hotline, call_id, caller_channel), "the resumed caller is back"

                caller_output, _ = await asyncio.wait_for(caller_done, 60)
                assert caller.returncode == 0, caller_output.decode(errors="replace")[-2000:]
                await _next_of(ws, "call.ended", 20)
            phone_output, _ = await asyncio.wait_for(phone.communicate(), 20)
            assert phone.returncode == 0, phone_output.decode(errors="replace")[-2000:]
        finally:
            for proc in (caller, phone):
                if proc is not None and proc.returncode is None:
                    proc.terminate()
                    await proc.wait()

    assert await _until(lambda: _nothing_left(real_hotline, call_id), 10), await _ours_left(real_hotline.client, call_id)
    assert await _until(lambda: _no_callers(queue), 10)
    await queue.flush()
    record = await app[SEAT_STORE].call(call_id)
    assert record is not None and record["ended_by"] == "caller" and record["disposition"] == "answered"


async def _nothing_left(hotline: RealHotline, call_id: str) -> bool:
    return not await _ours_left(hotline.client, call_id)


async def _no_callers(queue: Any) -> bool:
    return not queue.callers
