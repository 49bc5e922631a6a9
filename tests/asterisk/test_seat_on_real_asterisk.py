"""The dedicated seat (专席) on a real Asterisk 22: a SIP caller meets a SIP agent in a mixing bridge.

Two SIPp processes play the phones: the agent's phone REGISTERs as agent101 (digest auth, the
`max_contacts=1` AOR of deploy/asterisk/pjsip.conf) and answers the seat's INVITE after ringing ~1 s
(sipp/agent_phone.xml + sipp/agent_answer.xml); the caller dials 12345, presses 1 then 3 and stays on
the line ~15 s (sipp/caller_1_3_talks.xml). Needs Debian's sip-tester (`sipp`) and the `caller` and
`agent101` endpoints on the Asterisk under test (`HOTLINE_TEST_SIP_TARGET`, default 127.0.0.1:5060).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from callflow.ari.client import AriClient
from callflow.ari.errors import AriError
from callflow.seat.expert_web import CALL_RECORDER
from callflow.seat.web import SEAT_QUEUE, SEAT_STORE
from callflow.web import CONTROLLER
from tests.asterisk.conftest import RealHotline

SIPP_DIR = Path(__file__).parent / "sipp"
TARGET = os.environ.get("HOTLINE_TEST_SIP_TARGET", "127.0.0.1:5060")
AGENT = "agent101"
ENDPOINT = f"PJSIP/{AGENT}"
AGENT_PASSWORD = os.environ.get("HOTLINE_TEST_AGENT101_PASSWORD", "change-me-101")


def _sipp() -> str:
    sipp = shutil.which("sipp")
    if sipp is None:
        pytest.skip("sipp (Debian's sip-tester) is not installed")
    return sipp


async def _agent_phone(sipp: str, tmp_path: Path) -> asyncio.subprocess.Process:
    """agent101's phone on 127.0.0.1:5074 (media 6400); ends by itself after the BYE, unregistered."""
    return await asyncio.create_subprocess_exec(
        sipp, TARGET, "-sf", str(SIPP_DIR / "agent_phone.xml"), "-oocsf", str(SIPP_DIR / "agent_answer.xml"),
        "-aa", "-s", AGENT, "-au", AGENT, "-ap", AGENT_PASSWORD, "-m", "1",
        "-i", "127.0.0.1", "-p", "5074", "-mp", "6400", "-timeout", "80s", "-timeout_error", "-nostdin",
        "-trace_msg", "-message_file", str(tmp_path / "agent_messages.log"),
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )


async def _caller(sipp: str, tmp_path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sipp, TARGET, "-sf", str(SIPP_DIR / "caller_1_3_talks.xml"), "-m", "1",
        "-i", "127.0.0.1", "-p", "5073", "-mp", "6300", "-timeout", "60s", "-timeout_error", "-nostdin",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )


async def _until(check: Any, seconds: float, step: float = 0.1) -> Any:
    """Poll an async check until it returns something truthy (Asterisk reports no event for these)."""
    result = None
    for _ in range(int(seconds / step)):
        result = await check()
        if result:
            return result
        await asyncio.sleep(step)
    return result


async def _registered(client: AriClient) -> bool:
    """ARI's endpoint is `online` once the phone's contact is registered (and answers qualify OPTIONS)."""
    endpoint = await client.request("GET", f"/endpoints/{ENDPOINT}")
    return endpoint.get("state") == "online"


def _sip_messages(log: str) -> list[tuple[str, str]]:
    """SIPp's message log as (direction, first line + headers) pairs, in order."""
    out: list[tuple[str, str]] = []
    for block in log.split("-----------------------------------------------")[1:]:
        lines = block.strip().splitlines()
        if len(lines) < 3:
            continue
        direction = "sent" if "message sent" in lines[1] else "received"
        out.append((direction, "\n".join(lines[2:]).strip()))
    return out


def _header(message: str, name: str) -> str:
    for line in message.splitlines():
        if line.lower().startswith(f"{name.lower()}:"):
            return line.split(":", 1)[1].strip()
    return ""


def _dialog_of_invite(messages: list[tuple[str, str]]) -> list[tuple[tuple[str, str], str]]:
    """The messages of the call the agent's phone was INVITEd to, as ((direction, method or status), text)."""
    invite = next(m for d, m in messages if d == "received" and m.startswith("INVITE "))
    call_id = _header(invite, "Call-ID")
    out = []
    for direction, message in messages:
        if _header(message, "Call-ID") != call_id:
            continue
        first = message.splitlines()[0]
        what = first.split(" ", 1)[1] if first.startswith("SIP/2.0 ") else first.split(" ", 1)[0]
        out.append(((direction, what), message))
    return out


