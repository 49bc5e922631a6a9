"""Ids one past PostgreSQL's 32-bit id columns (2147483648) and beyond, on SQLite and PostgreSQL: the
work-order, unit and recording lookups answer 400/404, never an asyncpg overflow 500."""

from __future__ import annotations

from tests.integration.recordings.support import RecordingsApp

TOO_BIG = ["2147483648", "4294967296", "99999999999", "99999999999999999999"]


async def test_work_order_and_unit_ids_past_the_id_column_are_not_found(recordings_app: RecordingsApp) -> None:
    api = recordings_app.workorders
    for big in TOO_BIG:
        for path, params in [
            (f"/workorders/{big}", {}),
            ("/workorders", {"unit": big}),
            ("/kpi", {"period": "2025-09", "unit": big}),
        ]:
            status, data = await api.call("GET", path, "admin", None, **params)
            assert status in (400, 404), (path, params, status, data)
            assert data["error"], data
        status, data = await api.call("POST", f"/workorders/{big}/sign", "market", {})
        assert status == 404, (big, status, data)


async def test_recording_ids_past_the_id_column_are_refused(recordings_app: RecordingsApp) -> None:
    for big in TOO_BIG:
        for suffix in ("", "/download"):
            status, data, _, _ = await recordings_app.get(f"/{big}{suffix}", "admin")
            assert status in (400, 404), (big, suffix, status, data)
