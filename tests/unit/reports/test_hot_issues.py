"""Hot issues (涉企热点): similar work orders grouped, counted, traced across units and periods."""

from __future__ import annotations

from reports.domain.hot_issues import IssueText, analyse
from reports.domain.opinions import summarize

DEBT = "承建的{place}厂房工程款{n}万元被拖欠，多次催讨未果。"
POWER = "{place}新厂房用电报装申请迟迟未接电，影响设备调试投产。"
NOISE = "{place}附近工地夜间施工噪音扰民，影响员工休息。"


def order(i: int, unit: str, title: str, template: str, place: str = "城东工业园区") -> IssueText:
    return IssueText(i, f"YS20260801{i:05d}", unit, title, template.format(place=place, n=10 + i))


def test_similar_complaints_group_together_with_their_units_and_a_common_problem_is_flagged() -> None:
    current = [
        order(1, "县住建局", "工程款拖欠", DEBT),
        order(2, "县交通运输局", "工程款拖欠", DEBT, "城西工业园区"),
        order(3, "县水利局", "工程款拖欠", DEBT, "经济开发区"),
        order(4, "县住建局", "工程款拖欠", DEBT, "黄田镇"),
        order(5, "县供电公司", "用电报装", POWER),
        order(6, "县供电公司", "用电报装", POWER, "竹口镇"),
        order(7, "县生态环境分局", "施工噪音", NOISE),
    ]
    previous = [order(20, "县住建局", "工程款拖欠", DEBT), order(21, "县供电公司", "用电报装", POWER),
                order(22, "县供电公司", "用电报装", POWER, "荷地镇"), order(23, "县供电公司", "用电报装", POWER, "松源街道")]
    analysis = analyse(current, previous)
    debt, power = analysis.issues  # the lone noise complaint is no hot issue (min 2)
    assert "工程款" in debt.keywords and debt.count == 4
    assert debt.units == (("县住建局", 2), ("县交通运输局", 1), ("县水利局", 1))
    assert debt.common_across_units and not power.common_across_units
    assert (debt.previous_count, debt.trend_zh) == (1, "上升300%")
    assert (power.count, power.previous_count, power.trend_zh) == (2, 3, "下降33%")
    assert [e.number for e in debt.examples] == ["YS2026080100001", "YS2026080100002", "YS2026080100003"]
    assert analysis.common == [debt]
    top = [k.term for k in analysis.keywords[:6]]
    assert "工程款" in top and "拖欠" in top
    assert all(not k.term.isdigit() for k in analysis.keywords)


def test_the_monthly_summary_keeps_every_suggestion_sorted_by_group_size() -> None:
    suggestions = [
        order(1, "县发展改革局", "惠企政策", "建议惠企政策兑现实行免申即享，减少企业重复提交材料。"),
        order(2, "县财政局", "惠企政策", "建议惠企政策兑现免申即享，减少企业提交材料。"),
        order(3, "县人社局", "用工招聘", "建议定期举办园区专场招聘会，解决企业技术工人招聘难。"),
    ]
    summary = summarize(suggestions)
    assert summary.total == 3
    assert [g.count for g in summary.groups] == [2, 1]
    assert summary.groups[0].summary_zh.startswith("共2件，主要涉及")
    assert "县发展改革局、县财政局" in summary.groups[0].summary_zh
