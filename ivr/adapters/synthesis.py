"""Prompt audio with Debian's espeak-ng (Mandarin voice) and sox (telephone formats).

Every prompt is written twice, the way Asterisk picks the cheapest format for a channel:
`<name>.wav` (8 kHz, 16-bit signed, mono) and `<name>.sln16` (16 kHz raw signed linear, little-endian).
Outputs are written to a temporary name and renamed, so Asterisk never plays half a file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from ivr.domain.speech import spoken_text

DEFAULT_VOICE = "cmn-latn-pinyin"
"""On Debian 12 the plain `cmn` voice reads the tone numbers of its pinyin aloud; this one does not."""
DEFAULT_SPEED = 190
"""Words per minute; about 3.7 syllables a second with pauses: clear on a phone line without dragging."""

_PACKAGES = {"espeak-ng": "espeak-ng", "sox": "sox"}


class PromptToolMissing(Exception):
    """A program the prompt build needs is not installed."""

    error_id = "prompt-tool-missing"

    def __init__(self, program: str) -> None:
        self.program = program
        package = _PACKAGES.get(program, program)
        super().__init__(
            f"缺少程序 {program}，请安装 Debian 软件包：sudo apt-get install -y {package} "
            f"(missing program {program}; install the Debian package {package})"
        )


class PromptBuildFailed(Exception):
    """espeak-ng or sox failed on one prompt."""

    error_id = "prompt-build-failed"

    def __init__(self, name: str, detail: str) -> None:
        self.name = name
        super().__init__(f"提示音 {name} 生成失败 (building prompt {name} failed): {detail}")


@dataclass(frozen=True)
class EspeakSox:
    """Synthesizes Chinese text and converts recordings to the two formats Asterisk plays."""

    voice: str = DEFAULT_VOICE
    speed: int = DEFAULT_SPEED

    @property
    def fingerprint(self) -> str:
        """What besides the text decides the synthetic audio (goes into the rebuild hash)."""
        return f"espeak-ng:{self.voice}:{self.speed}"

    def check(self, synthesize: bool) -> None:
        """Raise `PromptToolMissing` unless sox (and espeak-ng if `synthesize`) are installed."""
        for program in (["espeak-ng"] if synthesize else []) + ["sox"]:
            if shutil.which(program) is None:
                raise PromptToolMissing(program)

    async def synthesize(self, name: str, text: str, wav8k: Path, sln16: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="hotline-prompt-") as tmp:
            text_file = Path(tmp) / "text.txt"
            text_file.write_text(spoken_text(text), encoding="utf-8")
            raw = Path(tmp) / "espeak.wav"
            await _run(
                name,
                "espeak-ng", "-v", self.voice, "-s", str(self.speed), "-b", "1", "-f", str(text_file), "-w", str(raw),
            )  # fmt: skip
            await self.convert(name, raw, wav8k, sln16)

    async def convert(self, name: str, source: Path, wav8k: Path, sln16: Path) -> None:
        """Convert any sox-readable audio (e.g. a recorded human prompt) to the telephone formats."""
        await _sox(name, source, wav8k, ["-r", "8000", "-t", "wav"])
        await _sox(name, source, sln16, ["-r", "16000", "-t", "raw", "-L"])


def wav_duration(path: Path) -> float:
    """Seconds of audio in a PCM WAV file."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


async def _sox(name: str, source: Path, target: Path, output_options: list[str]) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        await _run(
            name,
            "sox", "-V1", str(source), "-c", "1", "-b", "16", "-e", "signed-integer", *output_options, str(tmp),
            "gain", "-n", "-3",
        )  # fmt: skip
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


async def _run(name: str, *argv: str) -> None:
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError as exc:
        raise PromptToolMissing(argv[0]) from exc
    try:
        _, stderr = await process.communicate()
    except asyncio.CancelledError:
        # another prompt failed and the build is stopping: leave no half-written file behind
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        raise PromptBuildFailed(name, f"{argv[0]} exited {process.returncode}: {stderr.decode(errors='replace')}")
