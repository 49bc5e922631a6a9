"""A draft work order (工单草稿) from a call transcript: explainable rules, no hosted model.

`DraftExtractor` is built once (it loads jieba and the rules) and then drafts a call in a few
milliseconds. The draft's field names and values are those of the eval set's "gold" records; the
"why" part says which words decided each field, so an agent can trust or correct it at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asr.domain import classify
from asr.domain.cues import IndexedTranscript
from asr.domain.enterprise import EnterpriseFinder
from asr.domain.keywords import KeywordExtractor
from asr.domain.location import LocationFinder
from asr.domain.phone import contact_phone
from asr.domain.routing import suggest_unit
from asr.domain.rules import DraftRules
from asr.domain.transcript import Turn

# One sentence per class: who (where) + what, e.g. "恒丰竹木制品厂（竹口镇）反映拖欠工资问题".
_SENTENCE = {
    classify.CONSULTATION: "{who}{where}咨询{topic}相关事项",
    classify.COMPLAINT: "{who}{where}反映{topic}问题",
    classify.SUGGESTION: "{who}{where}就{topic}提出建议",
}


@dataclass(frozen=True)
class DraftWorkOrder:
    """The draft: what the agent would otherwise type after the call."""

    klass: str
    service: str
    complexity: str | None
    department: str | None
    answered_on_line: bool
    enterprise: str | None
    contact_phone: str | None
    location: str | None
    keywords: list[str]
    summary: str
    why: dict[str, Any] = field(default_factory=dict)
    knowledge_query: str = ""
    """What to look up in the knowledge base (知识库) for this call: keywords first, then the caller's
    words with misheard terms spelled right (knowledge.services.KnowledgeService.suggest takes it)."""

    def to_dict(self) -> dict[str, Any]:
        """The draft as JSON-ready data with the eval set's field names ("class", not "klass")."""
        return {
            "class": self.klass,
            "service": self.service,
            "complexity": self.complexity,
            "department": self.department,
            "answered_on_line": self.answered_on_line,
            "enterprise": self.enterprise,
            "contact_phone": self.contact_phone,
            "location": self.location,
            "keywords": self.keywords,
            "summary": self.summary,
            "why": {**self.why, "knowledge_query": self.knowledge_query},
        }


class DraftExtractor:
    """Turns transcripts into drafts; construct once per process (jieba and the rules load here)."""

    def __init__(self, rules: DraftRules) -> None:
        self.rules = rules
        self.locations = LocationFinder(rules.places)
        unit_names = tuple(rules.units.keywords)
        aliases = tuple(a for names in rules.units.aliases.values() for a in names)
        self.enterprises = EnterpriseFinder(rules.enterprise, places=rules.places.names + unit_names + aliases)
        self._topics = rules.topic_terms()
        self.keywords = KeywordExtractor(
            rules.vocabulary(), rules.topic_terms(), rules.stopwords, rules.procedural_words()
        )

    def draft(self, turns: list[Turn]) -> DraftWorkOrder:
        ix = IndexedTranscript(turns, self.keywords.is_common_word)
        phone = contact_phone(turns)
        answered, handed_on_words = classify.answered_on_line(ix, self.rules.classes, phone is not None)
        klass = classify.call_class(ix, self.rules.classes, answered)
        klass_value = klass.value or classify.CONSULTATION
        service = classify.service(ix, self.rules.classes, klass_value)
        complexity = classify.complexity(ix, self.rules.classes, klass_value)
        location = self.locations.find(turns)
        township = location.township if location else None
        if township is None:
            named = self.locations.townships_named(ix.caller_text())
            township = named[0] if named else None
        routing = suggest_unit(ix, self.rules.units, township)
        department = None if answered else routing.unit
        enterprise = self.enterprises.find(turns)
        enterprise_name = enterprise.name if enterprise else None
        corrected = ix.corrected_texts(self.keywords.vocabulary)
        caller_text = " ".join(t for t, turn in zip(corrected, turns, strict=True) if turn.by_caller)
        agent_text = " ".join(t for t, turn in zip(corrected, turns, strict=True) if turn.speaker == "agent")
        text = caller_text + " " + agent_text
        keywords = self.keywords.keywords(
            text,
            preferred=[w for w in routing.words if w in self._topics][:2] if routing.unit != township else [],
            exclude=[enterprise_name or "", location.text if location else "", phone or ""],
        )
        summary = self._summary(klass_value, enterprise_name, location.text if location else None,
                                keywords, answered, department)
        why = {
            "class_scores": klass.scores,
            "class_words": klass.words,
            "service_words": service.words,
            "complexity_words": complexity.words,
            "department_confidence": routing.confidence if department else 0.0,
            "department_reason": routing.reason if department else _no_department_reason(answered),
            "department_words": routing.words if department else [],
            "department_runners_up": [{"unit": u, "score": s} for u, s in routing.runners_up],
            "handed_on_words": handed_on_words,
            "enterprise_found_by": enterprise.how if enterprise else None,
        }
        return DraftWorkOrder(
            klass=klass_value,
            service=str(service.value),
            complexity=complexity.value,
            department=department,
            answered_on_line=answered,
            enterprise=enterprise_name,
            contact_phone=phone,
            location=location.text if location else None,
            keywords=keywords,
            summary=summary,
            why=why,
            knowledge_query=" ".join([*keywords, caller_text]),
        )

    @staticmethod
    def _summary(
        klass: str,
        enterprise: str | None,
        location: str | None,
        keywords: list[str],
        answered: bool,
        department: str | None,
    ) -> str:
        who = enterprise or "来电人"
        where = f"（{location}）" if location else ""
        topic = "、".join(keywords[:3]) or "有关"
        sentence = _SENTENCE[klass].format(who=who, where=where, topic=topic)
        if answered:
            return sentence + "，坐席已当场答复。"
        if department:
            return sentence + f"，建议转{department}办理。"
        return sentence + "，已记录转相关部门。"


def _no_department_reason(answered: bool) -> str:
    return "坐席已当场答复，无需转办" if answered else "没有指向具体承办单位的关键词，需人工指定"
