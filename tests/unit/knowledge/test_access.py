"""Units keep their own entries; agents read; supervisors and admins manage experts."""

from __future__ import annotations

import pytest

from knowledge.domain.access import check_manage_experts, check_unit_list, check_write_entry, sees_hidden_of
from knowledge.domain.errors import NotAllowed
from ticketing.domain.roles import Actor, Role

MARKET = Actor(id=1, name="市场监管局 李四", role=Role.UNIT_HANDLER, unit_id=2)
TAX_LEADER = Actor(id=2, name="税务局 王五", role=Role.UNIT_LEADER, unit_id=6)
AGENT = Actor(id=3, name="话务员 01", role=Role.AGENT)
SUPERVISOR = Actor(id=4, name="督查员", role=Role.SUPERVISOR)


def test_a_unit_writes_its_own_entries_only() -> None:
    check_write_entry(MARKET, 2)
    with pytest.raises(NotAllowed) as refused:
        check_write_entry(MARKET, 6)
    assert refused.value.error_id == "kb-forbidden"
    check_write_entry(TAX_LEADER, 6)


def test_agents_read_but_do_not_write_and_supervisors_may_correct_any_entry() -> None:
    with pytest.raises(NotAllowed):
        check_write_entry(AGENT, 2)
    check_write_entry(SUPERVISOR, 2)


def test_hidden_entries_and_maintenance_lists_belong_to_the_unit() -> None:
    assert sees_hidden_of(MARKET, 2) and not sees_hidden_of(MARKET, 6)
    assert not sees_hidden_of(AGENT, 2) and sees_hidden_of(SUPERVISOR, 6)
    with pytest.raises(NotAllowed):
        check_unit_list(MARKET, 6)


def test_only_supervisors_and_admins_manage_experts() -> None:
    check_manage_experts(SUPERVISOR)
    check_manage_experts(Actor(id=5, name="管理员", role=Role.ADMIN))
    for actor in (AGENT, MARKET, TAX_LEADER):
        with pytest.raises(NotAllowed):
            check_manage_experts(actor)
