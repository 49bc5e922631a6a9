"""Three-way expert calls through the service as `hotline serve` builds it: the agent uses the API, the
expert comes from the knowledge package's directory, the recordings land in the recordings service."""

from __future__ import annotations

import asyncio

from callflow.seat.expert_web import CALL_RECORDER
from callflow.seat.web import SEAT_QUEUE
from tests.fakes.asterisk.parties import Press, Step, WaitForPlayback, WaitUntilBridged, WaitUntilHungUp
from tests.integration.callflow.seat.test_seat_api import Service, database_url, service

__all__ = ["database_url", "service"]  # the fixtures, shared with the seat API tests

TO_SEAT: list[Step] = [
    WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"), Press("1")
]


async def test_the_agent_calls_in_an_expert_through_the_api_and_the_call_record_shows_it(service: Service) -> None:
    status, _ = await service.call(
        "POST", "/api/v1/experts",
        json={"name": "王专家", "contact": "PJSIP/expert201", "topics": ["税务"], "duty": ["daily 00:00-24:00"]},
    )
    assert status == 201
    await service.call("POST", "/api/v1/seat/members", json={"agent": "agent", "name": "张敏"})
    service.fake.add_endpoint("PJSIP/agent", answer_after=1.0)
    expert_phone = service.fake.add_endpoint("PJSIP/expert201", answer_after=2.0)
    await service.call("POST", "/api/v1/seat/agents/agent/login", who="agent", json={"endpoint": "PJSIP/agent"})
    call = await service.fake.place_call(number="13612345678", script=[*TO_SEAT, WaitUntilBridged(), WaitUntilHungUp()])
    queue = service.client.app[SEAT_QUEUE]
    assert await service.fake.wait_until(
        lambda: any(s.stage == "bridged" and s.holding_bridge is None for s in queue.callers.values()), 10
    )
    [call_id] = list(queue.callers)
    path = f"/api/v1/calls/{call_id}/expert"

    status, body = await service.call("POST", path, who="agent", json={"topic": "不动产登记"})
    assert (status, body["error"]) == (409, "expert-none-on-duty") and "工单" in body["message"]
    status, body = await service.call("POST", path, who=None, json={"topic": "税务"})
    assert status == 401

    status, body = await service.call("POST", path, who="agent", json={"topic": "税务"})
    assert (status, body["stage"]) == (202, "ringing")
    for _ in range(200):
        status, body = await service.call("GET", path, who="agent")
        if body["stage"] == "consulting":
            break
        await asyncio.sleep(0.02)
    assert body["stage"] == "consulting" and body["caller_on_hold"] is True
    assert call.music_on_hold == "default"
    status, body = await service.call("POST", f"{path}/join", who="agent")
    assert (status, body["stage"]) == (200, "conference")
    status, body = await service.call("POST", f"{path}/join", who="agent")
    assert (status, body["error"]) == (409, "expert-wrong-stage")
    status, detail = await service.call("GET", f"/api/v1/calls/{call_id}")
    assert detail["expert"]["stage"] == "conference"
    assert [a["who"] for a in detail["expert"]["attempts"]] == ["王专家"]

    await service.fake.remote_hangup(call.channel)
    await asyncio.wait_for(call.finished(), 10)
    await service.fake.wait_until(lambda: not queue.callers, 5)
    await queue.flush()
    status, detail = await service.call("GET", f"/api/v1/calls/{call_id}")
    assert [leg["role"] for leg in detail["legs"]] == ["caller", "agent", "expert", "expert-attempt"]
    assert not expert_phone.calls[0].alive
    recorder = service.client.app[CALL_RECORDER]
    assert await service.fake.wait_until(lambda: len(recorder.registered) == 3, 5)
    assert {t.kind for t in recorder.registered} == {"mix", "caller", "agent"}
