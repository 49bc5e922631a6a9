"""The expert directory (专家库): who can be pulled into a three-way call (三方通话), when, and who backs them up.

Duty hours (值班时间) are a list of specs, each "DAYS HH:MM-HH:MM[,HH:MM-HH:MM...]", where DAYS is
- `workdays` / `工作日`: working days of the working-day calendar (statutory holidays off, 调休 make-up days on),
- `holidays` / `节假日`: the days the calendar says are not working days (holiday duty rota),
- `daily` / `每天`: every day,
- weekday names `mon`..`sun`, lists `sat,sun` or ranges `mon-fri` (by the week, ignoring holidays).
Times are local to the hotline's zone; a range is half-open and `24:00` closes the day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from knowledge.domain.errors import InvalidField

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = {
    "workdays": "workdays",
    "工作日": "workdays",
    "holidays": "holidays",
    "节假日": "holidays",
    "daily": "daily",
    "每天": "daily",
}
_CONTACT = re.compile(r"^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.+\-]+(@[A-Za-z0-9_.\-]+)?$")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
MAX_BACKUP_CHAIN = 3


class WorkingDays(Protocol):
    """The calendar port: ticketing's `WorkingCalendar` fits it."""

    def is_working_day(self, day: date) -> bool: ...


@dataclass(frozen=True)
class DutyWindow:
    """One line of duty hours: which days, and which minute ranges of those days."""

    days: str  # "workdays" | "holidays" | "daily" | "weekdays"
    weekdays: frozenset[int]  # 0 = Monday, used when days == "weekdays"
    ranges: tuple[tuple[int, int], ...]  # minutes since midnight, half-open

    def covers(self, local: datetime, calendar: WorkingDays) -> bool:
        minute = local.hour * 60 + local.minute
        if not any(start <= minute < end for start, end in self.ranges):
            return False
        if self.days == "daily":
            return True
        if self.days == "weekdays":
            return local.weekday() in self.weekdays
        working = calendar.is_working_day(local.date())
        return working if self.days == "workdays" else not working


@dataclass(frozen=True)
class Expert:
    """A department specialist or service-window staff member reachable for three-way calls."""

    name: str
    contact: str  # an Asterisk dial string: PJSIP/expert201, or PJSIP/13900000000@trunk through a trunk
    topics: tuple[str, ...] = ()
    unit_id: int | None = None
    unit_name: str | None = None
    duty: tuple[str, ...] = ()
    backup_id: int | None = None
    note: str | None = None
    active: bool = True
    id: int | None = None


@dataclass(frozen=True)
class ExpertPick:
    """One candidate for a topic: the expert, whether on duty now, and whose backup they are (if any)."""

    expert: Expert
    on_duty: bool
    backup_for: int | None = None


def parse_duty(specs: Iterable[str]) -> tuple[DutyWindow, ...]:
    return tuple(_parse_window(spec) for spec in specs)


def validate_expert(expert: Expert) -> Expert:
    """The expert if every field makes sense, else `InvalidField` naming the first bad one."""
    if not expert.name.strip():
        raise InvalidField("name", "专家姓名不能为空（name is required）")
    if not _CONTACT.match(expert.contact):
        raise InvalidField(
            "contact",
            f"联系方式须为 Asterisk 拨号串，如 PJSIP/expert201 或 PJSIP/13900000000@trunk：{expert.contact}"
            " (contact must be a dial string)",
        )
    parse_duty(expert.duty)
    if expert.id is not None and expert.backup_id == expert.id:
        raise InvalidField("backup_id", "专家不能做自己的备岗（an expert cannot back up themself）")
    return expert


def serves(expert: Expert, topic: str) -> bool:
    """Whether the expert takes questions on `topic` (a topic contains, or is contained in, theirs)."""
    wanted = topic.strip().lower()
    if not wanted:
        return True
    return any(wanted in t.lower() or t.lower() in wanted for t in expert.topics if t.strip())


def on_duty(expert: Expert, at: datetime, calendar: WorkingDays, tz: ZoneInfo) -> bool:
    """Whether an active expert is on duty at `at` (aware); no duty hours means never on duty."""
    if at.tzinfo is None:
        raise ValueError("on_duty needs an aware datetime")
    if not expert.active:
        return False
    local = at.astimezone(tz)
    return any(window.covers(local, calendar) for window in parse_duty(expert.duty))


