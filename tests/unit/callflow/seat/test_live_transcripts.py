"""The live text of calls (实时字幕): a partial is replaced by its final, viewers get the backlog then updates."""

from __future__ import annotations

import asyncio

from asr.transcript import Segment
from callflow.seat.live_transcript import LiveTranscripts


def said(speaker: str, text: str, start: float, final: bool = True) -> Segment:
    return Segment(speaker, text, start, start + 1.0, final=final)


def test_a_partial_stands_until_its_final_arrives_and_segments_come_in_time_order() -> None:
    live = LiveTranscripts()
    live.begin("c1", agent="agent101")
    live.publish("c1", said("caller", "我想问一下", 0.0, final=False))
    live.publish("c1", said("agent", "您好", 0.5))
    assert [s.text for s in live.segments("c1") or []] == ["我想问一下", "您好"]
    live.publish("c1", said("caller", "我想问一下营业执照", 0.0))
    live.publish("c1", said("caller", "怎么", 2.0, final=False))
    assert [(s.text, s.final) for s in live.segments("c1") or []] == [
        ("我想问一下营业执照", True), ("您好", True), ("怎么", False)
    ]
    live.end("c1")
    assert [s.text for s in live.segments("c1") or []] == ["我想问一下营业执照", "您好"]  # partials go at the end
    assert not live.is_live("c1") and live.agent_of("c1") == "agent101"


async def test_a_viewer_gets_what_was_said_so_far_then_every_update_until_the_call_ends() -> None:
    live = LiveTranscripts()
    live.begin("c1", agent="agent101")
    live.publish("c1", said("caller", "你好", 0.0))
    viewer = live.subscribe("c1")
    assert (await anext(viewer)).text == "你好"
    pending = anext(viewer)
    live.publish("c1", said("agent", "请讲", 1.0, final=False))
    assert (await pending).text == "请讲"
    live.publish("c1", said("agent", "请讲吧", 1.0))
    live.end("c1")
    assert [s.text async for s in viewer] == ["请讲吧"]
    assert [s.text async for s in live.subscribe("c1")] == ["你好", "请讲吧"]  # after the call: the finals
    assert [s async for s in live.subscribe("unknown")] == []


async def test_a_viewer_joining_mid_sentence_first_gets_the_partial_being_spoken() -> None:
    live = LiveTranscripts()
    live.begin("c1", agent="agent101")
    live.publish("c1", said("caller", "你好", 0.0))
    live.publish("c1", said("caller", "我想问", 1.0, final=False))
    viewer = live.subscribe("c1")
    first = await anext(viewer)
    second = await asyncio.wait_for(anext(viewer), 1)  # (before, a late viewer waited for the next update)
    assert [(s.text, s.final) for s in (first, second)] == [("你好", True), ("我想问", False)]
    live.end("c1")
    assert [s async for s in viewer] == []


def test_only_the_last_ended_calls_are_kept_and_nothing_is_published_after_the_end() -> None:
    live = LiveTranscripts(keep_ended=2)
    for n in range(4):
        live.begin(f"c{n}", agent="agent101")
        live.publish(f"c{n}", said("caller", f"第{n}通", 0.0))
    live.end("c0")
    live.publish("c0", said("caller", "挂机之后", 1.0))
    assert [s.text for s in live.segments("c0") or []] == ["第0通"]
    live.end("c1")
    live.end("c2")
    assert live.segments("c0") is None and live.segments("c1") is not None
    assert live.is_live("c3")  # a call in progress is never forgotten
