"""Misheard terms match by sound; everyday words and far-fetched readings do not."""

from __future__ import annotations

from asr.domain.draft import DraftExtractor
from asr.domain.phonetic import PhoneticText


def text(extractor: DraftExtractor, value: str) -> PhoneticText:
    return PhoneticText(value, extractor.keywords.is_common_word)


def test_a_term_with_one_misheard_character_matches(extractor: DraftExtractor) -> None:
    assert text(extractor, "我们的用地审皮到哪一步了").find("审批") == [5]
    assert text(extractor, "新招的员工可以等转正了再交社宝吗").contains("社保")
    assert text(extractor, "突然被列到经营异常明录里面去了").contains("异常名录")
    assert text(extractor, "生育金贴到现在还没发下来").contains("生育津贴")


def test_exact_spelling_always_matches_even_for_polyphones(extractor: DraftExtractor) -> None:
    assert text(extractor, "县里的银行说不行").contains("银行")


def test_an_everyday_word_is_not_taken_for_a_term_that_sounds_alike(extractor: DraftExtractor) -> None:
    assert not text(extractor, "旁边有个工地天天晚上施工").contains("供地")
    assert not text(extractor, "听说有个简易注销").contains("建议")


def test_no_match_when_most_characters_differ_or_only_a_rare_reading_agrees(extractor: DraftExtractor) -> None:
    assert not text(extractor, "宏达路桥工程有限公司").contains("招工")  # 桥 is qiao; 招 is zhao in 招工
    assert not text(extractor, "天天有大货车拉石头").contains("带货")  # 大 is da in everyday speech
    assert not text(extractor, "贴到墙上").contains("占道")


def test_misheard_words_are_spelled_right_for_keywords(extractor: DraftExtractor) -> None:
    corrected = extractor.keywords.correct("我们厂的用地审皮 到哪一步了 交社宝")
    assert "用地审批" in corrected and "社保" in corrected
