"""A knowledge entry (知识条目) and its rules: validation, visibility and version differences.

Dates are calendar days in the hotline's zone. An entry is shown to agents from `effective_from`
(生效日期) through `expires_on` (失效日期, inclusive: "有效期至 2025-12-31" means visible on the 31st);
before or after that it is hidden from agents and listed for its unit to update (待更新).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from knowledge.domain.errors import InvalidField

TEXT_FIELDS = ("title", "question", "answer", "policy_source")
LIST_FIELDS = ("key_points", "situations", "tags")
DATE_FIELDS = ("effective_from", "expires_on")
EDITABLE_FIELDS = TEXT_FIELDS + LIST_FIELDS + DATE_FIELDS
REQUIRED_FIELDS = ("title", "question", "answer")
MAX_LENGTHS = {"title": 200, "question": 2000, "answer": 20000, "policy_source": 500}

FIELD_LABELS_ZH = {
    "title": "标题",
    "question": "问题",
    "answer": "答复口径",
    "key_points": "要点",
    "situations": "适用情形",
    "policy_source": "政策依据",
    "effective_from": "生效日期",
    "expires_on": "失效日期",
    "tags": "主题标签",
}


class Visibility(StrEnum):
    """Whether agents see an entry today."""

    CURRENT = "current"  # 有效
    PENDING = "pending"  # 未生效
    EXPIRED = "expired"  # 已失效

    @property
    def label_zh(self) -> str:
        return {"current": "有效", "pending": "未生效", "expired": "已失效"}[self.value]


@dataclass(frozen=True)
class Entry:
    """A question-and-answer entry pushed by a unit (承办单位推送的问答知识)."""

    title: str
    question: str
    answer: str
    unit_id: int
    unit_name: str
    key_points: tuple[str, ...] = ()
    situations: tuple[str, ...] = ()
    policy_source: str | None = None
    effective_from: date | None = None
    expires_on: date | None = None
    tags: tuple[str, ...] = ()
    id: int | None = None
    version: int = 1


@dataclass(frozen=True)
class FieldChange:
    """One field of one version: what it was and what it became (JSON-ready values)."""

    field: str
    before: Any
    after: Any

    @property
    def label_zh(self) -> str:
        return FIELD_LABELS_ZH.get(self.field, self.field)


@dataclass(frozen=True)
class Revision:
    """One version in an entry's history (修订记录): who changed which fields, when."""

    version: int
    actor_id: int | None
    actor_name: str
    at: datetime
    changes: tuple[FieldChange, ...] = field(default=())


def visibility(entry: Entry, today: date) -> Visibility:
    if entry.effective_from is not None and today < entry.effective_from:
        return Visibility.PENDING
    if entry.expires_on is not None and today > entry.expires_on:
        return Visibility.EXPIRED
    return Visibility.CURRENT


def is_visible(entry: Entry, today: date) -> bool:
    """Agents see an entry only while it is in force (expired or not yet effective → hidden)."""
    return visibility(entry, today) is Visibility.CURRENT


def new_entry(fields: Mapping[str, Any], unit_id: int, unit_name: str) -> Entry:
    """A validated entry from user input (JSON body or YAML); unknown fields are refused."""
    _refuse_unknown(fields, allowed=(*EDITABLE_FIELDS, "unit_id", "unit"))
    for name in REQUIRED_FIELDS:
        if not isinstance(fields.get(name), str) or not fields[name].strip():
            raise InvalidField(name, f"缺少{FIELD_LABELS_ZH[name]}（{name} is required）")
    entry = Entry(title="", question="", answer="", unit_id=unit_id, unit_name=unit_name)
    return _apply(entry, {k: v for k, v in fields.items() if k in EDITABLE_FIELDS})


def revise(entry: Entry, changes: Mapping[str, Any]) -> tuple[Entry, list[FieldChange]]:
    """The entry with `changes` applied and the list of fields that really changed (next version)."""
    if "unit_id" in changes and changes["unit_id"] != entry.unit_id:
        raise InvalidField("unit_id", "知识条目的所属单位不能修改（an entry's owning unit cannot change）")
    _refuse_unknown(changes, allowed=(*EDITABLE_FIELDS, "unit_id", "version"))
    updated = _apply(entry, {k: v for k, v in changes.items() if k in EDITABLE_FIELDS})
    delta = diff(entry, updated)
    if delta:
        updated = replace(updated, version=entry.version + 1)
    return updated, delta


