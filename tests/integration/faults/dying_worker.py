"""A transcription worker in its own process that takes a job and is then killed (tests only).

    python -m tests.integration.faults.dying_worker DATABASE_URL NOW_ISO MARKER_FILE

It claims the due job on its own clock (`NOW_ISO`, the scenario's time), opens the caller's recording as
a decoder would, writes MARKER_FILE with its worker id, and then decodes "forever": the test kills it
with SIGKILL, as the OOM killer or a crash would, before it could hand anything on.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from asr.jobs import TranscriptionQueue, TranscriptionWorker
from asr.ports import AsrCapacityExhausted, AudioSource, LiveStream
from asr.transcript import Transcript
from hotline.db import make_engine, make_sessionmaker


class DecodesForever:
    def __init__(self, marker: Path, worker_id: str) -> None:
        self.marker = marker
        self.worker_id = worker_id

    async def start(self) -> None:
        return None

    async def transcribe(self, audio: AudioSource) -> Transcript:
        with audio.path.open("rb") as recording:  # held open, read, never written
            recording.read(4096)
            self.marker.write_text(self.worker_id, encoding="utf-8")
            await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def open_stream(self, sample_rate: int, speaker: str = "unknown") -> LiveStream:
        raise AsrCapacityExhausted("batch only")

    async def close(self) -> None:
        return None


class NeverReached:
    async def deliver(self, call_id: str, transcript: dict[str, Any], draft: dict[str, Any]) -> str:
        raise AssertionError("a killed worker hands nothing on")


async def main(url: str, now: datetime, marker: Path) -> None:
    engine = make_engine(url)
    queue = TranscriptionQueue(make_sessionmaker(engine), now=lambda: now)
    worker = TranscriptionWorker(queue, DecodesForever(marker, ""), NeverReached())
    worker.transcriber = DecodesForever(marker, worker.worker_id)
    await worker.run_once()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], datetime.fromisoformat(sys.argv[2]), Path(sys.argv[3])))
