"""The ARI Swagger 1.1 descriptions (Asterisk 22) as a request and event checker.

The fake Asterisk resolves every REST request to one operation of `../shared/asterisk-ari-api-docs/`
(path template + method) and checks its parameters; every event it emits is checked against the
models of `events.json`. Where Asterisk is silently lenient (an unknown parameter, a value of the
wrong type) the checker reports a *problem*; the fake refuses the request and records a violation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_DOCS = Path(__file__).resolve().parents[4] / "shared" / "asterisk-ari-api-docs"

RESOURCES = (
    "applications",
    "asterisk",
    "bridges",
    "channels",
    "deviceStates",
    "endpoints",
    "events",
    "mailboxes",
    "playbacks",
    "recordings",
    "sounds",
)

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")
_TRUE = {"true", "yes", "1", "on", "y", "t"}
_FALSE = {"false", "no", "0", "off", "n", "f"}


class EventModelError(AssertionError):
    """The fake built an event that does not match events.json: a bug in the fake itself."""


class PathNotFound(LookupError):
    """No path template matches (Asterisk: 404 Resource not found)."""


class MethodNotAllowed(LookupError):
    """The path exists but not with this method (Asterisk: 405 Invalid method)."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # path | query | body
    data_type: str
    required: bool
    allow_multiple: bool
    allowed: tuple[str, ...] | None
    minimum: int | None


@dataclass(frozen=True)
class Operation:
    resource: str
    method: str
    template: str
    nickname: str
    params: dict[str, Param]
    is_websocket: bool = False
    response_class: str = "void"

    @property
    def label(self) -> str:
        return f"{self.resource}.{self.nickname} ({self.method} {self.template})"


@dataclass
class CheckedParams:
    """Parameter values after checking, and what was wrong with the request."""

    values: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return (
            [f"unknown parameter '{n}'" for n in self.unknown]
            + [f"missing required parameter '{n}'" for n in self.missing]
            + self.invalid
        )


@dataclass(frozen=True)
class _Template:
    template: str
    regex: re.Pattern[str]
    names: tuple[str, ...]
    static_segments: int
    operations: dict[str, Operation]


def _compile(template: str) -> tuple[re.Pattern[str], tuple[str, ...], int]:
    names: list[str] = []
    parts = []
    static = 0
    for segment in template.strip("/").split("/"):
        m = re.fullmatch(r"\{(\w+)\}", segment)
        if m:
            names.append(m.group(1))
            parts.append("([^/]+)")
        else:
            static += 1
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$"), tuple(names), static


