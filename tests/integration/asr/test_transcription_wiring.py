"""A real bridged call through the built service (fake Asterisk, seat queue, recorder, recordings service)
leaves one transcription job with the caller's and the agent's tracks; a worker turns it into the call's
draft work order, which the agent opens through the API."""

from __future__ import annotations

from asr.jobs import DONE, QUEUED, TranscriptionWorker
from callflow.adapters.pending_writes import PENDING_WRITES
from callflow.seat.expert_web import CALL_RECORDER
from callflow.seat.web import SEAT_QUEUE
from hotline.transcription import TRANSCRIPTION_QUEUE, TRANSCRIPTION_WORKER, TicketingCallDrafts
from tests.fakes.asterisk.parties import Press, Step, WaitForPlayback, WaitUntilBridged, WaitUntilHungUp
from tests.integration.asr.test_transcription_jobs import ScriptedTranscriber
from tests.integration.callflow.seat.test_seat_api import Service, database_url, service
from ticketing.web import WORKORDERS

__all__ = ["database_url", "service"]  # the seat API tests' fixtures: the service as `hotline serve` builds it

TO_SEAT: list[Step] = [
    WaitForPlayback("sound:hotline/greeting"), Press("1"), WaitForPlayback("sound:hotline/business_menu"), Press("1")
]


async def test_a_bridged_call_leaves_a_job_that_becomes_the_agents_draft(service: Service) -> None:
    await service.call("POST", "/api/v1/seat/members", json={"agent": "agent", "name": "张敏"})
    service.fake.add_endpoint("PJSIP/agent", answer_after=0.5)
    await service.call("POST", "/api/v1/seat/agents/agent/login", who="agent", json={"endpoint": "PJSIP/agent"})
    call = await service.fake.place_call(number="13612345678", script=[*TO_SEAT, WaitUntilBridged(), WaitUntilHungUp()])
    app = service.client.app
    queue = app[SEAT_QUEUE]
    assert await service.fake.wait_until(lambda: any(s.stage == "bridged" and s.holding_bridge is None for s in queue.callers.values()), 10)
    [call_id] = list(queue.callers)
    await service.fake.remote_hangup(call.channel)
    await service.fake.wait_until(lambda: not queue.callers, 5)
    await queue.flush()
    recorder = app[CALL_RECORDER]
    assert await service.fake.wait_until(lambda: len(recorder.registered) == 3, 5)
    assert recorder.pending is app[PENDING_WRITES], "a registration the database can't take waits (faults tests)"

    job = await app[TRANSCRIPTION_QUEUE].get(call_id)
    assert job is not None and job.state == QUEUED  # no speech model in this service: the job waits
    assert sorted(t.kind for t in job.tracks) == ["agent", "caller", "mix"]
    assert TRANSCRIPTION_WORKER not in app

    worker = TranscriptionWorker(app[TRANSCRIPTION_QUEUE], ScriptedTranscriber(), TicketingCallDrafts(app[WORKORDERS]))
    done = await worker.run_once()
    assert done is not None and done.state == DONE

    status, body = await service.call("GET", f"/api/v1/calls/{call_id}/draft", who="agent")
    assert status == 200 and body["workorder_number"] == done.workorder_number
    assert body["draft"]["contact_phone"] == "13912345678"
    status, order = await service.call("GET", f"/api/v1/workorders/{done.workorder_number}", who="agent")
    assert status == 200 and order["call_id"] == call_id and order["class"] == "complaint"
