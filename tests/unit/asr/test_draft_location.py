"""Where the matter is: township plus what follows, answers to "在哪里", origins left out."""

from __future__ import annotations

from asr.domain.draft import DraftExtractor
from tests.unit.asr.draft_fixtures import call


def where(extractor: DraftExtractor, script: str) -> str | None:
    found = extractor.locations.find(call(script))
    return found.text if found else None


def test_a_township_and_the_village_named_after_it(extractor: DraftExtractor) -> None:
    assert where(extractor, "来电人：我们在五大堡乡 黄坑村 那个冷库就在村口") == "五大堡乡黄坑村"
    assert where(extractor, "来电人：在濛洲街道石龙街那边") == "濛洲街道石龙街"


def test_the_answer_to_the_agents_question_outranks_a_place_said_in_passing(extractor: DraftExtractor) -> None:
    script = """
    来电人：我们是松源街道的 一家食品厂 今天一直停水
    话务员：请问具体地址是哪里
    来电人：城东工业区 兴业路十八号
    """
    assert where(extractor, script) == "城东工业区兴业路十八号"


def test_where_the_caller_came_from_is_not_the_location(extractor: DraftExtractor) -> None:
    assert where(extractor, "来电人：行政服务中心那个窗口 我从荷地镇过来 跑了三趟") == "行政服务中心"


def test_a_road_the_gazetteer_does_not_know_given_in_answer(extractor: DraftExtractor) -> None:
    script = """
    话务员：请问店在哪里
    来电人：就在 解放街 菜市场对面
    """
    assert where(extractor, script) == "解放街"


def test_the_township_of_a_short_form(extractor: DraftExtractor) -> None:
    found = extractor.locations.find(call("来电人：我是在屏都开农资店的"))
    assert found is not None and (found.text, found.township) == ("屏都", "屏都街道")
