"""Loading and validating the menu file (菜单配置): YAML in, a checked `Menu` out.

The file is read as a PyYAML node tree (not constructed objects) so every problem can name its file,
line, column and YAML path, and so duplicate keys, which PyYAML's constructor silently overwrites, are
caught. All problems are collected before raising one `MenuConfigError`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from ivr.domain.menu import (
    KEYS,
    SERVICES,
    Action,
    Back,
    Destination,
    DestinationKind,
    GoTo,
    Menu,
    MenuNode,
    Repeat,
    RouteTo,
)

DEFAULT_MENU_PATH = Path(__file__).with_name("default_menu.yaml")
"""The shipped default menu (12345 main menu + business-environment line)."""

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
"""Names of nodes, destinations and prompts (prompts become file names: `<name>.wav`)."""

TIMEOUT_RANGE = (1.0, 60.0)
RETRIES_RANGE = (0, 9)
VOICE_MESSAGE_RANGE = (5.0, 600.0)

_TOP_FIELDS = (
    "root",
    "agent_destination",
    "greeting_prompt",
    "closed_prompt",
    "voice_message_max_s",
    "destinations",
    "nodes",
    "prompts",
)
_DESTINATION_FIELDS = ("kind", "service", "context", "extension", "priority", "label", "prompt")
_NODE_FIELDS = ("prompt", "keys", "timeout_s", "retries", "invalid_prompt", "timeout_prompt", "label")
_KINDS: tuple[DestinationKind, ...] = ("seat", "transfer", "hangup")


@dataclass(frozen=True)
class MenuProblem:
    """One thing wrong in a menu file, with where it is."""

    code: str
    """Stable identifier, e.g. "unknown-destination", "duplicate-key"."""
    file: str
    line: int
    """1-based."""
    column: int
    """1-based."""
    yaml_path: str
    """e.g. "nodes.business.keys.3"."""
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}:{self.column}: {self.yaml_path}: "
            f"{self.message_zh} ({self.message_en}) [{self.code}]"
        )


class MenuConfigError(Exception):
    """The menu file is not usable; `problems` lists every problem found."""

    error_id = "menu-config-invalid"

    def __init__(self, problems: list[MenuProblem]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"菜单配置有 {len(problems)} 处错误 (menu configuration has {len(problems)} problem(s)):\n{lines}")


def load_menu(path: Path | None = None) -> Menu:
    """Load and validate a menu file; None loads the shipped default. Raises `MenuConfigError`."""
    path = path or DEFAULT_MENU_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MenuConfigError(
            [MenuProblem("unreadable-file", str(path), 1, 1, "", "无法读取菜单文件", f"cannot read the file: {exc}")]
        ) from exc
    return parse_menu(text, str(path))


def parse_menu(text: str, source: str = "<menu>") -> Menu:
    """Validate menu YAML `text` (named `source` in messages) and build the `Menu`."""
    return _MenuReader(source).read(text)


def check_menu(path: Path) -> list[MenuProblem]:
    """Every problem of a menu file; an empty list means the file is valid."""
    try:
        load_menu(path)
    except MenuConfigError as exc:
        return exc.problems
    return []


def tidy_prompt_text(text: str) -> str:
    """Drop whitespace next to Chinese characters (folded YAML lines leave spaces inside sentences)."""
    text = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class _Entry:
    key: ScalarNode
    value: Node


class _MenuReader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[MenuProblem] = []

    # --- reporting ---

    def problem(self, code: str, node: Node, path: str, zh: str, en: str) -> None:
        mark = node.start_mark
        self.problems.append(MenuProblem(code, self.source, mark.line + 1, mark.column + 1, path, zh, en))

    # --- generic node readers ---

    def mapping(self, node: Node, path: str, allowed: tuple[str, ...] | None = None) -> dict[str, _Entry]:
        if not isinstance(node, MappingNode):
            self.problem("expected-mapping", node, path, "此处应为映射（键: 值）", "expected a mapping (key: value)")
            return {}
        out: dict[str, _Entry] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem("invalid-key-name", key_node, path, "键必须是简单值", "keys must be plain scalars")
                continue
            key = key_node.value
            sub = _join(path, key)
            if key in out:
                first = out[key].key.start_mark.line + 1
                self.problem(
                    "duplicate-key",
                    key_node,
                    sub,
                    f"重复的键 “{key}”（第 {first} 行已定义）",
                    f"duplicate key '{key}' (first defined on line {first})",
                )
                continue
            if allowed is not None and key not in allowed:
                self.problem(
                    "unknown-field",
                    key_node,
                    sub,
                    f"未知字段 “{key}”，可用字段：{', '.join(allowed)}",
                    f"unknown field '{key}'; allowed: {', '.join(allowed)}",
                )
                continue
            out[key] = _Entry(key_node, value_node)
        return out

    def string(self, node: Node, path: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag.endswith(":null") or node.value.strip() == "":
            self.problem("expected-text", node, path, "此处应为非空文本", "expected non-empty text")
            return None
        return node.value

    def number(self, node: Node, path: str, lo: float, hi: float, code: str) -> float | None:
        value = _scalar_float(node)
        if value is None or not lo <= value <= hi:
            self.problem(code, node, path, f"应为 {lo:g} 到 {hi:g} 之间的数", f"expected a number from {lo:g} to {hi:g}")
            return None
        return value

    def integer(self, node: Node, path: str, lo: int, hi: int, code: str) -> int | None:
        value = _scalar_float(node)
        if value is None or value != int(value) or not lo <= value <= hi:
            self.problem(code, node, path, f"应为 {lo} 到 {hi} 之间的整数", f"expected a whole number from {lo} to {hi}")
            return None
        return int(value)

    def name(self, node: Node, path: str) -> bool:
        if isinstance(node, ScalarNode) and NAME_PATTERN.match(node.value):
            return True
        self.problem(
            "invalid-name",
            node,
            path,
            "名称只能包含小写字母、数字和下划线，并以字母开头",
            "names use lowercase letters, digits and underscores, starting with a letter",
        )
        return False

    # --- the menu ---

    def read(self, text: str) -> Menu:
        try:
            root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise MenuConfigError(
                [MenuProblem("yaml-syntax", self.source, line, column, "", *_syntax_messages(exc))]
            ) from exc
        except yaml.YAMLError as exc:
            raise MenuConfigError(
                [MenuProblem("yaml-syntax", self.source, 1, 1, "", "YAML 语法错误", str(exc))]
            ) from exc
        if root_node is None:
            raise MenuConfigError([MenuProblem("empty-file", self.source, 1, 1, "", "菜单文件为空", "the file is empty")])
        menu = self.menu(root_node)
        if self.problems or menu is None:
            self.problems.sort(key=lambda p: (p.line, p.column))
            raise MenuConfigError(self.problems)
        return menu

    def menu(self, node: Node) -> Menu | None:
        top = self.mapping(node, "", _TOP_FIELDS)
        for required in ("root", "nodes", "destinations", "prompts"):
            if required not in top:
                self.problem(
                    "missing-field", node, required, f"缺少必填字段 “{required}”", f"missing required field '{required}'"
                )
        prompts = self.prompts(top["prompts"].value) if "prompts" in top else {}
        dest_entries = self.mapping(top["destinations"].value, "destinations") if "destinations" in top else {}
        node_entries = self.mapping(top["nodes"].value, "nodes") if "nodes" in top else {}

        refs = _Refs(set(prompts), set(dest_entries), set(node_entries))
        agent_destination = self.reference(
            top, "agent_destination", "business_seat", refs.destinations, "destination", node
        )
        greeting = self.reference(top, "greeting_prompt", "greeting", refs.prompts, "prompt", node)
        closed = self.reference(top, "closed_prompt", "closed", refs.prompts, "prompt", node)
        root = self.reference(top, "root", None, refs.nodes, "node", node)
        voice_max = 120.0
        if "voice_message_max_s" in top:
            voice_max = self.number(
                top["voice_message_max_s"].value, "voice_message_max_s", *VOICE_MESSAGE_RANGE, "bad-voice-message-length"
            ) or voice_max

        destinations: dict[str, Destination] = {}
        for name, entry in dest_entries.items():
            if self.name(entry.key, f"destinations.{name}"):
                dest = self.destination(name, entry.value, refs)
                if dest is not None:
                    destinations[name] = dest
        nodes: dict[str, MenuNode] = {}
        for node_id, entry in node_entries.items():
            if self.name(entry.key, f"nodes.{node_id}"):
                menu_node = self.node(node_id, entry.value, refs, agent_destination or "business_seat")
                if menu_node is not None:
                    nodes[node_id] = menu_node

        if root in nodes and len(nodes) == len(node_entries):
            for node_id in sorted(set(nodes) - _reachable(root, nodes), key=list(nodes).index):
                self.problem(
                    "unreachable-node",
                    node_entries[node_id].key,
                    f"nodes.{node_id}",
                    f"菜单节点 “{node_id}” 从根节点 “{root}” 无法到达",
                    f"node '{node_id}' cannot be reached from the root node '{root}'",
                )
        if self.problems or root is None or agent_destination is None or greeting is None or closed is None:
            return None
        return Menu(
            root=root,
            nodes=nodes,
            destinations=destinations,
            prompts=prompts,
            agent_destination=agent_destination,
            greeting_prompt=greeting,
            closed_prompt=closed,
            voice_message_max_s=voice_max,
        )

    def reference(
        self,
        fields: Mapping[str, _Entry],
        field: str,
        default: str | None,
        known: set[str],
        what: str,
        owner: Node,
        path: str = "",
    ) -> str | None:
        """Read a field naming a prompt, destination or node (or take `default`); check the name is defined.

        A problem about a defaulted name points at `owner`, the mapping that left the field out.
        """
        full = _join(path, field)
        node = owner
        if field in fields:
            node = fields[field].value
            value = self.string(node, full)
            if value is None:
                return None
        elif default is not None:
            value = default
        else:
            return None
        if value not in known:
            self.unknown(what, value, node, full)
            return None
        return value

    def unknown(self, what: str, value: str, node: Node, path: str) -> None:
        zh = {"prompt": "提示音文本", "destination": "去向", "node": "菜单节点"}[what]
        code = {"prompt": "missing-prompt", "destination": "unknown-destination", "node": "unknown-node"}[what]
        section = {"prompt": "prompts", "destination": "destinations", "node": "nodes"}[what]
        self.problem(
            code,
            node,
            path,
            f"未定义的{zh} “{value}”（请在 {section} 中定义）",
            f"undefined {what} '{value}' (define it under {section})",
        )

    def prompts(self, node: Node) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, entry in self.mapping(node, "prompts").items():
            path = f"prompts.{name}"
            if not self.name(entry.key, path):
                continue
            text = self.string(entry.value, path)
            if text is not None:
                out[name] = tidy_prompt_text(text)
        return out

    def destination(self, name: str, node: Node, refs: _Refs) -> Destination | None:
        path = f"destinations.{name}"
        f = self.mapping(node, path, _DESTINATION_FIELDS)
        if not isinstance(node, MappingNode):
            return None
        kind_text = self.string(f["kind"].value, f"{path}.kind") if "kind" in f else None
        if "kind" not in f:
            self.problem("missing-field", node, f"{path}.kind", "缺少 kind（seat/transfer/hangup）", "missing kind")
            return None
        if kind_text is None:
            return None
        if kind_text not in _KINDS:
            self.problem(
                "bad-destination-kind",
                f["kind"].value,
                f"{path}.kind",
                f"未知的去向类型 “{kind_text}”，应为 seat、transfer 或 hangup",
                f"unknown kind '{kind_text}'; use seat, transfer or hangup",
            )
            return None
        kind: DestinationKind = _KINDS[_KINDS.index(kind_text)]
        ok = True
        for not_here in _fields_not_for(kind):
            if not_here in f:
                ok = False
                self.problem(
                    "field-not-for-kind",
                    f[not_here].key,
                    f"{path}.{not_here}",
                    f"{kind} 类型的去向不能设置 {not_here}",
                    f"a {kind} destination takes no '{not_here}'",
                )
        service = None
        if "service" in f:
            service = self.string(f["service"].value, f"{path}.service")
            if service is not None and service not in SERVICES:
                ok = False
                self.problem(
                    "unknown-service",
                    f["service"].value,
                    f"{path}.service",
                    f"未知的服务 “{service}”，应为：{'、'.join(f'{k}（{v}）' for k, v in SERVICES.items())}",
                    f"unknown service '{service}'; use one of {', '.join(SERVICES)}",
                )
        context = self.string(f["context"].value, f"{path}.context") if "context" in f else None
        extension = self.string(f["extension"].value, f"{path}.extension") if "extension" in f else None
        if kind == "transfer" and (context is None or extension is None):
            ok = False
            missing = " 和 ".join(x for x, v in (("context", context), ("extension", extension)) if v is None)
            self.problem(
                "transfer-incomplete",
                node,
                path,
                f"transfer 类型的去向必须设置 context 和 extension（缺少 {missing}）",
                "a transfer destination needs both context and extension",
            )
        priority = 1
        if "priority" in f:
            priority = self.integer(f["priority"].value, f"{path}.priority", 1, 9999, "bad-priority") or 1
        label = self.string(f["label"].value, f"{path}.label") if "label" in f else None
        prompt = self.reference(f, "prompt", None, refs.prompts, "prompt", node, path)
        if not ok:
            return None
        return Destination(
            name=name,
            kind=kind,
            service=service,
            context=context,
            extension=extension,
            priority=priority,
            label=label or (SERVICES.get(service, "") if service else ""),
            prompt=prompt,
        )

    def node(self, node_id: str, node: Node, refs: _Refs, agent_destination: str) -> MenuNode | None:
        path = f"nodes.{node_id}"
        f = self.mapping(node, path, _NODE_FIELDS)
        if not isinstance(node, MappingNode):
            return None
        if "prompt" not in f:
            self.problem("missing-field", node, f"{path}.prompt", "缺少 prompt（提示音名称）", "missing prompt")
        prompt = self.reference(f, "prompt", None, refs.prompts, "prompt", node, path)
        invalid_prompt = self.reference(f, "invalid_prompt", "invalid", refs.prompts, "prompt", node, path)
        timeout_prompt = self.reference(f, "timeout_prompt", "no_input", refs.prompts, "prompt", node, path)
        timeout_s = 5.0
        if "timeout_s" in f:
            timeout_s = self.number(f["timeout_s"].value, f"{path}.timeout_s", *TIMEOUT_RANGE, "bad-timeout") or 5.0
        retries = 3
        if "retries" in f:
            read = self.integer(f["retries"].value, f"{path}.retries", *RETRIES_RANGE, "bad-retries")
            retries = read if read is not None else 3
        keys: dict[str, Action] = {}
        if "keys" not in f:
            self.problem("no-keys", node, f"{path}.keys", "菜单节点没有任何按键", "the node has no keys")
        else:
            for key, entry in self.mapping(f["keys"].value, f"{path}.keys").items():
                action = self.action(entry, f"{path}.keys.{key}", refs, agent_destination)
                if key not in KEYS:
                    self.problem(
                        "invalid-key",
                        entry.key,
                        f"{path}.keys.{key}",
                        f"无效的按键 “{key}”，只能使用 0-9、* 和 #",
                        f"invalid key '{key}'; use 0-9, * and #",
                    )
                elif action is not None:
                    keys[key] = action
        label = self.string(f["label"].value, f"{path}.label") if "label" in f else None
        if prompt is None or invalid_prompt is None or timeout_prompt is None:
            return None
        return MenuNode(
            id=node_id,
            prompt=prompt,
            keys=keys,
            timeout_s=timeout_s,
            retries=retries,
            invalid_prompt=invalid_prompt,
            timeout_prompt=timeout_prompt,
            label=label or "",
        )

    def action(self, entry: _Entry, path: str, refs: _Refs, agent_destination: str) -> Action | None:
        node = entry.value
        if isinstance(node, ScalarNode) and node.value in ("repeat", "back", "agent"):
            if node.value == "repeat":
                return Repeat()
            if node.value == "back":
                return Back()
            return RouteTo(agent_destination, agent=True)
        if isinstance(node, MappingNode) and len(node.value) == 1:
            f = self.mapping(node, path, ("goto", "route", "agent"))
            for verb in f:
                what = "node" if verb == "goto" else "destination"
                known = refs.nodes if verb == "goto" else refs.destinations
                target = self.reference(f, verb, None, known, what, node, path)
                if target is None:
                    return None
                if verb == "goto":
                    return GoTo(target)
                return RouteTo(target, agent=verb == "agent")
            return None
        self.problem(
            "bad-action",
            node,
            path,
            "无效的按键动作：应为 {goto: 节点}、{route: 去向}、{agent: 去向}、agent、repeat 或 back",
            "invalid action: use {goto: node}, {route: destination}, {agent: destination}, agent, repeat or back",
        )
        return None


@dataclass(frozen=True)
class _Refs:
    prompts: set[str]
    destinations: set[str]
    nodes: set[str]


def _syntax_messages(exc: yaml.MarkedYAMLError) -> tuple[str, str]:
    detail = str(exc.problem or exc)
    if "alias" in f"{exc.context} {detail}":  # an unquoted * key reads as a YAML alias
        return "YAML 语法错误：按键 * 和 # 需要加引号，例如 \"*\": repeat", f"{detail}; quote the keys * and #"
    return "YAML 语法错误", detail


def _fields_not_for(kind: DestinationKind) -> tuple[str, ...]:
    if kind == "seat":
        return ("context", "extension", "priority")
    if kind == "transfer":
        return ("service",)
    return ("service", "context", "extension", "priority")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _scalar_float(node: Node) -> float | None:
    if not isinstance(node, ScalarNode) or node.tag.endswith((":bool", ":null")):
        return None
    try:
        return float(node.value)
    except ValueError:
        return None


def _reachable(root: str, nodes: Mapping[str, MenuNode]) -> set[str]:
    seen = {root}
    todo = deque([root])
    while todo:
        for target in _goto_targets(nodes[todo.popleft()]):
            if target in nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _goto_targets(node: MenuNode) -> Iterator[str]:
    for action in node.keys.values():
        if isinstance(action, GoTo):
            yield action.node
