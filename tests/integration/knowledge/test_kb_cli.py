"""`hotline kb import|search` and `hotline expert add|list` against a migrated database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.cli import main
from tests.integration.knowledge.kb_fixtures import empty_knowledge


@pytest.fixture
def db_env(kb_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    asyncio.run(empty_knowledge(kb_url))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", kb_url)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    return kb_url


def test_importing_the_seed_twice_changes_nothing_the_second_time(
    db_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "import"]) == 0
    first = capsys.readouterr().out
    assert main(["kb", "import"]) == 0
    second = capsys.readouterr().out
    assert "新增 16 条" in first
    assert "新增 0 条，更新 0 条，未变 16 条" in second


def test_an_edited_file_makes_new_versions_of_the_changed_entries(
    db_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "import"]) == 0
    edited = tmp_path / "kb.yaml"
    edited.write_text(
        "entries:\n"
        "  - unit: scjgj\n"
        "    title: 食品经营许可证申请\n"
        "    question: 开饭店要办食品经营许可证吗？\n"
        "    answer: 需要，网上或窗口申请，仅售预包装食品的备案即可。\n"
        "  - unit: sthj\n"
        "    title: 排污许可证申领\n"
        "    question: 新建工厂什么时候申领排污许可证？\n"
        "    answer: 在启动生产设施或实际排污之前申领。\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["kb", "import", str(edited)]) == 0
    assert "新增 1 条，更新 1 条，未变 0 条" in capsys.readouterr().out
    assert main(["kb", "search", "排污许可证"]) == 0
    out = capsys.readouterr().out
    assert "排污许可证申领" in out.splitlines()[0] and "县生态环境分局" in out


def test_a_file_without_entries_or_with_an_unknown_unit_is_refused(
    db_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- 只是一个列表\n", encoding="utf-8")
    assert main(["kb", "import", str(bad)]) == 1
    assert "entries" in capsys.readouterr().err
    bad.write_text("entries:\n  - {unit: nosuch, title: 标题, question: 问, answer: 答}\n", encoding="utf-8")
    assert main(["kb", "import", str(bad)]) == 1
    assert "单位 nosuch 不存在" in capsys.readouterr().err


def test_search_says_so_when_nothing_matches(db_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "search", "火星移民"]) == 0
    assert "未找到" in capsys.readouterr().out


def test_experts_are_added_and_listed_with_their_backup(
    db_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "expert",
                "add",
                "--name",
                "冯全天",
                "--contact",
                "PJSIP/13900000009@trunk",
                "--topics",
                "特种设备",
                "--duty",
                "daily 00:00-24:00",
            ]
        )
        == 0
    )
    backup_id = int(capsys.readouterr().out.split(":")[1].split()[0])
    assert (
        main(
            [
                "expert",
                "add",
                "--name",
                "陈窗口",
                "--contact",
                "PJSIP/expert301",
                "--unit",
                "scjgj",
                "--topics",
                "特种设备,叉车",
                "--duty",
                "工作日 08:30-12:00,14:00-17:30",
                "--backup",
                str(backup_id),
            ]
        )
        == 0
    )
    main_id = int(capsys.readouterr().out.split(":")[1].split()[0])
    assert main(["expert", "list", "--topic", "叉车"]) == 0
    out = capsys.readouterr().out
    assert "陈窗口" in out and f"（{main_id} 的备岗）" in out and "冯全天" in out
    assert main(["expert", "add", "--name", "错号", "--contact", "139"]) == 1
    assert "拨号串" in capsys.readouterr().err