def pick_experts(
    experts: Sequence[Expert], topic: str, at: datetime, calendar: WorkingDays, tz: ZoneInfo
) -> list[ExpertPick]:
    """Candidates for a three-way call on `topic`, in the order to try them.

    Every active expert serving the topic, each followed by their backup chain (备岗, up to three deep,
    whatever the backup's own topics); then the on-duty ones are moved ahead of the off-duty ones,
    keeping that order, so an on-duty expert is followed by their on-duty backup.
    """
    by_id: dict[int | None, Expert] = {e.id: e for e in experts if e.id is not None and e.active}
    duty = {e.id: on_duty(e, at, calendar, tz) for e in by_id.values()}
    primaries = sorted(
        (e for e in by_id.values() if serves(e, topic)), key=lambda e: (not duty[e.id], e.id or 0)
    )
    picks: list[ExpertPick] = []
    listed: set[int | None] = set()
    for primary in primaries:
        if primary.id in listed:
            continue
        picks.append(ExpertPick(primary, duty[primary.id]))
        listed.add(primary.id)
        current = primary
        for _ in range(MAX_BACKUP_CHAIN):
            backup = by_id.get(current.backup_id) if current.backup_id is not None else None
            if backup is None or backup.id in listed:
                break
            picks.append(ExpertPick(backup, duty[backup.id], backup_for=current.id))
            listed.add(backup.id)
            current = backup
    return [p for p in picks if p.on_duty] + [p for p in picks if not p.on_duty]


# --- duty spec parsing --------------------------------------------------------------------------------


def _parse_window(spec: str) -> DutyWindow:
    parts = spec.replace("，", ",").replace("：", ":").strip().split()
    if len(parts) != 2:
        raise _bad_duty(spec)
    days_word, ranges_text = parts
    days = _DAY_WORDS.get(days_word.lower())
    weekdays: frozenset[int] = frozenset()
    if days is None:
        days = "weekdays"
        weekdays = _weekdays(days_word.lower(), spec)
    ranges = []
    for chunk in ranges_text.split(","):
        m = _RANGE.match(chunk.strip())
        if not m:
            raise _bad_duty(spec)
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or end <= start:
            raise _bad_duty(spec)
        ranges.append((start, end))
    return DutyWindow(days, weekdays, tuple(ranges))


def _weekdays(word: str, spec: str) -> frozenset[int]:
    out: set[int] = set()
    for item in word.split(","):
        if "-" in item:
            first, _, last = item.partition("-")
            if first not in WEEKDAYS or last not in WEEKDAYS:
                raise _bad_duty(spec)
            a, b = WEEKDAYS.index(first), WEEKDAYS.index(last)
            out.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        elif item in WEEKDAYS:
            out.add(WEEKDAYS.index(item))
        else:
            raise _bad_duty(spec)
    return frozenset(out)


def _bad_duty(spec: str) -> InvalidField:
    return InvalidField(
        "duty",
        f"值班时间格式应为「工作日 08:30-12:00,14:00-17:30」「mon-fri 09:00-17:00」「每天 00:00-24:00」：{spec}"
        " (duty must be 'DAYS HH:MM-HH:MM[,...]')",
    )


def expert_from_fields(fields: Mapping[str, Any], base: Expert | None = None) -> Expert:
    """An expert from user input (JSON body, CLI) applied over `base`; unknown fields are refused."""
    unknown = sorted(set(fields) - set(EXPERT_FIELDS))
    if unknown:
        raise InvalidField(unknown[0], f"未知字段 {', '.join(unknown)}（unknown field）")
    values: dict[str, Any] = {}
    for name in ("name", "contact", "note"):
        if name in fields:
            value = fields[name]
            if value is not None and not isinstance(value, str):
                raise InvalidField(name, f"字段 {name} 须为文本（{name} must be a string）")
            values[name] = value.strip() if isinstance(value, str) else value
    for name in ("topics", "duty"):
        if name in fields:
            values[name] = _string_list(name, fields[name], "[;；\n]" if name == "duty" else "[,，;；、\n]")
    for name in ("unit_id", "backup_id"):
        if name in fields:
            value = fields[name]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidField(name, f"字段 {name} 须为整数编号（{name} must be an integer id）")
            values[name] = value
    if "active" in fields:
        if not isinstance(fields["active"], bool):
            raise InvalidField("active", "字段 active 须为 true/false（active must be a boolean）")
        values["active"] = fields["active"]
    if base is None:
        for name in ("name", "contact"):
            if not values.get(name):
                raise InvalidField(name, f"缺少字段 {name}（{name} is required）")
        expert = Expert(name=values.pop("name"), contact=values.pop("contact"))
    else:
        expert = base
    return validate_expert(replace(expert, **values))


EXPERT_FIELDS = ("name", "contact", "topics", "unit_id", "duty", "backup_id", "note", "active")


def _string_list(name: str, value: Any, separators: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = re.split(separators, value)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidField(name, f"字段 {name} 须为文本列表（{name} must be a list of strings）")
    return tuple(v.strip() for v in value if v.strip())
