"""Menu prompts announce exactly the keys their nodes accept."""

from __future__ import annotations

from ivr.config import load_menu, parse_menu
from ivr.domain.wording import announced_keys, wording_warnings

MENU = """\
root: main
destinations:
  business_seat: {kind: seat}
  complaint: {kind: seat, service: complaint}
nodes:
  main:
    prompt: main_menu
    keys:
      3: {route: complaint}
      0: agent
      "*": repeat
prompts:
  greeting: 您好
  closed: 非工作时间
  main_menu: 投诉举报请按3；建议征集请按5；重听请按星号键。
  invalid: 输入有误
  no_input: 没有收到按键
"""


def test_keys_are_read_from_the_prompt_wording() -> None:
    assert announced_keys("政策查询，请按1；重听请按星号键；返回请按#") == {"1", "*", "#"}
    assert announced_keys("您好，欢迎致电12345") == set()


def test_an_announced_key_that_is_not_bound_and_a_bound_key_never_announced_are_flagged() -> None:
    warnings = wording_warnings(parse_menu(MENU))
    assert [(w.code, w.key, w.yaml_path) for w in warnings] == [
        ("key-not-bound", "5", "prompts.main_menu"),
        ("key-not-announced", "0", "nodes.main.keys.0"),
    ]
    assert "按 5" in warnings[0].message_zh


def test_the_shipped_menu_says_what_its_keys_do() -> None:
    assert wording_warnings(load_menu()) == []
