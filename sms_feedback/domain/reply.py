"""Parsing an enterprise's SMS reply to a satisfaction survey (短信回复解析).

Pure and explainable: every result carries a `reason` naming the rule that decided it, so an agent can
see why a reply was read as it was. The rules, in order:

1. An empty reply is unclear.
2. An opt-out (退订, TD, T, 取消订阅, 不要再发…) wins over anything else: it must be honoured.
3. A survey choice — 1/2/3 (also full-width １２３), or 一/二/三 standing alone or after 选/评价/回复 —
   decides the rating. Long digit runs are work-order numbers, digits followed by a unit (三个工作日,
   2天) are not choices. "不是3" strikes a choice out; after a correction (不对, 按错了, 改为) only the
   choices that follow count. Two neighbouring choices (1 2) give the less favourable one; choices far
   apart (1 3) are contradictory and unclear. Text around the choice is the comment.
4. Otherwise words and emoji decide. Substance beats politeness: any complaint (没解决, 照样, 拖了,
   sarcasm such as 可真会办事, escalation such as 市长信箱) makes the reply dissatisfied even if it also
   says 满意. Negation flips a word (不太满意, 不是很满意 → dissatisfied; 没有不满意 → basically satisfied,
   or satisfied when praise follows). A rating word followed by a question mark (满意？) is not a rating.
   Courtesy alone (谢谢, 好的, 收到) is not a rating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from sms_feedback.domain.reply_words import (
    ASCII_CHOICE,
    BASIC,
    BASIC_DOUBLE_NEG,
    CLAUSE_PUNCT,
    CN_CHOICE_AFTER_VERB,
    CN_DIGITS,
    CORRECTION,
    COURTESY,
    DIS,
    LEXICON,
    MAX_WORD,
    MILD,
    NEGATION_BEFORE,
    NEUTRAL,
    OPT_OUT_WHOLE,
    OPT_OUT_WORDS,
    PUNCT,
    QUALIFIED_BEFORE,
    QUESTIONED_AFTER,
    REF_CHOICE,
    REGEX_CUES,
    SAT,
    STRIKE,
    WORK_ORDER_REF,
    normalise,
)


class Rating(StrEnum):
    """What a reply means for the survey (评价结果)."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    OPT_OUT = "opt_out"  # 退订
    UNCLEAR = "unclear"  # 无法识别, send one clarifying SMS


@dataclass(frozen=True)
class ParsedReply:
    """The reading of one reply: the rating, the enterprise's own words, and why."""

    rating: Rating
    comment: str
    reason: str
    work_order_ref: str | None = None  # a digit run of 4+ digits the reply names (工单号 or its tail)
    cues: tuple[str, ...] = field(default=())  # the words, emoji or choices that were found


CHOICE_RATINGS = {1: Rating.SATISFIED, 2: Rating.BASICALLY_SATISFIED, 3: Rating.DISSATISFIED}
_ORDER = {Rating.SATISFIED: 1, Rating.BASICALLY_SATISFIED: 2, Rating.DISSATISFIED: 3}


@dataclass(frozen=True)
class _Choice:
    value: int
    start: int
    end: int


def _choices(text: str) -> list[_Choice]:
    found = [_Choice(int(m.group(1)), m.start(1), m.end(1)) for m in ASCII_CHOICE.finditer(text)]
    for m in CN_CHOICE_AFTER_VERB.finditer(text):
        found.append(_Choice(CN_DIGITS[m.group(1)], m.start(1), m.end(1)))
    # a clause that is nothing but 一 / 二 / 三
    for m in re.finditer(r"[^,.;:!?，。；：！？、\s]+", text):
        clause = m.group(0).strip(PUNCT)
        if len(clause) == 1 and clause in "一二三":
            start = m.start() + m.group(0).index(clause)
            if not any(c.start == start for c in found):
                found.append(_Choice(CN_DIGITS[clause], start, start + 1))
    return sorted(found, key=lambda c: c.start)


@dataclass(frozen=True)
class _Cue:
    level: str
    text: str
    start: int
    end: int


