"""RTP in from Asterisk's externalMedia channels (实时音频接收): parse, reorder, fill gaps, decode to PCM.

Pure parts: `parse_rtp` (RFC 3550 header: version, padding, extension, CSRCs, payload type, sequence
number, timestamp, SSRC), `JitterBuffer` (orders packets by sequence number across the 16-bit wrap,
fills a lost packet with silence as long as the timestamps say, drops duplicates and packets that come
after their place was given up), `decode_payload` (slin16 big-endian → 16-bit little-endian PCM; μ-law
→ PCM). The I/O part is `RtpReceiver`, an asyncio datagram endpoint on an OS-allocated UDP port
(port 0, never a fixed scheme) that yields the call's PCM in order until it is closed.

Asterisk's externalMedia with `format=slin16` sends 20 ms packets of 640 bytes, PT 118, timestamp step
320; with `format=ulaw` 160 bytes, PT 0, step 160.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

HEADER = struct.Struct("!BBHII")
PT_ULAW = 0
PT_SLIN16 = 118
RECEIVE_BUFFER = 1024 * 1024
"""Bytes of UDP receive buffer the receiver asks for (SO_RCVBUF)."""
FORMATS = {"slin16": (PT_SLIN16, 16000), "ulaw": (PT_ULAW, 8000)}
"""externalMedia `format` → (RTP payload type Asterisk uses, sample rate)."""


class RtpError(ValueError):
    """A datagram that is not an RTP packet we can use."""

    error_id = "rtp-malformed"


@dataclass(frozen=True)
class RtpPacket:
    version: int
    marker: bool
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse_rtp(data: bytes) -> RtpPacket:
    """One RTP packet; raises RtpError for anything that is not version 2 or is cut short."""
    if len(data) < HEADER.size:
        raise RtpError(f"{len(data)} bytes is shorter than an RTP header")
    first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
    version = first >> 6
    if version != 2:
        raise RtpError(f"RTP version {version}, expected 2")
    offset = HEADER.size + 4 * (first & 0x0F)  # CSRC list
    if first & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if len(data) < offset + 4:
            raise RtpError("header extension cut short")
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
    end = len(data)
    if first & 0x20:  # padding: its last byte counts the padding bytes
        end -= data[-1]
    if offset > end:
        raise RtpError("header longer than the packet")
    return RtpPacket(2, bool(second & 0x80), second & 0x7F, sequence, timestamp, ssrc, bytes(data[offset:end]))


def build_rtp(sequence: int, timestamp: int, ssrc: int, payload: bytes, payload_type: int = PT_SLIN16) -> bytes:
    """An RTP packet as Asterisk sends it (no CSRCs, no extension): for tests and tools."""
    return HEADER.pack(0x80, payload_type & 0x7F, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + payload


# --- payload decoding ---------------------------------------------------------------------------


def slin16_to_pcm(payload: bytes) -> bytes:
    """Big-endian signed 16-bit (network order, as RTP L16 carries it) → little-endian PCM."""
    if len(payload) % 2:
        payload = payload[:-1]
    swapped = bytearray(len(payload))
    swapped[0::2] = payload[1::2]
    swapped[1::2] = payload[0::2]
    return bytes(swapped)


def _ulaw_sample(byte: int) -> int:
    byte = ~byte & 0xFF
    sign = byte & 0x80
    exponent = (byte >> 4) & 0x07
    mantissa = byte & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -magnitude if sign else magnitude


_ULAW = [struct.pack("<h", _ulaw_sample(b)) for b in range(256)]


def ulaw_to_pcm(payload: bytes) -> bytes:
    """G.711 μ-law → 16-bit little-endian PCM (one sample per byte)."""
    return b"".join(_ULAW[b] for b in payload)


def decode_payload(payload_type: int, payload: bytes) -> bytes:
    if payload_type == PT_SLIN16:
        return slin16_to_pcm(payload)
    if payload_type == PT_ULAW:
        return ulaw_to_pcm(payload)
    raise RtpError(f"payload type {payload_type} is neither slin16 (118) nor μ-law (0)")


def samples_in(payload_type: int, payload: bytes) -> int:
    return len(payload) // 2 if payload_type == PT_SLIN16 else len(payload)


# --- jitter buffer ------------------------------------------------------------------------------


@dataclass
class JitterStats:
    received: int = 0
    released: int = 0
    duplicates: int = 0
    late: int = 0
    lost: int = 0
    """Packets never received; each one's place was filled with silence."""
    reordered: int = 0


