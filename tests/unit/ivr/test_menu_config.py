"""The menu file is validated at load, and every problem names its file, line and YAML path."""

from __future__ import annotations

import textwrap

import pytest

from ivr.config import MenuConfigError, MenuProblem, load_menu, parse_menu, tidy_prompt_text
from ivr.domain.menu import SERVICES, Back, GoTo, Repeat, RouteTo

VALID = """\
root: main
agent_destination: seat
destinations:
  seat: {kind: seat, label: 人工服务}
  complaint: {kind: seat, service: complaint}
  general: {kind: transfer, context: hotline-general, extension: s}
nodes:
  main:
    prompt: main_menu
    keys:
      1: {goto: business}
      2: {route: general}
      "*": repeat
  business:
    prompt: business_menu
    keys:
      3: {route: complaint}
      0: agent
      "#": back
prompts:
  greeting: 您好
  closed: 现在是非工作时间
  main_menu: 请按1
  business_menu: 请按3
  invalid: 输入有误
  no_input: 没有收到按键
"""


def problems_of(text: str) -> list[MenuProblem]:
    with pytest.raises(MenuConfigError) as caught:
        parse_menu(textwrap.dedent(text), "menu.yaml")
    return caught.value.problems


def only_problem(text: str) -> MenuProblem:
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_a_valid_file_builds_the_menu_tree() -> None:
    menu = parse_menu(VALID, "menu.yaml")
    assert menu.root == "main"
    assert menu.nodes["main"].keys == {"1": GoTo("business"), "2": RouteTo("general"), "*": Repeat()}
    assert menu.nodes["business"].keys["0"] == RouteTo("seat", agent=True)
    assert menu.nodes["business"].keys["#"] == Back()
    assert menu.destinations["complaint"].label == "投诉举报"
    assert menu.destinations["general"].context == "hotline-general"
    assert menu.nodes["main"].timeout_s == 5.0 and menu.nodes["main"].retries == 3


def test_the_shipped_default_menu_offers_the_five_services_and_an_agent() -> None:
    menu = load_menu()
    business = menu.nodes["business"]
    services = {menu.destinations[a.destination].service for a in business.keys.values() if isinstance(a, RouteTo)}
    assert services == set(SERVICES) | {None}
    assert business.keys["0"] == RouteTo("business_seat", agent=True)
    assert business.keys["*"] == Repeat()
    assert menu.nodes["main"].keys["1"] == GoTo("business")
    assert menu.destinations["general_queue"].kind == "transfer"
    assert all(name in menu.prompts for name in menu.referenced_prompts())
    assert menu.prompts["greeting"].startswith("您好，欢迎致电12345")


def test_an_unknown_destination_names_line_and_path() -> None:
    problem = only_problem(VALID.replace("{route: complaint}", "{route: complaints}"))
    assert problem.code == "unknown-destination"
    assert (problem.line, problem.column) == (17, 18)
    assert problem.yaml_path == "nodes.business.keys.3.route"
    assert "complaints" in problem.message_zh and "complaints" in problem.message_en
    assert str(problem).startswith("menu.yaml:17:18: nodes.business.keys.3.route: 未定义的去向")


def test_a_goto_to_an_unknown_node_is_refused() -> None:
    problems = problems_of(VALID.replace("{goto: business}", "{goto: bussiness}"))
    codes = [p.code for p in problems]
    assert codes[0] == "unknown-node"
    assert problems[0].line == 11
    # with the only way in gone, the business node is also unreachable
    assert "unreachable-node" in codes


def test_a_prompt_without_text_is_reported_where_it_is_used() -> None:
    problem = only_problem(VALID.replace("prompt: business_menu", "prompt: business_intro"))
    assert problem.code == "missing-prompt"
    assert problem.line == 15
    assert problem.yaml_path == "nodes.business.prompt"


def test_a_missing_default_prompt_points_at_the_node_that_relies_on_it() -> None:
    problems = problems_of(VALID.replace("  no_input: 没有收到按键\n", ""))
    assert {p.code for p in problems} == {"missing-prompt"}
    assert [(p.line, p.yaml_path) for p in problems] == [
        (9, "nodes.main.timeout_prompt"),
        (15, "nodes.business.timeout_prompt"),
    ]


def test_a_duplicate_key_is_caught_although_yaml_would_keep_the_last() -> None:
    text = VALID.replace('      "#": back\n', '      "#": back\n      3: {route: general}\n')
    problem = only_problem(text)
    assert problem.code == "duplicate-key"
    assert problem.line == 20
    assert problem.yaml_path == "nodes.business.keys.3"
    assert "17" in problem.message_zh


def test_a_duplicate_node_is_caught() -> None:
    text = VALID.replace("prompts:\n", "  main:\n    prompt: main_menu\n    keys: {1: agent}\nprompts:\n")
    problem = only_problem(text)
    assert (problem.code, problem.line, problem.yaml_path) == ("duplicate-key", 20, "nodes.main")


