"""RTP from externalMedia: real packets parsed, put back in order across the 16-bit wrap, gaps filled."""

from __future__ import annotations

import struct

import pytest

from asr.rtp import (
    PT_SLIN16,
    PT_ULAW,
    JitterBuffer,
    RtpError,
    RtpPacket,
    build_rtp,
    parse_rtp,
    slin16_to_pcm,
    ulaw_to_pcm,
)

SSRC = 0x1234ABCD


def slin16_packet(sequence: int, value: int, timestamp: int | None = None) -> RtpPacket:
    """20 ms of slin16 (320 samples, 640 bytes big-endian) holding one value, as Asterisk sends it."""
    payload = struct.pack("!320h", *([value] * 320))
    ts = (sequence * 320) if timestamp is None else timestamp
    return parse_rtp(build_rtp(sequence, ts, SSRC, payload))


def values(chunks: list[bytes]) -> list[int]:
    """The first sample of every 20 ms of PCM released (little-endian)."""
    pcm = b"".join(chunks)
    return [struct.unpack_from("<h", pcm, offset)[0] for offset in range(0, len(pcm), 640)]


def test_a_packet_as_asterisk_sends_it_is_parsed_field_by_field() -> None:
    data = bytes([0x80, 0x80 | 118]) + struct.pack("!HII", 65535, 4000000000, SSRC) + b"\x01\x02" * 320
    packet = parse_rtp(data)
    assert (packet.version, packet.marker, packet.payload_type) == (2, True, 118)
    assert (packet.sequence, packet.timestamp, packet.ssrc) == (65535, 4000000000, SSRC)
    assert len(packet.payload) == 640


def test_csrcs_header_extension_and_padding_are_stepped_over() -> None:
    csrc = struct.pack("!I", 7)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x00" * 4
    payload = b"\x00\x10" * 4
    padding = b"\x00\x00\x03"
    first = 0x80 | 0x20 | 0x10 | 1  # padding, extension, one CSRC
    data = bytes([first, 0]) + struct.pack("!HII", 5, 10, SSRC) + csrc + extension + payload + padding
    assert parse_rtp(data).payload == payload


@pytest.mark.parametrize("data", [b"\x80\x76\x00", bytes([0x40, 118]) + b"\x00" * 10 + b"x" * 4])
def test_short_datagrams_and_other_versions_are_refused(data: bytes) -> None:
    with pytest.raises(RtpError) as caught:
        parse_rtp(data)
    assert caught.value.error_id == "rtp-malformed"


def test_slin16_big_endian_becomes_little_endian_and_ulaw_is_expanded() -> None:
    assert slin16_to_pcm(struct.pack("!3h", 1, -2, 1000)) == struct.pack("<3h", 1, -2, 1000)
    pcm = ulaw_to_pcm(bytes([0xFF, 0x7F, 0x00, 0x80]))
    assert struct.unpack("<4h", pcm) == (0, 0, -32124, 32124)


def test_packets_in_order_come_out_at_once_after_the_first_few() -> None:
    buffer = JitterBuffer(depth=2)
    out: list[bytes] = []
    for seq in range(10):
        out += buffer.push(slin16_packet(seq, seq))
    out += buffer.flush()
    assert values(out) == list(range(10))
    assert buffer.stats.lost == buffer.stats.duplicates == buffer.stats.late == 0


def test_reordered_packets_are_put_back_in_order() -> None:
    buffer = JitterBuffer(depth=3)
    order = [1, 0, 2, 4, 3, 5, 7, 6, 9, 8]  # the first packet itself comes late too
    out: list[bytes] = []
    for seq in order:
        out += buffer.push(slin16_packet(seq, seq))
    out += buffer.flush()
    assert values(out) == list(range(10))
    assert buffer.stats.reordered == 4


def test_a_lost_packet_becomes_silence_as_long_as_its_timestamps_say() -> None:
    buffer = JitterBuffer(depth=2)
    out: list[bytes] = []
    for seq in (0, 1, 2, 5, 6, 7, 8, 9):  # 3 and 4 lost
        out += buffer.push(slin16_packet(seq, 100 + seq))
    out += buffer.flush()
    assert len(b"".join(out)) == 10 * 640  # the timeline keeps its length
    assert values(out) == [100, 101, 102, 0, 0, 105, 106, 107, 108, 109]
    assert buffer.stats.lost == 2


def test_sequence_numbers_wrap_at_65536_without_a_gap() -> None:
    buffer = JitterBuffer(depth=2)
    sequences = [65533, 65534, 0, 65535, 1, 2, 3]  # 65535 arrives after 0
    out: list[bytes] = []
    for i, seq in enumerate(sequences):
        ts = (seq if seq > 1000 else seq + 65536) * 320
        out += buffer.push(slin16_packet(seq, i, timestamp=ts & 0xFFFFFFFF))
    out += buffer.flush()
    assert values(out) == [0, 1, 3, 2, 4, 5, 6]  # 65533, 65534, 65535, 0, 1, 2, 3
    assert buffer.stats.lost == 0


def test_duplicates_and_packets_later_than_their_place_are_dropped() -> None:
    buffer = JitterBuffer(depth=1)
    out: list[bytes] = []
    for seq in (0, 1, 1, 2, 4, 5, 6, 3, 7):  # 1 twice; 3 after its place was given up
        out += buffer.push(slin16_packet(seq, seq))
    out += buffer.flush()
    assert values(out) == [0, 1, 2, 0, 4, 5, 6, 7]
    assert (buffer.stats.duplicates, buffer.stats.late, buffer.stats.lost) == (1, 1, 1)


def test_ulaw_packets_fill_gaps_of_160_samples() -> None:
    buffer = JitterBuffer(depth=1)
    out: list[bytes] = []
    for seq in (0, 1, 3, 4):
        out += buffer.push(parse_rtp(build_rtp(seq, seq * 160, SSRC, b"\xff" * 160, PT_ULAW)))
    out += buffer.flush()
    assert len(b"".join(out)) == 5 * 320


def test_a_new_source_starts_a_new_timeline() -> None:
    buffer = JitterBuffer(depth=1)
    out: list[bytes] = []
    for seq in (10, 11, 12):
        out += buffer.push(slin16_packet(seq, seq))
    other = struct.pack("!320h", *([7] * 320))
    for seq in (500, 501, 502):
        out += buffer.push(parse_rtp(build_rtp(seq, seq * 320, SSRC + 1, other, PT_SLIN16)))
    out += buffer.flush()
    assert values(out) == [10, 11, 12, 7, 7, 7]
