"""How prompt texts are read aloud: hotline numbers digit by digit, keys by their Chinese names."""

from ivr.domain.speech import spoken_text


def test_the_hotline_number_is_read_digit_by_digit_with_yao_for_one() -> None:
    assert spoken_text("欢迎致电12345热线") == "欢迎致电幺二三四五热线"


def test_single_keys_and_clock_times_stay_numbers() -> None:
    assert spoken_text("政策查询请按1；上午8点30分") == "政策查询请按1；上午8点30分"


def test_star_and_hash_keys_are_named_in_chinese() -> None:
    assert spoken_text("重听请按*键，返回请按#") == "重听请按星号键，返回请按井号键"
