"""The knowledge-base management pages (知识库管理) through their forms: a unit pushes and revises its own
entries and sees each version with who changed which field; it cannot edit another unit's entry (403);
Chinese search finds the entry; expired entries are highlighted on the unit's to-update list; hits make
the high-frequency list; a post without the CSRF token changes nothing."""

from __future__ import annotations

from typing import Any

from knowledge.web import KNOWLEDGE
from tests.integration.console.console_fixtures import Console
from tests.integration.console.support import csrf_of

LICENCE = {
    "title": "食品经营许可证延续办理",
    "question": "食品经营许可证快到期了，怎么办理延续？",
    "answer": "应在有效期届满30个工作日前，通过浙里办或窗口提交延续申请，材料齐全当场受理。",
    "key_points": "有效期届满前30个工作日申请\n可网上办理",
    "situations": "持证企业继续经营",
    "policy_source": "《食品经营许可和备案管理办法》",
    "effective_from": "2024-01-01",
    "expires_on": "",
    "tags": "食品经营，许可证",
}


async def entry_of(console: Console, login: str, **fields: Any) -> int:
    """An entry pushed through the knowledge service by `login`'s unit (or for a unit by a supervisor)."""
    body = {
        "title": "个体户变更经营范围",
        "question": "个体工商户想增加经营范围，要去哪里办？",
        "answer": "可在浙里办提交个体工商户变更登记，或到市场监管窗口办理，一般当场办结。",
        **fields,
    }
    entry = await console.app[KNOWLEDGE].create(console.people.actors[login], body)
    assert entry.id is not None
    return entry.id


async def test_a_unit_pushes_an_entry_and_each_revision_is_a_new_version(console: Console) -> None:
    await console.sign_in("wang.market")
    form = await console.client.get("/kb/new")
    assert form.status == 200
    html = await form.text()
    for label in ("标题", "问题", "答复口径", "要点", "适用情形", "政策依据", "生效日期", "失效日期"):
        assert f">{label}" in html
    created = await console.client.post(
        "/kb/new", data={**LICENCE, "csrf_token": csrf_of(html)}, allow_redirects=False
    )
    assert created.status == 303
    entry_path = created.headers["Location"].split("?")[0]
    page = await (await console.client.get(entry_path)).text()
    assert "食品经营许可证延续办理" in page and "第 1 版" in page and "县市场监督管理局" in page

    edit = await console.client.get(f"{entry_path}/edit")
    edit_html = await edit.text()
    assert 'name="version" value="1"' in edit_html
    revised = await console.client.post(
        f"{entry_path}/edit",
        data={**LICENCE, "answer": "应在有效期届满前提交延续申请，全程网办，不再收取纸质材料。", "version": "1",
              "csrf_token": csrf_of(edit_html)},
    )
    page = await revised.text()
    assert revised.status == 200 and "已保存" in page and "第 2 版" in page
    # the history names who changed which field, from what to what
    assert "wang.market（测试）" in page
    assert "<strong>答复口径</strong>：<del>应在有效期届满30个工作日前" in page
    assert "<ins>应在有效期届满前提交延续申请" in page
    versions = await console.scalar("SELECT count(*) FROM kb_entry_versions")
    assert versions == 2

    unchanged = await console.client.post(
        f"{entry_path}/edit", data={**LICENCE, "answer": "应在有效期届满前提交延续申请，全程网办，不再收取纸质材料。",
                                    "version": "2", "csrf_token": csrf_of(edit_html)}
    )
    assert "内容没有变化" in await unchanged.text()
    assert await console.scalar("SELECT count(*) FROM kb_entry_versions") == 2


async def test_a_stale_edit_is_refused_and_a_bad_field_is_shown_next_to_it(console: Console) -> None:
    entry_id = await entry_of(console, "wang.market")
    await console.sign_in("wang.market")
    csrf = await console.csrf(f"/kb/{entry_id}/edit")
    base = {"title": "个体户变更经营范围", "question": "问？", "answer": "答。", "csrf_token": csrf}
    first = await console.client.post(f"/kb/{entry_id}/edit", data={**base, "version": "1"}, allow_redirects=False)
    assert first.status == 303
    stale = await console.client.post(f"/kb/{entry_id}/edit", data={**base, "answer": "另一个答复。", "version": "1"})
    assert stale.status == 409 and "已被他人修改" in await stale.text()

    bad = await console.client.post(
        f"/kb/{entry_id}/edit",
        data={**base, "version": "2", "effective_from": "2026-05-01", "expires_on": "2026-01-01"},
    )
    html = await bad.text()
    assert bad.status == 400
    assert 'id="expires_on-error"' in html and "失效日期早于生效日期" in html
    assert 'aria-describedby="expires_on-error"' in html
    assert 'value="2026-05-01"' in html  # what was typed is kept


