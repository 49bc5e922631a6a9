"""The expert directory over HTTP: supervisors manage it, agents list who is on duty for a topic,
in the order a three-way call tries them. Clock: Tue 2025-09-30 16:00 Asia/Shanghai (a working day)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.integration.knowledge.kb_fixtures import TZ, KbApi

OFFICE = ["工作日 08:30-12:00,14:00-17:30"]


async def add(kb_api: KbApi, who: str = "supervisor", **fields: Any) -> dict[str, Any]:
    return await kb_api.ok("POST", "/experts", who, fields)


async def test_agents_see_on_duty_experts_for_a_topic_each_followed_by_their_backup(kb_api: KbApi) -> None:
    night = await add(
        kb_api,
        name="赵值守",
        contact="PJSIP/13900000001@trunk",
        topics=["纳税服务"],
        duty=["daily 00:00-24:00"],
        unit="swj",
    )
    window = await add(
        kb_api,
        name="钱窗口",
        contact="PJSIP/expert202",
        topics=["留抵退税", "发票"],
        duty=OFFICE,
        unit="swj",
        backup_id=night["id"],
    )
    holiday = await add(
        kb_api, name="孙假日", contact="PJSIP/expert203", topics=["留抵退税"], duty=["节假日 09:00-12:00"]
    )
    await add(kb_api, name="李消防", contact="PJSIP/expert204", topics=["消防验收"], duty=OFFICE, unit="zjj")
    assert window["unit_name"] == "县税务局" and window["on_duty"] is True

    listed = await kb_api.ok("GET", "/experts", "agent", topic="留抵退税")
    assert [(e["name"], e["on_duty"], e["backup_for"]) for e in listed["experts"]] == [
        ("钱窗口", True, None),
        ("赵值守", True, window["id"]),
        ("孙假日", False, None),
    ]
    on_duty = await kb_api.ok("GET", "/experts", "agent", topic="留抵退税", on_duty="1")
    assert [e["name"] for e in on_duty["experts"]] == ["钱窗口", "赵值守"]
    everyone = await kb_api.ok("GET", "/experts", "agent")
    assert len(everyone["experts"]) == 4
    assert holiday["contact"] == "PJSIP/expert203"


async def test_on_national_day_the_holiday_rota_answers(kb_api: KbApi) -> None:
    await add(kb_api, name="钱窗口", contact="PJSIP/expert202", topics=["留抵退税"], duty=OFFICE)
    await add(
        kb_api, name="孙假日", contact="PJSIP/expert203", topics=["留抵退税"], duty=["节假日 09:00-12:00"]
    )
    kb_api.clock.at = datetime(2025, 10, 2, 10, 0, tzinfo=TZ)
    on_duty = await kb_api.ok("GET", "/experts", "agent", topic="留抵退税", on_duty="1")
    assert [e["name"] for e in on_duty["experts"]] == ["孙假日"]


async def test_only_supervisors_and_admins_change_the_directory(kb_api: KbApi) -> None:
    body = {"name": "周专家", "contact": "PJSIP/expert205", "topics": ["环评审批"]}
    for who in ("agent", "market"):
        status, err = await kb_api.call("POST", "/experts", who, body)
        assert (status, err["error"]) == (403, "kb-forbidden")
    created = await add(kb_api, "admin", **body)
    status, _ = await kb_api.call("PATCH", f"/experts/{created['id']}", "agent", {"note": "x"})
    assert status == 403
    changed = await kb_api.ok(
        "PATCH",
        f"/experts/{created['id']}",
        "supervisor",
        {"duty": ["mon-fri 09:00-17:00"], "note": "县生态环境分局首席审批员"},
    )
    assert changed["duty"] == ["mon-fri 09:00-17:00"] and changed["on_duty"] is True


async def test_removing_an_expert_takes_them_off_the_lists_but_keeps_the_record(kb_api: KbApi) -> None:
    backup = await add(kb_api, name="吴备岗", contact="PJSIP/expert206", topics=["社保"], duty=OFFICE)
    main = await add(
        kb_api, name="郑主岗", contact="PJSIP/expert207", topics=["社保"], duty=OFFICE, backup_id=backup["id"]
    )
    removed = await kb_api.ok("DELETE", f"/experts/{backup['id']}", "supervisor")
    assert removed["active"] is False and removed["on_duty"] is False
    listed = await kb_api.ok("GET", "/experts", "agent", topic="社保")
    assert [e["name"] for e in listed["experts"]] == ["郑主岗"]
    kept = await kb_api.ok("GET", "/experts", "supervisor", all="1")
    assert {e["name"] for e in kept["experts"]} == {"吴备岗", "郑主岗"}
    status, err = await kb_api.call(
        "PATCH", f"/experts/{main['id']}", "supervisor", {"backup_id": backup["id"]}
    )
    assert (status, err["field"]) == (400, "backup_id")


async def test_bad_expert_input_names_the_field(kb_api: KbApi) -> None:
    cases = [
        ({"name": "号码", "contact": "13900000000"}, "contact"),
        ({"name": "时间", "contact": "PJSIP/expert208", "duty": ["上班时间"]}, "duty"),
        ({"name": "备岗", "contact": "PJSIP/expert208", "backup_id": 99999}, "backup_id"),
        ({"contact": "PJSIP/expert208"}, "name"),
        ({"name": "单位", "contact": "PJSIP/expert208", "unit": "nosuch"}, "unit_id"),
        ({"name": "单位", "contact": "PJSIP/expert208", "unit": ["swj"]}, "unit_id"),
        ({"name": "多余", "contact": "PJSIP/expert208", "password": "x"}, "password"),
    ]
    for body, field in cases:
        status, err = await kb_api.call("POST", "/experts", "supervisor", body)
        assert (status, err["error"], err.get("field")) == (400, "kb-invalid-input", field), body
    status, err = await kb_api.call("GET", "/experts/99999", "agent")
    assert (status, err["error"]) == (404, "expert-not-found")
