"""The accountability list (倒查问责): which orders and units show buck-passing, wrangling or delay."""

from __future__ import annotations

from datetime import UTC, datetime

from reports.domain.accountability import OrderSigns, TrailEvent, accountability

AT = datetime(2026, 8, 3, 1, 0, tzinfo=UTC)


def signs(i: int, unit: int, returns: int = 0, overdue: bool = False, repeated: bool = False,
          bad: bool = False) -> OrderSigns:
    return OrderSigns(i, f"YS{i}", "工程款拖欠", unit, f"单位{unit}", returns, overdue, repeated, bad)


def test_one_return_is_no_sign_but_two_are_and_the_most_signs_come_first() -> None:
    orders = [signs(1, 1, returns=1), signs(2, 1, returns=2), signs(3, 2, overdue=True, bad=True), signs(4, 2)]
    trail = {2: [TrailEvent(AT, "住建承办人", "退单", "不属于本单位职责")]}
    found = accountability(orders, trail, {3: ("单位3", 2)})
    assert [(e.order.number, e.reasons_zh) for e in found.entries] == [
        ("YS3", ["超期", "差评"]),
        ("YS2", ["退单2次"]),
    ]
    assert found.entries[1].trail == (TrailEvent(AT, "住建承办人", "退单", "不属于本单位职责"),)
    by_unit = {u.unit_name: (u.counts, u.returns_made) for u in found.units}
    assert by_unit["单位2"][0] == {"returns": 0, "overdue": 1, "repeated": 0, "bad_rating": 1}
    assert by_unit["单位1"][0]["returns"] == 1
    assert by_unit["单位3"][1] == 2  # a unit that returned orders is listed even without signs of its own
