"""ASR engines behind the `Transcriber` port, and the choice between them from settings."""

from __future__ import annotations

from asr.ports import Transcriber
from hotline.settings import Settings


def make_transcriber(settings: Settings) -> Transcriber:
    """vosk-server pool when HOTLINE_ASR_URL is set, else in-process Vosk on VOSK_MODEL_PATH.

    Building the in-process engine checks the model folder (AsrModelInvalid if it is not a model);
    nothing is loaded or connected until `start()` or the first transcription.
    """
    if settings.asr_url:
        from asr.engines.vosk_server import VoskServerTranscriber, parse_server_urls

        return VoskServerTranscriber(parse_server_urls(settings.asr_url))
    from asr.engines.vosk_engine import VoskTranscriber

    return VoskTranscriber(settings.vosk_model_path, workers=settings.asr_workers)
