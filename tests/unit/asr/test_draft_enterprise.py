"""The caller's own enterprise: registered suffixes, naming cues, affiliations; not units, places or rivals."""

from __future__ import annotations

from asr.domain.draft import DraftExtractor
from tests.unit.asr.draft_fixtures import call


def name(extractor: DraftExtractor, script: str) -> str | None:
    found = extractor.enterprises.find(call(script))
    return found.name if found else None


def test_a_registered_company_name_after_a_township(extractor: DraftExtractor) -> None:
    assert name(extractor, "来电人：你好 我是黄田镇 金泰竹木制品有限公司的 我们想问一下出口退税") == "金泰竹木制品有限公司"


def test_a_name_given_after_jiao(extractor: DraftExtractor) -> None:
    script = """
    话务员：请问您的店叫什么名字
    来电人：叫 青禾面馆 在松源街道解放街
    """
    assert name(extractor, script) == "青禾面馆"


def test_a_cooperative_and_a_factory_with_trade_words(extractor: DraftExtractor) -> None:
    assert name(extractor, "来电人：我们是 岭头乡 兴农香菇专业合作社 烘干机补贴没发") == "兴农香菇专业合作社"
    assert name(extractor, "来电人：那个 永兴竹筷厂 拖了我们三个月工资") == "永兴竹筷厂"


def test_a_name_said_as_an_affiliation_with_a_trade_word(extractor: DraftExtractor) -> None:
    assert name(extractor, "来电人：姓吴 是达丰木业的 电话 一三五 七八九 零零一二三") == "达丰木业"


def test_descriptions_are_not_names(extractor: DraftExtractor) -> None:
    assert name(extractor, "来电人：我开了个五金店 想问一下增值税") is None
    assert name(extractor, "来电人：我是香菇合作社的 想提个建议") is None
    assert name(extractor, "来电人：我是一家竹制品公司的财务") is None
    assert name(extractor, "来电人：老板一直说货款没回来 叫我们等等") is None


def test_government_units_and_places_are_not_enterprises(extractor: DraftExtractor) -> None:
    script = "来电人：我要投诉一下 行政服务中心那个窗口 我从荷地镇过来的 县供电公司也不管"
    assert name(extractor, script) is None


def test_the_callers_own_enterprise_ranks_above_a_neighbours(extractor: DraftExtractor) -> None:
    script = """
    来电人：隔壁的 鑫达石材有限公司 天天晚上切石头 我们是 云溪茶叶有限公司 客人都投诉了
    """
    assert name(extractor, script) == "云溪茶叶有限公司"


def test_names_in_unpunctuated_recognizer_text(extractor: DraftExtractor) -> None:
    """Recognizers join words without pauses; a name still starts after 是/叫/a place and ends at its suffix."""
    assert name(extractor, "来电人：你好我是宏达路桥工程有限公司的负责人我们的工程款拖了两年") == "宏达路桥工程有限公司"
    assert name(extractor, "来电人：就是竹口镇那个恒丰竹木制品厂我在里面做竹筷打磨的") == "恒丰竹木制品厂"
    assert name(extractor, "来电人：我在濛洲街道新建北路开了个民宿叫溪山小院旁边有个工地天天晚上打桩") == "溪山小院"
    assert name(extractor, "来电人：姓柳联众包装有限公司的电话一三六六七八零二二四八") == "联众包装有限公司"
    assert name(extractor, "来电人：建议搞个村级的冷链仓储合作社统一收统一卖") is None


def test_a_short_name_and_the_full_registered_name_are_one_enterprise(extractor: DraftExtractor) -> None:
    script = """
    来电人：我们公司叫 宏达 做路桥的
    话务员：请问公司全称是
    来电人：宏达路桥工程有限公司
    """
    assert name(extractor, script) == "宏达路桥工程有限公司"


def test_a_neighbour_named_first_in_unpunctuated_text_does_not_win(extractor: DraftExtractor) -> None:
    script = "来电人：隔壁的鑫达石材有限公司天天晚上切石头我们是云溪茶叶有限公司客人都投诉了"
    assert name(extractor, script) == "云溪茶叶有限公司"


def test_a_bare_name_in_unpunctuated_text_ends_where_the_sentence_goes_on(extractor: DraftExtractor) -> None:
    assert name(extractor, "来电人：我是松源街道开奶茶店的我们店叫蜜雪时光上个礼拜市场监管来检查") == "蜜雪时光"
    assert name(extractor, "来电人：我们是做民宿的叫竹林小筑客人都投诉我们了") == "竹林小筑"
    assert name(extractor, "来电人：叫什么来着我想想那个我们隔壁卖菜的都知道") is None


def test_the_answer_to_the_agents_question_beats_a_client_named_earlier(extractor: DraftExtractor) -> None:
    script = """
    来电人：你好 我要反映 我们公司 给 县城投公司 做的 绿化工程 尾款一直拖着不给
    话务员：您好 请问公司名称
    来电人：绿茵园林工程有限公司
    """
    assert name(extractor, script) == "绿茵园林工程有限公司"
    assert name(extractor, "来电人：我们店叫 老街酒家 在松源街道") == "老街酒家"
