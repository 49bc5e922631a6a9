"""Building the menu's prompts (提示音) and telling which are recorded, synthetic or missing.

Layout of `prompts_dir` (mounted in Asterisk as /var/lib/asterisk/sounds/hotline, played as
`sound:hotline/<name>`):

    <name>.wav              8 kHz 16-bit mono, built
    <name>.sln16            16 kHz raw signed linear, built
    recorded/<name>.wav     a recorded human prompt (any rate); replaces the synthetic one
    manifest.json           what each built file was made from (source, hash, text), to rebuild only changes
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import wave
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from ivr.adapters.synthesis import wav_duration
from ivr.domain.menu import Menu
from ivr.domain.speech import spoken_text

PIPELINE_VERSION = 1
"""Bump when the conversion chain changes, so every prompt is rebuilt once."""
MANIFEST = "manifest.json"
RECORDED_DIR = "recorded"

PromptSource = Literal["recorded", "synthetic"]
PromptState = Literal["recorded", "synthetic", "missing"]


class PromptSynthesizer(Protocol):
    """Makes the telephone audio files of one prompt (adapter: `ivr.adapters.synthesis.EspeakSox`)."""

    @property
    def fingerprint(self) -> str: ...

    def check(self, synthesize: bool) -> None: ...

    async def synthesize(self, name: str, text: str, wav8k: Path, sln16: Path) -> None: ...

    async def convert(self, name: str, source: Path, wav8k: Path, sln16: Path) -> None: ...


@dataclass(frozen=True)
class PromptStatus:
    """One prompt as the console and `hotline prompts list` show it."""

    name: str
    text: str
    state: PromptState
    """What Asterisk plays now: a recorded human voice, the synthetic voice, or nothing."""
    stale: bool
    """The built file no longer matches its text or recording: run `hotline prompts build`."""
    duration_s: float | None
    used_by_menu: bool
    """Played by the navigation itself (others are for the seat queue and transfers)."""


@dataclass(frozen=True)
class BuildReport:
    built: list[str]
    unchanged: list[str]
    recorded: list[str]
    seconds: float


class PromptBuilder:
    """Builds every prompt of a menu into `prompts_dir`, concurrently, rebuilding only what changed."""

    def __init__(self, synthesizer: PromptSynthesizer, prompts_dir: Path, concurrency: int | None = None) -> None:
        self.synthesizer = synthesizer
        self.prompts_dir = prompts_dir
        self.concurrency = concurrency or os.cpu_count() or 2

    async def build(self, menu: Menu, force: bool = False) -> BuildReport:
        started = asyncio.get_running_loop().time()
        self.prompts_dir.mkdir(parents=True, exist_ok=True)
        manifest = read_manifest(self.prompts_dir)
        plans = {name: self._plan(name, text) for name, text in menu.prompts.items()}
        todo = {
            name: plan
            for name, plan in plans.items()
            if force or manifest.get(name, {}).get("hash") != plan.hash or not _outputs_exist(self.prompts_dir, name)
        }
        self.synthesizer.check(synthesize=any(p.source == "synthetic" for p in todo.values()))
        gate = asyncio.Semaphore(self.concurrency)

        async def build_one(name: str, plan: _Plan) -> None:
            async with gate:
                wav, sln16 = self.prompts_dir / f"{name}.wav", self.prompts_dir / f"{name}.sln16"
                if plan.recording is not None:
                    await self.synthesizer.convert(name, plan.recording, wav, sln16)
                else:
                    await self.synthesizer.synthesize(name, plan.text, wav, sln16)
                manifest[name] = {
                    "source": plan.source,
                    "hash": plan.hash,
                    "text": plan.text,
                    "duration_s": round(wav_duration(wav), 3),
                    "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }

        try:
            async with asyncio.TaskGroup() as group:
                for name, plan in todo.items():
                    group.create_task(build_one(name, plan))
        except* Exception as failures:
            raise failures.exceptions[0] from None
        finally:
            write_manifest(self.prompts_dir, manifest)
        return BuildReport(
            built=sorted(todo),
            unchanged=sorted(set(plans) - set(todo)),
            recorded=sorted(n for n, p in plans.items() if p.source == "recorded"),
            seconds=asyncio.get_running_loop().time() - started,
        )

    def _plan(self, name: str, text: str) -> _Plan:
        recording = recorded_path(self.prompts_dir, name)
        if recording.is_file():
            return _Plan(text, "recorded", recorded_hash(recording), recording)
        return _Plan(text, "synthetic", synthetic_hash(text, self.synthesizer.fingerprint), None)


@dataclass(frozen=True)
class _Plan:
    text: str
    source: PromptSource
    hash: str
    recording: Path | None


def recorded_path(prompts_dir: Path, name: str) -> Path:
    return prompts_dir / RECORDED_DIR / f"{name}.wav"


def recorded_hash(recording: Path) -> str:
    return f"v{PIPELINE_VERSION}:recorded:{hashlib.sha256(recording.read_bytes()).hexdigest()}"


def synthetic_hash(text: str, fingerprint: str) -> str:
    payload = json.dumps([PIPELINE_VERSION, fingerprint, spoken_text(text)], ensure_ascii=False)
    return f"v{PIPELINE_VERSION}:synthetic:{hashlib.sha256(payload.encode()).hexdigest()}"


def prompt_inventory(prompts_dir: Path, menu: Menu, fingerprint: str | None = None) -> list[PromptStatus]:
    """For each prompt of `menu`: recorded, synthetic or missing, and whether it needs a rebuild.

    `fingerprint` is the synthesizer's (default: espeak-ng with the default voice and speed).
    """
    if fingerprint is None:
        from ivr.adapters.synthesis import EspeakSox

        fingerprint = EspeakSox().fingerprint
    manifest = read_manifest(prompts_dir)
    in_menu = set(menu.referenced_prompts())
    out = []
    for name, text in menu.prompts.items():
        wav = prompts_dir / f"{name}.wav"
        entry = manifest.get(name, {})
        recording = recorded_path(prompts_dir, name)
        if recording.is_file():
            expected = recorded_hash(recording)
        else:
            expected = synthetic_hash(text, fingerprint)
        if not wav.is_file():
            state: PromptState = "missing"
            duration = None
        else:
            state = "recorded" if entry.get("source") == "recorded" else "synthetic"
            duration = _safe_duration(wav)
        out.append(
            PromptStatus(
                name=name,
                text=text,
                state=state,
                stale=state != "missing" and entry.get("hash") != expected,
                duration_s=duration,
                used_by_menu=name in in_menu,
            )
        )
    return out


def read_manifest(prompts_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((prompts_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.get("prompts", {}).items() if isinstance(v, dict)}


def write_manifest(prompts_dir: Path, prompts: Mapping[str, Mapping[str, Any]]) -> None:
    target = prompts_dir / MANIFEST
    tmp = target.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    data = {"pipeline_version": PIPELINE_VERSION, "prompts": dict(sorted(prompts.items()))}
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def inventory_as_dicts(statuses: list[PromptStatus]) -> list[dict[str, Any]]:
    """JSON-ready rows (for the web console and `hotline prompts list --json`)."""
    return [asdict(s) for s in statuses]


def _outputs_exist(prompts_dir: Path, name: str) -> bool:
    return (prompts_dir / f"{name}.wav").is_file() and (prompts_dir / f"{name}.sln16").is_file()


def _safe_duration(path: Path) -> float | None:
    try:
        return round(wav_duration(path), 3)
    except (OSError, EOFError, wave.Error):
        return None
