"""The knowledge base over HTTP, on SQLite (FTS5) and PostgreSQL (tsvector): the seed entries loaded,
the clock at Tue 2025-09-30 16:00 Asia/Shanghai."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import text

from hotline.db import make_sessionmaker
from knowledge.search import index_for
from tests.integration.knowledge.kb_fixtures import TZ, KbApi

SEARCHES = [
    ("个体户变更经营范围", "个体户变更经营范围如何办理"),
    ("浙里办 个体工商户 增加经营项目", "个体户变更经营范围如何办理"),
    ("留抵退税需要什么条件", "增值税留抵退税申请条件"),
    ("稳岗补贴没到账", "稳岗补贴（失业保险稳岗返还）怎么申领"),
    ("开奶茶店要办什么许可", "食品经营许可证申请"),
    ("厂房装修后消防验收找谁", "建设工程消防验收和验收备案"),
    ("评标结果不公平怎么投诉", "招投标投诉怎么提出"),
    ("政府部门拖欠货款", "政府机关或国有企业拖欠中小企业账款怎么反映"),
    ("新员工社保登记期限", "新招员工社保参保登记"),
    ("叉车使用登记", "特种设备使用登记"),
    ("政府采购质疑", "政府采购质疑和投诉"),
    ("小微企业贷款担保费率", "小微企业融资担保怎么申请"),
    ("新开公司一网通办", "企业开办一网通办流程"),
]


async def test_chinese_questions_find_the_right_entry_first(kb_api: KbApi) -> None:
    misses = []
    for query, title in SEARCHES:
        titles = await kb_api.titles(query)
        if not titles or titles[0] != title:
            misses.append((query, title, titles[:3]))
    assert misses == [], kb_api.dialect


async def test_results_carry_the_unit_a_score_and_an_excerpt_around_the_match(kb_api: KbApi) -> None:
    data = await kb_api.ok("GET", "/kb/search", "agent", q="纳税信用", limit=3)
    top = data["results"][0]
    assert top["entry"]["unit_name"] == "县税务局"
    assert top["score"] > 0 and "纳税信用" in top["excerpt"]
    assert "纳税信用" in data["terms"]
    assert len(data["results"]) <= 3
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)


async def test_the_title_outweighs_the_answer(kb_api: KbApi) -> None:
    # 营业执照 is in the answers of several entries, but a title wins over any number of answer mentions
    await kb_api.ok(
        "POST",
        "/kb/entries",
        "market",
        {
            "title": "营业执照遗失补领",
            "question": "执照丢了怎么办",
            "answer": "登报声明后申请补领。",
        },
    )
    assert (await kb_api.titles("营业执照"))[0] == "营业执照遗失补领"


async def test_expired_entries_are_hidden_from_agents_and_listed_for_their_unit(kb_api: KbApi) -> None:
    old = kb_api.seed_ids["小规模纳税人增值税减免（已到期的旧口径）"]
    assert "小规模纳税人增值税减免（已到期的旧口径）" not in await kb_api.titles("小规模纳税人 免征增值税")
    status, body = await kb_api.call("GET", f"/kb/entries/{old}", "agent")
    assert (status, body["error"]) == (404, "kb-entry-not-found")

    listed = await kb_api.ok("GET", f"/kb/units/{kb_api.units['swj']}/expired", "tax")
    assert [(e["title"], e["status"], e["status_label"]) for e in listed["entries"]] == [
        ("小规模纳税人增值税减免（已到期的旧口径）", "expired", "已失效")
    ]
    await kb_api.ok(
        "POST",
        "/kb/entries",
        "tax",
        {
            "title": "国庆假期申报期限顺延",
            "question": "十月申报期延到哪天",
            "answer": "按税务机关公告顺延。",
            "expires_on": "2025-10-20",
        },
    )
    soon = await kb_api.ok("GET", f"/kb/units/{kb_api.units['swj']}/expired", "tax", within_days=30)
    assert [(e["title"], e["status"]) for e in soon["entries"]] == [
        ("小规模纳税人增值税减免（已到期的旧口径）", "expired"),
        ("国庆假期申报期限顺延", "current"),
    ]
    own = await kb_api.ok("GET", f"/kb/entries/{old}", "tax")
    assert own["status"] == "expired"
    status, _ = await kb_api.call("GET", f"/kb/units/{kb_api.units['swj']}/expired", "market")
    assert status == 403


async def test_an_entry_not_yet_in_force_appears_on_its_effective_day(kb_api: KbApi) -> None:
    await kb_api.ok(
        "POST",
        "/kb/entries",
        "tax",
        {
            "title": "2025年第四季度出口退税新口径",
            "question": "出口退税新规何时执行",
            "answer": "自10月起按新口径办理。",
            "effective_from": "2025-10-01",
        },
    )
    assert "2025年第四季度出口退税新口径" not in await kb_api.titles("出口退税新口径")
    kb_api.clock.at = datetime(2025, 10, 1, 9, 0, tzinfo=TZ)
    assert (await kb_api.titles("出口退税新口径"))[0] == "2025年第四季度出口退税新口径"


async def test_a_revision_keeps_the_history_of_who_changed_what_and_when(kb_api: KbApi) -> None:
    created = await kb_api.ok(
        "POST",
        "/kb/entries",
        "market",
        {
            "title": "药品零售许可",
            "question": "开药店需要什么许可",
            "answer": "申请药品经营许可证。",
            "key_points": ["执业药师"],
            "tags": ["药店"],
        },
    )
    assert created["version"] == 1 and created["unit_name"] == "县市场监督管理局"
    kb_api.clock.at += timedelta(hours=1)
    revised = await kb_api.ok(
        "PATCH",
        f"/kb/entries/{created['id']}",
        "market",
        {
            "version": 1,
            "answer": "向市场监管部门申请药品经营许可证，可网上办理。",
            "expires_on": "2026-12-31",
        },
    )
    assert revised["version"] == 2 and revised["changed"] == ["answer", "expires_on"]

    detail = await kb_api.ok("GET", f"/kb/entries/{created['id']}", "agent")
    first, second = detail["history"]
    assert first["version"] == 1 and first["actor_name"] == "market"
    assert second["actor_name"] == "market"
    assert datetime.fromisoformat(second["at"]) - datetime.fromisoformat(first["at"]) == timedelta(hours=1)
    assert [(c["field"], c["label"], c["before"], c["after"]) for c in second["changes"]] == [
        ("answer", "答复口径", "申请药品经营许可证。", "向市场监管部门申请药品经营许可证，可网上办理。"),
        ("expires_on", "失效日期", None, "2026-12-31"),
    ]
    rows = await kb_api.scalars(
        "SELECT version FROM kb_entry_versions WHERE entry_id = :id ORDER BY version", id=created["id"]
    )
    assert rows == [1, 2]
    # the search index follows the new text
    assert (await kb_api.titles("网上办理药品经营许可"))[0] == "药品零售许可"


async def test_an_edit_based_on_an_old_version_is_refused_instead_of_overwriting(kb_api: KbApi) -> None:
    entry_id = kb_api.seed_ids["食品经营许可证申请"]
    await kb_api.ok("PATCH", f"/kb/entries/{entry_id}", "market", {"version": 1, "tags": ["食品", "餐饮"]})
    status, body = await kb_api.call(
        "PATCH", f"/kb/entries/{entry_id}", "market", {"version": 1, "tags": ["奶茶"]}
    )
    assert (status, body["error"]) == (409, "kb-stale-version")


async def test_a_unit_cannot_edit_another_units_entry_and_agents_only_read(kb_api: KbApi) -> None:
    tax_entry = kb_api.seed_ids["增值税留抵退税申请条件"]
    status, body = await kb_api.call("PATCH", f"/kb/entries/{tax_entry}", "market", {"answer": "改掉"})
    assert (status, body["error"]) == (403, "kb-forbidden")
    status, body = await kb_api.call(
        "POST",
        "/kb/entries",
        "market",
        {
            "unit_id": kb_api.units["swj"],
            "title": "冒名条目",
            "question": "？",
            "answer": "。",
        },
    )
    assert (status, body["error"]) == (403, "kb-forbidden")
    status, _ = await kb_api.call(
        "POST",
        "/kb/entries",
        "agent",
        {
            "unit_id": kb_api.units["scjgj"],
            "title": "话务员条目",
            "question": "？",
            "answer": "。",
        },
    )
    assert status == 403
    status, _ = await kb_api.call("GET", "/kb/search", None, q="留抵退税")
    assert status == 401
    # a supervisor may correct any unit's entry
    fixed = await kb_api.ok("PATCH", f"/kb/entries/{tax_entry}", "supervisor", {"tags": ["留抵退税"]})
    assert fixed["version"] == 2
    unchanged = await kb_api.ok("GET", f"/kb/entries/{tax_entry}", "agent")
    assert unchanged["answer"].startswith("符合条件的纳税人")


async def test_bad_input_names_the_field(kb_api: KbApi) -> None:
    status, body = await kb_api.call("POST", "/kb/entries", "market", {"title": "缺答复", "question": "？"})
    assert (status, body["error"], body["field"]) == (400, "kb-invalid-input", "answer")
    status, body = await kb_api.call("GET", "/kb/search", "agent", q="  ")
    assert (status, body["field"]) == (400, "q")
    status, body = await kb_api.call(
        "POST",
        "/kb/entries",
        "supervisor",
        {
            "unit_id": 99999,
            "title": "无此单位",
            "question": "？",
            "answer": "。",
        },
    )
    assert (status, body["field"]) == (400, "unit_id")


async def test_hits_make_the_units_high_frequency_list(kb_api: KbApi) -> None:
    ids = kb_api.seed_ids
    food, license_, machines = (
        ids["食品经营许可证申请"],
        ids["个体户变更经营范围如何办理"],
        ids["特种设备使用登记"],
    )
    for entry_id, n in ((food, 3), (license_, 5), (machines, 1)):
        for _ in range(n):
            hit = await kb_api.ok(
                "POST", f"/kb/entries/{entry_id}/hits", "agent", {"query": "检索词", "call_id": "c-1"}
            )
    assert hit["hits"] == 1
    # an old hit falls outside a 7-day window
    kb_api.clock.at -= timedelta(days=10)
    await kb_api.ok("POST", f"/kb/entries/{machines}/hits", "agent", {})
    await kb_api.ok("POST", f"/kb/entries/{machines}/hits", "agent", {})
    await kb_api.ok("POST", f"/kb/entries/{machines}/hits", "agent", {})
    kb_api.clock.at += timedelta(days=10)
    # another unit's hits are not on this unit's list
    await kb_api.ok("POST", f"/kb/entries/{ids['增值税留抵退税申请条件']}/hits", "agent", {})

    market = kb_api.units["scjgj"]
    week = await kb_api.ok("GET", f"/kb/units/{market}/frequent", "market", days=7)
    assert [(e["title"], e["hits"]) for e in week["entries"]] == [
        ("个体户变更经营范围如何办理", 5),
        ("食品经营许可证申请", 3),
        ("特种设备使用登记", 1),
    ]
    month = await kb_api.ok("GET", f"/kb/units/{market}/frequent", "agent", days=30, limit=1)
    assert [(e["title"], e["hits"]) for e in month["entries"]] == [("个体户变更经营范围如何办理", 5)]
    detail = await kb_api.ok("GET", f"/kb/entries/{machines}", "agent")
    assert detail["hits"] == 4
    status, _ = await kb_api.call("POST", "/kb/entries/99999/hits", "agent", {})
    assert status == 404


async def test_a_live_transcript_suggests_the_entry_the_caller_needs(kb_api: KbApi) -> None:
    transcript = (
        "喂，你好，我们是一家做五金的小企业，去年给一个单位供货，验收都过了，"
        "到现在货款一直没付，已经拖欠好几个月了，想问问可以找谁反映。"
    )
    data = await kb_api.ok("POST", "/kb/suggest", "agent", {"text": transcript, "limit": 3})
    assert data["results"][0]["entry"]["title"] == "政府机关或国有企业拖欠中小企业账款怎么反映"
    assert "拖欠" in data["terms"]
    quiet = await kb_api.ok("POST", "/kb/suggest", "agent", {"text": "喂，你好。好的，谢谢。"})
    assert quiet["results"] == []


async def test_a_unit_lists_its_own_entries_including_hidden_ones(kb_api: KbApi) -> None:
    mine = await kb_api.ok("GET", "/kb/entries", "tax")
    assert {e["title"] for e in mine["entries"]} == {
        "增值税留抵退税申请条件",
        "小规模纳税人增值税减免（已到期的旧口径）",
    }
    agent_view = await kb_api.ok("GET", "/kb/entries", "agent", unit_id=kb_api.units["swj"])
    assert [e["title"] for e in agent_view["entries"]] == ["增值税留抵退税申请条件"]


async def test_the_index_knows_how_common_each_word_is(kb_api: KbApi) -> None:
    if kb_api.dialect == "postgresql":
        async with kb_api.engine.begin() as conn:
            await conn.execute(text("ANALYZE kb_entry_search"))  # autovacuum's job in production
    total = len(kb_api.seed_ids)
    async with make_sessionmaker(kb_api.engine)() as session:
        shares = await index_for(kb_api.dialect).word_shares(session, ["申请", "叉车", "火星"], total)
    assert shares.get("申请", 0) > 0.3  # in most seed entries
    assert (
        0 < shares.get("叉车", 1 / total) <= 2 / total
    )  # one entry (PostgreSQL may count it among the rare)
    assert "火星" not in shares


async def test_two_editors_saving_the_same_version_at_once_one_wins_one_is_told(kb_api: KbApi) -> None:
    entry_id = kb_api.seed_ids["特种设备使用登记"]
    first, second = await asyncio.gather(
        kb_api.call("PATCH", f"/kb/entries/{entry_id}", "market", {"version": 1, "tags": ["叉车"]}),
        kb_api.call("PATCH", f"/kb/entries/{entry_id}", "market", {"version": 1, "tags": ["锅炉"]}),
    )
    assert sorted([first[0], second[0]]) == [200, 409], (first, second)
    loser = first if first[0] == 409 else second
    assert loser[1]["error"] == "kb-stale-version"
    detail = await kb_api.ok("GET", f"/kb/entries/{entry_id}", "agent")
    assert detail["version"] == 2 and len(detail["history"]) == 2
