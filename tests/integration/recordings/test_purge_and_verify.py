"""Retention: purging removes files and rows past their date, keeps legal holds, logs what it removed;
`hotline recordings purge|verify` on a real database; and the migrated schema matches the models."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from hotline.cli import main
from hotline.db import make_engine, make_sessionmaker, upgrade
from recordings.adapters.spool import SpoolFolder
from recordings.adapters.store import RecordingStore
from recordings.adapters.workorder_units import WorkOrderUnits
from recordings.domain.model import RecordingKind
from recordings.domain.retention import RetentionPolicy
from recordings.services import RecordingService
from tests.fakes.schema import schema_drift
from tests.integration.recordings.support import RecordingsApp, write_wav
from ticketing.domain.roles import Actor, Role

SUPERVISOR = Actor(id=None, name="督查", role=Role.SUPERVISOR)


async def test_purge_removes_what_is_past_retention_and_keeps_legal_holds(recordings_app: RecordingsApp) -> None:
    app = recordings_app
    start = app.clock.now()
    mix = await app.record("call-1-mix", "call-1", RecordingKind.MIX, agent="agent")
    caller = await app.record("call-1-caller", "call-1", RecordingKind.CALLER)
    held = await app.record("call-2-mix", "call-2", RecordingKind.MIX)
    assert held.id is not None and mix.id is not None
    await app.service.set_legal_hold(SUPERVISOR, held.id, True, "投诉复核中")
    await app.get(f"/{mix.id}/download", "agent")  # an access to keep in the log after the purge

    early = await app.service.purge(start + timedelta(days=179))
    assert early.purged == [] and early.held == []

    dry = await app.service.purge(start + timedelta(days=200), dry_run=True)
    assert [r.name for r in dry.purged] == ["call-1-caller"]
    assert (app.root / caller.stored_path).exists() and await app.purge_log() == []

    tracks = await app.service.purge(start + timedelta(days=200))
    assert [r.name for r in tracks.purged] == ["call-1-caller"]
    assert not (app.root / caller.stored_path).exists()
    assert set(await app.states()) == {"call-1-mix", "call-2-mix"}

    late = await app.service.purge(start + timedelta(days=366))
    assert [r.name for r in late.purged] == ["call-1-mix"] and [r.name for r in late.held] == ["call-2-mix"]
    assert late.bytes_freed == mix.size_bytes
    assert set(await app.states()) == {"call-2-mix"}
    assert (app.root / held.stored_path).exists()

    log = await app.purge_log()
    assert [(p.recording_name, p.kind, p.sha256, p.file_deleted) for p in log] == [
        ("call-1-caller", "caller", caller.sha256, True),
        ("call-1-mix", "mix", mix.sha256, True),
    ]
    assert [r.recording_name for r in await app.access_log() if r.action == "download"] == ["call-1-mix"]

    await app.service.set_legal_hold(SUPERVISOR, held.id, False)
    released = await app.service.purge(start + timedelta(days=366))
    assert [r.name for r in released.purged] == ["call-2-mix"]


async def test_a_file_already_gone_is_purged_from_the_records_and_says_so(recordings_app: RecordingsApp) -> None:
    rec = await recordings_app.record("call-3-agent", "call-3", RecordingKind.AGENT)
    (recordings_app.root / rec.stored_path).unlink()
    report = await recordings_app.service.purge(rec.retention_until)
    assert report.files_already_gone == ["call-3-agent"]
    assert [p.file_deleted for p in await recordings_app.purge_log()] == [False]


async def test_the_migrated_schema_matches_the_recordings_models(migrated_url: str) -> None:
    ours = {"recordings", "recording_access_log", "recording_purge_log"}
    drift, tables = await schema_drift(migrated_url, ours)
    assert ours <= tables
    assert drift == []


# --- the command line ---------------------------------------------------------------------------------


def _seed(tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite database with three recordings made 400 days ago, one under legal hold."""
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"
    upgrade(url)
    spool = tmp_path / "spool"
    root = tmp_path / "recordings"

    async def seed() -> None:
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        service = RecordingService(
            sessions, RecordingStore(root), WorkOrderUnits(sessions), source=SpoolFolder(spool)
        )
        from datetime import UTC, datetime

        made = datetime.now(UTC) - timedelta(days=400)
        for name, kind in (("old-mix", "mix"), ("old-caller", "caller"), ("kept-mix", "mix")):
            write_wav(spool / f"{name}.wav", 0.5)
            rec = await service.register_finished(name, f"call-{name}", kind, created_at=made)
            if name == "kept-mix":
                assert rec.id is not None
                await service.set_legal_hold(SUPERVISOR, rec.id, True, "司法调取")
        await engine.dispose()

    asyncio.run(seed())
    return {"HOTLINE_DATABASE_URL": url, "HOTLINE_RECORDINGS_DIR": str(root)}


def test_purge_dry_run_then_purge_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in _seed(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["recordings", "purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "将删除 old-mix" in out and "将删除 old-caller" in out and "保全中，不删除 kept-mix" in out
    assert "演练" in out
    assert len(list((tmp_path / "recordings").rglob("*.wav"))) == 3
    assert main(["recordings", "purge"]) == 0
    out = capsys.readouterr().out
    assert "已删除 2 条" in out and "保全保留 1 条" in out
    assert [p.name for p in (tmp_path / "recordings").rglob("*.wav")] == ["kept-mix.wav"]


def test_verify_reports_a_tampered_recording_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in _seed(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["recordings", "verify"]) == 0
    assert "共 3 条，完好 3 条，异常 0 条" in capsys.readouterr().out
    target = next((tmp_path / "recordings").rglob("old-caller.wav"))
    target.write_bytes(target.read_bytes()[:-100])
    assert main(["recordings", "verify"]) == 1
    out = capsys.readouterr().out
    assert "异常 old-caller: 哈希不符" in out and "异常 1 条" in out


def test_hold_and_release_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in _seed(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["recordings", "hold", "1", "--reason", "纪检调取"]) == 0
    assert "已保全 (纪检调取)" in capsys.readouterr().out
    assert main(["recordings", "release", "1"]) == 0
    assert "已解除保全" in capsys.readouterr().out
    assert main(["recordings", "hold", "999", "--reason", "x"]) == 1
    assert "recording-not-found" in capsys.readouterr().out


def test_the_retention_setting_reaches_the_purge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _seed(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOTLINE_RECORDINGS_RETENTION", "mix=3650,caller=3650")
    assert main(["recordings", "purge"]) == 0
    assert len(list((tmp_path / "recordings").rglob("*.wav"))) == 3
    assert RetentionPolicy.parse("mix=3650").days[RecordingKind.MIX] == 3650


def test_a_database_without_the_tables_gets_an_instruction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3")
    monkeypatch.setenv("HOTLINE_RECORDINGS_DIR", str(tmp_path / "recordings"))
    assert main(["recordings", "verify"]) == 2
    assert "hotline db upgrade" in capsys.readouterr().out
