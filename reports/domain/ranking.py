"""The ranking of units (通报晾晒) on a composite of the four headline rates.

Composite score (综合得分) = Σ wᵢ·rᵢ ÷ Σ wᵢ over the headline rates the unit has (×100, points).
A rate with nothing to measure (no orders dispatched, none rated, …) is left out and the remaining
weights carry the score; a unit with none of the four rates has no data and is listed **unranked**
(不参与排名), never scored 0. Weights default to equal and are configured by
`HOTLINE_RANKING_WEIGHTS` (`response_rate=1,on_time_rate=1,first_time_rate=1,satisfaction_rate=1`)
or a YAML file with those keys. Ties share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from reports.domain.errors import InvalidWeights
from reports.domain.figures import HEADLINE_RATES, RATE_NAMES_ZH
from ticketing.domain.kpi import UnitFigures, format_rate


@dataclass(frozen=True)
class RankingWeights:
    """The weight of each headline rate (权重)."""

    response_rate: float = 1.0
    on_time_rate: float = 1.0
    first_time_rate: float = 1.0
    satisfaction_rate: float = 1.0

    def __post_init__(self) -> None:
        values = [self.weight(k) for k in HEADLINE_RATES]
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise InvalidWeights(f"排名权重须为非负数且合计大于0：{values}")

    def weight(self, key: str) -> float:
        return float(getattr(self, key))

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> RankingWeights:
        unknown = set(values) - set(HEADLINE_RATES)
        if unknown:
            raise InvalidWeights(f"未知的排名指标：{', '.join(sorted(unknown))}（可用：{', '.join(HEADLINE_RATES)}）")
        try:
            return cls(**{k: float(str(v)) for k, v in values.items()})
        except ValueError as exc:
            raise InvalidWeights(f"排名权重须为数字：{dict(values)}") from exc

    @classmethod
    def parse(cls, text: str) -> RankingWeights:
        """`key=1,key=2` (the setting) or a YAML mapping; empty → equal weights."""
        text = text.strip()
        if not text:
            return cls()
        if "=" in text and ":" not in text:
            pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
            return cls.from_mapping({k.strip(): v.strip() for k, v in pairs})
        loaded = yaml.safe_load(text)
        if not isinstance(loaded, dict):
            raise InvalidWeights(f"排名权重应为键值对：{text!r}")
        return cls.from_mapping(loaded)

    def describe_zh(self) -> str:
        return "，".join(f"{RATE_NAMES_ZH[k]} {self.weight(k):g}" for k in HEADLINE_RATES)


@dataclass(frozen=True)
class RankedUnit:
    """One row of the ranking: rank (None = unranked), composite score in points, the four rates."""

    rank: int | None
    figures: UnitFigures
    score: float | None

    @property
    def unit_name(self) -> str:
        return self.figures.unit_name

    def rate(self, key: str) -> float | None:
        value: float | None = getattr(self.figures, key)
        return value


def composite(figures: UnitFigures, weights: RankingWeights) -> float | None:
    """Σ wᵢ·rᵢ ÷ Σ wᵢ over the rates present, in points (0–100); None with no rate (or zero weight)."""
    num = den = 0.0
    for key in HEADLINE_RATES:
        value = getattr(figures, key)
        weight = weights.weight(key)
        if value is None or weight == 0:
            continue
        num += weight * value
        den += weight
    return None if den == 0 else round(100 * num / den, 2)


def rank_units(units: list[UnitFigures], weights: RankingWeights) -> list[RankedUnit]:
    """Ranked units by score (highest first, ties share a rank), then the unranked ones by name.
    The hotline's own row (当场办结, unit_id None) is not a handling unit and is left out."""
    scored = [(u, composite(u, weights)) for u in units if u.unit_id is not None]
    ranked = sorted(((u, s) for u, s in scored if s is not None), key=lambda p: (-p[1], p[0].unit_name))
    out: list[RankedUnit] = []
    for position, (unit, score) in enumerate(ranked, start=1):
        rank = out[-1].rank if out and out[-1].score == score else position
        out.append(RankedUnit(rank, unit, score))
    out += [RankedUnit(None, u, None) for u, s in sorted(scored, key=lambda p: p[0].unit_name) if s is None]
    return out


CSV_HEADER = ["名次", "单位", "综合得分", *(RATE_NAMES_ZH[k] for k in HEADLINE_RATES), "受理工单", "退单", "督办单"]


def ranking_csv(rows: list[RankedUnit]) -> bytes:
    """The ranking as CSV in UTF-8 with a BOM (so Excel opens the Chinese names right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            [
                row.rank if row.rank is not None else "不参与排名",
                row.unit_name,
                "—" if row.score is None else f"{row.score:.2f}",
                *(format_rate(row.rate(k)) for k in HEADLINE_RATES),
                row.figures.received,
                row.figures.returns,
                row.figures.supervision_orders,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
