"""`hotline call test --keys 1,3`: an operator's smoke test, here against the fake Asterisk."""

from __future__ import annotations

import asyncio

import pytest

from callflow.cli import run_call_test
from hotline.cli import main
from tests.integration.callflow.support import Hotline


async def test_the_call_test_presses_keys_and_tells_the_path_and_where_the_call_ended(hotline: Hotline) -> None:
    result = await run_call_test(hotline.client, "hotline", ["1", "3"], clock=hotline.fake.clock, key_gap_s=1.0)
    assert result.path == "main 按1 → goto:business; business 按3 → route:complaint"
    assert (result.destination, result.service) == ("complaint", "complaint")
    assert result.ended_in is not None
    assert (result.ended_in["context"], result.ended_in["exten"]) == ("hotline-seat", "s")
    assert result.lines()[-1] == "通话最终位置 (ended in): hotline-seat,s,1"
    await hotline.fake.wait_empty()  # the test call hung itself up: both Local halves are gone


async def test_the_hotline_command_runs_the_call_test_and_prints_in_chinese(
    hotline: Hotline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_ARI_URL", hotline.fake.url)
    code = await asyncio.to_thread(main, ["call", "test", "--keys", "1,5", "--gap", "0.05"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "导航路径 (path): main 按1 → goto:business; business 按5 → route:suggestion" in out
    assert "去向 (destination): suggestion  服务 (service): suggestion" in out
    assert "通话最终位置 (ended in): hotline-seat,s,1" in out
    await hotline.fake.wait_empty()


async def test_the_call_test_says_so_when_asterisk_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_ARI_URL", "http://127.0.0.1:9")
    code = await asyncio.to_thread(main, ["call", "test", "--keys", "1", "--connect-timeout", "0.3"])
    assert code == 1
    assert "测试呼叫失败 (test call failed): 无法连接 ARI (cannot reach ARI) at http://127.0.0.1:9" in (
        capsys.readouterr().out
    )
