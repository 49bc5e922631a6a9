"""The RTP receiver on a real UDP socket: an OS-allocated port, packets in, PCM out in order, port released."""

from __future__ import annotations

import socket
import struct

from asr.rtp import RtpReceiver, build_rtp


async def test_the_receiver_takes_real_datagrams_reordered_and_releases_its_port() -> None:
    receiver = await RtpReceiver.open("127.0.0.1")
    assert receiver.port > 0 and receiver.is_open
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.sendto(b"not rtp", ("127.0.0.1", receiver.port))
        for seq in (0, 2, 1, 3, 4, 6, 7, 8, 9):  # 1 late by one, 5 lost
            payload = struct.pack("!320h", *([seq + 1] * 320))
            sender.sendto(build_rtp(60000 + seq, seq * 320, 99, payload), ("127.0.0.1", receiver.port))
        stranger.sendto(build_rtp(1, 0, 5, b"\x00" * 640), ("127.0.0.1", receiver.port))
        payload = struct.pack("!320h", *([11] * 320))
        sender.sendto(build_rtp(60010, 10 * 320, 99, payload), ("127.0.0.1", receiver.port))
        chunks: list[bytes] = []
        audio = receiver.audio()
        while len(b"".join(chunks)) < 7 * 640:  # 0-4, the silence of 5, then 6: 10 has arrived
            chunks.append(await anext(audio))
        receiver.close()
        chunks += [chunk async for chunk in audio]
    finally:
        sender.close()
        stranger.close()
    pcm = b"".join(chunks)
    firsts = [struct.unpack_from("<h", pcm, i)[0] for i in range(0, len(pcm), 640)]
    assert firsts == [1, 2, 3, 4, 5, 0, 7, 8, 9, 10, 11]
    assert (receiver.stats.foreign, receiver.stats.malformed, receiver.jitter.stats.lost) == (1, 1, 1)
    assert not receiver.is_open
    await receiver.wait_closed()
    again = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        again.bind(("127.0.0.1", receiver.port))  # the port is free again
    finally:
        again.close()


async def test_a_burst_that_arrived_just_before_the_stream_ends_is_all_heard() -> None:
    """Two seconds of packets land at once and the stream is closed before the loop has had a turn."""
    receiver = await RtpReceiver.open("127.0.0.1")
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for seq in range(100):
            payload = struct.pack("!320h", *([seq + 1] * 320))
            sender.sendto(build_rtp(seq, seq * 320, 7, payload), ("127.0.0.1", receiver.port))
        receiver.close()  # no await since the burst: every datagram still waits in the socket
    finally:
        sender.close()
    pcm = b"".join([chunk async for chunk in receiver.audio()])
    firsts = [struct.unpack_from("<h", pcm, i)[0] for i in range(0, len(pcm), 640)]
    assert firsts == list(range(1, 101))
    assert receiver.stats.datagrams == 100 and receiver.jitter.stats.lost == 0
    await receiver.wait_closed()