async def _ours_left(client: AriClient, call_id: str) -> list[str]:
    channels = [
        c["name"] for c in await client.list_channels()
        if c["name"].startswith((f"{ENDPOINT}-", "PJSIP/caller-", "Snoop/"))
    ]
    bridges = [b["id"] for b in await client.list_bridges() if call_id in b["id"]]
    return channels + bridges


async def test_a_sip_caller_meets_a_registered_sip_agent_in_a_mixing_bridge_and_nothing_is_left(
    real_hotline: RealHotline, tmp_path: Path
) -> None:
    sipp = _sipp()
    app = real_hotline.server.app
    await asyncio.wait_for(app[CONTROLLER].events.connected.wait(), 10)
    queue = app[SEAT_QUEUE]
    client = real_hotline.client
    await queue.add_member(AGENT, "测试坐席")

    phone = await _agent_phone(sipp, tmp_path)
    caller: asyncio.subprocess.Process | None = None
    try:
        assert await _until(lambda: _registered(client), 10), "agent101 did not register"
        await queue.login(AGENT, ENDPOINT)
        caller = await _caller(sipp, tmp_path)
        caller_done = asyncio.ensure_future(caller.communicate())

        # While they talk: the seat's mixing bridge on the real Asterisk holds the caller and the agent.
        async def in_bridge() -> dict[str, Any] | None:
            for session in queue.callers.values():
                if session.stage == "bridged" and session.holding_bridge is None:
                    try:
                        bridge = await client.request("GET", f"/bridges/hotline-seat-call-{session.call_id}")
                    except AriError:
                        return None
                    return dict(bridge) if len(bridge["channels"]) == 2 else None
            return None

        bridge = await _until(in_bridge, 30)
        assert bridge is not None, "caller and agent never met in the seat's bridge"
        assert bridge["bridge_type"] == "mixing"
        call_id = bridge["id"].removeprefix("hotline-seat-call-")
        names = {(await client.get_channel(c))["name"].split("-")[0] for c in bridge["channels"]}
        assert names == {"PJSIP/caller", ENDPOINT}
        assert queue.seat.agents[AGENT].state.value == "on_call"

        caller_output, _ = await asyncio.wait_for(caller_done, 60)
        assert caller.returncode == 0, caller_output.decode(errors="replace")[-2000:]
        phone_output, _ = await asyncio.wait_for(phone.communicate(), 20)
        assert phone.returncode == 0, phone_output.decode(errors="replace")[-2000:]
    finally:
        for proc in (caller, phone):
            if proc is not None and proc.returncode is None:
                proc.terminate()
                await proc.wait()

    # The agent's phone was rung with the caller's number, answered, and got BYE when the caller hung up.
    dialog = _dialog_of_invite(_sip_messages((tmp_path / "agent_messages.log").read_text(errors="replace")))
    assert [step for step, _ in dialog] == [
        ("received", "INVITE"), ("sent", "180 Ringing"), ("sent", "200 OK"),
        ("received", "ACK"), ("received", "BYE"), ("sent", "200 OK"),
    ]
    invite = dialog[0][1]
    assert invite.startswith(f"INVITE sip:{AGENT}@127.0.0.1:5074")
    assert "13800138000" in _header(invite, "From")  # the seat rings the agent with the caller's number

    # Nothing of the call is left in Asterisk: no caller, agent or snoop channel, no bridge.
    assert await _until(lambda: _no_leftovers(client, call_id), 10), await _ours_left(client, call_id)

    # The call record: answered by agent101 after a wait, with talk time, ended by the caller.
    await _until(lambda: _no_callers(queue), 10)
    await queue.flush()
    record = await app[SEAT_STORE].call(call_id)
    assert record is not None
    assert (record["disposition"], record["agents"], record["caller_number"]) == ("answered", [AGENT], "13800138000")
    assert record["wait_s"] > 0 and record["talk_s"] > 5
    assert record["ended_by"] == "caller"
    assert [leg["role"] for leg in record["legs"]] == ["caller", "agent"]
    assert queue.seat.agents[AGENT].state.value in ("wrap_up", "available")

    # Recorded from answer to hang-up: the mix and both parties' tracks, registered with recordings.
    recorder = app[CALL_RECORDER]
    assert await _until(lambda: _all_registered(recorder), 20), list(recorder.tracks.values())
    assert {t.kind for t in recorder.registered} == {"mix", "caller", "agent"}


async def _no_leftovers(client: AriClient, call_id: str) -> bool:
    return not await _ours_left(client, call_id)


async def _no_callers(queue: Any) -> bool:
    return not queue.callers


async def _all_registered(recorder: Any) -> bool:
    return len(recorder.registered) == 3
