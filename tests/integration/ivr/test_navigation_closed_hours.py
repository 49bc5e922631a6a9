"""Outside office hours the caller hears the closed message and leaves a voice message (留言)."""

from __future__ import annotations

import wave
from pathlib import Path

from tests.fakes.asterisk.parties import HangUp, Press, Speak, WaitForPlayback
from tests.integration.callflow.support import Hotline, write_prompt


async def test_closed_hours_record_a_voice_message_kept_for_a_callback(hotline: Hotline) -> None:
    hotline.hours.open = False
    said = hotline.tmp / "caller-says.wav"
    write_prompt(said, 3.0)
    call = await hotline.call(
        [WaitForPlayback("sound:hotline/closed", started=False), Speak(said), Press("#")],
        number="13912345678",
    )
    record = await hotline.record_of(call)
    assert call.heard[0] == "sound:hotline/closed"
    assert (record.disposition, record.destination) == ("voice-message", None)
    assert [s.outcome for s in record.path] == ["closed", "voice_message"]

    (row,) = await hotline.store.voice_messages()
    assert (row.call_id, row.caller_number, row.status, row.recording_format) == (
        record.id,
        "13912345678",
        "new",
        "wav",
    )
    assert row.recording_name in hotline.fake.stored_recordings
    assert row.file_path is not None
    with wave.open(row.file_path) as kept:  # a real WAV copied from Asterisk's stored recordings
        seconds = kept.getnframes() / kept.getframerate()
    # the caller spoke 3 s right after the closed message; the beep and timing at 1/50 speed eat a little
    assert 1.5 <= seconds <= 3.5
    assert row.duration_s is None or abs(row.duration_s - seconds) <= 1.0
    await hotline.fake.wait_empty()


async def test_a_caller_who_hangs_up_instead_of_pressing_hash_still_leaves_the_message(hotline: Hotline) -> None:
    hotline.hours.open = False
    said = hotline.tmp / "caller-says.wav"
    write_prompt(said, 2.0)
    call = await hotline.call([WaitForPlayback("sound:hotline/closed", started=False), Speak(said), HangUp()])
    record = await hotline.record_of(call)
    assert record.disposition == "voice-message"
    (row,) = await hotline.store.voice_messages()
    assert row.call_id == record.id and row.file_path is not None
    await hotline.fake.wait_empty()


async def test_a_voice_message_that_ends_while_the_websocket_is_down_is_still_kept(hotline: Hotline) -> None:
    fake = hotline.fake
    hotline.hours.open = False
    call = await hotline.call([WaitForPlayback("sound:hotline/closed", started=False), Speak(_said(hotline, 2.0))])
    assert await fake.wait_until(lambda: bool(fake.live_recordings), 5)
    await call.finished()
    fake.refuse_websockets(True)
    await fake.drop_websockets()
    fake.party_dtmf(call.channel, "#", 150)  # ends the recording; RecordingFinished is lost
    assert await fake.wait_until(lambda: not fake.live_recordings, 5)
    fake.refuse_websockets(False)
    record = await hotline.record_of(call)  # reconcile found the recording stored, kept it, hung up
    assert record.disposition == "voice-message"
    (row,) = await hotline.store.voice_messages()
    assert row.call_id == record.id and row.file_path is not None
    await fake.wait_empty()


def _said(hotline: Hotline, seconds: float) -> Path:
    path = hotline.tmp / f"caller-says-{seconds}.wav"
    write_prompt(path, seconds)
    return path