def _clause_prefix(text: str, index: int) -> str:
    """The text between the last clause break and `index`: where a negation of the next word can be."""
    start = index
    while start > 0 and text[start - 1] not in CLAUSE_PUNCT:
        start -= 1
    return text[start:index]


def _word_cues(text: str) -> tuple[list[_Cue], list[str]]:
    cues: list[_Cue] = []
    notes: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(MAX_WORD, len(text) - i), 0, -1):
            word = text[i : i + size]
            level = LEXICON.get(word)
            if level is None:
                continue
            if word.isascii() and word[0].isalpha():  # English words need word boundaries
                before = text[i - 1] if i else " "
                after = text[i + size] if i + size < len(text) else " "
                if before.isalpha() or after.isalpha():
                    continue
            cues.append(_negated(text, _Cue(level, word, i, i + size), notes))
            i += size
            break
        else:
            i += 1
    for pattern, level, label in REGEX_CUES:
        for m in pattern.finditer(text):
            cues.append(_negated(text, _Cue(level, m.group(0).strip(), m.start(), m.end()), notes))
            notes.append(label)
    return [c for c in cues if c.level != NEUTRAL], notes


def _negated(text: str, cue: _Cue, notes: list[str]) -> _Cue:
    """Apply a negation just before a word (不太满意) or a question just after it (满意？)."""
    prefix = _clause_prefix(text, cue.start)
    if cue.level in (SAT, BASIC, COURTESY) and NEGATION_BEFORE.search(prefix):
        notes.append(f"negated {cue.text}")
        return _Cue(DIS, (prefix[-5:] + cue.text).strip(), cue.start, cue.end)
    if cue.level == DIS and NEGATION_BEFORE.search(prefix):
        notes.append(f"double negation {cue.text}")
        return _Cue(BASIC_DOUBLE_NEG, (prefix[-5:] + cue.text).strip(), cue.start, cue.end)
    if cue.level == SAT and QUALIFIED_BEFORE.search(prefix):
        notes.append(f"qualified {cue.text}")
        return _Cue(BASIC, (prefix[-4:] + cue.text).strip(), cue.start, cue.end)
    if cue.level in (SAT, BASIC) and QUESTIONED_AFTER.match(text[cue.end :]):
        notes.append(f"questioned {cue.text}")
        return _Cue(NEUTRAL, cue.text, cue.start, cue.end)
    return cue


def _rating_from_words(cues: list[_Cue]) -> tuple[Rating, str] | None:
    levels = {c.level for c in cues}

    def named(*wanted: str) -> str:
        return "、".join(dict.fromkeys(c.text for c in cues if c.level in wanted))

    if DIS in levels:
        return Rating.DISSATISFIED, f"complaint words: {named(DIS)}"
    if BASIC in levels:
        return Rating.BASICALLY_SATISFIED, f"lukewarm words: {named(BASIC)}"
    if BASIC_DOUBLE_NEG in levels:
        if SAT in levels:
            return Rating.SATISFIED, f"double negation with praise: {named(BASIC_DOUBLE_NEG, SAT)}"
        return Rating.BASICALLY_SATISFIED, f"double negation: {named(BASIC_DOUBLE_NEG)}"
    if SAT in levels and MILD in levels:
        return Rating.BASICALLY_SATISFIED, f"praise with a reservation: {named(SAT, MILD)}"
    if SAT in levels:
        return Rating.SATISFIED, f"praise words: {named(SAT)}"
    return None  # courtesy or a reservation alone (谢谢, 有点慢) is not a rating


# --- the parser ------------------------------------------------------------------------------------


