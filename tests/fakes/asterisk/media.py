"""Playbacks, live recordings and the RTP stream of externalMedia channels."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import struct
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .audio import (
    RATE,
    RECORDING_RATE,
    VoiceSegment,
    append_wav,
    render,
    slin16_be,
    slin16_be_decode,
    ulaw,
    ulaw_decode,
    write_wav,
)
from .model import Bridge, Channel, Heard, LiveRecording, Playback

if TYPE_CHECKING:
    from .fake import FakeAsterisk

FOREVER = float("inf")


def media_duration(fake: FakeAsterisk, uri: str) -> float | None:
    """Call-flow seconds `uri` plays for; None if Asterisk can't find it (→ failed); -1 for unknown schemes."""
    scheme, _, rest = uri.partition(":")
    if scheme == "sound":
        return fake.sound_duration(rest)
    if scheme == "tone":
        return FOREVER  # a tone plays until the playback is stopped
    if scheme in ("digits", "characters"):
        return 0.6 * len(rest) if rest else None
    if scheme == "number":
        try:
            return 0.6 * max(1, len(str(int(rest))))
        except ValueError:
            return None
    if scheme == "recording":
        path = fake.stored_recordings.get(rest)
        if path is None:
            return None
        from .audio import wav_duration

        return wav_duration(path)
    return -1.0


async def run_playback(fake: FakeAsterisk, pb: Playback) -> None:
    """Play every media of `pb` in turn, with the events of the traces."""
    apps = fake.target_apps(pb.target_uri)
    bridge = (
        fake.bridges.get(pb.target_uri.partition(":")[2]) if pb.target_uri.startswith("bridge:") else None
    )
    if pb.stopped_by:
        _finish(fake, pb, apps)
        return
    if bridge is not None:
        bridge.playing += 1
    try:
        while True:
            pb.state = "playing"
            fake.emit("PlaybackStarted", apps, playback=pb.to_json())
            fake.mark_heard(pb.target_uri, pb)
            duration = media_duration(fake, pb.media[pb.index])
            if duration is None:
                pb.state = "failed"
                break
            if duration < 0:
                # Unknown scheme: Asterisk starts it, never finishes it, and forgets it.
                fake.playbacks.pop(pb.id, None)
                fake.mark_finished(pb)
                return
            await _play_for(fake, pb, duration)
            if pb.stopped_by == "stop":
                pb.state = "done"
                break
            if pb.stopped_by:
                pb.state = "failed"
                break
            if pb.index + 1 >= len(pb.media):
                pb.state = "done"
                break
            pb.state = "continuing"
            fake.emit("PlaybackContinuing", apps, playback=pb.to_json())
            pb.index += 1
    finally:
        if bridge is not None:
            bridge.playing -= 1
    _finish(fake, pb, fake.target_apps(pb.target_uri) or apps)


