"""The transcript model: words and segments with timings, merging a call's tracks, JSON both ways."""

from __future__ import annotations

import pytest

from asr.transcript import Segment, Transcript, TranscriptFormatError, Word, join_words, merge_tracks


def seg(speaker: str, text: str, start: float, end: float) -> Segment:
    parts = text.split()
    step = (end - start) / len(parts)
    words = tuple(Word(p, start + i * step, start + (i + 1) * step, 0.9) for i, p in enumerate(parts))
    return Segment(speaker, text, start, end, words)


def test_chinese_recognizer_text_loses_the_spaces_between_characters_but_not_around_latin() -> None:
    assert join_words("我 想 咨询 一下  营业执照") == "我想咨询一下营业执照"
    assert join_words("电话 是 138 0013 8000") == "电话是 138 0013 8000"
    assert join_words("전화번호를 알려 주세요") == "전화번호를 알려 주세요"


def test_tracks_of_a_call_merge_by_start_time_with_the_caller_first_on_a_tie() -> None:
    caller = Transcript((seg("caller", "你好 我 想 投诉", 0.2, 2.0), seg("caller", "好的 谢谢", 6.0, 7.0)), 8.0, 8000)
    agent = Transcript((seg("agent", "您好 请 讲", 2.5, 3.5), seg("agent", "嗯", 6.0, 6.2)), 7.5, 8000)

    call = merge_tracks([agent.by("agent"), caller.by("caller")], source="call-7")

    assert [(s.speaker, s.start) for s in call.segments] == [
        ("caller", 0.2),
        ("agent", 2.5),
        ("agent", 6.0),
        ("caller", 6.0),
    ]
    assert call.speakers == ("agent", "caller")
    assert call.duration == 8.0 and call.source == "call-7"
    assert call.to_turns() == [
        {"speaker": "caller", "text": "你好我想投诉"},
        {"speaker": "agent", "text": "您好请讲嗯"},
        {"speaker": "caller", "text": "好的谢谢"},
    ]


def test_a_transcript_survives_its_json_and_carries_turns_for_the_draft_command() -> None:
    transcript = Transcript((seg("unknown", "我 是 某某 公司 的", 0.0, 1.5),), 2.0, 8000, source="a.wav")

    document = transcript.to_json()

    assert document["turns"] == [{"speaker": "unknown", "text": "我是某某公司的"}]
    assert document["segments"][0]["words"][0] == {"text": "我", "start": 0.0, "end": 0.3, "conf": 0.9}
    again = Transcript.from_json(document)
    assert again.to_json() == document
    assert (again.speakers, again.source, again.text) == (("unknown",), "a.wav", "我是某某公司的")


def test_vosk_style_word_entries_are_read_too() -> None:
    segment = Segment.from_json(
        {"speaker": "caller", "text": "你好", "start": 0.1, "end": 0.5,
         "words": [{"word": "你好", "start": 0.1, "end": 0.5, "conf": 0.8}]}
    )
    assert segment.words == (Word("你好", 0.1, 0.5, 0.8),)
    assert segment.confidence == 0.8


def test_shifting_a_segment_moves_its_words_with_it() -> None:
    moved = seg("agent", "请 稍等", 1.0, 2.0).shifted(10.0)
    assert (moved.start, moved.end) == (11.0, 12.0)
    assert [w.start for w in moved.words] == [11.0, 11.5]


@pytest.mark.parametrize(
    "document",
    [{"turns": []}, {"segments": [{"text": "缺少时间"}]}, {"segments": [{"text": "x", "start": "早", "end": 1}]}],
)
def test_a_document_without_proper_segments_is_a_format_error(document: dict) -> None:
    with pytest.raises(TranscriptFormatError) as bad:
        Transcript.from_json(document)
    assert bad.value.error_id == "transcript-format-invalid"


def test_merging_no_tracks_is_refused() -> None:
    with pytest.raises(ValueError):
        merge_tracks([])
