"""Repeat complaints (重复投诉): same caller or enterprise, same matter, within 30 days."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ticketing.domain.repeats import (
    ComplaintFacts,
    RepeatPolicy,
    find_repeat,
    keyword_similarity,
    normalise_enterprise,
    normalise_phone,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 20, 9, 30, tzinfo=TZ)


def order(
    id: int,
    days_ago: float,
    *,
    phone: str | None = "13800001111",
    enterprise: str | None = None,
    service: str = "complaint",
    location: str | None = None,
    title: str = "",
    content: str = "",
) -> ComplaintFacts:
    return ComplaintFacts(
        id=id,
        number=f"YS20261020{id:05d}",
        received_at=NOW - timedelta(days=days_ago),
        phone=phone,
        enterprise=enterprise,
        service=service,
        location=location,
        title=title,
        content=content,
    )


UNPAID = order(
    1,
    12,
    title="工程款拖欠",
    content="我公司承建城东工业园区厂房，工程款一百二十万元被拖欠三个月，多次催讨未果。",
)


def test_same_caller_same_unpaid_project_money_in_other_words_is_a_repeat() -> None:
    new = order(9, 0, title="还是拖欠工程款", content="城东工业园区厂房的工程款至今没有支付，上次反映后没有结果。")

    match = find_repeat(new, [UNPAID])

    assert match is not None
    assert match.earlier.id == 1
    assert match.same_phone and not match.same_enterprise
    assert "工程款" in match.shared_keywords
    assert match.similarity >= RepeatPolicy().text_threshold
    assert "YS2026102000001" in match.reason
    assert "138****1111" in match.reason
    assert "工程款" in match.reason


def test_a_different_matter_from_the_same_caller_is_not_a_repeat() -> None:
    new = order(9, 0, title="营业执照变更", content="想咨询营业执照经营范围变更需要准备哪些材料，网上办理入口在哪里。")

    assert find_repeat(new, [UNPAID]) is None


def test_the_same_matter_after_the_window_is_not_a_repeat() -> None:
    old = order(1, 31, title=UNPAID.title, content=UNPAID.content)
    new = order(9, 0, title="工程款拖欠", content="城东工业园区厂房工程款被拖欠，多次催讨未果。")

    assert find_repeat(new, [old]) is None
    assert find_repeat(new, [old], RepeatPolicy(window_days=45)) is not None


def test_the_same_enterprise_from_another_phone_is_a_repeat() -> None:
    old = order(
        1, 5, phone="13911112222", enterprise="清源县宏达建材有限公司（城东分公司）",
        title="环评审批超期", content="宏达建材新生产线的环评审批已超过法定时限仍未批复。",
    )
    new = order(
        9, 0, phone="+86 137-0000-3333", enterprise="清源县宏达建材有限公司(城东分公司)",
        title="环评审批一直没有批复", content="新生产线环评审批超时限，仍然没有批复，影响投产。",
    )

    match = find_repeat(new, [old])

    assert match is not None
    assert match.same_enterprise and not match.same_phone
    assert "同一企业" in match.reason


def test_someone_else_raising_the_same_matter_is_not_a_repeat() -> None:
    new = order(9, 0, phone="13600009999", title=UNPAID.title, content=UNPAID.content)

    assert find_repeat(new, [UNPAID]) is None


def test_loosely_worded_matter_counts_when_service_and_location_agree() -> None:
    old = order(1, 3, location="城东工业园区3号路", title="道路积水", content="园区道路雨后积水严重，货车无法通行。")
    new = order(9, 0, location="城东工业园区 3号路", title="货车进不去", content="雨天道路积水，影响货车进出厂区。")

    similarity, _ = keyword_similarity(
        f"{new.title}\n{new.content}", f"{old.title}\n{old.content}"
    )
    assert RepeatPolicy().related_threshold <= similarity < RepeatPolicy().text_threshold

    match = find_repeat(new, [old])
    assert match is not None and match.same_location and match.same_service
    assert "同一地点" in match.reason
    assert find_repeat(new, [order(1, 3, location="城西", title=old.title, content=old.content)]) is None


def test_the_closest_earlier_order_is_chosen_and_later_ones_are_ignored() -> None:
    weak = order(2, 20, title="厂房施工噪音", content="园区厂房夜间施工噪音扰民，工程款问题另说。")
    later = order(3, -1, title=UNPAID.title, content=UNPAID.content)
    new = order(9, 0, title="工程款拖欠", content="城东工业园区厂房工程款被拖欠三个月，催讨未果。")

    match = find_repeat(new, [weak, UNPAID, later])

    assert match is not None and match.earlier.id == 1


def test_phone_and_enterprise_normalisation() -> None:
    assert normalise_phone("+86 138-0000-1111") == "13800001111"
    assert normalise_phone("0086 13800001111") == "13800001111"
    assert normalise_phone("0763-1234567") == "07631234567"
    assert normalise_phone("") is None
    assert normalise_enterprise(" 某某（县）有限公司 ") == "某某(县)有限公司"
    assert normalise_enterprise(None) is None


def test_rare_words_weigh_more_than_common_ones() -> None:
    rare, _ = keyword_similarity("拖欠工程款", "工程款催讨")
    common, _ = keyword_similarity("公司领导", "公司员工")

    assert rare > common


def test_the_database_lookup_covers_the_usual_stored_forms_of_a_number_and_a_name() -> None:
    from ticketing.repeat_links import enterprise_variants, phone_variants

    assert {"13800001111", "+8613800001111", "8613800001111", "+86 138-0000-1111"} <= set(
        phone_variants("+86 138-0000-1111")
    )
    assert {"某某(县)有限公司", "某某（县）有限公司"} <= set(enterprise_variants("某某 （县）有限公司"))
    assert phone_variants(None) == [] and enterprise_variants("  ") == []
