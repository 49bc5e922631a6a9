"""The seat's take-over (接管) on a real Asterisk 22: the service stops mid-call, a new one carries on.

A SIP caller (SIPp, sipp/caller_1_3_talks_long.xml: talks 30 s) meets the registered SIP agent101 in the
seat's mixing bridge. Then the first service stops (its controller and event socket go away; Asterisk
keeps the channels, the bridge and the recordings) and a second one starts on the same database. Its
reconcile finds the bridge `hotline-seat-call-<call>` and takes the call up: when the caller hangs up the
call ends as usual — agent hung up, bridge gone, recordings registered once, the record closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any, cast

from callflow.ari.client import AriClient
from callflow.ari.errors import AriError
from callflow.seat.expert_web import CALL_RECORDER
from callflow.seat.takeover import SeatTakeover
from callflow.seat.web import SEAT_QUEUE, SEAT_STORE
from callflow.web import CONTROLLER
from tests.asterisk.conftest import RealHotline, _serve
from tests.asterisk.test_seat_on_real_asterisk import (
    AGENT,
    ENDPOINT,
    SIPP_DIR,
    TARGET,
    _agent_phone,
    _ours_left,
    _registered,
    _sipp,
    _until,
)


async def _long_caller(sipp: str, tmp_path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sipp, TARGET, "-sf", str(SIPP_DIR / "caller_1_3_talks_long.xml"), "-m", "1",
        "-i", "127.0.0.1", "-p", "5073", "-mp", "6300", "-timeout", "80s", "-timeout_error", "-nostdin",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )


async def _start(tmp_path: Path) -> tuple[AsyncGenerator[RealHotline, None], RealHotline]:
    """The service as the tier's fixtures build it, on `tmp_path`'s database; `aclose()` stops it."""
    service = cast(AsyncGenerator[RealHotline, None], _serve(tmp_path, "00:00-23:59"))
    hotline = await service.__anext__()
    await asyncio.wait_for(hotline.server.app[CONTROLLER].events.connected.wait(), 10)
    return service, hotline


def _takeover(app: Any) -> SeatTakeover:
    [takeover] = [r.__self__ for r in app[CONTROLLER].reconcilers if isinstance(getattr(r, "__self__", None), SeatTakeover)]
    return takeover


async def _bridged_call_id(hotline: RealHotline) -> str | None:
    queue = hotline.server.app[SEAT_QUEUE]
    for session in queue.callers.values():
        if session.stage == "bridged" and session.holding_bridge is None:
            try:
                bridge = await hotline.client.request("GET", f"/bridges/hotline-seat-call-{session.call_id}")
            except AriError:
                return None
            return str(session.call_id) if len(bridge["channels"]) == 2 else None
    return None


async def test_a_bridged_call_is_taken_up_by_the_next_service_and_closed_when_the_caller_hangs_up(
    tmp_path: Path,
) -> None:
    sipp = _sipp()
    first, hotline = await _start(tmp_path)
    second: AsyncGenerator[RealHotline, None] | None = None
    phone = caller = None
    try:
        queue = hotline.server.app[SEAT_QUEUE]
        await queue.add_member(AGENT, "测试坐席")
        phone = await _agent_phone(sipp, tmp_path)
        assert await _until(lambda: _registered(hotline.client), 10), "agent101 did not register"
        await queue.login(AGENT, ENDPOINT)
        caller = await _long_caller(sipp, tmp_path)
        caller_done = asyncio.ensure_future(caller.communicate())
        call_id = await _until(lambda: _bridged_call_id(hotline), 30)
        assert call_id is not None, "caller and agent never met in the seat's bridge"
        await queue.flush()

        # The first service stops mid-call: Asterisk keeps the call.
        await first.aclose()
        client = AriClient(hotline.settings.ari_url, hotline.settings.ari_user, hotline.settings.ari_password)
        try:
            bridge = await client.request("GET", f"/bridges/hotline-seat-call-{call_id}")
        finally:
            await client.close()
        assert len(bridge["channels"]) == 2, "Asterisk kept caller and agent in the bridge"

        second, hotline = await _start(tmp_path)
        app = hotline.server.app
        takeover = _takeover(app)
        assert await _until(lambda: _async(call_id in takeover.taken_over), 10), "the call was not taken up"
        assert app[SEAT_QUEUE].seat.agents[AGENT].state.value == "on_call"

        caller_output, _ = await asyncio.wait_for(caller_done, 60)
        assert caller.returncode == 0, caller_output.decode(errors="replace")[-2000:]
        phone_output, _ = await asyncio.wait_for(phone.communicate(), 20)
        assert phone.returncode == 0, phone_output.decode(errors="replace")[-2000:]

        # Nothing of the call is left in Asterisk; the record is closed by the second service.
        assert await _until(lambda: _async_not(_ours_left(hotline.client, call_id)), 10)
        queue = app[SEAT_QUEUE]
        assert await _until(lambda: _async(not queue.callers), 10)
        await queue.flush()
        record = await app[SEAT_STORE].call(call_id)
        assert record is not None
        assert (record["disposition"], record["agents"]) == ("answered", [AGENT])
        assert record["ended_by"] == "caller" and record["talk_s"] > 20
        recorder = app[CALL_RECORDER]
        assert await _until(lambda: _async(len(recorder.registered) == 3), 20), list(recorder.tracks.values())
        # the recordings the first service started, stopped and registered by the second (never restarted)
        assert {t.name for t in recorder.registered} == {f"{call_id}-{kind}" for kind in ("mix", "caller", "agent")}
    finally:
        for proc in (caller, phone):
            if proc is not None and proc.returncode is None:
                proc.terminate()
                await proc.wait()
        for service in (first, second):
            if service is not None:
                await service.aclose()


async def _async(value: bool) -> bool:
    return value


async def _async_not(check: Any) -> bool:
    return not await check
