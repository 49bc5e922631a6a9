"""Accounts from the shell and the admin pages: the first admin, passwords, demo accounts (refused in
production), users, units, calendar overrides and the new-year import, and the IVR menu check."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData

from console.auth.domain import DEMO_ACCOUNTS, DemoAccountsInProduction
from console.auth.services import Accounts
from hotline.cli import main
from hotline.db import make_engine, make_sessionmaker
from tests.integration.console.console_fixtures import Console
from tests.integration.console.support import (
    MovableClock,
    cheap_passwords,
    console_app,
    console_settings,
    copy_database,
    csrf_of,
    seed_people,
)


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


def test_the_first_admin_is_created_from_the_shell_and_only_once(
    console_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = copy_database(console_template, tmp_path)
    argv = ["admin", "create", "--username", "root", "--name", "系统管理员", "--password-stdin"]
    assert _cli(monkeypatch, url, argv, "a-long-secret-1\n") == 0
    assert "已创建管理员 root" in capsys.readouterr().out
    assert _cli(monkeypatch, url, [*argv[:3], "root2", *argv[4:]], "a-long-secret-2\n") == 1
    assert "已有管理员账号 root" in capsys.readouterr().err
    assert _cli(monkeypatch, url, ["user", "set-password", "root", "--password-stdin"], "short\n") == 1
    assert "密码至少 8 位" in capsys.readouterr().err
    assert _cli(monkeypatch, url, ["user", "set-password", "root", "--password-stdin"], "another-secret-3\n") == 0
    assert _cli(monkeypatch, url, ["user", "set-password", "ghost", "--password-stdin"], "another-secret-3\n") == 1


async def _seed_demo(url: str) -> None:
    engine = make_engine(url)
    try:
        await Accounts(make_sessionmaker(engine), cheap_passwords()).seed_demo()
    finally:
        await engine.dispose()


async def test_production_refuses_to_start_while_demo_accounts_exist_and_starts_once_removed(
    console_template: Path, tmp_path: Path, aiohttp_client: Any
) -> None:
    url = copy_database(console_template, tmp_path)
    await _seed_demo(url)
    app = console_app(console_settings(url, tmp_path, production=True), MovableClock())
    with pytest.raises(DemoAccountsInProduction) as refused:
        await aiohttp_client(app)
    assert refused.value.logins == sorted(a.login for a in DEMO_ACCOUNTS)
    assert "生产模式下存在演示账号" in refused.value.message and "demo-admin" in refused.value.message
    engine = make_engine(url)
    try:
        await Accounts(make_sessionmaker(engine), cheap_passwords()).deactivate_demo()
    finally:
        await engine.dispose()
    client = await aiohttp_client(console_app(console_settings(url, tmp_path, production=True), MovableClock()))
    assert (await client.get("/login")).status == 200


def test_demo_remove_deactivates_the_demo_accounts_so_production_starts(
    console_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = copy_database(console_template, tmp_path)
    assert _cli(monkeypatch, url, ["demo", "seed"]) == 0
    assert "demo-handler" in capsys.readouterr().out
    assert _cli(monkeypatch, url, ["demo", "remove"]) == 0
    assert "已停用演示账号: demo-admin" in capsys.readouterr().out
    monkeypatch.setenv("HOTLINE_PRODUCTION", "1")
    assert _cli(monkeypatch, url, ["demo", "seed"]) == 1
    assert "生产模式下不能创建演示账号" in capsys.readouterr().err


async def test_demo_accounts_sign_in_outside_production(console_template: Path, tmp_path: Path, aiohttp_client: Any) -> None:
    url = copy_database(console_template, tmp_path)
    await _seed_demo(url)
    await _seed_demo(url)  # seeding twice is harmless
    client = await aiohttp_client(console_app(console_settings(url, tmp_path), MovableClock()))
    page = await client.get("/login")
    resp = await client.post(
        "/login",
        data={"login": "demo-handler", "password": "demo12345", "csrf_token": csrf_of(await page.text())},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert "县市场监督管理局（演示）" in await (await client.get("/unit/inbox")).text()


async def test_an_admin_creates_a_user_who_then_signs_in_and_a_reset_ends_their_session(console: Console) -> None:
    await console.sign_in("qian.admin")
    csrf = await console.csrf("/admin/users")
    created = await console.client.post(
        "/admin/users/create",
        data={
            "csrf_token": csrf, "login": "zhou.tax", "name": "周承办", "role": "unit_handler",
            "unit_id": str(console.people.units["zjj"]), "password": "first-pass-1",
        },
    )
    assert created.status == 200 and "zhou.tax" in await created.text()
    short = await console.client.post(
        "/admin/users/create",
        data={"csrf_token": csrf, "login": "x", "name": "x", "role": "agent", "password": "short"},
    )
    assert short.status == 400 and "密码至少 8 位" in await short.text()
    unitless = await console.client.post(
        "/admin/users/create",
        data={"csrf_token": csrf, "login": "y", "name": "y", "role": "unit_leader", "password": "long-enough-1"},
    )
    assert unitless.status == 400 and "须指定单位" in await unitless.text()
    await console.client.post("/logout", data={"csrf_token": csrf})

    assert (await console.sign_in("zhou.tax", "first-pass-1")).status == 303
    zhou_token = console.client.session.cookie_jar.filter_cookies(console.client.make_url("/"))["hotline_session"].value
    # the admin resets the password in another browser: zhou's open session ends
    console.client.session.cookie_jar.clear()
    await console.sign_in("qian.admin")
    csrf = await console.csrf("/admin/users")
    reset = await console.client.post(
        "/admin/users/password", data={"csrf_token": csrf, "login": "zhou.tax", "password": "second-pass-2"}
    )
    assert reset.status == 200
    console.client.session.cookie_jar.clear()
    stale = await console.client.get("/api/v1/me", cookies={"hotline_session": zhou_token})
    assert stale.status == 401
    assert (await console.sign_in("zhou.tax", "first-pass-1")).status == 401
    assert (await console.sign_in("zhou.tax", "second-pass-2")).status == 303
    console.client.session.cookie_jar.clear()
    await console.sign_in("qian.admin")
    audit = await (await console.client.get("/admin/users")).text()
    assert "最近登录记录" in audit and "zhou.tax" in audit and "失败（密码错误）" in audit


async def test_a_role_change_applies_at_once_and_admin_pages_refuse_other_roles(console: Console) -> None:
    await console.sign_in("wang.market")
    refused = await console.client.get("/admin/users")
    assert refused.status == 403 and "不对您的角色开放" in await refused.text()
    assert (await console.client.get("/supervise")).status == 403
    console.client.session.cookie_jar.clear()
    await console.sign_in("qian.admin")
    csrf = await console.csrf("/admin/users")
    handler = console.people.actors["wang.market"]
    resp = await console.client.post(
        "/admin/users/update",
        data={"csrf_token": csrf, "user_id": str(handler.id), "role": "unit_leader",
              "unit_id": str(handler.unit_id), "active": "1"},
    )
    assert resp.status == 200
    assert await console.scalar("SELECT role FROM users WHERE id = :id", id=handler.id) == "unit_leader"


async def test_an_admin_adds_a_unit_and_switches_it_off(console: Console) -> None:
    await console.sign_in("qian.admin")
    csrf = await console.csrf("/admin/units")
    resp = await console.client.post(
        "/admin/units/create", data={"csrf_token": csrf, "code": "zxcs", "name": "县政务服务测试中心", "kind": "department"}
    )
    assert resp.status == 200 and "县政务服务测试中心" in await resp.text()
    await console.client.post("/admin/units/active", data={"csrf_token": csrf, "code": "zxcs", "active": "0"})
    assert await console.scalar("SELECT active FROM units WHERE code = 'zxcs'") in (0, False)


async def test_calendar_overrides_and_the_new_year_import(console: Console) -> None:
    await console.sign_in("qian.admin")
    csrf = await console.csrf("/admin/calendar")
    resp = await console.client.post(
        "/admin/calendar/override", data={"csrf_token": csrf, "day": "2026-12-24", "working": "0", "note": "县里停电检修"}
    )
    assert resp.status == 200 and "县里停电检修" in await resp.text()
    form = FormData()
    form.add_field("csrf_token", csrf)
    form.add_field(
        "file",
        "# 2027\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节调休上班\n".encode(),
        filename="2027.txt",
        content_type="text/plain",
    )
    resp = await console.client.post("/admin/calendar/import", data=form)
    page = await resp.text()
    assert resp.status == 200 and "<td>2027</td><td>1</td><td>1</td>" in page
    bad = FormData()
    bad.add_field("csrf_token", csrf)
    bad.add_field("file", b"2027-01-01,holiday,\n2027-13-01,holiday,x\n", filename="bad.txt", content_type="text/plain")
    resp = await console.client.post("/admin/calendar/import", data=bad)
    assert resp.status == 400 and "第 1 行" in await resp.text()
    no_token = FormData()
    no_token.add_field("file", b"2028-01-01,holiday,x\n", filename="x.txt", content_type="text/plain")
    assert (await console.client.post("/admin/calendar/import", data=no_token)).status == 403


async def test_the_menu_check_shows_the_key_tree_or_the_errors(
    console: Console, console_template: Path, tmp_path: Path, aiohttp_client: Any
) -> None:
    await console.sign_in("qian.admin")
    page = await (await console.client.get("/admin/menu")).text()
    assert "菜单配置有效" in page and "<kbd>1</kbd>" in page
    broken = tmp_path / "menu.yaml"
    broken.write_text("root: main\nnodes:\n  main:\n    prompt: main\n    keys:\n      '1': {goto: nowhere}\n", encoding="utf-8")
    (tmp_path / "second").mkdir()
    url = copy_database(console_template, tmp_path / "second")
    await seed_people(url)
    client = await aiohttp_client(console_app(console_settings(url, tmp_path / "second", menu_path=broken), MovableClock()))
    other = Console(client=client, clock=MovableClock(), people=console.people, url=url)
    await other.sign_in("qian.admin")
    page = await (await client.get("/admin/menu")).text()
    assert "菜单配置有" in page and "处错误" in page and "nodes.main" in page
