"""Listening to recordings through the API: who may, the audit row for every attempt, and a tampered
or vanished file never served. Runs on SQLite and PostgreSQL with real tokens and real work orders."""

from __future__ import annotations

import base64
import hashlib

from recordings.domain.model import RecordingKind
from tests.integration.recordings.support import RecordingsApp
from ticketing.domain.roles import Actor, Role

SUPERVISOR = Actor(id=None, name="督查", role=Role.SUPERVISOR)

EXPECTED = {
    "agent": 200,  # took the call
    "agent2": 403,  # another agent
    "supervisor": 200,
    "admin": 200,
    "market": 200,  # 市场监管局 handles the call's work order
    "market_leader": 200,
    "housing": 403,  # 住建局 does not
}


async def _call_with_work_order(app: RecordingsApp, call_id: str = "call-100") -> int:
    rec = await app.record(f"{call_id}-mix", call_id, RecordingKind.MIX, seconds=2.5, agent="agent")
    await app.record(f"{call_id}-caller", call_id, RecordingKind.CALLER, seconds=2.5, freq=300)
    await app.workorders.dispatched_complaint("scjgj", call_id=call_id)
    assert rec.id is not None
    return rec.id


async def test_role_matrix_for_list_metadata_and_download(recordings_app: RecordingsApp) -> None:
    rec_id = await _call_with_work_order(recordings_app)
    for who, status in EXPECTED.items():
        listed = await recordings_app.get("", who, call_id="call-100")
        meta = await recordings_app.get(f"/{rec_id}", who)
        audio = await recordings_app.get(f"/{rec_id}/download", who)
        assert (listed[0], meta[0], audio[0]) == (status, status, status), who
        if status == 403:
            assert audio[1]["error"] == "recording-access-denied"
    listed = (await recordings_app.get("", "market", call_id="call-100"))[1]
    assert [r["kind"] for r in listed["items"]] == ["mix", "caller"]
    assert listed["items"][0]["download_url"] == f"/api/v1/recordings/{rec_id}/download"


async def test_every_attempt_is_in_the_access_log_with_who_where_and_why(recordings_app: RecordingsApp) -> None:
    rec_id = await _call_with_work_order(recordings_app)
    assert (await recordings_app.get(f"/{rec_id}/download", "housing"))[0] == 403
    assert (await recordings_app.get(f"/{rec_id}/download", "market"))[0] == 200
    assert (await recordings_app.get("", "agent2", call_id="call-100"))[0] == 403
    rows = await recordings_app.access_log()
    seen = [(r.user_name, r.role, r.action, r.allowed, r.reason, r.recording_id) for r in rows]
    assert seen == [
        ("housing", "unit_handler", "download", False, "unit-not-handling", rec_id),
        ("market", "unit_handler", "download", True, "unit-handles-work-order", rec_id),
        ("agent2", "agent", "list", False, "agent-not-on-call", None),
    ]
    assert rows[0].remote == "10.12.34.56 via 127.0.0.1"
    assert rows[0].recording_name == "call-100-mix" and rows[2].call_id == "call-100"
    assert rows[0].user_id == recordings_app.user_ids["housing"]
    assert all(r.at is not None for r in rows)


async def test_the_download_is_the_stored_audio_with_its_hash(recordings_app: RecordingsApp) -> None:
    rec_id = await _call_with_work_order(recordings_app)
    status, _, headers, body = await recordings_app.get(f"/{rec_id}/download", "supervisor")
    assert status == 200
    original = (recordings_app.spool / "call-100-mix.wav").read_bytes()
    assert body == original
    digest = hashlib.sha256(original)
    assert headers["Content-Type"] == "audio/wav"
    assert headers["Content-Disposition"] == 'attachment; filename="call-100-mix.wav"'
    assert headers["Content-Length"] == str(len(original))
    assert headers["X-Recording-SHA256"] == digest.hexdigest()
    assert headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest.digest()).decode()}:"
    assert headers["Cache-Control"] == "no-store"
    _, meta, _, _ = await recordings_app.get(f"/{rec_id}", "supervisor")
    assert meta["duration_s"] == 2.5 and meta["sha256"] == digest.hexdigest() and meta["state"] == "stored"
    assert meta["retention_until"].startswith("2026-09-30")  # a mix is kept 365 days by default