@dataclass
class JitterBuffer:
    """Puts packets of one stream back in order and turns them into continuous PCM (抖动缓冲).

    Packets wait until the next expected sequence number arrives; once more than `depth` packets wait
    behind a missing one, it is given up for lost and its time is filled with silence (the timestamp
    difference says how many samples, bounded by `max_gap_samples`). A packet that arrives after its
    place was given up, or a second copy, is dropped. `push` and `flush` return the PCM now in order.
    """

    depth: int = 4
    max_gap_samples: int = 16000
    stats: JitterStats = field(default_factory=JitterStats)
    _waiting: dict[int, RtpPacket] = field(default_factory=dict)
    _next: int | None = None
    _reference: int | None = None
    _expected_ts: int | None = None
    _ssrc: int | None = None
    _samples_per_packet: int = 0
    _given: set[int] = field(default_factory=set)
    """Sequence numbers released lately (to tell a duplicate from a late packet)."""

    def _extend(self, sequence: int) -> int:
        """A 16-bit sequence number → an ever-growing one, the nearest to the last we saw."""
        if self._reference is None:
            return sequence
        delta = (sequence - self._reference + 0x8000) % 0x10000 - 0x8000
        return self._reference + delta

    def push(self, packet: RtpPacket) -> list[bytes]:
        out: list[bytes] = []
        if self._ssrc is not None and packet.ssrc != self._ssrc:
            out = self.flush()  # a new source (the far end restarted its stream): start over
            self._next = self._reference = self._expected_ts = None
            self._given = set()
        self._ssrc = packet.ssrc
        self.stats.received += 1
        number = self._extend(packet.sequence)
        if self._next is not None and number < self._next:
            if number in self._given:
                self.stats.duplicates += 1  # a second copy of one already played
            else:
                self.stats.late += 1  # its place was given up (filled with silence)
            return out
        if number in self._waiting:
            self.stats.duplicates += 1
            return out
        if self._reference is not None and number < self._reference:
            self.stats.reordered += 1
        self._reference = max(number, self._reference if self._reference is not None else number)
        self._waiting[number] = packet
        if self._next is None:
            if len(self._waiting) <= self.depth:
                return out  # the first packets may themselves come out of order: wait for a few
            self._next = min(self._waiting)
        out.extend(self._release(give_up=False))
        return out

    def flush(self) -> list[bytes]:
        """The end of the stream: everything still waiting, gaps filled."""
        if self._next is None and self._waiting:
            self._next = min(self._waiting)
        return self._release(give_up=True)

    def _release(self, give_up: bool) -> list[bytes]:
        out: list[bytes] = []
        while self._waiting and self._next is not None:
            packet = self._waiting.pop(self._next, None)
            if packet is None:
                if not give_up and len(self._waiting) <= self.depth:
                    break
                following = min(self._waiting)
                missing = following - self._next
                self.stats.lost += missing
                out.append(self._silence(missing, self._waiting[following]))
                self._next = following
                continue
            out.append(self._audio(packet))
            self._given.add(self._next)
            if len(self._given) > 1024:
                self._given = {n for n in self._given if n > self._next - 512}
            self._next += 1
        return out

    def _silence(self, missing: int, following: RtpPacket) -> bytes:
        by_count = missing * self._samples_per_packet
        samples = by_count
        if self._expected_ts is not None:
            by_time = (following.timestamp - self._expected_ts) & 0xFFFFFFFF
            if 0 < by_time <= self.max_gap_samples:
                samples = by_time
        self._expected_ts = following.timestamp
        return bytes(2 * min(samples, self.max_gap_samples))

    def _audio(self, packet: RtpPacket) -> bytes:
        samples = samples_in(packet.payload_type, packet.payload)
        self._samples_per_packet = samples or self._samples_per_packet
        self._expected_ts = (packet.timestamp + samples) & 0xFFFFFFFF
        self.stats.released += 1
        try:
            return decode_payload(packet.payload_type, packet.payload)
        except RtpError:
            return bytes(2 * samples)


