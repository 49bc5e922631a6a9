"""Scripted callers and endpoints, recordings, prompts from files, and faults of the fake Asterisk."""

from __future__ import annotations

import asyncio
import math
import struct
import wave
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.asterisk import (
    FakeAsterisk,
    HangUp,
    Press,
    Speak,
    Wait,
    WaitForPlayback,
    WaitUntilAnswered,
    WaitUntilHungUp,
)
from tests.fakes.asterisk.client import RawAri
from tests.fakes.asterisk.parties import Call, Step


def _wav(path: Path, seconds: float, rate: int = 8000, tone: float | None = 440.0) -> Path:
    count = int(seconds * rate)
    frames = b"".join(
        struct.pack("<h", int(9000 * math.sin(2 * math.pi * tone * i / rate)) if tone else 0)
        for i in range(count)
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


def _samples(path: Path) -> tuple[int, list[int]]:
    with wave.open(str(path)) as w:
        assert (w.getsampwidth(), w.getnchannels()) == (2, 1)
        raw = w.readframes(w.getnframes())
        return w.getframerate(), [s for (s,) in struct.iter_unpack("<h", raw)]


async def _inbound(
    fake: FakeAsterisk, ari: RawAri, script: list[Step], answer: bool = True
) -> tuple[Call, str]:
    call = await fake.place_call(number="13800138000", script=script)
    channel_id = (await ari.event("StasisStart", {"channel.name": call.name}))["channel"]["id"]
    if answer:
        assert (await ari.request("POST", f"/channels/{channel_id}/answer"))[0] == 204
    return call, channel_id


@pytest.mark.fake_asterisk(time_factor=0.1)  # durations are measured on the real clock
async def test_an_agent_answers_after_its_delay_and_enters_stasis(fake_asterisk: FakeAsterisk) -> None:
    agent = fake_asterisk.add_endpoint("PJSIP/agent101", answer_after=2.0, script=[Wait(1.0), HangUp()])
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        loop = asyncio.get_running_loop()
        began = loop.time()
        status, channel = await ari.request(
            "POST", "/channels", {"endpoint": "PJSIP/agent101", "app": "hotline", "appArgs": "agent,101"}
        )
        assert (status, channel["state"]) == (200, "Down")
        start = await ari.event("StasisStart", {"channel.id": channel["id"]})
        waited = (loop.time() - began) / fake_asterisk.time_factor
        assert 1.9 <= waited <= 3.0
        assert start["args"] == ["agent", "101"]
        assert start["channel"]["state"] == "Up"
        assert [e.get("dialstatus") for e in ari.events if e["type"] == "Dial"] == ["", "RINGING", "ANSWER"]
        destroyed = await ari.event("ChannelDestroyed", {"channel.id": channel["id"]})
        assert destroyed["cause"] == 16
        assert agent.calls[0].hung_up_by == "party"
        fake_asterisk.assert_empty()


async def test_busy_no_answer_unreachable_and_unknown_endpoints(fake_asterisk: FakeAsterisk) -> None:
    fake_asterisk.add_endpoint("PJSIP/busy", busy=True)
    fake_asterisk.add_endpoint("PJSIP/away", answer_after=None)
    fake_asterisk.add_endpoint("PJSIP/gone", unreachable=True)
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        ids = {}
        for name in ("busy", "away", "gone"):
            status, channel = await ari.request(
                "POST", "/channels", {"endpoint": f"PJSIP/{name}", "app": "hotline", "timeout": "5"}
            )
            assert status == 200
            ids[name] = channel["id"]
        causes = {}
        for name, channel_id in ids.items():
            destroyed = await ari.event("ChannelDestroyed", {"channel.id": channel_id})
            causes[name] = (destroyed["cause"], destroyed["cause_txt"])
        assert causes == {
            "busy": (17, "User busy"),
            "away": (19, "User alerting, no answer"),
            "gone": (20, "Subscriber absent"),
        }
        statuses = [e["dialstatus"] for e in ari.events if e["type"] == "Dial"]
        assert "BUSY" in statuses and "CHANUNAVAIL" in statuses and "ANSWER" not in statuses
        assert "StasisStart" not in ari.types()
        assert await ari.request("POST", "/channels", {"endpoint": "PJSIP/nobody", "app": "hotline"}) == (
            500,
            {"error": "Allocation failed"},
        )
        fake_asterisk.assert_empty()


@pytest.mark.fake_asterisk(time_factor=0.1)  # durations are measured on the real clock
async def test_answer_waits_for_the_running_playback_but_play_returns_at_once(
    fake_asterisk: FakeAsterisk, fake_asterisk_sounds: dict[str, Path]
) -> None:
    _wav(fake_asterisk_sounds["hotline"] / "welcome.wav", 3.0)
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call, channel_id = await _inbound(fake_asterisk, ari, [], answer=False)
        loop = asyncio.get_running_loop()
        began = loop.time()
        status, _ = await ari.request(
            "POST", f"/channels/{channel_id}/play", {"media": "sound:hotline/welcome"}
        )
        assert status == 201
        assert (loop.time() - began) / fake_asterisk.time_factor < 1.0
        assert (await ari.request("POST", f"/channels/{channel_id}/answer"))[0] == 204
        waited = (loop.time() - began) / fake_asterisk.time_factor
        assert 2.9 <= waited <= 4.0  # the prompt file's real length
        assert ari.types(skip=("ChannelVarset",)) == [
            "StasisStart",
            "PlaybackStarted",
            "PlaybackFinished",
            "ChannelStateChange",
        ]
        await ari.request("DELETE", f"/channels/{channel_id}")
        await ari.event("StasisEnd")
        fake_asterisk.assert_empty()


async def test_a_list_of_media_continues_from_one_to_the_next(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call, channel_id = await _inbound(fake_asterisk, ari, [WaitForPlayback("digits:42", started=False)])
        status, body = await ari.request(
            "POST", f"/channels/{channel_id}/play", {"media": "sound:beep,digits:42,sound:no-such-sound"}
        )
        assert body["next_media_uri"] == "digits:42"
        finished = await ari.event("PlaybackFinished")
        assert finished["playback"]["state"] == "failed"
        assert ari.types(skip=("ChannelVarset", "StasisStart", "ChannelStateChange")) == [
            "PlaybackStarted",
            "PlaybackContinuing",
            "PlaybackStarted",
            "PlaybackContinuing",
            "PlaybackStarted",
            "PlaybackFinished",
        ]
        await call.finished()
        assert call.heard == ["sound:beep", "digits:42", "sound:no-such-sound"]
        await ari.request("DELETE", f"/channels/{channel_id}")


@pytest.mark.fake_asterisk(time_factor=0.1)  # where the voice sits in the file is checked to 0.3 s
async def test_a_channel_recording_holds_what_the_caller_said(
    fake_asterisk: FakeAsterisk, tmp_path: Path
) -> None:
    voice = _wav(tmp_path / "complaint.wav", 2.0)
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call, channel_id = await _inbound(
            fake_asterisk,
            ari,
            [WaitForPlayback("sound:beep"), Wait(1.0), Speak(voice), Wait(0.5), Press("#")],
        )
        status, body = await ari.request(
            "POST",
            f"/channels/{channel_id}/record",
            {
                "name": "voicemail/13800138000",
                "format": "wav",
                "beep": "true",
                "terminateOn": "#",
                "ifExists": "overwrite",
            },
        )
        assert (status, body["state"]) == (201, "queued")
        await ari.event("RecordingStarted")
        finished = await ari.event("RecordingFinished")
        assert finished["recording"]["state"] == "done"
        path = fake_asterisk.stored_recordings["voicemail/13800138000"]
        rate, samples = _samples(path)
        assert rate == 8000
        seconds = len(samples) / rate
        rec = fake_asterisk.finished_recordings["voicemail/13800138000"]
        assert rec.ended_by == "dtmf"
        assert abs(seconds - (rec.ended_at - rec.started_at)) < 0.01  # the call-flow time it covered
        assert seconds >= 3.3  # 0.75 s after the beep, 2 s of voice, 0.5 s, the 0.15 s key
        assert finished["recording"]["duration"] == int(seconds)
        (spoken,) = call.channel.voice
        voiced = [i / rate for i, s in enumerate(samples) if abs(s) > 2000]
        assert abs(voiced[0] - (spoken.start - rec.started_at)) < 0.01
        assert abs(voiced[-1] - voiced[0] - 2.0) < 0.01
        status, data = await ari.request("GET", "/recordings/stored/voicemail%2F13800138000/file")
        assert status == 200 and data == path.read_bytes()
        await ari.request("DELETE", f"/channels/{channel_id}")
        await call.finished()


@pytest.mark.fake_asterisk(time_factor=0.1)  # the silence is timed against the voice
async def test_recordings_stop_at_max_duration_or_silence(
    fake_asterisk: FakeAsterisk, tmp_path: Path
) -> None:
    voice = _wav(tmp_path / "short.wav", 1.0)
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        _, first = await _inbound(fake_asterisk, ari, [])
        await ari.request(
            "POST", f"/channels/{first}/record", {"name": "long", "format": "wav", "maxDurationSeconds": "3"}
        )
        done = await ari.event("RecordingFinished", {"recording.name": "long"})
        assert done["recording"]["duration"] == 3
        script: list[Step] = [WaitUntilAnswered(), Wait(0.5), Speak(voice), WaitUntilHungUp()]
        _, second = await _inbound(fake_asterisk, ari, script)
        await ari.request(
            "POST", f"/channels/{second}/record", {"name": "quiet", "format": "wav", "maxSilenceSeconds": "2"}
        )
        done = await ari.event("RecordingFinished", {"recording.name": "quiet"})
        # 0.5 s of silence, 1 s of voice, then 2 s of silence that end it and are cut, as Asterisk does.
        rec = fake_asterisk.finished_recordings["quiet"]
        assert rec.ended_by == "silence"
        (spoken,) = [c for c in fake_asterisk.calls if c.channel.id == second][0].channel.voice
        assert 2.0 <= rec.ended_at - spoken.end < 2.3  # two seconds of silence after the voice end it
        assert done["recording"]["talking_duration"] == 1
        rate, samples = _samples(fake_asterisk.stored_recordings["quiet"])
        assert done["recording"]["duration"] == int(len(samples) / rate)
        for channel_id in (first, second):
            await ari.request("DELETE", f"/channels/{channel_id}")


async def test_stored_recordings_list_copy_and_delete(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        _, channel_id = await _inbound(fake_asterisk, ari, [])
        await ari.request("POST", f"/channels/{channel_id}/record", {"name": "msg", "format": "wav"})
        await ari.event("RecordingStarted")
        assert (await ari.request("GET", "/recordings/live/msg"))[1]["state"] == "recording"
        assert await ari.request("POST", "/recordings/live/msg/stop") == (204, None)
        await ari.event("RecordingFinished")
        assert await ari.request("GET", "/recordings/stored") == (200, [{"name": "msg", "format": "wav"}])
        assert await ari.request(
            "POST", "/recordings/stored/msg/copy", {"destinationRecordingName": "kept"}
        ) == (
            200,
            {"name": "kept", "format": "wav"},
        )
        assert await ari.request("DELETE", "/recordings/stored/msg") == (204, None)
        assert sorted(fake_asterisk.stored_recordings) == ["kept"]
        assert await ari.request("GET", "/recordings/stored/msg") == (404, {"message": "Recording not found"})
        await ari.request("DELETE", f"/channels/{channel_id}")


async def test_continue_in_dialplan_leaves_stasis_and_the_caller_hangs_up_later(
    fake_asterisk: FakeAsterisk,
) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call, channel_id = await _inbound(fake_asterisk, ari, [WaitUntilAnswered(), Wait(2.0), HangUp()])
        assert (
            await ari.request(
                "POST",
                f"/channels/{channel_id}/continue",
                {"context": "agents-queue", "extension": "yshj", "priority": "1"},
            )
        )[0] == 204
        await ari.event("StasisEnd")
        assert call.dialplan == {
            "context": "agents-queue",
            "exten": "yshj",
            "priority": 1,
            "app_name": "",
            "app_data": "",
        }
        count = len(ari.events)
        await call.finished()
        assert len(ari.events) == count  # out of Stasis: the app hears nothing more
        assert call.hung_up_by == "party"
        fake_asterisk.assert_empty()


async def test_events_missed_while_the_socket_is_down_are_lost(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        script: list[Step] = [
            WaitForPlayback("sound:hello-world"),
            Press("5"),
            WaitForPlayback("sound:beep"),
            Press("6"),
        ]
        call, channel_id = await _inbound(fake_asterisk, ari, script)
        await fake_asterisk.drop_websockets()
        await ari.disconnect()
        # REST still works while the socket is down; the caller's "5" fires into the gap.
        await ari.request("POST", f"/channels/{channel_id}/play", {"media": "sound:hello-world"})
        assert await fake_asterisk.wait_until(lambda: call.steps_done >= 2, 5.0)
        await ari.connect()
        await ari.request("POST", f"/channels/{channel_id}/play", {"media": "sound:beep"})
        await ari.event("ChannelDtmfReceived", {"digit": "6"})
        assert [e.get("digit") for e in ari.events if e["type"] == "ChannelDtmfReceived"] == ["6"]
        assert "5" not in [e.get("digit") for e in fake_asterisk.events_sent]  # lost, not delivered
        status, channels = await ari.request("GET", "/channels")
        assert [c["id"] for c in channels] == [channel_id]
        await ari.request("DELETE", f"/channels/{channel_id}")


async def test_refused_websockets_and_a_restart(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        fake_asterisk.refuse_websockets(True)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await ari.connect()
        assert refused.value.status == 503
        fake_asterisk.refuse_websockets(False)
        await ari.connect()
        call, channel_id = await _inbound(fake_asterisk, ari, [WaitUntilHungUp()])
        await ari.request("POST", "/bridges", {"type": "holding"})
        await fake_asterisk.restart()
        assert call.done
        fake_asterisk.assert_empty()
        await ari.disconnect()
        seen = len(ari.events)
        await ari.connect()
        assert await ari.request("GET", "/channels") == (200, [])
        assert await ari.request("GET", f"/channels/{channel_id}") == (404, {"message": "Channel not found"})
        assert await ari.request("GET", "/bridges") == (200, [])
        assert ari.types(after=seen) == []  # nothing about the restart, nothing replayed
        after_restart = await fake_asterisk.place_call(script=[])
        assert after_restart.id != channel_id  # a new epoch: ids are never reused
        await ari.request("DELETE", f"/channels/{after_restart.id}")


async def test_dtmf_sent_to_a_caller_and_applications_listing(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call, channel_id = await _inbound(fake_asterisk, ari, [])
        assert await ari.request("POST", f"/channels/{channel_id}/dtmf", {"dtmf": "12#"}) == (204, None)
        await fake_asterisk.wait_until(lambda: call.dtmf_heard == "12#", 2.0)
        assert call.dtmf_heard == "12#"
        status, app = await ari.request("GET", "/applications/hotline")
        assert (status, app["channel_ids"]) == (200, [channel_id])
        assert (await ari.request("GET", "/asterisk/ping"))[1]["ping"] == "pong"
        status, info = await ari.request("GET", "/asterisk/info", {"only": "system"})
        assert list(info) == ["system"]
        status, endpoints = await ari.request("GET", "/endpoints/PJSIP/anonymous")
        assert endpoints["channel_ids"] == [channel_id]
        assert (await ari.request("GET", "/sounds/beep"))[0] == 200
        assert await ari.request("GET", "/sounds/nope") == (404, {"message": "Sound not found"})
        await ari.request("DELETE", f"/channels/{channel_id}", {"reason": "busy"})
        await ari.event("StasisEnd")
        fake_asterisk.assert_empty()


@pytest.mark.fake_asterisk(time_factor=0.1)
async def test_a_paused_recording_leaves_out_what_was_said_meanwhile(
    fake_asterisk: FakeAsterisk, tmp_path: Path
) -> None:
    voice = _wav(tmp_path / "id-number.wav", 1.0)
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call, channel_id = await _inbound(fake_asterisk, ari, [])
        await ari.request("POST", f"/channels/{channel_id}/record", {"name": "redacted", "format": "wav"})
        await ari.event("RecordingStarted")
        assert await ari.request("POST", "/recordings/live/redacted/pause") == (204, None)
        assert (await ari.request("GET", "/recordings/live/redacted"))[1]["state"] == "paused"
        call.add_steps(Speak(voice))  # says the ID number while the recording is paused
        await call.finished()
        assert await ari.request("DELETE", "/recordings/live/redacted/pause") == (204, None)
        assert await ari.request("POST", "/recordings/live/redacted/stop") == (204, None)
        await ari.event("RecordingFinished")
        rec = fake_asterisk.finished_recordings["redacted"]
        rate, samples = _samples(fake_asterisk.stored_recordings["redacted"])
        paused = sum(b - a for a, b in rec.paused)
        assert paused >= 1.0
        assert abs(len(samples) / rate - (rec.ended_at - rec.started_at - paused)) < 0.01
        assert max(abs(s) for s in samples) == 0  # the voice fell entirely into the pause
        await ari.request("DELETE", f"/channels/{channel_id}")


async def test_subscriptions_device_states_endpoints_and_sounds(
    fake_asterisk: FakeAsterisk, fake_asterisk_sounds: dict[str, Path]
) -> None:
    _wav(fake_asterisk_sounds["hotline"] / "welcome.wav", 0.5)
    fake_asterisk.add_endpoint("PJSIP/agent1")
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        status, app = await ari.request(
            "POST", "/applications/hotline/subscription", {"eventSource": "deviceState:Stasis:seat-101"}
        )
        assert (status, app["device_names"]) == (200, ["Stasis:seat-101"])
        assert await ari.request("PUT", "/deviceStates/Stasis:seat-101", {"deviceState": "INUSE"}) == (
            204,
            None,
        )
        changed = await ari.event("DeviceStateChanged")
        assert changed["device_state"] == {"name": "Stasis:seat-101", "state": "INUSE"}
        assert await ari.request("GET", "/deviceStates") == (
            200,
            [{"name": "Stasis:seat-101", "state": "INUSE"}],
        )
        assert await ari.request("PUT", "/deviceStates/PJSIP:agent1", {"deviceState": "BUSY"}) == (
            409,
            {"message": "Uncontrolled device specified"},
        )
        with fake_asterisk.expect_violations():
            status, _ = await ari.request("PUT", "/deviceStates/Stasis:seat-101", {"deviceState": "NAPPING"})
            assert status == 400
        assert await ari.request("DELETE", "/deviceStates/Stasis:seat-101") == (204, None)
        status, endpoints = await ari.request("GET", "/endpoints")
        assert sorted(f"{e['technology']}/{e['resource']}" for e in endpoints) == [
            "PJSIP/agent1",
            "PJSIP/anonymous",
        ]
        assert await ari.request("GET", "/endpoints/PJSIP/agent404") == (
            404,
            {"message": "Endpoint not found"},
        )
        status, sounds = await ari.request("GET", "/sounds")
        assert {"id": "hotline/welcome", "formats": [{"language": "en", "format": "wav"}]} in sounds


@pytest.mark.fake_asterisk(time_factor=0.05)
async def test_talk_detection_reports_when_the_caller_speaks(
    fake_asterisk: FakeAsterisk, tmp_path: Path
) -> None:
    first, second = _wav(tmp_path / "first.wav", 1.0), _wav(tmp_path / "second.wav", 0.5)
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call, channel_id = await _inbound(fake_asterisk, ari, [])
        status, _ = await ari.request(
            "POST", f"/channels/{channel_id}/variable", {"variable": "TALK_DETECT(set)", "value": "1000"}
        )
        assert status == 204
        call.add_steps(Speak(first), Wait(0.5), Speak(second))  # a pause shorter than the threshold
        await ari.event("ChannelTalkingStarted")
        finished = await ari.event("ChannelTalkingFinished")
        # 1 s + a 0.5 s pause + 0.5 s: one stretch of talking, from the first word to the last.
        spoken = call.channel.voice
        assert len(spoken) == 2
        assert abs(finished["duration"] - (spoken[1].end - spoken[0].start) * 1000) <= 1
        assert 1950 <= finished["duration"] <= 3000  # 2 s, plus however late the party's steps woke
        assert ari.types().count("ChannelTalkingStarted") == 1
        assert "ChannelVarset" not in ari.types()  # writing a function sets no variable
        await ari.request("DELETE", f"/channels/{channel_id}")


async def test_continue_waits_for_the_running_prompt_and_leaves_the_bridge_first(
    fake_asterisk: FakeAsterisk,
) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call, channel_id = await _inbound(fake_asterisk, ari, [WaitUntilHungUp()])
        _, bridge = await ari.request("POST", "/bridges", {"type": "holding"})
        await ari.request("POST", f"/bridges/{bridge['id']}/addChannel", {"channel": channel_id})
        await ari.request("POST", f"/channels/{channel_id}/play", {"media": "sound:queue-thankyou"})
        seen = len(ari.events)
        assert await ari.request("POST", f"/channels/{channel_id}/continue", {"context": "agents-queue"}) == (
            204,
            None,
        )
        await ari.event("StasisEnd", after=seen)
        assert ari.types(after=seen, skip=("ChannelVarset",)) == [
            "PlaybackStarted",
            "PlaybackFinished",
            "ChannelLeftBridge",
            "StasisEnd",
        ]
        assert call.dialplan is not None and call.dialplan["context"] == "agents-queue"
        await ari.request("DELETE", f"/bridges/{bridge['id']}")
        await ari.request("DELETE", f"/channels/{channel_id}")
        await call.finished()
        fake_asterisk.assert_empty()


async def test_a_number_dialled_through_a_trunk_reaches_the_trunk_endpoint(
    fake_asterisk: FakeAsterisk,
) -> None:
    trunk = fake_asterisk.add_endpoint(
        "PJSIP/trunk", answer_after=0.5, context="from-trunk", script=[Wait(1.0), HangUp()]
    )
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        status, channel = await ari.request(
            "POST",
            "/channels",
            {"endpoint": "PJSIP/13800138000@trunk", "app": "hotline", "appArgs": "callback"},
        )
        assert status == 200 and channel["name"].startswith("PJSIP/trunk-")
        dial = await ari.event("Dial")
        assert dial["dialstring"] == "13800138000@trunk"
        await ari.event("ChannelDestroyed")
        assert trunk.calls[0].dialled == "13800138000@trunk"
        fake_asterisk.assert_empty()
