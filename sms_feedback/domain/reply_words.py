"""The vocabulary of SMS replies (回复用语): normalisation, opt-out words, choice patterns, the word
lexicon with its levels, and the patterns for negation, qualifiers, sarcasm and complaints.

Kept apart from `reply.py` so the rules read on their own and the words can grow without touching them.
Levels: satisfied, basic (lukewarm), double-negation (没有不满意), dissatisfied, mild-complaint
(有点慢), courtesy (谢谢 — not a rating alone), neutral (words that must not match inside others: 好的, 不好意思).
"""

from __future__ import annotations

import re

# --- normalisation -------------------------------------------------------------------------------

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
# replies from Hong Kong, Macao and Taiwan enterprises: the traditional characters the rules care about
_TRADITIONAL = (
    "滿訂還種發別謝決辦沒問題態務錯評選讚給實無處過這個們讓對說話聯係覺經會時間裡遲點號單進來現場應該認準確麼嗎請歡煩擾傳訊簡"
    "級結員熱貼專業責續議見總體夠氣爛樣邊僅從當頭幫轉電難極騙萬優穩鬧託護據啟聽讀訴導絕縣區鎮稅證許營執們絡复歸帶務顧兩糟負啥圓"
)
_SIMPLIFIED = (
    "满订还种发别谢决办没问题态务错评选赞给实无处过这个们让对说话联系觉经会时间里迟点号单进来现场应该认准确么吗请欢烦扰传讯简"
    "级结员热贴专业责续议见总体够气烂样边仅从当头帮转电难极骗万优稳闹托护据启听读诉导绝县区镇税证许营执们络复归带务顾两糟负啥圆"
)
_FULLWIDTH.update(str.maketrans(_TRADITIONAL, _SIMPLIFIED))


def normalise(text: str) -> str:
    """Full-width ASCII to half-width, traditional to simplified, lower case; every position is kept."""
    out = text.translate(_FULLWIDTH)
    return "".join(ch.lower() if ch.isascii() else ch for ch in out)


PUNCT = " \t\r\n,.;:!?'\"()[]{}<>~`@#$%^&*_+=|\\/-、，。；：！？“”‘’（）【】《》〈〉「」『』…—·～\u200b\ufe0f"
CLAUSE_PUNCT = ",.;:!?，。；：！？、\n…"

# --- opt-out ---------------------------------------------------------------------------------------

OPT_OUT_WORDS = re.compile(
    r"退订|退定|取消订阅|取消短信|取消关注|拒收|屏蔽|勿扰|"
    r"(?:不要|别|不用|勿|请勿|停止|不想|不再|不需要)再?(?:给我)?(?:发(?![生现展票放布言挥])|推送|发送|接收|收到|打扰)|"
    r"(?:不需要|不要|不想要|不想收到?|别发)(?:这种|此类|这类|这样的|你们的)?(?:短信|信息)|"
    r"(?<![a-z])(?:td|unsubscribe|stop)(?![a-z])"
)
OPT_OUT_WHOLE = {"t"}

# --- choices -----------------------------------------------------------------------------------------

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "两": 2, "四": 4, "五": 5}
UNITS = "个天月年日号次周点分时秒元块岁楼栋层米里万千百亿星颗项条件位名倍%"
ASCII_CHOICE = re.compile(rf"(?<!\d[.:/\-])(?<![\d第])(\d)(?![\d]|[.:/\-]\d|\s*[{UNITS}])")
CN_CHOICE_AFTER_VERB = re.compile(
    r"(?:选|选择|选项|评价|评|回复|回|答|打|按|给)\s*[:：]?\s*([一二三])"
    r"(?=$|[\s,.;:!?，。；：！？、)）】”\"'a-z\d]|满意|基本|不满)"
)
STRIKE = re.compile(r"(?:不是|不选|别选|没选|并非|not)\s*$")
CORRECTION = re.compile(r"不对|按错|错了|打错|写错|选错|更正|改为|改成|改选|应该是|重新选|重选")
WORK_ORDER_REF = re.compile(r"(?<!\d)\d{4,}(?!\d)")

