"""Erlang C staffing advice (话务量测算): how many agents the next interval needs for a service level.

Pure. Traffic A = offered calls × AHT / interval (in Erlangs). With N agents (N > A), the probability
that a caller waits is Erlang C:

    P(wait) = (A^N / N!) · N/(N−A)  /  ( Σ_{k<N} A^k/k!  +  A^N/N! · N/(N−A) )

and the service level (share answered within T seconds) is SL = 1 − P(wait)·e^{−(N−A)·T/AHT}.
Computed with the Erlang B recursion (numerically stable for hundreds of agents).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


class ErlangInputError(ValueError):
    error_id = "seat-erlang-invalid-input"


@dataclass(frozen=True)
class StaffingAdvice:
    """The advice and the inputs it used (shown together, so a supervisor can judge it)."""

    offered_calls: float
    interval_s: float
    aht_s: float
    target_sl: float
    target_answer_s: float
    traffic_erlangs: float
    agents: int
    probability_of_wait: float
    expected_sl: float
    average_speed_of_answer_s: float

    def as_json(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability with `agents` servers (recursive form)."""
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a caller has to wait; 1.0 when the agents can't keep up (N ≤ A)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(traffic, agents)
    return agents * b / (agents - traffic * (1 - b))


def service_level(traffic: float, agents: int, aht_s: float, answer_within_s: float) -> float:
    """Share of callers answered within `answer_within_s`."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    pw = erlang_c(traffic, agents)
    return max(0.0, 1.0 - pw * math.exp(-(agents - traffic) * answer_within_s / aht_s))


def average_speed_of_answer(traffic: float, agents: int, aht_s: float) -> float:
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht_s / (agents - traffic)


def agents_needed(
    offered_calls: float,
    aht_s: float,
    *,
    interval_s: float = 1800.0,
    target_sl: float = 0.8,
    answer_within_s: float = 20.0,
    max_agents: int = 2000,
) -> StaffingAdvice:
    """The fewest agents whose expected service level meets `target_sl` within `answer_within_s`."""
    if offered_calls < 0 or aht_s <= 0 or interval_s <= 0 or not 0 < target_sl < 1 or answer_within_s < 0:
        raise ErlangInputError(
            "话务量参数无效 (offered ≥ 0, AHT > 0, interval > 0, 0 < target < 1, answer time ≥ 0 required)"
        )
    traffic = offered_calls * aht_s / interval_s
    agents = 0 if traffic == 0 else max(1, math.floor(traffic) + 1)
    while agents < max_agents and traffic > 0 and service_level(traffic, agents, aht_s, answer_within_s) < target_sl:
        agents += 1
    return StaffingAdvice(
        offered_calls=offered_calls,
        interval_s=interval_s,
        aht_s=aht_s,
        target_sl=target_sl,
        target_answer_s=answer_within_s,
        traffic_erlangs=traffic,
        agents=agents,
        probability_of_wait=erlang_c(traffic, agents) if agents else 0.0,
        expected_sl=service_level(traffic, agents, aht_s, answer_within_s) if agents else 1.0,
        average_speed_of_answer_s=average_speed_of_answer(traffic, agents, aht_s) if agents else 0.0,
    )
