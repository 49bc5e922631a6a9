"""`hotline transcribe`: files in, JSON transcripts out (printed or written), on both engines."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from asr.cli import read_transcripts
from asr.transcript import Transcript
from hotline.cli import main
from tests.fakes.vosk_server import (
    AGENT_REPLY,
    CALLER_FOLLOW_UP,
    CALLER_OPENING,
    PHONE_PHRASE,
    KoreanSpeech,
    RunningVoskServer,
)

PHRASE_WORDS = {w for phrase in (CALLER_OPENING, CALLER_FOLLOW_UP, PHONE_PHRASE) for w in phrase.split()}


def test_two_recordings_are_written_as_json_files_with_speakers_words_and_timings(
    korean_model_path: Path, korean_speech: KoreanSpeech, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "transcripts"

    code = main(
        [
            "transcribe",
            str(korean_speech.caller_track),
            str(korean_speech.phrase_16k),
            "--model",
            str(korean_model_path),
            "--speaker",
            "caller",
            "--speaker",
            "agent",
            "--out",
            str(out),
            "--phrase",
            CALLER_OPENING,
            "--phrase",
            CALLER_FOLLOW_UP,
            "--phrase",
            PHONE_PHRASE,
        ]
    )

    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["caller.wav.json", "phrase-16k.wav.json"]
    caller = Transcript.from_json(json.loads((out / "caller.wav.json").read_text(encoding="utf-8")))
    agent = Transcript.from_json(json.loads((out / "phrase-16k.wav.json").read_text(encoding="utf-8")))
    assert (caller.sample_rate, agent.sample_rate) == (8000, 16000)
    assert {s.speaker for s in caller.segments} == {"caller"}
    assert {s.speaker for s in agent.segments} == {"agent"}
    assert caller.words and all(w.end <= caller.duration for w in caller.words)
    assert len(caller.segments) == 2
    assert {w.text for w in caller.words + agent.words} <= PHRASE_WORDS  # --phrase restricted them
    err = capsys.readouterr().err
    assert "转写" in err and "100%" in err  # the progress bar goes to stderr
    assert "已写入" in err


async def test_a_call_merged_from_its_tracks_prints_json_the_draft_command_reads(
    vosk_server: RunningVoskServer,
    korean_speech: KoreanSpeech,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HOTLINE_ASR_URL", vosk_server.url)
    args = ["transcribe", str(korean_speech.caller_track), str(korean_speech.agent_track), "--call"]
    args += ["--speaker", "caller", "--speaker", "agent"]
    args += ["--phrase", CALLER_OPENING, "--phrase", CALLER_FOLLOW_UP, "--phrase", AGENT_REPLY]

    code = await asyncio.to_thread(main, args)

    assert code == 0
    printed = capsys.readouterr().out
    document = json.loads(printed)
    assert document["source"] == "caller+agent"
    turns = document["turns"]
    assert [t["speaker"] for t in turns] == ["caller", "agent", "caller"]
    assert {w for t in turns for w in t["text"].split()} <= PHRASE_WORDS
    assert vosk_server.server.sessions_finished == 2
    saved = tmp_path / "call.json"
    saved.write_text(printed, encoding="utf-8")
    [(_, turns)] = read_transcripts(saved)
    assert [t.speaker for t in turns] == ["caller", "agent", "caller"]


async def test_a_stereo_call_recording_is_split_by_channel_into_caller_and_agent(
    vosk_server: RunningVoskServer,
    korean_speech: KoreanSpeech,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stereo = tmp_path / "call-0042.wav"
    merge = ["sox", "-M", str(korean_speech.caller_track), str(korean_speech.agent_track), str(stereo)]
    await asyncio.to_thread(subprocess.run, merge, check=True)
    monkeypatch.setenv("HOTLINE_ASR_URL", vosk_server.url)
    args = ["transcribe", str(stereo), "--stereo-call"]
    args += ["--phrase", CALLER_OPENING, "--phrase", CALLER_FOLLOW_UP, "--phrase", AGENT_REPLY]

    code = await asyncio.to_thread(main, args)

    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["source"] == str(stereo)
    assert document["speakers"] == ["caller", "agent"]
    assert [t["speaker"] for t in document["turns"]] == ["caller", "agent", "caller"]
    assert [c["sample_rate"] for c in vosk_server.server.configs] == [8000, 8000]


def test_a_folder_that_is_not_a_model_fails_with_a_chinese_message_and_no_output(
    korean_speech: KoreanSpeech, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["transcribe", str(korean_speech.phrase_8k), "--model", str(tmp_path), "--out", str(tmp_path)])

    assert code == 1
    captured = capsys.readouterr()
    assert "不是 Vosk 模型目录" in captured.err and "asr-model-invalid" in captured.err
    assert captured.out == "" and not list(tmp_path.glob("*.json"))


def test_a_missing_recording_is_named_before_any_model_is_loaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["transcribe", str(tmp_path / "gone.wav"), "--model", str(tmp_path)])

    assert code == 1
    assert "gone.wav" in capsys.readouterr().err
