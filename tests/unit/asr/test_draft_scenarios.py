"""Calls worded unlike the eval set: class, service and unit still come out right (a guard against
rules that only fit the labelled calls)."""

from __future__ import annotations

import pytest

from asr.domain.draft import DraftExtractor
from tests.unit.asr.draft_fixtures import draft_of

CALLS = [
    (
        """
        来电人：你好 我们公司申请的专利 被人侵权了 仿冒我们的竹砧板 该找谁
        话务员：您好 这个我们帮您转主管部门 请留个电话
        来电人：一三九 五七八 一一二 二三
        """,
        ("complaint", "complaint", "县市场监督管理局"),
    ),
    (
        """
        来电人：喂 你们那个银行 说好的贷款 审批了两个月还不放款 我们小企业等着发工资
        话务员：请问是哪家银行 我们转相关部门了解情况
        来电人：县里的农商行 电话 一五八 五七八 三三二 一一
        """,
        ("complaint", "complaint", "县金融工作中心"),
    ),
    (
        """
        来电人：你好 请问一下 开一个幼儿园 需要什么手续
        话务员：您好 举办幼儿园需要向教育部门申请办学许可 具体条件我们帮您转过去 请他们联系您
        来电人：好的 电话 一三八 六七八 五四三 二一
        """,
        ("consultation", "matter_consultation", "县教育局"),
    ),
    (
        """
        来电人：我是做茶叶的 想问一下 今年茶园的 种植补贴 有没有 怎么申请
        话务员：农业补贴的具体标准 我们帮您转主管部门答复
        来电人：好 一五七 五七八 一二三 九八
        """,
        ("consultation", "policy_query", "县农业农村局"),
    ),
    (
        """
        来电人：喂 我们厂的工人 上班路上出了车祸 工伤认定 交了材料三个月了 一直没结果
        话务员：您好 我们帮您转主管部门查一下进度
        来电人：电话 一八八 五七八 零零一 二三
        """,
        ("complaint", "complaint", "县人力资源和社会保障局"),
    ),
    (
        """
        来电人：你好 我们的营业执照 地址要变更 在网上弄了 一直提示失败
        话务员：您可以清理一下缓存 或者换个浏览器 还不行的话 可以到行政服务中心窗口现场办理
        来电人：好的 我试试 谢谢
        """,
        ("consultation", "matter_consultation", None),
    ),
    (
        """
        来电人：我要举报 隔壁的 石材厂 晚上偷偷排污水 河里的鱼都死了
        话务员：好的 请问具体位置
        来电人：在贤良镇 东坑村 电话 一三六 五七八 六六七 八八
        """,
        ("complaint", "complaint", "县生态环境分局"),
    ),
    (
        """
        来电人：你好 我们的餐馆 被市场监管罚了五千 说是 健康证过期 我们觉得罚得太重了
        话务员：明白 我们会转相关部门核实
        来电人：电话 一五九 五七八 三四五 六七
        """,
        ("complaint", "complaint", "县市场监督管理局"),
    ),
    (
        """
        来电人：我们企业 去年的 研发费用加计扣除 怎么申报 是不是可以 提前享受
        话务员：研发费用加计扣除可以在预缴申报时享受 在电子税务局填报 具体口径您也可以拨打一二三六六
        来电人：哦 好的 谢谢
        """,
        ("consultation", "policy_query", None),
    ),
    (
        """
        来电人：喂 是营商专线吧 我跟你说 我们那个 厂里的 电 又停了 一个礼拜三回了
        话务员：您好 请问企业在哪里
        来电人：竹口镇 工业园区 我们做竹筷子的 机器一停 工人就干坐着
        话务员：好的 我们转供电部门核查 请留个电话
        来电人：幺三五 八七八 九零 幺二 三四
        """,
        ("complaint", "complaint", "县供电公司"),
    ),
    (
        """
        来电人：你好 我问一下啊 我们公司 想招几个 外地的技术工人 有没有什么 人才补贴
        话务员：您好 人才引进的补贴政策 具体标准我们转人社部门给您答复
        来电人：行 电话一八八 五七八 六六 五五 四四
        """,
        ("consultation", "policy_query", "县人力资源和社会保障局"),
    ),
    (
        """
        来电人：我们在左溪镇开的 农家乐 那个 卫生许可证 到期了 要怎么续
        话务员：您好 公共场所卫生许可证延续 可以在浙里办申请 到期前三十日提交
        来电人：哦 知道了 谢谢
        """,
        ("consultation", "matter_consultation", None),
    ),
    (
        """
        来电人：我要投诉 那个 税务局的 窗口 办个发票 让我跑了三趟 每次都说材料不对
        话务员：非常抱歉 我们会把您反映的情况转相关部门核实
        来电人：电话 一三七 五七八 零零 八八 九九
        """,
        ("complaint", "complaint", "县税务局"),
    ),
    (
        """
        来电人：你好 我是做民宿的 我觉得 县里应该 统一搞个 民宿的 消防标准 现在每个人说法都不一样
        话务员：好的 您的建议我们记下来了 转相关部门研究
        来电人：好 谢谢
        """,
        ("suggestion", "suggestion", "县消防救援大队"),
    ),
    (
        """
        来电人：喂 我们公司 去年中标的 县里的 一个采购项目 货款到现在 还没付清 财政说 钱已经拨了 采购单位说 没收到
        话务员：您好 请问采购单位是哪个
        来电人：县医院 电话 一五零 五七八 一二 三四 五六
        话务员：好的 我们转相关部门核实 并督促答复
        """,
        ("complaint", "complaint", "县财政局"),
    ),
    (
        """
        来电人：你好 想咨询一下 我们食品厂 想出口到东南亚 要办什么手续
        话务员：您好 出口食品生产企业需要办理备案 具体流程我们帮您转主管部门 请他们联系您
        来电人：好的 一三九 六七八 八八 七七 六六
        """,
        ("consultation", "matter_consultation", None),
    ),
    (
        """
        来电人：我是黄田镇的 我们村口那条路 天天有大货车 拉石头 路都压坏了 灰尘很大 我们开店的 生意都受影响
        话务员：明白 我们会转相关部门现场核查
        来电人：电话 一五八 七七八 九九 零零 一二
        """,
        ("complaint", "complaint", "县交通运输局"),
    ),
    (
        """
        来电人：你好 问一下 我们公司的 社保 要从杭州 转到庆元来 要怎么弄
        话务员：您好 单位社保关系转移 可以在浙江人社网上办 也可以到行政服务中心社保窗口办理
        来电人：好的 谢谢
        """,
        ("consultation", "matter_consultation", None),
    ),
    (
        """
        来电人：你好 我们合作社 去年种的 高山蔬菜 想申请 绿色食品认证 有没有补助
        话务员：您好 绿色食品认证的奖补政策 我们转主管部门给您答复
        来电人：好的 电话 一三八 五七八 七六 五四 三二
        """,
        ("consultation", "policy_query", "县农业农村局"),
    ),
]


@pytest.mark.parametrize(("script", "expected"), CALLS)
def test_class_service_and_unit_of_a_call_worded_freshly(
    extractor: DraftExtractor, script: str, expected: tuple[str, str, str | None]
) -> None:
    draft = draft_of(extractor, script)
    assert (draft.klass, draft.service, draft.department) == expected, draft.why