async def test_a_tampered_file_is_refused_marked_corrupt_and_reported(recordings_app: RecordingsApp) -> None:
    rec_id = await _call_with_work_order(recordings_app)
    rec = await recordings_app.service.metadata(SUPERVISOR, rec_id)
    path = recordings_app.root / rec.stored_path
    original = path.read_bytes()
    tampered = bytearray(original)
    tampered[2000] ^= 0x55  # one sample changed, same size
    path.write_bytes(bytes(tampered))
    status, body, _, _ = await recordings_app.get(f"/{rec_id}/download", "supervisor")
    assert status == 409 and body["error"] == "recording-integrity-failed"
    assert (await recordings_app.states())["call-100-mix"] == "corrupt"
    last = (await recordings_app.access_log())[-1]
    assert (last.action, last.allowed, last.reason) == ("download", False, "recording-integrity-failed")
    # Still refused on a second try; `verify` finds it too, and clears it once the file is restored.
    assert (await recordings_app.get(f"/{rec_id}/download", "admin"))[0] == 409
    results = {r.name: r for r in await recordings_app.service.verify_all()}
    assert results["call-100-mix"].state.value == "corrupt" and results["call-100-caller"].ok
    path.write_bytes(original)
    assert all(r.ok for r in await recordings_app.service.verify_all())
    assert (await recordings_app.get(f"/{rec_id}/download", "admin"))[0] == 200


async def test_a_vanished_file_is_gone_not_an_error_page(recordings_app: RecordingsApp) -> None:
    rec_id = await _call_with_work_order(recordings_app)
    rec = await recordings_app.service.metadata(SUPERVISOR, rec_id)
    (recordings_app.root / rec.stored_path).unlink()
    status, body, _, _ = await recordings_app.get(f"/{rec_id}/download", "supervisor")
    assert (status, body["error"]) == (410, "recording-file-missing")
    assert (await recordings_app.states())["call-100-mix"] == "missing"


async def test_no_token_unknown_ids_and_missing_parameters(recordings_app: RecordingsApp) -> None:
    rec_id = await _call_with_work_order(recordings_app)
    assert (await recordings_app.get(f"/{rec_id}/download"))[0] == 401
    assert (await recordings_app.get("/999999", "supervisor"))[1]["error"] == "recording-not-found"
    assert (await recordings_app.get("/999999", "supervisor"))[0] == 404
    assert (await recordings_app.get("/abc", "supervisor"))[0] == 400
    status, body, _, _ = await recordings_app.get("", "supervisor")
    assert (status, body["field"]) == (400, "call_id")
    assert await recordings_app.access_log() == [] or all(r.user_name for r in await recordings_app.access_log())


async def test_legal_hold_is_for_supervisors_and_needs_a_reason(recordings_app: RecordingsApp) -> None:
    rec_id = await _call_with_work_order(recordings_app)
    client = recordings_app.client
    url = f"/api/v1/recordings/{rec_id}/legal-hold"
    denied = await client.post(url, json={"hold": True, "reason": "x"}, headers=recordings_app.headers("agent"))
    assert denied.status == 403
    no_reason = await client.post(url, json={"hold": True}, headers=recordings_app.headers("supervisor"))
    assert no_reason.status == 400
    bad = await client.post(url, json={"hold": "yes"}, headers=recordings_app.headers("supervisor"))
    assert bad.status == 400
    held = await client.post(
        url, json={"hold": True, "reason": "行政复议 2025-17"}, headers=recordings_app.headers("supervisor")
    )
    assert held.status == 200
    body = await held.json()
    assert (body["legal_hold"], body["legal_hold_reason"]) == (True, "行政复议 2025-17")
    released = await client.post(url, json={"hold": False}, headers=recordings_app.headers("admin"))
    assert (await released.json())["legal_hold"] is False
    actions = [(r.user_name, r.action, r.allowed) for r in await recordings_app.access_log()]
    assert actions == [("agent", "hold", False), ("supervisor", "hold", True), ("admin", "release", True)]


async def test_the_agent_noted_after_the_recording_was_stored_may_then_listen(recordings_app: RecordingsApp) -> None:
    rec = await recordings_app.record("call-200-mix", "call-200", RecordingKind.MIX)
    assert (await recordings_app.get(f"/{rec.id}", "agent2"))[0] == 403
    assert await recordings_app.service.note_agent("call-200", recordings_app.user_ids["agent2"]) == 1
    assert (await recordings_app.get(f"/{rec.id}", "agent2"))[0] == 200
    assert (await recordings_app.get(f"/{rec.id}", "agent"))[0] == 403


async def test_healthz_counts_corrupt_recordings_without_failing_the_service(recordings_app: RecordingsApp) -> None:
    rec = await recordings_app.record("call-300-mix", "call-300", RecordingKind.MIX)
    (recordings_app.root / rec.stored_path).write_bytes(b"RIFF" + b"\0" * 100)
    await recordings_app.service.verify_all()
    resp = await recordings_app.client.get("/healthz")
    body = await resp.json()
    assert resp.status == 200
    assert body["recordings"]["counts"] == {"stored": 0, "corrupt": 1, "missing": 0}
    assert body["recordings"]["ok"] is False and body["recordings"]["source"] == "spool"