def diff(before: Entry, after: Entry) -> list[FieldChange]:
    """The editable fields whose values differ, in a fixed order."""
    a, b = snapshot(before), snapshot(after)
    return [FieldChange(name, a[name], b[name]) for name in EDITABLE_FIELDS if a[name] != b[name]]


def snapshot(entry: Entry) -> dict[str, Any]:
    """The entry's content as JSON-ready values (kept whole in every version row)."""
    return {
        "title": entry.title,
        "question": entry.question,
        "answer": entry.answer,
        "key_points": list(entry.key_points),
        "situations": list(entry.situations),
        "policy_source": entry.policy_source,
        "effective_from": entry.effective_from.isoformat() if entry.effective_from else None,
        "expires_on": entry.expires_on.isoformat() if entry.expires_on else None,
        "tags": list(entry.tags),
        "unit_id": entry.unit_id,
        "unit_name": entry.unit_name,
    }


def history(versions: Sequence[tuple[int, int | None, str, datetime, Mapping[str, Any]]]) -> list[Revision]:
    """Revisions from stored (version, actor id, actor name, time, snapshot) rows, oldest first.

    The first version lists every non-empty field as changed from nothing.
    """
    out: list[Revision] = []
    previous: Mapping[str, Any] = {}
    for version, actor_id, actor_name, at, snap in sorted(versions, key=lambda v: v[0]):
        changes = tuple(
            FieldChange(name, previous.get(name), snap.get(name))
            for name in EDITABLE_FIELDS
            if previous.get(name) != snap.get(name) and (previous or snap.get(name) not in (None, "", []))
        )
        out.append(Revision(version, actor_id, actor_name, at, changes))
        previous = snap
    return out


def search_fields(entry: Entry) -> dict[str, str]:
    """The text indexed for full-text search, per weighted field (title > question > key points > answer)."""
    return {
        "title": entry.title,
        "question": entry.question,
        "key_points": "\n".join((*entry.key_points, *entry.situations, *entry.tags)),
        "answer": entry.answer,
    }


# --- input parsing ------------------------------------------------------------------------------------


def _refuse_unknown(fields: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidField(unknown[0], f"未知字段 {', '.join(unknown)}（unknown field）")


def _apply(entry: Entry, changes: Mapping[str, Any]) -> Entry:
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            values[name] = _text(name, value)
        elif name in LIST_FIELDS:
            values[name] = _lines(name, value)
        else:
            values[name] = _day(name, value)
    updated = replace(entry, **values)
    for name in REQUIRED_FIELDS:
        if not getattr(updated, name):
            raise InvalidField(name, f"{FIELD_LABELS_ZH[name]}不能为空（{name} cannot be empty）")
    if updated.effective_from and updated.expires_on and updated.expires_on < updated.effective_from:
        raise InvalidField("expires_on", "失效日期早于生效日期（expires_on is before effective_from）")
    return updated


def _text(name: str, value: Any) -> str | None:
    if value is None:
        if name in REQUIRED_FIELDS:
            raise InvalidField(name, f"{FIELD_LABELS_ZH[name]}不能为空（{name} cannot be empty）")
        return None
    if not isinstance(value, str):
        raise InvalidField(name, f"{FIELD_LABELS_ZH[name]}须为文本（{name} must be a string）")
    value = value.strip()
    if len(value) > MAX_LENGTHS[name]:
        raise InvalidField(name, f"{FIELD_LABELS_ZH[name]}过长（{name} longer than {MAX_LENGTHS[name]}）")
    if name == "policy_source" and not value:
        return None
    return value


def _lines(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidField(name, f"{FIELD_LABELS_ZH[name]}须为文本列表（{name} must be a list of strings）")
    return tuple(v.strip() for v in value if v.strip())


def _day(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidField(name, f"{FIELD_LABELS_ZH[name]}须为日期 YYYY-MM-DD（{name} must be a date）")