# --- the UDP receiver ---------------------------------------------------------------------------


@dataclass
class ReceiverStats:
    datagrams: int = 0
    malformed: int = 0
    foreign: int = 0
    """Datagrams from another address than the stream's first sender (ignored, as strict RTP does)."""


class RtpReceiver(asyncio.DatagramProtocol):
    """One externalMedia stream in: a UDP socket on an OS-allocated port, PCM out in order.

    `await RtpReceiver.open(host)` binds `host:0`; `port` is then what externalMedia's
    `external_host` names. `audio()` yields PCM until `close()` (which flushes the jitter buffer and
    releases the socket).
    """

    def __init__(self, depth: int = 4) -> None:
        self.jitter = JitterBuffer(depth=depth)
        self.stats = ReceiverStats()
        self.host = ""
        self.port = 0
        self.peer: tuple[str, int] | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._sock: socket.socket | None = None
        self._pcm: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._closed = False
        self._released = asyncio.Event()

    @classmethod
    async def open(cls, host: str = "127.0.0.1", depth: int = 4) -> RtpReceiver:
        loop = asyncio.get_running_loop()
        receiver = cls(depth)
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # Room for seconds of RTP (a 20 ms packet costs ~2 KB of buffer): should the event loop stall,
            # the packets wait in the kernel instead of being dropped. The kernel caps it at rmem_max.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.bind((host, 0))
            sock.setblocking(False)
            transport, _ = await loop.create_datagram_endpoint(lambda: receiver, sock=sock)
        except BaseException:
            sock.close()
            raise
        receiver._sock = sock
        receiver._transport = transport
        receiver.host, receiver.port = transport.get_extra_info("sockname")[:2]
        return receiver

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._closed:
            return
        self.stats.datagrams += 1
        if self.peer is None:
            self.peer = (addr[0], addr[1])
        elif (addr[0], addr[1]) != self.peer:
            self.stats.foreign += 1
            return
        try:
            packet = parse_rtp(data)
        except RtpError:
            self.stats.malformed += 1
            return
        for pcm in self.jitter.push(packet):
            self._pcm.put_nowait(pcm)

    def _take_what_arrived(self) -> None:
        """Read what already waits in the socket: it is the call's audio too.

        The event loop hands over one datagram per turn, so packets that arrived just before the stream
        was hung up would otherwise be thrown away by `close()`.
        """
        if self._sock is None or self._transport is None or self._transport.is_closing():
            return
        while True:
            try:
                data, addr = self._sock.recvfrom(65536)
            except OSError:  # BlockingIOError: nothing more waiting
                return
            self.datagram_received(data, addr)

    def connection_lost(self, exc: Exception | None) -> None:
        self._released.set()

    async def wait_closed(self) -> None:
        """Until the socket is really gone (the port is free again)."""
        await self._released.wait()

    def error_received(self, exc: Exception) -> None:
        log.debug("RTP receiver %s: %s", self.address, exc)

    async def audio(self) -> AsyncIterator[bytes]:
        """PCM in order, everything waiting joined into one chunk; ends after `close()`."""
        while True:
            chunk = await self._pcm.get()
            parts: list[bytes] = []
            ended = chunk is None
            if chunk is not None:
                parts.append(chunk)
            while not ended and not self._pcm.empty():
                more = self._pcm.get_nowait()
                if more is None:
                    ended = True
                else:
                    parts.append(more)
            if parts:
                yield b"".join(parts)
            if ended:
                return

    def close(self) -> None:
        """Stop receiving: release the port, hand on what the jitter buffer held, end `audio()`."""
        if self._closed:
            return
        self._take_what_arrived()
        self._closed = True
        if self._transport is not None:
            self._transport.close()
        else:
            self._released.set()
        for pcm in self.jitter.flush():
            self._pcm.put_nowait(pcm)
        self._pcm.put_nowait(None)
