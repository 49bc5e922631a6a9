"""Keywords (关键词) with jieba, after correcting recognizer homophones of known terms (审皮 → 审批)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import jieba
import jieba.analyse
import jieba.posseg

from asr.domain.phonetic import PhoneticText

_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,}$")
_KEEP_POS = ("n", "nr", "ns", "nt", "nz", "vn", "v", "l", "eng", "an")


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

    def __init__(self, vocabulary: Iterable[str], stopwords: Iterable[str]) -> None:
        self.vocabulary = sorted(set(vocabulary), key=len, reverse=True)
        self.stopwords = frozenset(stopwords)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        self._base_freq = dict(self.tokenizer.FREQ)
        for word in self.vocabulary:
            self.tokenizer.add_word(word, freq=20000, tag="nz")
        self.tfidf = jieba.analyse.TFIDF()
        self.tfidf.tokenizer = self.tokenizer
        self.tfidf.postokenizer = jieba.posseg.POSTokenizer(self.tokenizer)
        self.tfidf.stop_words = set(self.tfidf.stop_words) | set(self.stopwords)

    def is_common_word(self, word: str) -> bool:
        """An everyday word in jieba's dictionary (frequency ≥ 100), not one of the rules' own terms."""
        return self._base_freq.get(word, 0) >= 100

    def correct(self, text: str) -> str:
        return correct_homophones(text, self.vocabulary, self.is_common_word)

    def keywords(self, text: str, preferred: Iterable[str], exclude: Iterable[str], limit: int = 5) -> list[str]:
        """Up to `limit` keywords: the rule words that fired first, then jieba's TF-IDF picks."""
        excluded = {e for e in exclude if e}
        chosen: list[str] = []

        def take(word: str) -> None:
            if len(chosen) >= limit or word in self.stopwords or not _WORDLIKE.match(word):
                return
            if any(word in c or c in word for c in chosen) or any(word in e or e in word for e in excluded):
                return
            chosen.append(word)

        for word in preferred:
            take(word)
        for word in self.tfidf.extract_tags(text, topK=20, allowPOS=_KEEP_POS):
            take(str(word))
        return chosen