class AriSpec:
    """All REST operations and all models of the ARI descriptions."""

    def __init__(self, docs_dir: Path = DEFAULT_DOCS) -> None:
        self.docs_dir = docs_dir
        self.models: dict[str, dict[str, Any]] = {}
        templates: dict[str, dict[str, Operation]] = {}
        for resource in RESOURCES:
            doc = json.loads((docs_dir / f"{resource}.json").read_text(encoding="utf-8"))
            self.models.update(doc.get("models", {}))
            for api in doc["apis"]:
                for op in api["operations"]:
                    params: dict[str, Param] = {}
                    for p in op.get("parameters", []):
                        allowed = p.get("allowableValues") or {}
                        params[p["name"]] = Param(
                            name=p["name"],
                            kind=p["paramType"],
                            data_type=p["dataType"],
                            required=bool(p.get("required")),
                            allow_multiple=bool(p.get("allowMultiple")),
                            allowed=tuple(allowed["values"]) if allowed.get("valueType") == "LIST" else None,
                            minimum=allowed.get("min") if allowed.get("valueType") == "RANGE" else None,
                        )
                    templates.setdefault(api["path"], {})[op["httpMethod"]] = Operation(
                        resource=resource,
                        method=op["httpMethod"],
                        template=api["path"],
                        nickname=op["nickname"],
                        params=params,
                        is_websocket=op.get("upgrade") == "websocket",
                        response_class=op.get("responseClass", "void"),
                    )
        compiled = []
        for template, ops in templates.items():
            regex, names, static = _compile(template)
            compiled.append(_Template(template, regex, names, static, ops))
        # Asterisk's path tree prefers a literal segment over a {parameter} one.
        self._templates = sorted(compiled, key=lambda t: -t.static_segments)

    def resolve(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation for `method` on `path` (relative to /ari) and its path parameters."""
        for t in self._templates:
            m = t.regex.match(path)
            if not m:
                continue
            op = t.operations.get(method.upper())
            if op is None:
                raise MethodNotAllowed(path)
            return op, dict(zip(t.names, m.groups(), strict=True))
        raise PathNotFound(path)

    def operation(self, resource: str, nickname: str) -> Operation:
        for t in self._templates:
            for op in t.operations.values():
                if op.resource == resource and op.nickname == nickname:
                    return op
        raise KeyError(f"{resource}.{nickname}")

    def check(self, op: Operation, query: dict[str, list[str]], body: dict[str, Any] | None) -> CheckedParams:
        """Check query and JSON-body parameters of a request for `op`.

        ARI accepts every parameter either in the query string or as a member of a JSON body
        object; the body parameter (`variables`, `fields`) only in the body.
        """
        out = CheckedParams()
        given: dict[str, Any] = {}
        for name, values in query.items():
            given[name] = values[-1]
        if body:
            for name, value in body.items():
                given[name] = value
        for name, raw in given.items():
            param = op.params.get(name)
            if param is None or param.kind == "path":
                out.unknown.append(name)
                continue
            problem, value = _convert(param, raw)
            if problem:
                out.invalid.append(problem)
            else:
                out.values[name] = value
        for param in op.params.values():
            if param.kind != "path" and param.required and param.name not in given:
                out.missing.append(param.name)
        return out


def _convert(param: Param, raw: Any) -> tuple[str | None, Any]:
    name, dt = param.name, param.data_type
    if dt in ("containers", "object") or param.kind == "body":
        if not isinstance(raw, dict):
            return f"parameter '{name}' must be a JSON object", None
        if dt == "containers" and not all(isinstance(v, str) for v in raw.values()):
            return f"parameter '{name}' must map names to string values", None
        return None, raw
    items: list[Any]
    if param.allow_multiple and isinstance(raw, list):
        items = list(raw)
    elif param.allow_multiple and isinstance(raw, str):
        items = raw.split(",")
    else:
        items = [raw]
    converted: list[Any] = []
    for item in items:
        if dt in ("int", "long"):
            if isinstance(item, bool):
                return f"parameter '{name}' must be an integer, got {item!r}", None
            try:
                number = int(item)
            except (TypeError, ValueError):
                return f"parameter '{name}' must be an integer, got {item!r}", None
            if param.minimum is not None and number < param.minimum:
                return f"parameter '{name}' must be at least {param.minimum}, got {number}", None
            converted.append(number)
        elif dt == "boolean":
            if isinstance(item, bool):
                converted.append(item)
            elif isinstance(item, str) and item.lower() in _TRUE | _FALSE:
                converted.append(item.lower() in _TRUE)
            else:
                return f"parameter '{name}' must be a boolean, got {item!r}", None
        elif dt == "double":
            try:
                converted.append(float(item))
            except (TypeError, ValueError):
                return f"parameter '{name}' must be a number, got {item!r}", None
        else:
            if not isinstance(item, str | int) or isinstance(item, bool):
                return f"parameter '{name}' must be a string, got {item!r}", None
            text = str(item)
            if param.allowed is not None and text not in param.allowed:
                return f"parameter '{name}' must be one of {', '.join(param.allowed)}, got {text!r}", None
            converted.append(text)
    if param.allow_multiple:
        return None, converted
    return None, converted[0]


class EventValidator:
    """Checks an event (or any model instance) against the Swagger models, strictly."""

    def __init__(self, spec: AriSpec) -> None:
        self.models = spec.models
        self._props: dict[str, dict[str, dict[str, Any]]] = {}

    def _properties(self, model_id: str) -> dict[str, dict[str, Any]]:
        cached = self._props.get(model_id)
        if cached is None:
            cached = self._props[model_id] = self._collect(model_id)
        return cached

    def _collect(self, model_id: str) -> dict[str, dict[str, Any]]:
        props: dict[str, dict[str, Any]] = {}
        # Events inherit Event's and Message's properties (Swagger 1.1 subTypes).
        for parent_id, parent in self.models.items():
            if model_id in parent.get("subTypes", []):
                props.update(self._properties(parent_id))
        props.update(self.models[model_id].get("properties", {}))
        return props

    def validate_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if not isinstance(kind, str) or kind not in self.models or kind in ("Message", "Event"):
            raise EventModelError(f"event has no known type: {kind!r}")
        self.validate(kind, event, kind)

    def validate_response(self, response_class: str, body: Any, where: str) -> None:
        """A REST response body against the operation's `responseClass` (when it is a known model)."""
        inner = response_class[5:-1] if response_class.startswith("List[") else response_class
        if inner in self.models:
            self._check_type(response_class, body, where)

    def validate(self, model_id: str, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise EventModelError(f"{where}: expected a {model_id} object, got {value!r}")
        props = self._properties(model_id)
        for name in value:
            if name not in props:
                raise EventModelError(f"{where}: unknown field '{name}' for {model_id}")
        for name, prop in props.items():
            if name not in value:
                if prop.get("required"):
                    raise EventModelError(f"{where}: missing required field '{name}' of {model_id}")
                continue
            self._check_type(prop["type"], value[name], f"{where}.{name}")
            allowed = prop.get("allowableValues") or {}
            if allowed.get("valueType") == "LIST" and value[name] not in allowed["values"]:
                raise EventModelError(f"{where}.{name}: {value[name]!r} not in {allowed['values']}")

    def _check_type(self, type_name: str, value: Any, where: str) -> None:
        if type_name.startswith("List[") and type_name.endswith("]"):
            if not isinstance(value, list):
                raise EventModelError(f"{where}: expected a list, got {value!r}")
            for i, item in enumerate(value):
                self._check_type(type_name[5:-1], item, f"{where}[{i}]")
            return
        ok: bool
        if type_name == "string":
            ok = isinstance(value, str)
        elif type_name in ("int", "long"):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif type_name == "double":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif type_name == "boolean":
            ok = isinstance(value, bool)
        elif type_name == "Date":
            ok = isinstance(value, str) and bool(_TIMESTAMP.match(value))
        elif type_name in ("object", "containers"):
            ok = isinstance(value, dict)
        elif type_name in self.models:
            self.validate(type_name, value, where)
            return
        else:
            raise EventModelError(f"{where}: unknown type {type_name}")
        if not ok:
            raise EventModelError(f"{where}: expected {type_name}, got {value!r}")


@cache
def load_spec(docs_dir: Path = DEFAULT_DOCS) -> AriSpec:
    """The parsed descriptions, loaded once per process."""
    return AriSpec(docs_dir)
