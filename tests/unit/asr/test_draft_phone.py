"""Contact numbers as callers say them: Chinese digits, groups, corrections, landlines."""

from __future__ import annotations

from asr.domain.phone import contact_phone, is_valid_phone, numbers_in
from tests.unit.asr.draft_fixtures import call


def test_a_mobile_read_in_groups_of_chinese_digits_with_yao_for_one() -> None:
    assert numbers_in("我姓吴 电话是 幺五八 六七八二 三四九幺") == ["15867823491"]


def test_liang_and_dong_are_digits_too() -> None:
    assert numbers_in("电话 一三九 洞两七八 两两三四") == ["13902782234"]


def test_arabic_digits_and_mixed_spoken_digits() -> None:
    assert numbers_in("电话是 13757812906") == ["13757812906"]
    assert numbers_in("一三七 5781 二九零六") == ["13757812906"]


def test_the_hotline_number_and_amounts_are_not_phone_numbers() -> None:
    assert numbers_in("您好 幺二三四五营商环境专线 请讲") == []
    assert numbers_in("一共一万四千多 二零二二年年底 三百多万") == []


def test_an_eleven_digit_run_that_is_no_mobile_is_rejected() -> None:
    assert not is_valid_phone("12345678901")
    assert numbers_in("编号 一二三四五六七八九零一") == []


def test_a_landline_with_the_area_code() -> None:
    assert numbers_in("座机 零五七八 六二幺二三四五") == ["05786212345"]
    assert is_valid_phone("057162123456")


def test_digits_said_before_the_number_do_not_swallow_it() -> None:
    assert numbers_in("是 三 一五九 五七八 七七二 一三") == ["15957877213"]


def test_the_number_the_caller_corrects_to_wins_over_the_agents_read_back() -> None:
    turns = call(
        """
        来电人：一五九 五七八 三二六 零幺
        话务员：一五九五七八三二六零七 是吗
        来电人：不对 最后一位是幺 不是七 一五九五七八三二六零幺
        话务员：好的 一五九五七八三二六零幺 记下了
        """
    )
    assert contact_phone(turns) == "15957832601"


def test_a_last_digit_correction_alone_patches_the_number_read_back() -> None:
    turns = call(
        """
        来电人：电话 一三八 五七八 零六六九
        话务员：一三八五七八零六六九二 对吗
        来电人：不对 最后一位是三
        """
    )
    assert contact_phone(turns) == "13857806693"


def test_a_caller_who_gives_a_new_number_later_is_called_on_the_new_one() -> None:
    turns = call(
        """
        来电人：电话 一三六 六七八九 三五二八
        话务员：好的
        来电人：不是 那个是我老婆的 我的是 一八六 五七八七 三三零二
        """
    )
    assert contact_phone(turns) == "18657873302"


def test_no_number_at_all() -> None:
    assert contact_phone(call("来电人：名字电话就不留了 我就是提个建议")) is None


def test_a_mobile_is_preferred_to_a_landline_given_in_the_same_call() -> None:
    turns = call(
        """
        来电人：手机 一三九 五七八 八二零 一六
        话务员：还有其他联系方式吗
        来电人：办公室座机 零五七八 六二幺 三四五六
        """
    )
    assert contact_phone(turns) == "13957882016"
