"""The accountability list (倒查问责): work orders and units showing signs of buck-passing, wrangling
or delay (推诿、扯皮、拖延), each with the trail of events (环环有痕迹) behind it.

Signs of one work order received in the period:
- **反复退单 repeated returns**: returned (退单) two times or more (`MIN_RETURNS`) — passing the buck;
- **超期 overdue**: completed after its limit, or still open past it at the time of computing — delay;
- **重复投诉 repeat complaint**: a later complaint repeated it — the matter was not settled;
- **差评 bad rating**: rated dissatisfied (不满意).
A unit's row counts its orders with each sign and the returns it made itself in the period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

MIN_RETURNS = 2
SIGNS_ZH = {"returns": "反复退单", "overdue": "超期", "repeated": "被重复投诉", "bad_rating": "差评"}


@dataclass(frozen=True)
class TrailEvent:
    """One event of a work order's trail (who, when, what, why)."""

    at: datetime
    actor_name: str
    action_zh: str
    reason: str | None = None


@dataclass(frozen=True)
class OrderSigns:
    """What the accountability list reads of one work order."""

    order_id: int
    number: str
    title: str
    unit_id: int | None
    unit_name: str
    returns: int
    overdue: bool
    repeated: bool
    bad_rating: bool
    returning_units: tuple[str, ...] = ()

    def signs(self) -> list[str]:
        out = []
        if self.returns >= MIN_RETURNS:
            out.append("returns")
        if self.overdue:
            out.append("overdue")
        if self.repeated:
            out.append("repeated")
        if self.bad_rating:
            out.append("bad_rating")
        return out

    def reasons_zh(self) -> list[str]:
        reasons = []
        for sign in self.signs():
            if sign == "returns":
                by = f"（{'、'.join(self.returning_units)}）" if self.returning_units else ""
                reasons.append(f"退单{self.returns}次{by}")
            else:
                reasons.append(SIGNS_ZH[sign])
        return reasons


@dataclass(frozen=True)
class AccountabilityEntry:
    order: OrderSigns
    trail: tuple[TrailEvent, ...]

    @property
    def reasons_zh(self) -> list[str]:
        return self.order.reasons_zh()


@dataclass
class UnitSigns:
    """A unit's counts of signs in the period."""

    unit_id: int | None
    unit_name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIGNS_ZH, 0))
    returns_made: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class AccountabilityList:
    entries: list[AccountabilityEntry]
    units: list[UnitSigns]


def accountability(
    orders: Iterable[OrderSigns],
    trails: dict[int, list[TrailEvent]],
    returns_made: dict[int | None, tuple[str, int]] | None = None,
) -> AccountabilityList:
    """Entries for every order with at least one sign (most signs first, then by number) and the units'
    counts (most first). `returns_made`: unit id → (name, returns it made in the period)."""
    entries: list[AccountabilityEntry] = []
    units: dict[int | None, UnitSigns] = {}
    for order in orders:
        signs = order.signs()
        if not signs:
            continue
        entries.append(AccountabilityEntry(order, tuple(trails.get(order.order_id, ()))))
        unit = units.setdefault(order.unit_id, UnitSigns(order.unit_id, order.unit_name))
        for sign in signs:
            unit.counts[sign] += 1
    for unit_id, (name, made) in (returns_made or {}).items():
        if made:
            units.setdefault(unit_id, UnitSigns(unit_id, name)).returns_made = made
    entries.sort(key=lambda e: (-len(e.order.signs()), e.order.number))
    ranked = sorted(units.values(), key=lambda u: (-(u.total + u.returns_made), u.unit_name))
    return AccountabilityList(entries, ranked)
