"""The admin commands: `hotline unit list|add`, `hotline user add` (token printed once), `hotline workorder list`."""

from __future__ import annotations

import asyncio

import pytest

from hotline.cli import main
from hotline.db import make_engine, make_sessionmaker
from ticketing.auth import actor_for_token, hash_token
from ticketing.domain.calendar import OfficeHours, WorkingCalendar
from ticketing.domain.roles import Actor, Role
from ticketing.domain.workorder import Details
from ticketing.services import Directory, WorkOrderService, fixed_calendar


@pytest.fixture
def cli_env(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", migrated_url)
    return migrated_url


def test_an_admin_adds_a_unit_and_a_unit_handler_whose_token_works(cli_env: str, capsys) -> None:
    assert (
        main(
            [
                "unit",
                "add",
                "lqz",
                "龙泉镇测试单位",
                "--kind",
                "township",
                "--dingtalk-webhook",
                "https://oapi.dingtalk.com/robot/send?access_token=t",
            ]
        )
        == 0
    )
    assert "已添加承办单位" in capsys.readouterr().out
    assert main(["unit", "list"]) == 0
    listing = capsys.readouterr().out
    assert "县市场监督管理局" in listing and "龙泉镇测试单位" in listing
    assert (
        main(["user", "add", "zhang.cli", "--name", "张三", "--role", "unit_handler", "--unit", "lqz"]) == 0
    )
    out = capsys.readouterr().out.strip().splitlines()
    token = out[-1]
    assert "只显示这一次" in out[-2] and len(token) >= 40

    async def whoami() -> tuple[str, int | None]:
        engine = make_engine(cli_env)
        try:
            actor = await actor_for_token(make_sessionmaker(engine), token)
        finally:
            await engine.dispose()
        return actor.role.value, actor.unit_id

    role, unit_id = asyncio.run(whoami())
    assert role == "unit_handler" and unit_id is not None
    assert hash_token(token) != token


def test_mistakes_are_reported_in_chinese_with_a_non_zero_exit(cli_env: str, capsys) -> None:
    assert main(["user", "add", "nobody", "--role", "unit_leader"]) == 1
    assert "须指定单位" in capsys.readouterr().err
    assert main(["user", "add", "ghost", "--role", "unit_handler", "--unit", "no-such-unit"]) == 1
    assert "不存在" in capsys.readouterr().err
    assert main(["unit", "add", "scjgj", "重复单位"]) == 1
    assert "已存在" in capsys.readouterr().err


async def _draft(url: str, title: str) -> str:
    engine = make_engine(url)
    try:
        service = WorkOrderService(
            make_sessionmaker(engine), fixed_calendar(WorkingCalendar(OfficeHours.parse()))
        )
        row = await service.create_draft(Actor(None, "王话务", Role.AGENT), details=Details(title=title))
    finally:
        await engine.dispose()
    return row.number


def test_workorder_list_prints_orders_and_a_total(cli_env: str, capsys) -> None:
    number = asyncio.run(_draft(cli_env, "厂区道路积水"))
    assert main(["workorder", "list", "--state", "draft"]) == 0
    out = capsys.readouterr().out
    assert number in out and "草稿" in out and "厂区道路积水" in out and "共 1 条" in out
    assert main(["workorder", "list", "--state", "dispatched"]) == 0
    assert "共 0 条" in capsys.readouterr().out


def test_an_admin_configures_the_dingtalk_robot_of_a_seeded_unit_and_can_retire_a_unit(
    cli_env: str, capsys
) -> None:
    webhook = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    assert (
        main(
            ["unit", "set", "县住房和城乡建设局", "--dingtalk-webhook", webhook, "--dingtalk-secret", "SECx"]
        )
        == 0
    )
    assert "已配置钉钉机器人" in capsys.readouterr().out
    assert main(["unit", "set", "hdz", "--inactive"]) == 0
    assert "停用" in capsys.readouterr().out

    async def units() -> dict[str, tuple[str | None, bool]]:
        engine = make_engine(cli_env)
        try:
            rows = await Directory(make_sessionmaker(engine)).units(include_inactive=True)
        finally:
            await engine.dispose()
        return {u.code: (u.dingtalk_webhook, u.active) for u in rows}

    state = asyncio.run(units())
    assert state["zjj"] == (webhook, True) and state["hdz"] == (None, False)
    assert main(["unit", "list"]) == 0
    assert "荷地镇" not in capsys.readouterr().out  # inactive units are hidden unless --all
    assert main(["unit", "set", "zjj", "--dingtalk-webhook", ""]) == 0
    assert "未配置钉钉机器人" in capsys.readouterr().out
    assert main(["unit", "set", "no-such-unit", "--active"]) == 1
