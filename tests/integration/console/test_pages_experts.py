"""The expert directory pages (专家库): a supervisor adds, edits and deactivates experts through the forms;
a wrong field is shown next to that field; a unit sees only its own unit's experts and cannot change
any; a topic lists on-duty experts first, each followed by their backup; CSRF-less posts change nothing."""

from __future__ import annotations

from typing import Any

from knowledge.web import EXPERTS
from tests.integration.console.console_fixtures import Console
from tests.integration.console.support import csrf_of


async def expert(console: Console, **fields: Any) -> int:
    made = await console.app[EXPERTS].add(console.people.actors["sun.supervisor"], fields)
    assert made.id is not None
    return made.id


async def test_a_supervisor_adds_edits_and_deactivates_an_expert(console: Console) -> None:
    await console.sign_in("sun.supervisor")
    html = await (await console.client.get("/experts/new")).text()
    for label in ("姓名", "所属单位", "擅长主题", "联系方式", "值班时间", "备岗专家"):
        assert f">{label}" in html
    form = {
        "csrf_token": csrf_of(html),
        "name": "王税务",
        "unit_id": str(console.people.units["swj"]),
        "topics": "留抵退税，纳税信用",
        "contact": "PJSIP/expert201",
        "duty": "每天 00:00-24:00",
        "backup_id": "",
        "note": "",
    }
    added = await console.client.post("/experts/new", data=form, allow_redirects=False)
    assert added.status == 303 and added.headers["Location"] == "/experts?done=create"
    expert_id = await console.scalar("SELECT id FROM experts WHERE name = '王税务'")
    listing = await (await console.client.get("/experts")).text()
    assert "王税务" in listing and "县税务局" in listing and "留抵退税，纳税信用" in listing and "在岗" in listing

    edit_html = await (await console.client.get(f"/experts/{expert_id}/edit")).text()
    assert 'value="PJSIP/expert201"' in edit_html
    edited = await console.client.post(
        f"/experts/{expert_id}/edit", data={**form, "contact": "PJSIP/13900000000@trunk", "duty": ""}
    )
    page = await edited.text()
    assert "已保存" in page and "PJSIP/13900000000@trunk" in page and "不在岗" in page

    deactivated = await console.client.post(
        f"/experts/{expert_id}/active", data={"csrf_token": form["csrf_token"], "active": "0"}
    )
    page = await deactivated.text()
    assert "已停用" in page
    assert await console.scalar("SELECT active FROM experts WHERE id = :id", id=expert_id) in (0, False)
    # out of the directory the three-way call uses
    assert [p.expert.id for p in await console.app[EXPERTS].directory("留抵退税")] == []


async def test_a_wrong_field_is_shown_next_to_it_and_what_was_typed_is_kept(console: Console) -> None:
    await console.sign_in("sun.supervisor")
    csrf = await console.csrf("/experts/new")
    base = {"csrf_token": csrf, "name": "李市监", "topics": "食品经营", "contact": "PJSIP/expert301", "duty": ""}
    bad_contact = await console.client.post("/experts/new", data={**base, "contact": "13900000000"})
    html = await bad_contact.text()
    assert bad_contact.status == 400
    assert 'id="contact-error"' in html and "联系方式须为 Asterisk 拨号串" in html
    assert 'aria-describedby="contact-error"' in html and 'value="李市监"' in html

    bad_duty = await console.client.post("/experts/new", data={**base, "duty": "工作日 9点到5点"})
    html = await bad_duty.text()
    assert bad_duty.status == 400 and 'id="duty-error"' in html and "值班时间格式应为" in html
    assert "工作日 9点到5点</textarea>" in html
    assert await console.scalar("SELECT count(*) FROM experts") == 0


async def test_a_topic_lists_on_duty_experts_first_each_with_their_backup(console: Console) -> None:
    backup = await expert(console, name="赵备岗", contact="PJSIP/expert402", topics=["社保"], duty=["每天 00:00-24:00"])
    await expert(console, name="钱不在岗", contact="PJSIP/expert403", topics=["稳岗补贴"], duty=[])
    await expert(console, name="孙人社", contact="PJSIP/expert401", topics=["稳岗补贴"], duty=["每天 00:00-24:00"],
                 backup_id=backup)
    await console.sign_in("zhao.agent")
    html = await (await console.client.get("/experts", params={"topic": "稳岗补贴"})).text()
    assert html.index("孙人社") < html.index("赵备岗") < html.index("钱不在岗")
    assert "（孙人社的备岗）" in html
    assert "新增专家" not in html  # agents read, they do not manage


async def test_a_unit_sees_its_own_experts_and_cannot_change_any(console: Console) -> None:
    market = await expert(console, name="周市监", contact="PJSIP/expert501", unit_id=console.people.units["scjgj"])
    await expert(console, name="吴住建", contact="PJSIP/expert502", unit_id=console.people.units["zjj"])
    await console.sign_in("wang.market")
    html = await (await console.client.get("/experts")).text()
    assert "周市监" in html and "吴住建" not in html and "停用" not in html
    assert (await console.client.get("/experts/new")).status == 403
    assert (await console.client.get(f"/experts/{market}/edit")).status == 403
    csrf = csrf_of(html)
    refused = await console.client.post(f"/experts/{market}/active", data={"csrf_token": csrf, "active": "0"})
    assert refused.status == 403
    refused = await console.client.post(
        "/experts/new", data={"csrf_token": csrf, "name": "自封专家", "contact": "PJSIP/expert599"}
    )
    assert refused.status == 403
    assert await console.scalar("SELECT count(*) FROM experts WHERE active") == 2


async def test_a_post_without_the_csrf_token_changes_nothing(console: Console) -> None:
    target = await expert(console, name="郑发改", contact="PJSIP/expert601")
    await console.sign_in("sun.supervisor")
    refused = await console.client.post(f"/experts/{target}/active", data={"active": "0"})
    assert refused.status == 403
    assert await console.scalar("SELECT active FROM experts WHERE id = :id", id=target) in (1, True)
    assert (await console.client.get("/experts/999/edit")).status == 404


async def test_odd_numbers_in_forms_are_field_errors_not_crashes(console: Console) -> None:
    await console.sign_in("sun.supervisor")
    csrf = await console.csrf("/experts/new")
    base = {"csrf_token": csrf, "name": "冯专家", "contact": "PJSIP/expert701"}
    for odd in ("²", "١٢٣", "9" * 30):
        refused = await console.client.post("/experts/new", data={**base, "backup_id": odd})
        assert refused.status == 400 and 'id="backup_id-error"' in await refused.text(), odd
        kb = await console.client.post(
            "/kb/new", data={"csrf_token": csrf, "title": "标题", "question": "问", "answer": "答", "unit_id": odd}
        )
        assert kb.status == 400 and 'id="unit_id-error"' in await kb.text(), odd
    assert await console.scalar("SELECT count(*) FROM experts") == 0