async def test_a_unit_cannot_edit_another_units_entry(console: Console) -> None:
    housing_entry = await entry_of(console, "li.housing", title="住房公积金缴存基数调整", answer="每年7月调整缴存基数。")
    await console.sign_in("wang.market")
    csrf = await console.csrf("/kb")
    assert (await console.client.get(f"/kb/{housing_entry}/edit")).status == 403
    refused = await console.client.post(
        f"/kb/{housing_entry}/edit",
        data={"title": "改掉", "question": "问", "answer": "答", "version": "1", "csrf_token": csrf},
    )
    assert refused.status == 403
    assert await console.scalar("SELECT title FROM kb_entries WHERE id = :id", id=housing_entry) == "住房公积金缴存基数调整"
    # its own list shows only its own unit's entries
    listing = await (await console.client.get("/kb")).text()
    assert "住房公积金缴存基数调整" not in listing


async def test_roles_that_may_and_may_not_open_the_knowledge_base_pages(console: Console) -> None:
    await console.sign_in("zhao.agent")
    assert (await console.client.get("/kb")).status == 403
    await console.client.post("/logout", data={"csrf_token": await console.csrf("/unit/inbox")})
    await console.sign_in("sun.supervisor")
    assert (await console.client.get("/kb")).status == 200
    anonymous = await console.client.get("/kb", allow_redirects=False)
    assert anonymous.status == 200  # still signed in as the supervisor
    await console.client.post("/logout", data={"csrf_token": await console.csrf("/kb")})
    anonymous = await console.client.get("/kb", allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"].startswith("/login")


async def test_chinese_search_finds_the_entry_and_hidden_ones_are_listed_to_update(console: Console) -> None:
    wanted = await entry_of(console, "wang.market")
    await entry_of(console, "wang.market", title="食品经营许可证延续", question="许可证到期怎么延续？",
                   answer="届满前提交延续申请。")
    expired = await entry_of(console, "wang.market", title="2019年小微企业年报补报", question="年报补报？",
                              answer="已停止执行。", expires_on="2020-06-30")
    service = console.app[KNOWLEDGE]
    for _ in range(3):
        await service.record_hit(console.people.actors["zhao.agent"], wanted, query="个体户经营范围")
    await console.sign_in("wang.market")
    found = await (await console.client.get("/kb", params={"q": "个体户怎么变更经营范围"})).text()
    results = found.split('class="kb-results"')[1]
    assert results.split("<li>")[1].startswith(f'<a href="/kb/{wanted}">个体户变更经营范围</a>')  # ranked first
    assert "2019年小微企业年报补报" not in results  # expired: hidden from search

    listing = await (await console.client.get("/kb")).text()
    to_update = listing.split('id="update-title"')[1].split("</section>")[0]
    assert f'<tr class="urgency-overdue"><td><a href="/kb/{expired}">2019年小微企业年报补报</a>' in to_update
    assert "已失效" in to_update and "个体户变更经营范围" not in to_update
    frequent = listing.split('id="frequent-title"')[1].split("</section>")[0]
    assert f'<a href="/kb/{wanted}">个体户变更经营范围</a></td><td>3</td>' in frequent


async def test_a_supervisor_pushes_for_a_unit_and_a_post_without_csrf_changes_nothing(console: Console) -> None:
    await console.sign_in("sun.supervisor")
    html = await (await console.client.get("/kb/new")).text()
    assert 'id="unit_id"' in html  # the supervisor chooses the owning unit
    missing_unit = await console.client.post("/kb/new", data={**LICENCE, "csrf_token": csrf_of(html)})
    assert missing_unit.status == 400 and 'id="unit_id-error"' in await missing_unit.text()
    refused = await console.client.post(
        "/kb/new", data={**LICENCE, "unit_id": str(console.people.units["zjj"])}, allow_redirects=False
    )
    assert refused.status == 403
    assert await console.scalar("SELECT count(*) FROM kb_entries") == 0
    made = await console.client.post(
        "/kb/new", data={**LICENCE, "unit_id": str(console.people.units["zjj"]), "csrf_token": csrf_of(html)},
        allow_redirects=False,
    )
    assert made.status == 303
    assert await console.scalar("SELECT unit_name FROM kb_entries") == "县住房和城乡建设局"


async def test_the_supervisor_sees_each_units_most_asked_questions(console: Console) -> None:
    market = await entry_of(console, "wang.market")
    housing = await entry_of(console, "li.housing", title="商品房预售资金监管", answer="预售资金进入监管账户。")
    quiet = await entry_of(console, "li.housing", title="无人问的条目", answer="答。")
    agent = console.people.actors["zhao.agent"]
    for entry_id, times in ((market, 2), (housing, 5)):
        for _ in range(times):
            await console.app[KNOWLEDGE].record_hit(agent, entry_id)
    await console.sign_in("sun.supervisor")
    html = await (await console.client.get("/kb")).text()
    frequent = html.split('id="frequent-title"')[1].split("</section>")[0]
    assert f'<a href="/kb/{market}">个体户变更经营范围</a></td><td>2</td>' in frequent
    assert f'<a href="/kb/{housing}">商品房预售资金监管</a></td><td>5</td>' in frequent
    assert f'/kb/{quiet}"' not in frequent
    assert f'<a href="/kb?unit={console.people.units["zjj"]}">县住房和城乡建设局</a>' in frequent
