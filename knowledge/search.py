"""Chinese full-text search over knowledge entries (知识检索): jieba segmentation + the database's own index.

Chinese has no spaces, so the database's tokenizer can't find words on its own. Every indexed field is
segmented by jieba (each word plus the dictionary words inside it: 个体户 → 个体 / 个体户) and stored as space-separated words; queries
are segmented the same way and the words OR-ed, so ranking decides (more and rarer words matched in
heavier fields rank first):

- SQLite: an FTS5 virtual table `kb_entries_fts` (unicode61 tokenizer splits on the spaces), ranked by
  `bm25()` with field weights title 10 > question 5 > key points 3 > answer 1.
- PostgreSQL: `kb_entry_search.document`, a tsvector built with the 'simple' configuration from the same
  segmented text, weights A (title) > B (question) > C (key points) > D (answer), GIN index, `ts_rank()`.

Both tables are written by the migration of the knowledge branch and kept in step by `FullTextIndex.put`
in the same transaction as the entry row.
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import jieba
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

# Words of enterprise matters that jieba's general dictionary splits badly.
DOMAIN_WORDS = (
    "浙里办",
    "一网通办",
    "一件事",
    "留抵退税",
    "增值税留抵退税",
    "稳岗补贴",
    "稳岗返还",
    "营业执照",
    "经营范围",
    "个体工商户",
    "个体户",
    "食品经营许可",
    "消防验收",
    "招投标",
    "政府采购",
    "融资担保",
    "环评审批",
    "环境影响评价",
    "特种设备",
    "工程建设项目",
    "施工许可",
    "涉企收费",
    "拖欠账款",
    "账款拖欠",
    "社保费",
    "社会保险",
    "用工备案",
    "企业开办",
    "电子营业执照",
    "市场监管",
    "行政服务中心",
    "首贷",
    "续贷",
    "中小企业",
    "专精特新",
    "纳税信用",
)
STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 是 我 你 他 她 我们 你们 他们 这个 那个 这 那 有 在 和 与 及 或 也 都 就 还 要 想 请问 "
    "问一下 一下 怎么 怎么办 怎样 如何 什么 哪里 哪个 可以 能 能不能 是否 需要 现在 今天 喂 您好 你好 好的 谢谢 "
    "嗯 哦 对 对的 然后 就是 那么 一个 没有 不 可能 应该 问 说 咨询 办理 办".split()
)
FIELD_WEIGHTS = {"title": 10.0, "question": 5.0, "key_points": 3.0, "answer": 1.0}
MAX_TERMS = 24
COMMON_SHARE = 0.4
COMMON_MIN_ENTRIES = 200
_WORD = re.compile(r"^\w+$")

log = logging.getLogger(__name__)


class _Segmenter:
    """A private jieba tokenizer (other packages' jieba is untouched) that knows the domain words."""

    def __init__(self) -> None:
        jieba.setLogLevel(logging.WARNING)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        for word in DOMAIN_WORDS:
            self.tokenizer.add_word(word, freq=20000)
        self.idf = _load_idf(Path(jieba.__file__).parent / "analyse" / "idf.txt")
        self.median_idf = statistics.median(self.idf.values())

    def words(self, value: str, shortest_inner: int = 2) -> list[str]:
        """Each word of jieba's precise cut, preceded by the dictionary words inside it that have at
        least `shortest_inner` characters.

        Like jieba's `cut_for_search`, but looking at inner words of any length, so 增值税留抵退税 also
        yields 留抵退税 and a query for the shorter word finds the longer one.
        """
        out: list[str] = []
        freq = self.tokenizer.FREQ
        for word in self.tokenizer.cut(value):
            if not word.strip() or not _WORD.match(word):
                continue
            for n in range(shortest_inner, len(word)):
                out.extend(word[i : i + n] for i in range(len(word) - n + 1) if freq.get(word[i : i + n]))
            out.append(word)
        return [w.lower() for w in out]


def _load_idf(path: Path) -> dict[str, float]:
    """jieba's general-language IDF table ("word idf" lines); read here because jieba leaves it open."""
    idf: dict[str, float] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, value = line.strip().partition(" ")
            if word and value:
                idf[word] = float(value)
    return idf


_segmenter: _Segmenter | None = None
_lock = threading.Lock()


def segmenter() -> _Segmenter:
    """The process's segmenter, loaded once (about a second: call `warm_up` off the event loop)."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                _segmenter = _Segmenter()
    return _segmenter


def warm_up() -> None:
    segmenter()


async def ready() -> None:
    """Load the segmenter in a thread the first time, so the event loop never stalls on it."""
    if _segmenter is None:
        await asyncio.to_thread(segmenter)


def segment(value: str) -> str:
    """Text as the space-separated search-mode words stored in the index."""
    return " ".join(segmenter().words(value))


def query_terms(query: str) -> list[str]:
    """The distinct words of a typed query worth matching (stopwords dropped unless nothing else is left)."""
    # The index holds every inner word, so 营业执照 in a query finds the entries that say 营业执照 without
    # also asking for 营业 and 执照, which are in far more entries and would all have to be ranked.
    words = list(dict.fromkeys(segmenter().words(query, shortest_inner=3)))
    kept = [w for w in words if w not in STOPWORDS]
    longer = [w for w in kept if len(w) >= 2]  # a lone 到 or 账 matches everything and says little
    return (longer or kept or words)[:MAX_TERMS]


def transcript_terms(transcript: str, limit: int = 12) -> list[str]:
    """The words of a live call transcript that say what the matter is: TF-IDF over jieba's IDF table."""
    seg = segmenter()
    counts = Counter(w for w in seg.words(transcript) if w not in STOPWORDS and len(w) >= 2)
    scored = sorted(counts.items(), key=lambda kv: (-kv[1] * seg.idf.get(kv[0], seg.median_idf), kv[0]))
    return [w for w, _ in scored[:limit]]


def excerpt(value: str, terms: Sequence[str], width: int = 60) -> str:
    """A short part of `value` around the first matched term (the console shows it under the title)."""
    flat = " ".join(value.split())
    hits = [i for i in (flat.lower().find(t) for t in terms) if i >= 0]
    if not hits:
        return flat[:width] + ("…" if len(flat) > width else "")
    start = max(0, min(hits) - width // 3)
    end = min(len(flat), start + width)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


# --- the index in the database ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which entries a search may return."""

    today: date
    unit_id: int | None = None  # only this unit's entries
    include_hidden: bool = False  # also expired and not-yet-effective ones


class FullTextIndex(Protocol):
    """The dialect's full-text index over entries."""

    async def put(self, session: AsyncSession, entry_id: int, fields: Mapping[str, str]) -> None: ...

    async def search(
        self, session: AsyncSession, terms: Sequence[str], scope: Scope, limit: int, match: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        """Entry ids and scores, best first: entries containing any of `match` (default: `terms`),
        ranked on all of `terms`."""
        ...

    async def word_shares(self, session: AsyncSession, terms: Sequence[str], total: int) -> dict[str, float]:
        """The share of the `total` entries containing each word (words left out are rare)."""
        ...


def selective_terms(terms: Sequence[str], shares: Mapping[str, float], total: int) -> list[str]:
    """The query words that decide which entries are ranked: words found in more than `COMMON_SHARE`
    of a large knowledge base (办理, 企业, 申请) are left out while a rarer word remains; otherwise the
    database would rank most of its entries. They still count in the ranking of the entries chosen."""
    if total < COMMON_MIN_ENTRIES:
        return list(terms)
    rare = [t for t in terms if shares.get(t, 0.0) <= COMMON_SHARE]
    return rare or list(terms)


def _scope_sql(scope: Scope) -> tuple[str, dict[str, object]]:
    clauses: list[str] = []
    params: dict[str, object] = {}
    if not scope.include_hidden:
        clauses.append("(e.effective_from IS NULL OR e.effective_from <= :today)")
        clauses.append("(e.expires_on IS NULL OR e.expires_on >= :today)")
        params["today"] = scope.today
    if scope.unit_id is not None:
        clauses.append("e.unit_id = :unit_id")
        params["unit_id"] = scope.unit_id
    return "".join(f" AND {c}" for c in clauses), params


class SqliteFtsIndex:
    """FTS5 over jieba-segmented text, ranked by bm25 with field weights (lower bm25 = better)."""

    async def put(self, session: AsyncSession, entry_id: int, fields: Mapping[str, str]) -> None:
        await session.execute(text("DELETE FROM kb_entries_fts WHERE rowid = :id"), {"id": entry_id})
        await session.execute(
            text(
                "INSERT INTO kb_entries_fts (rowid, title, question, key_points, answer)"
                " VALUES (:id, :title, :question, :key_points, :answer)"
            ),
            {"id": entry_id, **{name: segment(fields.get(name, "")) for name in FIELD_WEIGHTS}},
        )

    async def search(
        self, session: AsyncSession, terms: Sequence[str], scope: Scope, limit: int, match: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        expression = _fts_or(terms)
        if match and list(match) != list(terms):
            # (rare words) AND (all words): the same rows as the rare words alone, but bm25 sums over
            # every phrase of the expression, so the common words still order them.
            expression = f"({_fts_or(match)}) AND ({expression})"
        where, params = _scope_sql(scope)
        weights = ", ".join(str(w) for w in FIELD_WEIGHTS.values())
        rows = await session.execute(
            text(
                f"SELECT e.id, bm25(kb_entries_fts, {weights}) AS rank"
                " FROM kb_entries_fts JOIN kb_entries e ON e.id = kb_entries_fts.rowid"
                f" WHERE kb_entries_fts MATCH :match{where} ORDER BY rank, e.id LIMIT :limit"
            ),
            {"match": expression, "limit": limit, **params},
        )
        return [(int(r[0]), round(-float(r[1]), 4)) for r in rows]

    async def word_shares(self, session: AsyncSession, terms: Sequence[str], total: int) -> dict[str, float]:
        """Exact, from the FTS5 vocabulary table."""
        rows = await session.execute(
            text("SELECT term, doc FROM kb_entries_fts_vocab WHERE term IN :terms").bindparams(
                bindparam("terms", expanding=True)
            ),
            {"terms": list(terms)},
        )
        return {str(term): int(doc) / max(total, 1) for term, doc in rows}


class PostgresTsIndex:
    """A weighted tsvector ('simple' config) over jieba-segmented text, GIN-indexed, ranked by ts_rank."""

    async def put(self, session: AsyncSession, entry_id: int, fields: Mapping[str, str]) -> None:
        await session.execute(
            text(
                "INSERT INTO kb_entry_search (entry_id, document) VALUES (:id,"
                " setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :question), 'B')"
                " || setweight(to_tsvector('simple', :key_points), 'C')"
                " || setweight(to_tsvector('simple', :answer), 'D'))"
                " ON CONFLICT (entry_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            {"id": entry_id, **{name: segment(fields.get(name, "")) for name in FIELD_WEIGHTS}},
        )

    async def search(
        self, session: AsyncSession, terms: Sequence[str], scope: Scope, limit: int, match: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        # Terms are \w+ words (see `_Segmenter.words`), so quoting them as lexemes is safe.
        where, params = _scope_sql(scope)
        rows = await session.execute(
            text(
                "SELECT e.id, ts_rank(s.document, r) AS rank"
                " FROM kb_entry_search s JOIN kb_entries e ON e.id = s.entry_id,"
                " to_tsquery('simple', :ranked) r, to_tsquery('simple', :match) m"
                f" WHERE s.document @@ m{where} ORDER BY rank DESC, e.id LIMIT :limit"
            ),
            {"ranked": _ts_or(terms), "match": _ts_or(match or terms), "limit": limit, **params},
        )
        return [(int(r[0]), round(float(r[1]), 6)) for r in rows]

    async def word_shares(self, session: AsyncSession, terms: Sequence[str], total: int) -> dict[str, float]:
        """From the planner's statistics: the most common lexemes of the column and their frequencies
        (kept by ANALYZE / autovacuum). A word not among them is not common; with no statistics yet,
        nothing is dropped."""
        row = (
            await session.execute(
                text(
                    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
                    " WHERE tablename = 'kb_entry_search' AND attname = 'document'"
                    " AND schemaname = ANY (current_schemas(false))"
                )
            )
        ).first()
        if row is None or row[0] is None:
            return {}
        common = dict(zip(row[0], row[1], strict=False))
        return {t: float(common[t]) for t in terms if t in common}


def _fts_or(terms: Sequence[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _ts_or(terms: Sequence[str]) -> str:
    return " | ".join(f"'{t}'" for t in terms)


def index_for(dialect: str) -> FullTextIndex:
    if dialect == "sqlite":
        return SqliteFtsIndex()
    if dialect == "postgresql":
        return PostgresTsIndex()
    raise ValueError(f"no full-text index for the {dialect} dialect")
