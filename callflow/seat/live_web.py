"""Live text of a call over HTTP, and the wiring of live transcription into the seat queue.

- `GET /api/v1/calls/{call_id}/live` — `{"call_id", "live": true|false, "segments": [...]}`: the final
  segments so far and each party's current partial (speaker `caller`/`agent`, seconds from the answer).
  Only the call's agent (the console user whose name is the seat agent id) or a supervisor may read it.
  Errors: `live-transcript-none` 404 (no live text for that call: unknown, never tapped, or long over).

The engine is `asr.engines.make_transcriber(settings)` when `VOSK_MODEL_PATH` or `HOTLINE_ASR_URL` is set
(tests put their own under `LIVE_ENGINE`); without one, calls simply have no live text.
`HOTLINE_LIVE_RTP_HOST` is the address our RTP receivers bind to and give Asterisk (default 127.0.0.1:
Asterisk on the same host).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from asr.ports import AsrError, Transcriber
from callflow.ari.errors import AriError
from callflow.controller import Controller
from callflow.seat.live_transcript import LiveEngine, LiveTranscriber, LiveTranscripts
from callflow.seat.web import PREFIX, SEAT_QUEUE, SUPERVISOR_ROLES, SeatError, SeatForbidden, _api, _json
from callflow.web import register_call_plugin

log = logging.getLogger(__name__)

LIVE_ENGINE: web.AppKey[LiveEngine] = web.AppKey("callflow_live_engine")
"""Optional override (tests): the engine live streams are opened on."""


@dataclass
class LiveWiring:
    """Filled in when the controller starts (the seat queue exists only then)."""

    transcripts: LiveTranscripts
    transcriber: LiveTranscriber | None = None
    owned_engine: Transcriber | None = None


LIVE = web.AppKey("callflow_live_transcription", LiveWiring)


class NoLiveTranscript(SeatError):
    error_id = "live-transcript-none"
    status = 404


def _engine(app: web.Application) -> tuple[LiveEngine | None, Transcriber | None]:
    from hotline.app import SETTINGS

    if LIVE_ENGINE in app:
        return app[LIVE_ENGINE], None
    settings = app[SETTINGS]
    if settings.vosk_model_path is None and not settings.asr_url:
        return None, None
    from asr.engines import make_transcriber

    try:
        engine = make_transcriber(settings)
    except AsrError as exc:
        log.error("live transcription off: %s", exc)
        return None, None
    return engine, engine


def _install(app: web.Application, controller: Controller) -> None:
    if SEAT_QUEUE not in app:
        return
    from hotline.app import SETTINGS

    wiring = app[LIVE]
    engine, owned = _engine(app)
    wiring.owned_engine = owned
    host = app[SETTINGS].live_rtp_host
    wiring.transcriber = transcriber = LiveTranscriber(app[SEAT_QUEUE], engine, wiring.transcripts, host=host)
    controller.background(_sweep_when_connected(controller, transcriber), "live-text-sweep")


async def _sweep_when_connected(controller: Controller, transcriber: LiveTranscriber) -> None:
    """Once, after the first connection: what a previous run left behind goes."""
    await controller.events.connected.wait()
    try:
        await transcriber.sweep_orphans()
    except AriError as exc:
        log.warning("could not look for orphaned live-text channels: %s", exc)


async def _close_engine(app: web.Application) -> None:
    engine = app[LIVE].owned_engine
    if engine is not None:
        await engine.close()


@_api
async def live_text(request: web.Request) -> web.Response:
    from hotline.app import SESSIONS
    from ticketing.auth import authenticate

    transcripts = request.app[LIVE].transcripts
    call_id = request.match_info["call_id"]
    actor = await authenticate(request.app[SESSIONS], request.headers.get("Authorization"))
    agent = transcripts.agent_of(call_id)
    if str(actor.role) not in SUPERVISOR_ROLES and not (str(actor.role) == "agent" and actor.name == agent):
        if agent is None:
            raise NoLiveTranscript(f"该通话没有实时转写 (no live text for call {call_id})")
        raise SeatForbidden("只有本通话的坐席或班长可以查看实时转写 (only the call's agent or a supervisor)")
    segments = transcripts.segments(call_id)
    if segments is None:
        raise NoLiveTranscript(f"该通话没有实时转写 (no live text for call {call_id})")
    return _json(
        {"call_id": call_id, "live": transcripts.is_live(call_id), "segments": [s.to_json() for s in segments]}
    )


def setup(app: web.Application) -> None:
    """After the expert calls' setup (the seat queue exists when the controller starts)."""
    app[LIVE] = LiveWiring(LiveTranscripts())
    register_call_plugin(app, _install)
    app.on_cleanup.append(_close_engine)
    app.router.add_get(f"{PREFIX}/calls/{{call_id}}/live", live_text)
