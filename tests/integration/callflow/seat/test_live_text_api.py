"""Live text through the service as `hotline serve` builds it: the agent of the call reads it over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from callflow.seat.live_web import LIVE
from callflow.seat.web import SEAT_QUEUE
from tests.fakes.asterisk.parties import Speak, WaitUntilBridged
from tests.integration.callflow.seat.test_expert_api import TO_SEAT
from tests.integration.callflow.seat.test_live_transcript import CountingEngine, write_tone
from tests.integration.callflow.seat.test_seat_api import Service, database_url, service

__all__ = ["database_url", "service"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_agent_reads_the_live_text_of_their_call_and_others_may_not(
    service: Service, tmp_path: Path
) -> None:
    wiring = service.client.app[LIVE]
    assert wiring.transcriber is not None and wiring.transcriber.engine is None  # no model configured
    engine = CountingEngine()
    wiring.transcriber.engine = engine  # as if VOSK_MODEL_PATH named a model
    await service.call("POST", "/api/v1/seat/members", json={"agent": "agent", "name": "张敏"})
    service.fake.add_endpoint("PJSIP/agent", answer_after=1.0)
    await service.call("POST", "/api/v1/seat/agents/agent/login", who="agent", json={"endpoint": "PJSIP/agent"})
    call = await service.fake.place_call(number="13612345678", script=[*TO_SEAT, WaitUntilBridged()])
    queue = service.client.app[SEAT_QUEUE]
    assert await service.fake.wait_until(lambda: len(service.fake.rtp_streams) == 2, 10)
    live = wiring.transcriber

    def tapped() -> bool:  # a voice flows out as RTP once its snoop and externalMedia channel are bridged
        taps = [t for call_taps in live.taps.values() for t in call_taps]
        return len(taps) == 2 and all(
            (b := service.fake.bridges.get(t.bridge_id)) is not None and len(b.channels) == 2 for t in taps
        )

    assert await service.fake.wait_until(tapped, 10)
    [call_id] = list(queue.callers)
    call.add_steps(Speak(write_tone(tmp_path / "caller.wav", 440, 2.5)))
    await call.finished()
    assert await service.fake.wait_until(lambda: engine.of("caller").said >= 2, 5)

    status, body = await service.call("GET", f"/api/v1/calls/{call_id}/live", who="agent")
    assert status == 200 and body["live"] is True
    assert [s["text"] for s in body["segments"] if s["speaker"] == "caller"][:2] == ["caller第1秒", "caller第2秒"]
    status, _ = await service.call("GET", f"/api/v1/calls/{call_id}/live", who=None)
    assert status == 401
    status, body = await service.call("GET", "/api/v1/calls/no-such-call/live", who="agent")
    assert (status, body["error"]) == (404, "live-transcript-none")

    await service.fake.remote_hangup(call.channel)
    assert await service.fake.wait_until(lambda: not queue.callers, 5)
    status, body = await service.call("GET", f"/api/v1/calls/{call_id}/live")  # a supervisor, after the call
    assert status == 200 and body["live"] is False
    assert any(s["text"] == "caller结束" for s in body["segments"])