# --- words and emoji -------------------------------------------------------------------------------

SAT, BASIC, BASIC_DOUBLE_NEG, DIS, MILD, COURTESY, NEUTRAL = (
    "satisfied",
    "basic",
    "double-negation",
    "dissatisfied",
    "mild-complaint",
    "courtesy",
    "neutral",
)

LEXICON: dict[str, str] = {}


def _add(level: str, words: str) -> None:
    for word in words.split():  # "_" joins the words of an English phrase: not_bad
        LEXICON[word.replace("_", " ")] = level


_add(
    SAT,
    "满意 很满意 非常满意 十分满意 特别满意 挺满意 超满意 太满意 满意满意 好评 五星好评 五星 点赞 赞 "
    "很好 挺好 非常好 特别好 真好 太好了 很棒 真棒 不错 很不错 挺不错 给力 靠谱 解决了 已解决 办好了 "
    "处理好了 办妥 落实了 很及时 高效 很快 圆满 称赞 表扬 周到 到位 贴心 用心 专业 负责任 认真负责 满分 没毛病 完美 无可挑剔 没得说 "
    "good great excellent perfect satisfied nice awesome 👍 👏 😊 😀 😄 😁 🙂 ❤ 💯 👌 🥰 😍",
)
_add(
    BASIC,
    "基本满意 基本上满意 基本还满意 还算满意 算是满意 勉强满意 比较满意 还行 还可以 还好 一般 一般般 凑合 "
    "马马虎虎 过得去 说得过去 还过得去 可以接受 能接受 尚可 勉强 及格 中评 差不多 差强人意 三星 ok吧 "
    "so-so average fair okay-ish 😐",
)
_add(
    DIS,
    "不满意 不满 很不满意 不怎么样 不咋样 不太行 不靠谱 不负责 非常不满意 差评 差 很差 太差 极差 真差 不好 不行 太慢 很慢 非常慢 失望 "
    "垃圾 糟糕 糟透 糟心 很糟 太糟 差劲 敷衍 推诿 推脱 扯皮 踢皮球 糊弄 应付 没用 没有用 不作为 乱作为 不理想 不尽如人意 一星 两星 二星 "
    "没解决 没有解决 未解决 没能解决 没得到解决 没有得到解决 得不到解决 没处理 没有处理 未处理 没人处理 "
    "没办 没有办 还没 没人联系 没人管 没人理 没人回 没回复 没有回复 没回音 没消息 没下文 照样 照旧 依旧 依然 "
    "仍然 老样子 一点没变 没变 没有变化 没变化 没有改变 没效果 没有效果 毫无效果 不了了之 石沉大海 走过场 "
    "不认可 不同意 不接受 不能接受 无法接受 不服 要投诉 投诉你们 答非所问 推来推去 互相推诿 效率低 假办结 虚假办结 被办结 形式主义 就走了 白跑 拖了 拖延 拖拖拉拉 一拖再拖 拖着 这叫办结 怎么就办结 算什么办结 呵呵 无语 服了 "
    "可真会 真会办事 你们自己觉得呢 市长信箱 市长热线 曝光 媒体 记者 举报 上访 信访 起诉 纪委 再投诉 "
    "继续投诉 还要投诉 去投诉 有什么用 有啥用 "
    "bad terrible poor awful unsatisfied dissatisfied useless 👎 😡 😠 🤬 💢 😤 😞 😒 🙄 💩",
)
_add(MILD, "有点慢 慢了点 慢了一点 稍慢 略慢 稍微慢 有点久 久了点 有待提高 有待改进 还需改进")
_add(
    BASIC_DOUBLE_NEG,
    "没有不满意 没不满意 不是不满意 并非不满意 没什么不满意 没有什么不满意 not_bad",
)
_add(COURTESY, "谢谢 感谢 多谢 辛苦了 辛苦 好 快 及时 耐心 热情 thanks thank 🙏 🌹 💐")
_add(
    NEUTRAL,
    "你好 您好 好的 好吧 收到 知道了 了解 嗯 哦 ok okay 不好意思 好像 好多 只好 正好 刚好 最好 好几 差点 出差 "
    "相差 满意度 是否满意 满不满意 一般来说",
)
_add(BASIC, "just_ok so_so not_too_bad")
MAX_WORD = max(len(w) for w in LEXICON)

