"""Who may hear a call's recordings: the role matrix, decided over plain facts."""

from __future__ import annotations

import pytest

from recordings.domain.access import REASON_TEXT, CallFacts, decide
from ticketing.domain.roles import SYSTEM, Actor, Role

AGENT_WHO_TOOK_IT = Actor(id=7, name="王话务", role=Role.AGENT)
OTHER_AGENT = Actor(id=8, name="李话务", role=Role.AGENT)
SUPERVISOR = Actor(id=2, name="赵督查", role=Role.SUPERVISOR)
ADMIN = Actor(id=1, name="管理员", role=Role.ADMIN)
MARKET_HANDLER = Actor(id=20, name="市场监管承办人", role=Role.UNIT_HANDLER, unit_id=3)
MARKET_LEADER = Actor(id=21, name="市场监管负责人", role=Role.UNIT_LEADER, unit_id=3)
HOUSING_HANDLER = Actor(id=30, name="住建承办人", role=Role.UNIT_HANDLER, unit_id=4)
UNITLESS_HANDLER = Actor(id=31, name="无单位", role=Role.UNIT_HANDLER, unit_id=None)

FACTS = CallFacts("call-1", agent_user_ids=frozenset({7}), handling_unit_ids=frozenset({3}))


@pytest.mark.parametrize(
    ("actor", "allowed", "reason"),
    [
        (SUPERVISOR, True, "supervisor"),
        (ADMIN, True, "admin"),
        (AGENT_WHO_TOOK_IT, True, "agent-took-call"),
        (OTHER_AGENT, False, "agent-not-on-call"),
        (MARKET_HANDLER, True, "unit-handles-work-order"),
        (MARKET_LEADER, True, "unit-handles-work-order"),
        (HOUSING_HANDLER, False, "unit-not-handling"),
        (UNITLESS_HANDLER, False, "unit-not-handling"),
        (SYSTEM, False, "role-not-allowed"),
    ],
)
def test_role_matrix(actor: Actor, allowed: bool, reason: str) -> None:
    decision = decide(actor, FACTS)
    assert (decision.allowed, decision.reason) == (allowed, reason)
    assert decision.message == REASON_TEXT[reason]


def test_a_call_without_work_order_or_known_agent_is_for_supervisors_only() -> None:
    bare = CallFacts("call-2")
    assert [decide(a, bare).allowed for a in (SUPERVISOR, ADMIN, AGENT_WHO_TOOK_IT, MARKET_HANDLER)] == [
        True,
        True,
        False,
        False,
    ]


def test_an_agent_without_an_id_is_never_taken_for_the_one_on_the_call() -> None:
    assert not decide(Actor(id=None, name="?", role=Role.AGENT), CallFacts("c", frozenset({7}))).allowed
