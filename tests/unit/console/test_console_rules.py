"""The console's pure rules: throttling windows, session timeouts, urgency colours, which forms a
role sees, and where sign-in may send a browser next."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from console.auth import domain
from console.domain import Offer, Urgency, deadline, offers, urgency
from console.web import safe_next
from ticketing.domain.roles import Role
from ticketing.domain.workorder import State

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=TZ)


def test_four_failures_pass_and_the_fifth_blocks_until_the_oldest_leaves_the_window() -> None:
    policy = domain.ThrottlePolicy(window=timedelta(minutes=15), per_login=5, per_address=20)
    failures = [NOW - timedelta(minutes=m) for m in (10, 8, 6, 4)]
    assert domain.throttle_wait(policy, failures, [], NOW) == 0
    failures.append(NOW - timedelta(minutes=1))
    assert domain.throttle_wait(policy, failures, [], NOW) == 5 * 60  # the 10-minute-old one leaves in 5
    assert domain.throttle_wait(policy, failures, [], NOW + timedelta(minutes=5, seconds=1)) == 0


def test_failures_outside_the_window_do_not_count() -> None:
    policy = domain.ThrottlePolicy()
    old = [NOW - timedelta(hours=1)] * 50
    assert domain.throttle_wait(policy, old, old, NOW) == 0


def test_a_session_lives_until_idle_or_absolute_timeout_whichever_comes_first() -> None:
    policy = domain.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    expires = NOW + timedelta(hours=12)
    assert domain.session_alive(policy, NOW, expires, NOW + timedelta(minutes=29))
    assert not domain.session_alive(policy, NOW, expires, NOW + timedelta(minutes=30))
    late_seen = expires - timedelta(minutes=1)
    assert not domain.session_alive(policy, late_seen, expires, expires)


def test_tokens_are_random_and_compared_in_constant_time() -> None:
    a, b = domain.new_secret(), domain.new_secret()
    assert a != b and len(a) >= 43  # 256 bits, URL-safe base64
    assert domain.tokens_match(a, a) and not domain.tokens_match(a, b) and not domain.tokens_match(a, None)
    assert domain.digest(a) != a and len(domain.digest(a)) == 64


def test_urgency_is_red_after_the_deadline_and_amber_on_its_day() -> None:
    later_today = NOW + timedelta(hours=5)
    tomorrow = NOW + timedelta(days=1)
    assert urgency(State.SIGNED, None, later_today, NOW, TZ) is Urgency.DUE_TODAY
    assert urgency(State.SIGNED, None, tomorrow, NOW, TZ) is Urgency.NORMAL
    assert urgency(State.HANDLING, None, NOW - timedelta(minutes=1), NOW, TZ) is Urgency.OVERDUE
    # an unsigned order runs on its signing deadline first
    assert urgency(State.DISPATCHED, NOW - timedelta(minutes=1), tomorrow, NOW, TZ) is Urgency.OVERDUE
    assert deadline(State.DISPATCHED, later_today, tomorrow) == later_today
    # replied or closed orders are no longer the unit's to hurry
    assert urgency(State.REPLIED, None, NOW - timedelta(days=3), NOW, TZ) is Urgency.NORMAL


def test_local_midnight_decides_due_today_not_utc() -> None:
    late_evening = datetime(2026, 11, 10, 23, 30, tzinfo=TZ)
    next_morning = datetime(2026, 11, 11, 0, 30, tzinfo=TZ)
    assert urgency(State.SIGNED, None, next_morning, late_evening, TZ) is Urgency.NORMAL


def test_units_see_their_steps_and_the_hotline_closes() -> None:
    assert offers(Role.UNIT_HANDLER, State.DISPATCHED, True, False, False) == [Offer.SIGN, Offer.RETURN]
    assert Offer.EXTENSION in offers(Role.UNIT_LEADER, State.SIGNED, True, False, True)
    assert Offer.EXTENSION not in offers(Role.UNIT_LEADER, State.SIGNED, True, False, False)
    assert Offer.EXTENSION not in offers(Role.UNIT_LEADER, State.SIGNED, True, True, True)
    assert offers(Role.UNIT_HANDLER, State.DISPATCHED, False, False, False) == []
    assert offers(Role.UNIT_HANDLER, State.REPLIED, True, False, False) == []
    assert offers(Role.SUPERVISOR, State.REPLIED, False, False, False) == [Offer.CLOSE]
    assert offers(Role.SUPERVISOR, State.SIGNED, False, True, True) == [Offer.APPROVE_EXTENSION, Offer.REJECT_EXTENSION]


def test_each_role_has_a_home_page() -> None:
    assert domain.home_path(Role.UNIT_HANDLER) == "/unit/inbox"
    assert domain.home_path(Role.SUPERVISOR) == "/supervise"
    assert domain.home_path(Role.ADMIN) == "/admin/users"


def test_sign_in_only_goes_on_to_a_path_of_this_site() -> None:
    assert safe_next("/unit/orders/3") == "/unit/orders/3"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "", None, "javascript:alert(1)"):
        assert safe_next(hostile) == "/"
