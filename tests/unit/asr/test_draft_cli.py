"""`hotline draft FILE` on a JSON transcript, an eval line, JSON lines, and a plain text file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.cli import main

TURNS = [
    {"speaker": "agent", "text": "您好 12345营商环境专线 请讲"},
    {"speaker": "caller", "text": "喂 我们是 黄田镇 瑞丰竹业有限公司 今天早上到现在一直停水 也没有停水通知"},
    {"speaker": "agent", "text": "好的 我们帮您联系供水单位 请留一个联系电话"},
    {"speaker": "caller", "text": "幺三八 五七八 九四四 一六"},
]
FIELDS = {"class", "service", "complexity", "department", "answered_on_line", "enterprise", "contact_phone",
          "location", "keywords", "summary", "why"}  # fmt: skip


def run_draft(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["draft", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_json_transcript_prints_the_draft_with_the_eval_field_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "call.json"
    path.write_text(json.dumps({"turns": TURNS}, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_draft(path, capsys)
    draft = json.loads(out)
    assert code == 0
    assert set(draft) == FIELDS
    assert draft["enterprise"] == "瑞丰竹业有限公司"
    assert draft["contact_phone"] == "13857894416"
    assert draft["department"] == "县水务集团"
    assert draft["class"] == "complaint"
    assert {"department_reason", "department_confidence", "department_words"} <= set(draft["why"])
    assert "停水" in out  # Chinese is printed as is, not \\u-escaped


def test_a_bare_list_of_turns_is_read_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "turns.json"
    path.write_text(json.dumps(TURNS, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_draft(path, capsys)
    assert code == 0 and json.loads(out)["contact_phone"] == "13857894416"


def test_eval_lines_keep_their_ids(shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (shared_dir / "eval" / "calls-dev.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    one = tmp_path / "one.json"
    one.write_text(lines[0], encoding="utf-8")
    many = tmp_path / "three.jsonl"
    many.write_text("\n".join(lines), encoding="utf-8")

    code, out, _ = run_draft(one, capsys)
    assert code == 0 and json.loads(out)["id"] == "dev-001"
    code, out, _ = run_draft(many, capsys)
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["dev-001", "dev-002", "dev-003"]


def test_a_plain_text_transcript_with_chinese_and_english_prefixes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "call.txt"
    path.write_text(
        "话务员：您好 12345营商环境专线 请讲\n"
        "来电人：你好 我想提个建议 县里的招聘会 能不能在农闲的时候多搞几场\n"
        "agent: 好的 您的建议我们记录下来 转相关部门研究 请留个电话\n"
        "caller: 姓赖 电话 18757863305\n",
        encoding="utf-8",
    )
    code, out, _ = run_draft(path, capsys)
    draft = json.loads(out)
    assert code == 0
    assert (draft["class"], draft["service"]) == ("suggestion", "suggestion")
    assert draft["department"] == "县人力资源和社会保障局"
    assert draft["contact_phone"] == "18757863305"


def test_unreadable_input_gets_a_chinese_message_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    code, _, err = run_draft(missing, capsys)
    assert code == 2 and "找不到文件" in err

    no_turns = tmp_path / "bad.json"
    no_turns.write_text('{"text": "hello"}', encoding="utf-8")
    code, _, err = run_draft(no_turns, capsys)
    assert code == 2 and "turns" in err
