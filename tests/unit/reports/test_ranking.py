"""The composite ranking (通报晾晒): weighted mean of the four headline rates, ties, the unranked."""

from __future__ import annotations

import pytest

from reports.domain.errors import InvalidWeights
from reports.domain.ranking import RankingWeights, composite, rank_units, ranking_csv
from ticketing.domain.kpi import UnitFigures


def unit(uid: int, name: str, **counts: int) -> UnitFigures:
    return UnitFigures(unit_id=uid, unit_name=name, **counts)


# 80 % response, 50 % on time, 25 % first time, 100 % satisfied
STEADY = unit(1, "县市场监督管理局", received=4, dispatched=5, signed_in_time=4, completed=4, completed_in_time=2,
              first_time_resolved=1, rated=2, satisfied=2)
# 100 % response, 100 % on time, nothing rated, nothing resolved of 2
UNRATED = unit(2, "县住房和城乡建设局", received=2, dispatched=2, signed_in_time=2, completed=2, completed_in_time=2)
EMPTY = unit(3, "黄田镇", returns=1)


def test_equal_weights_average_the_four_rates_in_points() -> None:
    assert composite(STEADY, RankingWeights()) == pytest.approx((80 + 50 + 25 + 100) / 4)


def test_a_rate_with_nothing_to_measure_is_left_out_and_the_others_carry_the_score() -> None:
    # satisfaction has no rated order: (100 + 100 + 0) / 3 over response, on-time and first-time
    assert UNRATED.satisfaction_rate is None
    assert composite(UNRATED, RankingWeights()) == pytest.approx(200 / 3, abs=0.01)


def test_weights_from_the_setting_or_yaml_change_the_score() -> None:
    weights = RankingWeights.parse("on_time_rate=2, satisfaction_rate=0")
    assert composite(STEADY, weights) == pytest.approx((80 + 2 * 50 + 25) / 4)
    assert RankingWeights.parse("response_rate: 3\nfirst_time_rate: 1") == RankingWeights(response_rate=3)
    with pytest.raises(InvalidWeights) as refused:
        RankingWeights.parse("speed=1")
    assert refused.value.error_id == "invalid-ranking-weights"
    with pytest.raises(InvalidWeights):
        RankingWeights(0, 0, 0, 0)


def test_units_without_data_are_listed_unranked_after_the_ranked_and_ties_share_a_rank() -> None:
    twin = unit(4, "县税务局", received=4, dispatched=5, signed_in_time=4, completed=4, completed_in_time=2,
                first_time_resolved=1, rated=2, satisfied=2)
    hotline = UnitFigures(unit_id=None, unit_name="12345热线（当场办结）", received=9, closed=9)
    rows = rank_units([EMPTY, STEADY, UNRATED, twin, hotline], RankingWeights())
    assert [(r.rank, r.unit_name) for r in rows] == [
        (1, "县住房和城乡建设局"),
        (2, "县市场监督管理局"),
        (2, "县税务局"),
        (None, "黄田镇"),
    ]


def test_the_csv_opens_in_excel_with_chinese_headers_and_every_rate() -> None:
    data = ranking_csv(rank_units([STEADY, EMPTY], RankingWeights()))
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("名次,单位,综合得分,工单响应率,按期办结率,一次性化解率,办结满意率")
    assert lines[1] == "1,县市场监督管理局,63.75,80.0%,50.0%,25.0%,100.0%,4,0,0"
    assert lines[2] == "不参与排名,黄田镇,—,—,—,—,—,0,1,0"
