"""All editable draft rules in one value, built from the data files' mappings (asr/data/*.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asr.domain.classify import ClassRules
from asr.domain.enterprise import EnterpriseRules
from asr.domain.location import PlaceRules
from asr.domain.routing import UnitRules


class RulesError(ValueError):
    """A data file that does not have the expected shape."""

    error_id = "draft-rules-invalid"


@dataclass(frozen=True)
class DraftRules:
    classes: ClassRules
    units: UnitRules
    enterprise: EnterpriseRules
    places: PlaceRules
    keyword_terms: tuple[str, ...]
    stopwords: frozenset[str]

    @classmethod
    def from_mappings(
        cls,
        classes: Mapping[str, Any],
        units: Mapping[str, Any],
        enterprise: Mapping[str, Any],
        places: Mapping[str, Any],
        keywords: Mapping[str, Any],
    ) -> DraftRules:
        try:
            return cls(
                classes=_class_rules(classes),
                units=_unit_rules(units),
                enterprise=_enterprise_rules(enterprise),
                places=_place_rules(places),
                keyword_terms=tuple(keywords.get("terms", ())),
                stopwords=frozenset(keywords.get("stopwords", ())),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise RulesError(f"草稿规则数据文件格式不对 (draft rules data malformed): {exc!r}") from exc

    def topic_terms(self) -> set[str]:
        """Words that say what a matter is about (unit keywords, keyword terms): keyword material."""
        words: set[str] = set(self.keyword_terms)
        for table in self.units.keywords.values():
            words.update(table)
        return {w for w in words if len(w) >= 2}

    def procedural_words(self) -> set[str]:
        """Words about how the call goes (asking, suggesting, handing on), not what it is about.

        A complaint's own cue words (拖欠, 停电) do say what it is about, so they stay keyword material.
        """
        words: set[str] = set(self.classes.transfer_cues) | set(self.classes.coordination_cues)
        for name, table in self.classes.class_caller.items():
            if name != "complaint":
                words.update(table)
        for table in self.classes.class_agent.values():
            words.update(table)
        return words

    def vocabulary(self) -> set[str]:
        """Every term the rules know, for jieba's dictionary and for homophone correction."""
        words = self.topic_terms()
        for aliases in self.units.aliases.values():
            words.update(aliases)
        for table in self.classes.service_cues.values():
            words.update(table)
        words.update(self.places.townships)
        words.update(self.places.zones)
        return {w for w in words if len(w) >= 2}


def _table(raw: Mapping[str, Any] | None) -> dict[str, float]:
    return {str(k): float(v) for k, v in (raw or {}).items()}


def _class_rules(raw: Mapping[str, Any]) -> ClassRules:
    classes = raw["class"]
    complexity = raw["complexity"]
    return ClassRules(
        class_caller={name: _table(spec.get("caller")) for name, spec in classes.items()},
        class_agent={name: _table(spec.get("agent")) for name, spec in classes.items()},
        agent_weight=float(raw.get("agent_weight", 0.6)),
        first_turn_weight=float(raw.get("first_turn_weight", 2.0)),
        transfer_cues=tuple(raw["transfer_cues"]),
        coordination_cues=_table(raw["coordination_cues"]),
        service_cues={name: _table(table) for name, table in raw["service"].items()},
        difficult_cues=_table(complexity["difficult"]),
        difficult_patterns=_table(complexity.get("difficult_patterns")),
        simple_cues=_table(complexity["simple"]),
        difficult_threshold=float(complexity.get("difficult_threshold", 3)),
        simple_threshold=float(complexity.get("simple_threshold", 3)),
    )


def _unit_rules(raw: Mapping[str, Any]) -> UnitRules:
    units = raw["units"]
    return UnitRules(
        keywords={name: _table(spec.get("keywords")) for name, spec in units.items()},
        aliases={name: tuple(spec.get("aliases", ())) for name, spec in units.items()},
        local_cues=_table(raw.get("local_government", {}).get("cues")),
        counterpart_cues=tuple(raw.get("counterpart_cues", ())),
    )


def _enterprise_rules(raw: Mapping[str, Any]) -> EnterpriseRules:
    return EnterpriseRules(
        suffixes=tuple(raw["suffixes"]),
        trade_words=tuple(raw["trade_words"]),
        naming_cues=tuple(raw["naming_cues"]),
        affiliation_roles=tuple(raw["affiliation_roles"]),
        lead_words=tuple(raw["lead_words"]),
        descriptive_markers=tuple(raw["descriptive_markers"]),
        bad_first_chars=str(raw.get("bad_first_chars", "")),
        not_followed_by={k: tuple(v) for k, v in raw.get("not_followed_by", {}).items()},
        self_cues=tuple(raw.get("self_cues", ())),
        other_party_cues=tuple(raw.get("other_party_cues", ())),
        agent_asks_name=tuple(raw.get("agent_asks_name", ())),
        not_enterprises=tuple(raw.get("not_enterprises", ())),
        pronouns=tuple(raw.get("pronouns", ("我", "你", "他", "她", "它", "大家", "人"))),
        self_lead=tuple(raw.get("self_lead", ("我是", "我们是", "我们"))),
        never_in_name=str(raw.get("never_in_name", "是我你他她姓叫跟给了吗呢吧啊嗯喂在说想的")),
        name_stops=tuple(raw.get("name_stops", ("在", "的", "是", "电话", "姓", "我"))),
        max_bare_name=int(raw.get("max_bare_name", 8)),
    )


def _place_rules(raw: Mapping[str, Any]) -> PlaceRules:
    return PlaceRules(
        townships=tuple(raw["townships"]),
        short_forms=dict(raw.get("short_forms", {})),
        zones=tuple(raw.get("zones", ())),
        subplace_endings=tuple(raw.get("subplace_endings", ())),
        not_in_subplace=tuple(raw.get("not_in_subplace", ())),
        origin_cues=tuple(raw.get("origin_cues", ())),
        agent_asks_place=tuple(raw.get("agent_asks_place", ())),
    )
