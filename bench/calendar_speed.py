"""How fast the working-day clock computes deadlines (the KPI and list queries lean on it).

Baseline measured in the same run: the same loop with plain calendar-day arithmetic (timedelta),
so the ratio says what the holiday/调休/office-hours rules cost. Prints figures, ends with one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ticketing.domain.calendar import OfficeHours, WorkingCalendar

N = 100_000
TZ = ZoneInfo("Asia/Shanghai")


def main() -> int:
    calendar = WorkingCalendar(OfficeHours.parse())
    base = datetime(2025, 1, 1, 9, 0, tzinfo=TZ)
    starts = [base + timedelta(minutes=7 * i) for i in range(N)]

    t0 = time.perf_counter()
    for s in starts:
        _ = s + timedelta(days=5)
    baseline = time.perf_counter() - t0

    figures: dict[str, float] = {}
    for label, call in (
        ("due_5_working_days_s", lambda s: calendar.add_working_days(s, 5)),
        ("due_1_working_day_s", lambda s: calendar.add_working_days(s, 1)),
        ("warn_2_working_hours_before_s", lambda s: calendar.subtract_working_hours(s, 2)),
    ):
        t0 = time.perf_counter()
        for s in starts:
            call(s)
        figures[label] = round(time.perf_counter() - t0, 3)
        print(f"{N} × {label[:-2]}: {figures[label]:.3f} s")
    figures["baseline_timedelta_s"] = round(baseline, 4)
    target = 2.0
    met = figures["due_5_working_days_s"] < target
    print(json.dumps({"bench": "calendar_speed", "n": N, **figures,
                      "targets": {"due_5_working_days_s": f"< {target}"}, "met": {"due_5_working_days_s": met}},
                     ensure_ascii=False))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
