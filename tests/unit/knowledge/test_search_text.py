"""The Chinese text side of search: jieba words for the index, the query and a live transcript."""

from __future__ import annotations

from knowledge.search import excerpt, query_terms, segment, selective_terms, transcript_terms


def test_indexed_text_is_search_mode_words_separated_by_spaces() -> None:
    words = segment("个体户变更经营范围，在浙里办办理").split()
    assert {"个体", "个体户", "经营范围", "浙里办"} <= set(words)
    assert "，" not in words


def test_a_typed_question_keeps_its_content_words_and_drops_filler() -> None:
    terms = query_terms("请问个体户怎么变更经营范围啊")
    assert "个体户" in terms and "经营范围" in terms
    assert not {"请问", "怎么", "啊"} & set(terms)


def test_a_query_of_only_filler_words_still_searches_something() -> None:
    assert "怎么办" in query_terms("怎么办")
    assert query_terms("税") == ["税"]


def test_domain_words_stay_whole_and_are_found_inside_longer_ones() -> None:
    assert "留抵退税" in query_terms("增值税留抵退税的条件")
    assert "留抵退税" in segment("增值税留抵退税政策").split()
    assert "稳岗补贴" in query_terms("稳岗补贴到账了吗")
    assert "账" not in query_terms("稳岗补贴到账了吗")


def test_a_call_transcript_yields_the_words_of_the_matter_not_the_small_talk() -> None:
    transcript = (
        "喂你好，我这边是一家做机械加工的小公司，想问一下增值税留抵退税，"
        "我们上个月留抵税额比较大，留抵退税要什么条件，纳税信用是B级可以吗。好的谢谢"
    )
    terms = transcript_terms(transcript)
    assert "留抵退税" in terms[:5]
    assert "纳税信用" in terms
    assert not {"你好", "谢谢", "好的", "一下"} & set(terms)


def test_the_excerpt_shows_the_answer_around_the_first_matched_word() -> None:
    answer = "一般要求：" + "甲" * 80 + "纳税信用等级为A级或B级；" + "乙" * 80
    shown = excerpt(answer, ["纳税信用"], width=40)
    assert "纳税信用" in shown and shown.startswith("…") and shown.endswith("…")
    assert excerpt("短答复", ["没有"]) == "短答复"


def test_words_in_most_entries_of_a_large_knowledge_base_are_not_ranked_on() -> None:
    shares = {"企业": 0.75, "办理": 0.56, "营业执照": 0.22, "小微": 0.05}
    terms = ["小微", "企业", "营业执照", "办理"]
    assert selective_terms(terms, shares, total=5000) == ["小微", "营业执照"]
    # a query made only of common words keeps them all
    assert selective_terms(["企业", "办理"], shares, total=5000) == ["企业", "办理"]
    # a small knowledge base is ranked on every word
    assert selective_terms(terms, shares, total=50) == terms


def test_a_query_asks_for_whole_words_not_their_two_character_pieces() -> None:
    terms = query_terms("营业执照遗失补领")
    assert "营业执照" in terms and "营业" not in terms and "执照" not in terms
    # the index keeps the pieces, so an entry saying 营业执照 is still found by a query for 执照
    assert {"营业", "执照", "营业执照"} <= set(segment("营业执照遗失").split())
