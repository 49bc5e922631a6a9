"""The suggested responsible unit, its confidence, and the words that pointed there."""

from __future__ import annotations

from asr.domain.draft import DraftExtractor
from tests.unit.asr.draft_fixtures import draft_of


def test_night_building_noise_goes_to_law_enforcement_even_when_the_caller_names_another_unit(
    extractor: DraftExtractor,
) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：喂 我要投诉 这个是归你们环保局管的吧 旁边工地天天晚上十二点还在打桩 噪音太大 客人都睡不着
        话务员：好的 我们按职责转相应的执法部门 请留个电话
        来电人：一三六 五七八 二二三 四四
        """,
    )
    assert draft.department == "县综合行政执法局"
    assert {"噪音", "打桩"} <= set(draft.why["department_words"])
    assert "县综合行政执法局" in draft.why["department_reason"]
    assert 0.5 <= draft.why["department_confidence"] <= 0.99


def test_misheard_terms_still_route_by_their_sound(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：我想问一下 我们厂的用地审皮 到哪一步了 还有不动产全证 什么时候能拿
        话务员：具体进度我们这边查不到 帮您转主管部门 请他们联系您
        来电人：电话 幺三九 五七八 二八八 幺六
        """,
    )
    assert draft.department == "县自然资源和规划局"
    assert "用地审批" in draft.why["department_words"]


def test_a_local_matter_goes_to_the_township_the_caller_is_in(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：我们厂在竹口镇 门口的路被村民挖断了 说是他家的地 要补偿 村干部也不管
        话务员：这个需要属地牵头协调 我们会转办
        来电人：希望镇里出面协调一下 电话 一八九 五七八 一四四 零七
        """,
    )
    assert draft.department == "竹口镇"
    assert draft.why["department_reason"].startswith("属地事项")


def test_the_clearest_topic_wins_and_the_runner_up_is_reported(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：你好 我们工厂这个月停电五次了 供电所说线路老化 变压器也不够 我们冷库的货全坏了 银行贷款还要还
        话务员：我们马上转供电单位核查 请留电话
        来电人：一五七 五七八 八二零 一六
        """,
    )
    assert draft.department == "县供电公司"
    assert draft.why["department_runners_up"], "the runner-up units are listed for the agent"


def test_nothing_pointing_anywhere_leaves_the_unit_to_the_agent(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：你好 我有个事情想反映 就是那个 嗯 说不清楚 我再想想
        话务员：好的 您想好了可以再打过来 我们记录下来
        """,
    )
    assert draft.department is None
    assert draft.why["department_confidence"] == 0.0
