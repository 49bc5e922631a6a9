"""Keywords (关键词) with jieba, after correcting recognizer homophones of known terms (审皮 → 审批)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

import jieba
import jieba.analyse
import jieba.posseg

from asr.domain.phonetic import PhoneticText

_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,}$")
_PERSON_TITLES = ("先生", "女士", "老板", "经理", "师傅", "老师", "小姐", "阿姨")
_KEEP_POS = ("n", "vn", "v", "l", "eng", "an", "nz")


def correct_homophones(text: str, vocabulary: Iterable[str], is_common_word: Callable[[str], bool]) -> str:
    """The text with every homophone of a known term spelled as the term (longest terms first)."""
    indexed = PhoneticText(text, is_common_word)
    chars = list(text)
    taken = [False] * len(text)
    for term in sorted(vocabulary, key=len, reverse=True):
        for start in indexed.find(term):
            end = start + len(term)
            if any(taken[start:end]):
                continue
            for k in range(start, end):
                chars[k] = term[k - start]
                taken[k] = True
    return "".join(chars)


class KeywordExtractor:
    """A private jieba tokenizer (so other packages' jieba is untouched) that knows the rules' terms."""

    def __init__(
        self,
        vocabulary: Iterable[str],
        topic_terms: Iterable[str],
        stopwords: Iterable[str],
        procedural: Iterable[str] = (),
    ) -> None:
        self.vocabulary = sorted(set(vocabulary), key=len, reverse=True)
        self.stopwords = frozenset(stopwords)
        # How a call goes (问一下, 转办, 记录下来) says nothing about the matter: never a keyword.
        self.procedural = tuple(p for p in procedural if len(p) >= 2)
        jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on the console
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        self._base_freq = dict(self.tokenizer.FREQ)
        for word in self.vocabulary:
            self.tokenizer.add_word(word, freq=20000, tag="nz")
        tfidf = jieba.analyse.TFIDF()
        self.idf: dict[str, float] = dict(tfidf.idf_freq)
        self.median_idf = float(tfidf.median_idf)
        self.stop_words = set(tfidf.stop_words) | set(self.stopwords)
        self.tags: dict[str, str] = dict(jieba.posseg.POSTokenizer(self.tokenizer).word_tag_tab)
        topics = set(topic_terms)
        for word in self.vocabulary:
            self.tags[word] = "nz" if word in topics else "x"

    def is_common_word(self, word: str) -> bool:
        """An everyday word in jieba's dictionary (frequency ≥ 100), not one of the rules' own terms."""
        return self._base_freq.get(word, 0) >= 100

    def correct(self, text: str) -> str:
        return correct_homophones(text, self.vocabulary, self.is_common_word)

    def keywords(self, text: str, preferred: Iterable[str], exclude: Iterable[str], limit: int = 5) -> list[str]:
        """Up to `limit` keywords: the rule words that fired first, then TF-IDF picks from jieba's words."""
        excluded = {e for e in exclude if e}
        chosen: list[str] = []

        def take(word: str) -> None:
            if len(chosen) >= limit or word in self.stopwords or not _WORDLIKE.match(word):
                return
            if word.endswith(_PERSON_TITLES) or any(word in p for p in self.procedural):
                return
            if any(word in c or c in word for c in chosen) or any(word in e or e in word for e in excluded):
                return
            chosen.append(word)

        for word in preferred:
            take(word)
        for word in self.ranked_terms(text)[:20]:
            take(word)
        if len(chosen) < 3:  # a short call: any content word will do
            for word in self.ranked_terms(text, any_pos=True)[:20]:
                take(word)
        return chosen

    def ranked_terms(self, text: str, any_pos: bool = False) -> list[str]:
        """TF-IDF over dictionary words (no HMM guessing, so it stays fast): nouns and verbs only."""
        counts: dict[str, int] = {}
        for word in self.tokenizer.cut(text, HMM=False):
            if len(word) < 2 or word in self.stop_words:
                continue
            if not any_pos and not self.tags.get(word, "x").startswith(_KEEP_POS):
                continue
            counts[word] = counts.get(word, 0) + 1
        scores = {w: c * self.idf.get(w, self.median_idf) for w, c in counts.items()}
        return sorted(scores, key=lambda w: (-scores[w], w))