def parse_reply(raw: str) -> ParsedReply:
    """Read one SMS reply. Never raises: what can't be read is `Rating.UNCLEAR` with the reason."""
    text = normalise(raw or "")
    stripped = text.strip(PUNCT)
    refs = WORK_ORDER_REF.findall(text)
    ref = refs[-1] if refs else None
    if not stripped:
        return ParsedReply(Rating.UNCLEAR, "", "empty reply", ref)

    opt_out = OPT_OUT_WORDS.search(text)
    if opt_out or stripped in OPT_OUT_WHOLE:
        word = opt_out.group(0) if opt_out else stripped
        return ParsedReply(Rating.OPT_OUT, "", f"opt-out word: {word}", ref, (word,))

    choice = _decide_choice(text)
    if isinstance(choice, str):
        if choice.startswith("contradictory"):
            return ParsedReply(Rating.UNCLEAR, raw.strip(), choice, ref)
        out_of_range_note = choice
    elif choice is not None:
        return _from_choice(raw, text, choice, ref)
    else:
        out_of_range_note = ""

    cues, notes = _word_cues(text)
    decided = _rating_from_words(cues)
    if decided is None:
        if out_of_range_note:
            return ParsedReply(Rating.UNCLEAR, raw.strip(), out_of_range_note, ref)
        found = [c.text for c in cues]
        reason = "no rating words" + (f" (only {'、'.join(found)})" if found else "")
        return ParsedReply(Rating.UNCLEAR, raw.strip(), reason, ref, tuple(found))
    rating, reason = decided
    if notes:
        reason += f" [{'; '.join(dict.fromkeys(notes))}]"
    comment = raw.strip() if _has_more_than_cues(text, cues) else ""
    return ParsedReply(rating, comment, reason, ref, tuple(c.text for c in cues))


_CHOICE_WORD = {1: "满意", 2: "基本满意", 3: "不满意"}


def _from_choice(raw: str, text: str, choice: _Choice, ref: str | None) -> ParsedReply:
    """A choice decides, unless the words around it say the opposite (1 with 没解决, 3 with 很满意)."""
    rating = CHOICE_RATINGS[choice.value]
    comment = _comment(raw, choice)
    words = _rating_from_words(_word_cues(text)[0])
    if words is not None and abs(_ORDER[words[0]] - _ORDER[rating]) == 2:
        return ParsedReply(
            Rating.UNCLEAR,
            raw.strip(),
            f"choice {choice.value} contradicts the words ({words[1]})",
            ref,
            (str(choice.value),),
        )
    reason = f"choice {choice.value} ({_CHOICE_WORD[choice.value]})"
    return ParsedReply(rating, comment, reason, ref, (str(choice.value),))


def _decide_choice(text: str) -> _Choice | str | None:
    """The survey choice in the reply, a note why there is none usable, or None without digits."""
    candidates = _choices(text)
    if not candidates:
        return None
    corrections = list(CORRECTION.finditer(text))
    if corrections:
        after = [c for c in candidates if c.start >= corrections[-1].end()]
        if after:
            candidates = after
    kept = [c for c in candidates if not STRIKE.search(text[max(0, c.start - 6) : c.start])]
    valid = [c for c in kept if c.value in CHOICE_RATINGS]
    if not valid:
        named = "、".join(str(c.value) for c in candidates)
        return f"choice out of range: {named}"
    values = sorted({c.value for c in valid})
    if len(values) == 1:
        return valid[-1]
    if values[-1] - values[0] == 1:
        worst = values[-1]
        return next(c for c in valid if c.value == worst)
    return f"contradictory choices: {'、'.join(str(v) for v in values)}"


def _comment(raw: str, choice: _Choice) -> str:
    """The reply's words without the choice itself, e.g. "3 办得太慢" → "办得太慢"."""
    before = raw[: choice.start].strip(PUNCT)
    after = raw[choice.end :].strip(PUNCT)
    return " ".join(part for part in (before, after) if part)


def _has_more_than_cues(text: str, cues: list[_Cue]) -> bool:
    rest = list(text)
    for cue in cues:
        for k in range(cue.start, cue.end):
            rest[k] = " "
    leftover = "".join(rest).strip(PUNCT)
    return len(re.sub(r"[的了啊呀吧呢哦嗯\s]", "", leftover)) > 0


def ref_choices(raw: str) -> list[tuple[str, Rating]]:
    """Ratings given per work order in an answer to a merged survey: "1037 1，2037 3" → two pairs.

    Each pair is a work-order tail (or full number) followed by a choice; the service matches tails
    to the pending surveys of the sender.
    """
    text = normalise(raw or "")
    return [(m.group(1), CHOICE_RATINGS[int(m.group(2))]) for m in REF_CHOICE.finditer(text)]
