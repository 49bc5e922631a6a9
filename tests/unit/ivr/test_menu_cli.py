"""`hotline menu check` as an operator uses it: the tree on success, warnings, problems with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.cli import main as hotline
from tests.unit.ivr.test_wording import MENU as MISWORDED_MENU


def test_a_valid_menu_is_shown_as_a_tree_of_keys(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_MENU_PATH", raising=False)
    assert hotline(["menu", "check"]) == 0
    out = capsys.readouterr().out
    assert "菜单配置有效" in out
    assert "[business] 营商环境专线" in out
    assert "3 → 投诉举报 [坐席 complaint]" in out
    assert "2 → 12345民生诉求 [转拨号计划 hotline-general,s,1]" in out
    assert "重试用尽 → 营商环境专线人工服务" in out
    assert "提醒" not in out


def test_wording_that_disagrees_with_the_keys_is_a_warning_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    menu = tmp_path / "menu.yaml"
    menu.write_text(MISWORDED_MENU, encoding="utf-8")
    assert hotline(["menu", "check", str(menu)]) == 0
    out = capsys.readouterr().out
    assert "提醒 (warning): prompts.main_menu:" in out and "[key-not-bound]" in out
    assert "[key-not-announced]" in out


def test_an_invalid_menu_fails_with_each_problem_on_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    menu = tmp_path / "menu.yaml"
    menu.write_text(MISWORDED_MENU.replace("service: complaint", "service: complaints"), encoding="utf-8")
    assert hotline(["menu", "check", str(menu)]) == 1
    err = capsys.readouterr().err
    assert f"{menu}:4:" in err and "[unknown-service]" in err