NEGATION_BEFORE = re.compile(
    r"(?:不|没有?|未|并不|毫不|一点也?不|一点都不|not|n't|never)\s*(?:是)?\s*"
    r"(?:太|很|大|怎么|够|算|特别|非常|十分|那么|so|very|too)?\s*$"
)
QUALIFIED_BEFORE = re.compile(
    r"(?:基本|大体|大致|总体|整体|大部分|部分|一部分|算是|算|勉强|还算)上?(?:还|也|算|都)?\s*$"
)
QUESTIONED_AFTER = re.compile(r"^\s*(?:[?？]|吗|么|嘛)")
REGEX_CUES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"办结\s*[?？]|叫办结|算办结"), DIS, "closure questioned"),
    (re.compile(r"没[^,.;:!?，。；：！？]{0,10}就(?:给我?)?办结"), DIS, "closed without the work"),
    (re.compile(r"(?:啥|什么)(?:也|都)没(?:干|做|办|管|变)|用(?:都|也)没有?"), DIS, "nothing done"),
    (re.compile(r"(?:有点儿?|有些|稍微?|略微?|不够)[慢低久差烦乱难杂贵长晚迟]"), MILD, "reservation"),
    (re.compile(r"没有?人(?:联系|管|理|回|处理|来|问|跟进)"), DIS, "nobody followed up"),
    (re.compile(r"没有?[^,.;:!?，。；：！？就]{1,5}解决"), DIS, "not really solved"),
    (re.compile(r"没有?人?(?:来|到|去)过?(?:现场|看过?|实地)"), DIS, "nobody came to look"),
    (
        re.compile(r"(?:一直|始终|迟迟|至今|仍然|还是|到现在都?|到今天都?)(?:没|不(?!错)|未)"),
        DIS,
        "still not done",
    ),
    (
        re.compile(
            r"(?:效率|态度|服务|速度|办事|处理)(?:很|非常|特别|挺|真|也|都|蛮)?(?:高|好|快|棒|热情|周到|耐心|及时)"
        ),
        SAT,
        "praise of the service",
    ),
    (re.compile(r"(?<!不)太(?:低|慢|差|久|晚|敷衍|随意|官僚|麻烦)"), DIS, "too slow or poor"),
    (
        re.compile(
            r"(?:^|(?<=[,.;!?，。；！？\s]))(?:还算|还|算是|也算)?可以(?:的|吧|啦|了|呀)?(?=$|[,.;!?，。；！？\s])"
        ),
        BASIC,
        "acceptable",
    ),
    (re.compile(r"可?真(?:会|行|是)(?:啊|呀)?[,，。!！]?\s*$|你们可真"), DIS, "sarcasm"),
    (
        re.compile(
            r"(?:投诉|反映|等|跑)了\s*(?:半|[一二两三四五六七八九十几多\d]+)\s*个?多?(?:月|年|星期|周)"
        ),
        MILD,
        "long wait",
    ),
    (re.compile(r"[⭐★]{4,}"), SAT, "four or five stars"),
    (re.compile(r"(?<![⭐★])[⭐★]{3}(?![⭐★])"), BASIC, "three stars"),
    (re.compile(r"(?<![⭐★])[⭐★]{1,2}(?![⭐★])"), DIS, "one or two stars"),
    (re.compile(r"(?<![\d.])[45]\s*颗?星"), SAT, "four or five stars"),
    (re.compile(r"(?<![\d.])3\s*颗?星"), BASIC, "three stars"),
    (re.compile(r"(?<![\d.])[12]\s*颗?星"), DIS, "one or two stars"),
]


REF_CHOICE = re.compile(
    r"(?<!\d)(\d{4,})(?:\s*[:：,，、\-=]?\s*(?:评价|选)\s*|\s*[:：,，、\-=]\s*|\s+)([123])(?![\d.])"
)
