"""`hotline prompts build` with the real espeak-ng and sox: telephone-ready audio, recorded overrides win."""

from __future__ import annotations

import array
import math
import shutil
import wave
from pathlib import Path

import pytest

from hotline.cli import main as hotline
from ivr.adapters.synthesis import EspeakSox, PromptBuildFailed, PromptToolMissing
from ivr.config import load_menu, parse_menu
from ivr.domain.menu import Menu
from ivr.prompts import PromptBuilder, prompt_inventory, read_manifest

SMALL_MENU = """\
root: main
destinations:
  business_seat: {kind: seat}
nodes:
  main:
    prompt: main_menu
    keys: {0: agent}
prompts:
  greeting: 您好，欢迎致电12345政务服务便民热线。
  closed: 现在是非工作时间，请在提示音后留言。
  main_menu: 人工服务，请按0；重听请按星号键。
  invalid: 您的输入有误，请重新选择。
  no_input: 对不起，没有收到您的按键。
"""


def small_menu(**texts: str) -> Menu:
    text = SMALL_MENU
    for name, new in texts.items():
        old = parse_menu(SMALL_MENU).prompts[name]
        text = text.replace(old, new)
    return parse_menu(text)


def rms(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


def leftover_temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def write_tone(path: Path, seconds: float, rate: int = 44100, channels: int = 2) -> None:
    """A stand-in for a studio recording: a 440 Hz tone at CD rate in stereo."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = array.array("h")
    for i in range(int(seconds * rate)):
        value = int(8000 * math.sin(2 * math.pi * 440 * i / rate))
        frames.extend([value] * channels)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())


async def test_every_prompt_becomes_8khz_mono_16bit_wav_and_16khz_sln16_with_real_speech(tmp_path: Path) -> None:
    menu = small_menu()
    report = await PromptBuilder(EspeakSox(), tmp_path).build(menu)
    assert report.built == sorted(menu.prompts)
    for name in menu.prompts:
        wav = tmp_path / f"{name}.wav"
        with wave.open(str(wav), "rb") as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
            duration = w.getnframes() / w.getframerate()
        assert duration > 0.5, name
        assert rms(wav) > 500, f"{name} is silent"
        sln16 = tmp_path / f"{name}.sln16"
        assert abs(sln16.stat().st_size / (2 * 16000) - duration) < 0.05
    # the greeting reads the hotline number digit by digit: longer than a mere handful of syllables
    assert read_manifest(tmp_path)["greeting"]["duration_s"] > 3.0
    assert {s.state for s in prompt_inventory(tmp_path, menu)} == {"synthetic"}


async def test_only_changed_prompts_are_rebuilt(tmp_path: Path) -> None:
    builder = PromptBuilder(EspeakSox(), tmp_path)
    await builder.build(small_menu())
    before = (tmp_path / "main_menu.wav").stat().st_mtime_ns
    changed = small_menu(invalid="按键无效，请重新选择。")
    assert [s.name for s in prompt_inventory(tmp_path, changed) if s.stale] == ["invalid"]
    report = await builder.build(changed)
    assert report.built == ["invalid"]
    assert "main_menu" in report.unchanged
    assert (tmp_path / "main_menu.wav").stat().st_mtime_ns == before
    assert read_manifest(tmp_path)["invalid"]["text"] == "按键无效，请重新选择。"
    assert not any(s.stale for s in prompt_inventory(tmp_path, changed))


async def test_a_recorded_human_prompt_replaces_the_synthetic_one_and_is_reported_as_recorded(tmp_path: Path) -> None:
    menu = small_menu()
    builder = PromptBuilder(EspeakSox(), tmp_path)
    await builder.build(menu)
    write_tone(tmp_path / "recorded" / "greeting.wav", seconds=1.2)
    statuses = {s.name: s for s in prompt_inventory(tmp_path, menu)}
    assert statuses["greeting"].stale  # recording dropped in, not yet built

    report = await builder.build(menu)
    assert report.built == ["greeting"] and report.recorded == ["greeting"]
    with wave.open(str(tmp_path / "greeting.wav"), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert abs(w.getnframes() / 8000 - 1.2) < 0.02
    statuses = {s.name: s for s in prompt_inventory(tmp_path, menu)}
    assert statuses["greeting"].state == "recorded" and not statuses["greeting"].stale
    assert statuses["main_menu"].state == "synthetic"

    (tmp_path / "recorded" / "greeting.wav").unlink()
    assert (await builder.build(menu)).built == ["greeting"]
    assert {s.name: s.state for s in prompt_inventory(tmp_path, menu)}["greeting"] == "synthetic"


def test_a_prompt_never_built_is_reported_missing(tmp_path: Path) -> None:
    statuses = prompt_inventory(tmp_path, small_menu())
    assert {s.state for s in statuses} == {"missing"}
    assert all(s.duration_s is None and not s.stale for s in statuses)


async def test_without_espeak_ng_the_error_names_the_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(PromptToolMissing) as caught:
        await PromptBuilder(EspeakSox(), tmp_path).build(small_menu())
    assert caught.value.program == "espeak-ng"
    assert "apt-get install -y espeak-ng" in str(caught.value)


def test_the_cli_rebuilds_nothing_when_nothing_changed_and_lists_the_prompts(
    built_prompts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts_dir = tmp_path / "prompts"
    shutil.copytree(built_prompts, prompts_dir)
    monkeypatch.setenv("HOTLINE_PROMPTS_DIR", str(prompts_dir))
    monkeypatch.delenv("HOTLINE_MENU_PATH", raising=False)
    assert hotline(["prompts", "build"]) == 0
    assert f"新生成 0 个，未变化 {len(load_menu().prompts)} 个" in capsys.readouterr().out
    assert hotline(["prompts", "list"]) == 0
    out = capsys.readouterr().out
    assert "greeting" in out and "合成" in out and "缺失" not in out and "需重建" not in out
    (prompts_dir / "goodbye.wav").unlink()
    assert hotline(["prompts", "list"]) == 0
    assert "缺失" in capsys.readouterr().out


def test_menu_check_prints_each_problem_with_its_line_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "menu.yaml"
    bad.write_text(SMALL_MENU.replace("keys: {0: agent}", "keys: {0: {route: nowhere}}"), encoding="utf-8")
    assert hotline(["menu", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:7:" in err and "nowhere" in err and "unknown-destination" in err
    assert hotline(["menu", "check"]) == 0
    assert "菜单配置有效" in capsys.readouterr().out


def test_the_session_prompt_folder_holds_every_shipped_prompt(built_prompts: Path) -> None:
    menu = load_menu()
    statuses = prompt_inventory(built_prompts, menu)
    assert {s.state for s in statuses} == {"synthetic"} and not any(s.stale for s in statuses)
    assert {p.stem for p in built_prompts.glob("*.sln16")} == set(menu.prompts)


async def test_a_recording_that_is_not_audio_fails_the_build_naming_the_prompt(tmp_path: Path) -> None:
    broken = tmp_path / "recorded" / "closed.wav"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"this is not a WAV file")
    with pytest.raises(PromptBuildFailed) as caught:
        await PromptBuilder(EspeakSox(), tmp_path).build(small_menu())
    assert caught.value.name == "closed"
    assert "closed" in str(caught.value) and "sox" in str(caught.value)
    assert leftover_temp_files(tmp_path) == [], "no half-written files are left behind"
    assert {s.name: s.state for s in prompt_inventory(tmp_path, small_menu())}["closed"] == "missing"