async def _play_for(fake: FakeAsterisk, pb: Playback, duration: float) -> None:
    loop = asyncio.get_running_loop()
    remaining = duration
    while True:
        started = loop.time()
        timeout = None if remaining == FOREVER else fake.clock.real_seconds(remaining)
        stop = asyncio.ensure_future(pb.stop.wait())
        control = asyncio.ensure_future(pb.control.wait())
        try:
            await asyncio.wait({stop, control}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            control.cancel()
        if pb.stop.is_set():
            return
        if not pb.control.is_set():
            return  # played to its end
        pb.control.clear()
        elapsed = (loop.time() - started) / fake.time_factor
        if remaining != FOREVER:
            remaining -= elapsed
        op, pb.control_op = pb.control_op, ""
        if op == "restart":
            remaining = duration
        elif op == "forward" and remaining != FOREVER:
            remaining = max(0.0, remaining - 3.0)
        elif op == "reverse" and remaining != FOREVER:
            remaining = min(duration, remaining + 3.0)
        elif op == "pause":
            await pb.control.wait()
            pb.control.clear()
            pb.control_op = ""


def _finish(fake: FakeAsterisk, pb: Playback, apps: set[str]) -> None:
    if pb.id in fake.playbacks:
        fake.playbacks.pop(pb.id, None)
        fake.emit("PlaybackFinished", apps, playback=pb.to_json())
    fake.mark_finished(pb)


def fail_target_playbacks(fake: FakeAsterisk, target_uri: str) -> None:
    """The target went away: its playbacks end `failed` (a bridge playback whose bridge empties)."""
    for pb in list(fake.playbacks.values()):
        if pb.target_uri == target_uri and not pb.stopped_by:
            pb.stopped_by = "gone"
            pb.stop.set()
            if pb.state == "queued":
                pb.state = "failed"
                apps = fake.target_apps(target_uri)
                fake.playbacks.pop(pb.id, None)
                fake.emit("PlaybackFinished", apps, playback=pb.to_json())
                fake.mark_finished(pb)
            else:
                # The playing one reports right now (before StasisEnd), as Asterisk's channel thread does.
                pb.state = "failed"
                apps = fake.target_apps(target_uri)
                fake.playbacks.pop(pb.id, None)
                fake.emit("PlaybackFinished", apps, playback=pb.to_json())
                fake.mark_finished(pb)


def started_bridge_media(fake: FakeAsterisk, bridge: Bridge, channel: Channel) -> None:
    """A channel entering a bridge hears what is already playing on it."""
    for pb in fake.playbacks.values():
        if pb.target_uri == f"bridge:{bridge.id}" and pb.state == "playing":
            fake.add_heard(channel, Heard(pb.media[pb.index], pb.id, fake.clock.monotonic()))


# --------------------------------------------------------------------------- recordings
def finish_target_recordings(fake: FakeAsterisk, target_uri: str, why: str) -> None:
    for rec in list(fake.live_recordings.values()):
        if rec.target_uri == target_uri and rec.state in ("queued", "recording", "paused"):
            rec.ended_by = rec.ended_by or why
            rec.end.set()
            finalize_recording(fake, rec)


def voices_for(fake: FakeAsterisk, target_uri: str) -> list[VoiceSegment]:
    kind, _, ident = target_uri.partition(":")
    if kind == "channel":
        channel = fake.channels.get(ident)
        found = [c for c in fake.calls if c.channel.id == ident]
        if channel is None and found:
            channel = found[0].channel
        return channel.voices() if channel is not None else []
    bridge = fake.bridges.get(ident)
    if bridge is None:
        return []
    out: list[VoiceSegment] = []
    for c in bridge.past_channels:
        out.extend(c.voices())
    return out


async def run_recording(fake: FakeAsterisk, rec: LiveRecording) -> None:
    """Record until stopped, cancelled, at max duration, after max silence, on a terminating key, or hangup."""
    apps = fake.target_apps(rec.target_uri)
    if rec.end.is_set():
        finalize_recording(fake, rec)
        return
    if rec.beep:
        for channel in fake.target_channels(rec.target_uri):
            fake.add_heard(channel, Heard("sound:beep", f"beep:{rec.name}", fake.clock.monotonic()))
        await fake.wait_flag(rec.end, 0.25)
        for channel, heard in fake._heard_by_playback.pop(f"beep:{rec.name}", []):
            heard.finished = True
            fake.poke(channel)
    bridge = (
        fake.bridges.get(rec.target_uri.partition(":")[2]) if rec.target_uri.startswith("bridge:") else None
    )
    if bridge is not None:
        bridge.recording += 1
    rec.state = "recording"
    rec.started_at = fake.clock.monotonic()
    fake.emit("RecordingStarted", apps, recording=rec.to_json())
    try:
        while not rec.end.is_set():
            now = fake.clock.monotonic()
            waits = [1.0]
            if rec.max_duration > 0:
                left = rec.max_duration - _recorded_seconds(rec, now)
                if left <= 0 and rec.paused_since is None:
                    rec.ended_by = "max_duration"
                    break
                waits.append(max(0.001, left))
            if rec.max_silence > 0 and rec.paused_since is None:
                last_voice = max(
                    [rec.started_at] + [s.end for s in voices_for(fake, rec.target_uri) if s.start < now]
                )
                talking = any(s.start <= now < s.end for s in voices_for(fake, rec.target_uri))
                if not talking:
                    silent_for = now - last_voice
                    if silent_for >= rec.max_silence:
                        rec.ended_by = "silence"
                        break
                    waits.append(max(0.001, rec.max_silence - silent_for))
            await fake.wait_flag(rec.end, min(waits))
    finally:
        if bridge is not None:
            bridge.recording -= 1
    finalize_recording(fake, rec)


def _recorded_seconds(rec: LiveRecording, now: float) -> float:
    total = now - rec.started_at
    for a, b in rec.paused:
        total -= b - a
    if rec.paused_since is not None:
        total -= now - rec.paused_since
    return total


def finalize_recording(fake: FakeAsterisk, rec: LiveRecording) -> None:
    """Write the WAV file and send RecordingFinished (done/canceled) once."""
    if rec.state in ("done", "canceled", "failed"):
        return
    apps = fake.target_apps(rec.target_uri) or {a for a in fake.apps}
    now = fake.clock.monotonic()
    if rec.state == "queued":
        rec.started_at = now
    rec.ended_at = now
    if rec.paused_since is not None:
        rec.paused.append((rec.paused_since, now))
        rec.paused_since = None
    if rec.muted_since is not None:
        rec.muted.append((rec.muted_since, now))
        rec.muted_since = None
    fake.live_recordings.pop(rec.name, None)
    fake.finished_recordings[rec.name] = rec
    if rec.ended_by == "cancel":
        rec.state = "canceled"
        with contextlib.suppress(FileNotFoundError):
            rec.path.unlink()
        fake.emit("RecordingFinished", apps, recording=rec.to_json())
        fake.notify()
        return
    segments = voices_for(fake, rec.target_uri)
    samples = array("h")
    cursor = rec.started_at
    for a, b in sorted(rec.paused) + [(now, now)]:
        samples += render(segments, cursor, max(cursor, a))
        cursor = max(cursor, b)
    for a, b in rec.muted:
        first = int(round(_recorded_seconds(rec, a) * RECORDING_RATE))
        last = int(round(_recorded_seconds(rec, b) * RECORDING_RATE))
        for i in range(max(0, first), min(len(samples), last)):
            samples[i] = 0
    if rec.ended_by == "silence":
        keep = max(0, len(samples) - int(rec.max_silence * RECORDING_RATE))
        samples = samples[:keep]
    if rec.if_exists == "append":
        append_wav(rec.path, samples)
    else:
        write_wav(rec.path, samples)
    seconds = len(samples) / RECORDING_RATE
    rec.state = "done"
    rec.duration = int(seconds)
    if rec.max_silence > 0:
        talking = sum(
            min(s.end, now) - max(s.start, rec.started_at)
            for s in segments
            if s.end > rec.started_at and s.start < now
        )
        rec.talking_duration = int(max(0.0, talking))
        rec.silence_duration = max(0, rec.duration - rec.talking_duration)
    fake.emit("RecordingFinished", apps, recording=rec.to_json())
    fake.notify()


# --------------------------------------------------------------------------- RTP
@dataclass
class RtpImpairment:
    """Network trouble on externalMedia streams: drop every Nth packet, swap every Nth with the next."""

    drop_every: int = 0
    swap_every: int = 0


class RtpStream:
    """The UnicastRTP side of externalMedia: 20 ms packets of what the channel's bridge carries."""

    def __init__(self, fake: FakeAsterisk, channel: Channel, host: str, port: int, fmt: str) -> None:
        self.fake = fake
        self.channel = channel
        self.remote = (host, port)
        self.fmt = fmt
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.local_port = self.sock.getsockname()[1]
        self.ssrc = secrets.randbits(32)
        self.seq = secrets.randbits(16)
        self.first_seq = self.seq
        self.timestamp = secrets.randbits(32)
        self.sent = 0
        self.dropped = 0
        self.received = 0
        self.started_at: float | None = None  # call-flow time of the first packet
        self.stopped_at: float | None = None  # call-flow time up to which packets were sent
        self._held: bytes | None = None  # a packet held back to be sent after the next (reordering)

    @property
    def payload_type(self) -> int:
        return 118 if self.fmt == "slin16" else 0

    def _audio(self, start: float) -> bytes:
        bridge = self.channel.bridge
        segments: list[VoiceSegment] = []
        if bridge is not None:
            for other in bridge.channels:
                if other is not self.channel:
                    segments.extend(other.voices())
        samples = render(segments, start, start + 0.02, rate=RATE)
        if len(samples) < 320:
            samples += array("h", [0] * (320 - len(samples)))
        samples = samples[:320]
        return slin16_be(samples) if self.fmt == "slin16" else ulaw(samples)

    def packet(self, start: float) -> bytes:
        header = struct.pack(
            "!BBHII",
            0x80,
            (0x80 if self.sent == 0 else 0) | self.payload_type,
            self.seq & 0xFFFF,
            self.timestamp & 0xFFFFFFFF,
            self.ssrc,
        )
        self.seq += 1
        self.timestamp += 320 if self.fmt == "slin16" else 160
        self.sent += 1
        return header + self._audio(start)

    async def run(self) -> None:
        clock = self.fake.clock
        self.started_at = clock.monotonic()
        try:
            while self.channel.alive:
                self.send_due()
                self._drain()
                await asyncio.sleep(max(0.0005, clock.real_seconds(0.02)))
        finally:
            self.close()

    def send_due(self) -> None:
        """Send every packet whose 20 ms have passed on the call-flow clock, paced from the start time.

        Real Asterisk sends RTP in real time from its own threads; this task shares the event loop and
        may run late, so it catches up here. The fake calls this also right before the bridge's content
        changes or the channel goes, so what the bridge carried until then has left, as with Asterisk.
        """
        if self.started_at is None or self.sock.fileno() < 0:
            return
        began = self.started_at
        now = self.fake.clock.monotonic()
        due = int((now - began) / 0.02)
        while self.sent < due:
            index = self.sent
            data = self.packet(began + index * 0.02)
            impairment = self.fake.rtp_impairment
            if impairment.drop_every and index % impairment.drop_every == impairment.drop_every - 1:
                self.dropped += 1  # lost on the way: a gap in the sequence numbers
                continue
            if impairment.swap_every and index % impairment.swap_every == 0 and self._held is None:
                self._held = data  # sent after the next one: reordered
                continue
            for chunk in (data, self._held) if self._held is not None else (data,):
                with contextlib.suppress(OSError):
                    self.sock.sendto(chunk, self.remote)
            self._held = None
        self.stopped_at = now  # the stream covers up to here

    def close(self) -> None:
        """Send what is due, then release the UDP socket (also when the channel goes before it ever ran)."""
        if self.sock.fileno() >= 0:
            self.send_due()
        self.sock.close()

    def _drain(self) -> None:
        """RTP the application sends in becomes this channel's voice: its bridge hears it, recordings hold it."""
        while True:
            try:
                data = self.sock.recv(4096)
            except (BlockingIOError, OSError):
                return
            self.received += 1
            if len(data) <= 12 or data[0] >> 6 != 2:
                continue
            payload_type = data[1] & 0x7F
            if payload_type == 0:
                samples = ulaw_decode(data[12:])
            elif payload_type == 118 and len(data[12:]) % 2 == 0:
                samples = slin16_be_decode(data[12:])
            else:
                continue
            self._hear(samples)

    def _hear(self, samples: array) -> None:
        now = self.fake.clock.monotonic()
        voice = self.channel.voice
        if voice and now - 0.1 <= voice[-1].end:
            voice[-1].samples.extend(samples)  # the stream goes on
        else:
            voice.append(VoiceSegment(now, array("h", samples)))
        self.fake.poke(self.channel)
