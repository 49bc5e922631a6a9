"""Bench of recordings I/O: fetch finished recordings over ARI, serve audited downloads, verify hashes.

The fake Asterisk runs in a subprocess (its own core, like a real Asterisk on another host) serving
N ten-minute 8 kHz WAV recordings; this process registers them all over ARI (`GET .../file` streamed to
disk, hashed while writing, probed, rows in SQLite, `DELETE` in Asterisk), C at a time, while a ticker
measures the event loop's lag (live calls share this loop). Then every recording is downloaded through
`open_for_download` (role check, audit row, re-hash on the served handle), then `verify_all` re-hashes all.

    .venv/bin/python bench/recordings_io.py [--recordings 12] [--minutes 10] [--concurrency 4]

Prints figures, then ONE JSON line (figures, targets, met flags); exits 1 if a target is missed.
Targets: fetch ≥ 20 MB/s, download ≥ 40 MB/s, verify ≥ 50 MB/s, event-loop lag p99 < 50 ms,
every hash equal to Asterisk's file, nothing left in Asterisk.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {"fetch_mb_s": 20.0, "download_mb_s": 40.0, "verify_mb_s": 50.0, "loop_lag_p99_ms": 50.0}


def write_recording(path: Path, seconds: float) -> str:
    """A WAV with noise-like content (so nothing compresses or repeats); returns its sha256."""
    frames = os.urandom(int(seconds * 8000) * 2)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(frames)
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def serve(folder: Path) -> None:
    """The subprocess: a fake Asterisk whose stored recordings are the files in `folder`."""
    from tests.fakes.asterisk.fake import FakeAsterisk

    fake = FakeAsterisk(recordings_dir=folder, time_factor=1.0)
    await fake.start()
    print(json.dumps({"url": fake.url}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    left = sorted(fake.stored_recordings)
    await fake.stop()
    print(json.dumps({"left": left, "violations": [str(v) for v in fake.violations]}), flush=True)


class LagMeter:
    """How late a 10 ms ticker wakes up: the delay any call on this loop would see."""

    def __init__(self) -> None:
        self.lags_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + 0.010
            await asyncio.sleep(0.010)
            self.lags_ms.append(max(0.0, (loop.time() - expected) * 1000))

    def __enter__(self) -> LagMeter:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) >= 2 else (values[0] if values else 0.0)


async def run(recordings: int, minutes: float, concurrency: int, workdir: Path) -> dict[str, Any]:
    from callflow.ari.client import AriClient
    from hotline.db import Base, make_engine, make_sessionmaker
    from recordings.adapters.ari_fetch import AriStoredRecordings
    from recordings.adapters.orm import RecordingAccessRow, RecordingPurgeRow, RecordingRow
    from recordings.adapters.store import RecordingStore
    from recordings.services import RecordingService
    from ticketing.domain.roles import Actor, Role

    class NoWorkOrders:
        async def units_for_call(self, call_id: str) -> frozenset[int]:
            return frozenset()

    spool = workdir / "asterisk"
    spool.mkdir()
    expected = {f"call-{i:03d}-mix": write_recording(spool / f"call-{i:03d}-mix.wav", minutes * 60) for i in range(recordings)}
    total_mb = sum((spool / f"{n}.wav").stat().st_size for n in expected) / 1e6
    print(f"{recordings} recordings of {minutes:g} min, {total_mb:.1f} MB in all", flush=True)

    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(spool),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(ROOT),
    )
    assert proc.stdout is not None and proc.stdin is not None
    url = json.loads(await proc.stdout.readline())["url"]
    engine = make_engine(f"sqlite+aiosqlite:///{workdir}/bench.sqlite3")
    tables = [Base.metadata.tables[m.__tablename__] for m in (RecordingRow, RecordingAccessRow, RecordingPurgeRow)]
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))
    client = AriClient(url, "asterisk", "asterisk")
    service = RecordingService(
        make_sessionmaker(engine), RecordingStore(workdir / "store"), NoWorkOrders(),
        source=AriStoredRecordings(client, delete_after_fetch=True),
    )
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def fetch(name: str) -> Any:
        async with gate:
            t0 = time.perf_counter()
            rec = await service.register_finished(name, name.rsplit("-", 1)[0], "mix")
            latencies.append(time.perf_counter() - t0)
            return rec

    with LagMeter() as fetch_lag:
        t0 = time.perf_counter()
        stored = await asyncio.gather(*(fetch(n) for n in expected))
        fetch_s = time.perf_counter() - t0
    mismatches = sum(1 for r in stored if r.sha256 != expected[r.name])

    supervisor = Actor(id=1, name="bench", role=Role.SUPERVISOR)

    async def download(rec: Any) -> str:
        async with gate:
            got = await service.open_for_download(supervisor, rec.id, "127.0.0.1")
            digest = hashlib.sha256()
            try:
                async for chunk in got.chunks():
                    digest.update(chunk)
            finally:
                got.close()
            return digest.hexdigest()

    with LagMeter() as download_lag:
        t0 = time.perf_counter()
        served = await asyncio.gather(*(download(r) for r in stored))
        download_s = time.perf_counter() - t0
    mismatches += sum(1 for r, h in zip(stored, served, strict=True) if h != expected[r.name])

    with LagMeter() as verify_lag:
        t0 = time.perf_counter()
        checks = await service.verify_all()
        verify_s = time.perf_counter() - t0
    bad = sum(1 for c in checks if not c.ok)

    await client.close()
    await engine.dispose()
    proc.stdin.close()
    tail = json.loads(await proc.stdout.readline())
    await proc.wait()
    lags = fetch_lag.lags_ms + download_lag.lags_ms + verify_lag.lags_ms
    return {
        "recordings": recordings,
        "total_mb": round(total_mb, 1),
        "concurrency": concurrency,
        "fetch_mb_s": round(total_mb / fetch_s, 1),
        "fetch_p50_s": round(statistics.median(latencies), 3),
        "download_mb_s": round(total_mb / download_s, 1),
        "verify_mb_s": round(total_mb / verify_s, 1),
        "loop_lag_p99_ms": round(p99(lags), 1),
        "loop_lag_max_ms": round(max(lags), 1),
        "hash_mismatches": mismatches,
        "verify_bad": bad,
        "left_in_asterisk": len(tail["left"]),
        "protocol_violations": len(tail["violations"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=12)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
        return 0
    with tempfile.TemporaryDirectory(prefix="recordings-bench-") as tmp:
        figures = asyncio.run(run(args.recordings, args.minutes, args.concurrency, Path(tmp)))
    met = {
        "fetch_mb_s": figures["fetch_mb_s"] >= TARGETS["fetch_mb_s"],
        "download_mb_s": figures["download_mb_s"] >= TARGETS["download_mb_s"],
        "verify_mb_s": figures["verify_mb_s"] >= TARGETS["verify_mb_s"],
        "loop_lag_p99_ms": figures["loop_lag_p99_ms"] < TARGETS["loop_lag_p99_ms"],
        "hashes": figures["hash_mismatches"] == 0 and figures["verify_bad"] == 0,
        "asterisk_emptied": figures["left_in_asterisk"] == 0 and figures["protocol_violations"] == 0,
    }
    print(
        f"fetch {figures['fetch_mb_s']} MB/s (p50 {figures['fetch_p50_s']} s per recording), "
        f"download {figures['download_mb_s']} MB/s, verify {figures['verify_mb_s']} MB/s, "
        f"event-loop lag p99 {figures['loop_lag_p99_ms']} ms (max {figures['loop_lag_max_ms']} ms), "
        f"hash mismatches {figures['hash_mismatches']}, left in Asterisk {figures['left_in_asterisk']}"
    )
    print(json.dumps({"bench": "recordings_io", **figures, "targets": TARGETS, "met": met, "ok": all(met.values())}))
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
