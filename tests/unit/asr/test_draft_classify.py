"""Class, service, complexity and "answered on the line", decided by cue words the draft names."""

from __future__ import annotations

from asr.domain.draft import DraftExtractor
from tests.unit.asr.draft_fixtures import draft_of


def test_a_wage_arrears_report_is_a_complaint_handed_on(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        话务员：您好 12345营商环境专线 请讲
        来电人：我要反映一下 我们厂老板 拖欠工资两个月了
        话务员：好的 我们转给劳动保障监察部门核实 请留个电话
        来电人：一三九 五七八 一二三 四五
        """,
    )
    assert (draft.klass, draft.service, draft.answered_on_line) == ("complaint", "complaint", False)
    assert "我要反映" in draft.why["class_words"]
    assert draft.complexity in ("simple", "general", "difficult")


def test_a_suggestion_is_a_suggestion_even_when_it_sounds_unhappy(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：你好 我想提个建议 停车场太少了 货车都没地方停
        话务员：好的 您的建议我们记录下来 转相关部门研究
        """,
    )
    assert (draft.klass, draft.service, draft.complexity) == ("suggestion", "suggestion", None)


def test_a_question_answered_by_the_agent_is_a_consultation_answered_on_the_line(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：你好 我想问一下 个体户注销 要怎么办理
        话务员：您好 个体户注销可以在浙里办直接申请 不用跑窗口
        来电人：好的 谢谢
        """,
    )
    assert (draft.klass, draft.service, draft.answered_on_line) == ("consultation", "matter_consultation", True)
    assert draft.department is None
    assert draft.why["department_reason"] == "坐席已当场答复，无需转办"


def test_a_question_about_a_policy_is_a_policy_query(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：你好 我想问一下 小微企业房产税 有没有减免的政策 我们能不能享受
        话务员：符合条件的小微企业 可以享受减半征收的优惠
        """,
    )
    assert (draft.klass, draft.service) == ("consultation", "policy_query")


def test_a_complaint_asking_for_units_to_be_brought_together_is_coordination(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：我们新厂房要通燃气 燃气公司说要住建批 住建又说要燃气公司先出方案 来回推 你们能不能帮我们协调一下
        话务员：好的 我们会转相关部门牵头协调 请留个电话
        来电人：一五八 六七八 零零 九七五
        """,
    )
    assert (draft.klass, draft.service) == ("complaint", "coordination")


def test_a_repeated_complaint_is_difficult_and_a_one_off_nuisance_simple(extractor: DraftExtractor) -> None:
    repeated = draft_of(
        extractor,
        """
        来电人：我上个月已经反映过了 工程款还是没给 到现在一点动静都没有
        话务员：非常抱歉 这次作为重复诉求 提级督办
        """,
    )
    nuisance = draft_of(
        extractor,
        """
        来电人：我要投诉 今天早上开始 门口工地夜间施工 噪音太大了
        话务员：好的 我们转执法部门现场核查
        """,
    )
    assert repeated.complexity == "difficult"
    assert nuisance.complexity == "simple"


def test_a_homophone_of_a_cue_word_still_counts_but_an_everyday_word_does_not(extractor: DraftExtractor) -> None:
    simple_deregistration = draft_of(
        extractor,
        """
        来电人：我有个公司不做了 听说有个简易注销 是怎么弄的
        话务员：您可以在浙里办申请简易注销 公示二十天
        """,
    )
    assert simple_deregistration.klass == "consultation"  # 简易 (simple) is not 建议 (suggestion)


def test_big_sums_and_groups_of_workers_make_a_complaint_difficult(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：我要反映 我们二十个工人 在工地干了半年 工程款欠了三百多万 老板跑了
        话务员：明白 我们会作为重点件转办 请留电话
        来电人：一三九 五七八 零三 一二 五五
        """,
    )
    assert draft.complexity == "difficult"
    assert {"二十个工人", "三百多万"} <= set(draft.why["complexity_words"])


def test_a_year_said_as_digits_is_not_a_long_delay(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：我要反映 我们合作社二零二三年申请的补贴 还没发
        话务员：好的 我们转主管部门核实 请留电话
        来电人：一八三 五七八 六一 七二 零零
        """,
    )
    assert draft.complexity == "general"


def test_intent_words_match_only_as_spelled(extractor: DraftExtractor) -> None:
    draft = draft_of(
        extractor,
        """
        来电人：我们合作社 想建一个 加工厂房 用地 要怎么申请
        话务员：具体我们帮您转主管部门 由经办人员跟您说明
        """,
    )
    assert draft.klass == "consultation"  # 建一 sounds like 建议 but is "build one"
