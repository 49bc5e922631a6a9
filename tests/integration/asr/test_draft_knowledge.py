"""`hotline draft --kb`: the draft lists the knowledge-base entries (知识库) that match the call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.cli import main
from hotline.db import upgrade

SEED = Path(__file__).resolve().parents[3] / "knowledge" / "seed_kb.yaml"


def test_a_draft_lists_matching_knowledge_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/hotline.sqlite3"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    upgrade(url)
    assert main(["kb", "import", str(SEED)]) == 0
    capsys.readouterr()
    call = tmp_path / "call.txt"
    call.write_text(
        "来电人：你好 我开了个小吃店 是个体户 想加卖预包装食品 经营范围要便更 要跑哪里\n"
        "话务员：个体户变更经营范围 可以直接在浙里办上办 不用跑窗口\n"
        "来电人：好的 谢谢\n",
        encoding="utf-8",
    )

    assert main(["draft", "--kb", str(call)]) == 0
    draft = json.loads(capsys.readouterr().out)

    titles = [entry["title"] for entry in draft["knowledge"]]
    assert titles and "经营范围" in titles[0]
    assert draft["knowledge"][0]["unit"] == "县市场监督管理局"
    assert "变更" in draft["why"]["knowledge_query"]  # the misheard 便更, spelled right for the search


def test_without_a_database_the_draft_says_so_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3")
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    call = tmp_path / "call.txt"
    call.write_text("来电人：我想问一下 个体户变更经营范围怎么办\n", encoding="utf-8")

    assert main(["draft", "--kb", str(call)]) == 1
    assert "知识库不可用" in capsys.readouterr().err