def test_keys_outside_the_phone_keypad_are_invalid() -> None:
    problem = only_problem(VALID.replace('"*": repeat', '"A": repeat'))
    assert (problem.code, problem.line, problem.yaml_path) == ("invalid-key", 13, "nodes.main.keys.A")


def test_a_node_no_key_leads_to_is_unreachable() -> None:
    text = VALID.replace("prompts:\n", "  orphan:\n    prompt: main_menu\n    keys: {1: agent}\nprompts:\n")
    problem = only_problem(text)
    assert (problem.code, problem.line, problem.yaml_path) == ("unreachable-node", 20, "nodes.orphan")
    assert "orphan" in problem.message_zh


@pytest.mark.parametrize("value", ["0", "-1", "90", "soon", "true"])
def test_a_timeout_must_be_a_sensible_number_of_seconds(value: str) -> None:
    problem = only_problem(VALID.replace("    prompt: business_menu\n", f"    prompt: business_menu\n    timeout_s: {value}\n"))
    assert (problem.code, problem.line, problem.yaml_path) == ("bad-timeout", 16, "nodes.business.timeout_s")


@pytest.mark.parametrize("value", ["-1", "2.5", "10", "many"])
def test_retries_must_be_a_small_whole_number(value: str) -> None:
    problem = only_problem(VALID.replace("    prompt: main_menu\n", f"    prompt: main_menu\n    retries: {value}\n"))
    assert (problem.code, problem.line, problem.yaml_path) == ("bad-retries", 10, "nodes.main.retries")


def test_a_seat_for_an_unknown_service_is_refused() -> None:
    problem = only_problem(VALID.replace("service: complaint", "service: complain"))
    assert (problem.code, problem.line) == ("unknown-service", 5)
    assert problem.yaml_path == "destinations.complaint.service"
    assert "投诉举报" in problem.message_zh


def test_a_transfer_needs_context_and_extension() -> None:
    problem = only_problem(VALID.replace("{kind: transfer, context: hotline-general, extension: s}", "{kind: transfer, context: x}"))
    assert (problem.code, problem.line, problem.yaml_path) == ("transfer-incomplete", 6, "destinations.general")
    assert "extension" in problem.message_zh


def test_an_unknown_destination_kind_is_refused() -> None:
    problem = only_problem(VALID.replace("{kind: seat, label: 人工服务}", "{kind: queue}"))
    assert (problem.code, problem.line) == ("bad-destination-kind", 4)


def test_a_misspelt_field_is_reported_not_ignored() -> None:
    problem = only_problem(VALID.replace("    prompt: main_menu\n", "    prompt: main_menu\n    timout_s: 3\n"))
    assert (problem.code, problem.line, problem.yaml_path) == ("unknown-field", 10, "nodes.main.timout_s")


def test_an_action_must_be_one_of_the_known_forms() -> None:
    problem = only_problem(VALID.replace('"*": repeat', '"*": again'))
    assert (problem.code, problem.line, problem.yaml_path) == ("bad-action", 13, "nodes.main.keys.*")


def test_a_root_that_is_not_a_node_is_refused() -> None:
    problems = problems_of(VALID.replace("root: main", "root: start"))
    assert problems[0].code == "unknown-node" and problems[0].line == 1


def test_all_problems_are_listed_together_in_file_order() -> None:
    text = VALID.replace("service: complaint", "service: x").replace("{goto: business}", "{goto: nowhere}")
    lines = [p.line for p in problems_of(text)]
    assert lines == sorted(lines) and len(lines) >= 2


def test_broken_yaml_reports_its_position() -> None:
    problem = only_problem(VALID.replace('"*": repeat', '"*: repeat'))
    assert problem.code == "yaml-syntax"
    assert problem.line >= 13


def test_an_empty_file_is_refused() -> None:
    assert only_problem("").code == "empty-file"


def test_folded_chinese_lines_lose_the_space_yaml_adds() -> None:
    assert tidy_prompt_text("请按1； 重听请按 星号键。\n") == "请按1；重听请按星号键。"
    assert tidy_prompt_text("dial  12345 now") == "dial 12345 now"


def test_an_unquoted_star_key_gets_a_hint_to_quote_it() -> None:
    problem = only_problem(VALID.replace('"*": repeat', "*: repeat"))
    assert (problem.code, problem.line) == ("yaml-syntax", 13)
    assert "加引号" in problem.message_zh


def test_required_fields_are_named_when_missing() -> None:
    problems = problems_of(VALID.replace("    prompt: business_menu\n", "").replace("{kind: seat, label: 人工服务}", "{label: 人工服务}"))
    assert [(p.code, p.line, p.yaml_path) for p in problems] == [
        ("missing-field", 4, "destinations.seat.kind"),
        ("missing-field", 15, "nodes.business.prompt"),
    ]
