"""A transcription worker process killed in the middle of a job: the job comes back when its lease runs
out, another worker finishes it, the recordings are exactly as they were, and the call gets one draft."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from asr.jobs import DONE, RUNNING
from tests.integration.asr.test_transcription_jobs import (  # noqa: F401  (the fixture, shared)
    TranscriptionApp,
    sha256,
    transcription_app,
)

ROOT = Path(__file__).resolve().parents[3]


async def test_a_worker_killed_mid_job_loses_nothing_and_the_job_is_done_once_by_the_next(
    transcription_app: TranscriptionApp, tmp_path: Path  # noqa: F811
) -> None:
    app = transcription_app
    tracks = [await app.recording_finished("call-crash", kind) for kind in ("caller", "agent")]
    before = {path: sha256(path) for path in tracks}
    marker = tmp_path / "decoding"
    url = app.engine.url.render_as_string(hide_password=False)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.faults.dying_worker", url, app.clock.now().isoformat(), str(marker),
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with asyncio.timeout(30):
            while not marker.exists():  # another process: nothing to await but its file
                assert child.returncode is None, "the worker process ended by itself"
                await asyncio.sleep(0.05)
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGKILL)  # killed mid-decoding
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    dead_worker = marker.read_text(encoding="utf-8")

    jobs = await app.queue.counts()
    assert jobs.get(RUNNING) == 1, jobs  # still leased to the dead worker
    assert await app.worker.run_once() is None, "nobody takes a job whose lease still holds"
    app.later(minutes=11)  # the lease (10 min) runs out
    done = await app.worker.run_once()
    assert done is not None and done.state == DONE and done.attempts == 2
    assert done.leased_by == app.worker.worker_id != dead_worker
    assert len(await app.work_orders("call-crash")) == 1
    assert {path: sha256(path) for path in tracks} == before, "the recordings are untouched"
    assert await app.worker.run_once() is None
