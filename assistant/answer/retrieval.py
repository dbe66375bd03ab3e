"""Hybrid retrieval: dense search in Chroma + BM25, fused by reciprocal rank.

Filters (publisher, article ids, date range) apply to both halves. A date the
question names (see `dates.question_date_range`) boosts chunks dated inside it;
undated chunks are neither boosted nor dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.dates import date_key
from ..core.settings import Settings
from ..core.text import fold
from ..index.lexical import LexicalIndex
from ..index.lexical_sync import LexicalKeeper
from ..index.store import Store
from .query import Query

RRF_K = 60
DATE_BOOST = 0.5  # added to the fused score of chunks dated in the named range, in RRF units of rank 1
PUBLISHER_BOOST = 0.1  # the same for chunks from a publisher the question names ("as reported by TechCrunch")
CHECK_SECONDS = 1.0  # at most one change check (two small reads) per this many seconds per process


@dataclass
class Hit:
    """A retrieved chunk with the evidence each half gave for it."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    meta: dict[str, Any]
    dense: float = 0.0  # cosine similarity, 0 if dense search did not return it
    lexical: float = 0.0  # BM25 score
    score: float = 0.0  # fused
    ranks: dict[str, int] = field(default_factory=dict)
    article: dict[str, Any] | None = field(default=None, repr=False)  # the article as the store serves it


class HybridRetriever:
    """Fuses Chroma's dense search with the store's lexical index (kept in step by a `LexicalKeeper`).

    A question costs two store round trips here: the dense query (with each chunk's metadata) and one
    read of the articles its hits come from (each hit's text is its span of the article, so no chunk
    is read); the lexical half is in memory."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.keeper = LexicalKeeper(store, CHECK_SECONDS)
        self.path = self.keeper.folder  # named by collection: a moved store folder keeps its index
        self._publisher_words: dict[str, str] = {}  # publisher -> its words, padded for whole-word matching
        self._publishers_of: LexicalIndex | None = None

    def refresh(self, force: bool = False) -> LexicalIndex:
        """The lexical index brought up to date with the store now (`force`: rebuilt from every chunk)."""
        return self.keeper.rebuild() if force else self.keeper.refresh()

    @property
    def index(self) -> LexicalIndex:
        """The lexical index, brought up to date first when another replica (or process) wrote to the
        store since it was last checked: each request sees every replica's ingests within CHECK_SECONDS."""
        return self.keeper.current()

    def named_publishers(self, query: str) -> set[str]:
        """Publishers of the store that the question names, as whole words, case-insensitively."""
        index = self.index
        if self._publishers_of is not index:
            self._publisher_words = {n: _words(n) for n in index.tables.publisher if len(n) >= 3}
            self._publishers_of = index
        padded = _words(query)
        return {name for name, words in self._publisher_words.items() if words in padded}

    def retrieve(self, query: Query, query_embedding: list[float]) -> list[Hit]:
        """Top `query.k` chunks for the query (whose embedding the caller computed once), best first:
        its filters applied to both halves, chunks in a date it names and from publishers it names boosted.
        Each hit carries its article (`Hit.article`); a chunk of an article version being replaced (an
        ingest under way) is left out."""
        filters, date_range, k = query.filters, query.date_range, query.k
        pool = max(4 * k, 30)
        where = filters.where()
        dense = self.store.dense_query(query_embedding, pool, where)
        lexical = self.index.top(query.search_text, pool, where)
        spans: dict[str, dict[str, Any]] = {}
        for cid, _, meta in dense:
            spans[cid] = {key: meta.get(key) for key in _SPAN}
        for found in lexical:
            spans.setdefault(found.chunk_id, {
                "article_id": found.article_id, "content_hash": found.content_hash, "start": found.start,
                "end": found.end, "date": iso_of(found.date_key), "publisher": found.publisher})
        fused: dict[str, dict[str, Any]] = {}
        ranked = (("dense", [(cid, sim) for cid, sim, _ in dense]),
                  ("lexical", [(f.chunk_id, f.score) for f in lexical]))
        for name, results in ranked:
            for rank, (cid, value) in enumerate(results, 1):
                entry = fused.setdefault(cid, {"score": 0.0, "ranks": {}, "dense": 0.0, "lexical": 0.0})
                entry["score"] += 1.0 / (RRF_K + rank)
                entry["ranks"][name] = rank
                entry[name] = value
        named = set(query.publishers)
        for cid, entry in fused.items():
            meta = spans[cid]
            if date_range and date_range.contains(meta.get("date") or None):
                entry["score"] += DATE_BOOST / (RRF_K + 1)
            if named and meta.get("publisher") in named:
                entry["score"] += PUBLISHER_BOOST / (RRF_K + 1)
        best = sorted(fused.items(), key=lambda kv: -kv[1]["score"])[:k]
        articles = self.store.get_articles(spans[cid]["article_id"] for cid, _ in best)
        hits = []
        for cid, entry in best:
            span = spans[cid]
            art = articles.get(str(span["article_id"]))
            if art is None or art.get("content_hash") != span["content_hash"]:
                continue
            start, end = int(span["start"]), int(span["end"])
            meta = {"article_id": art["id"], "title": art.get("title") or "", "date": art.get("date") or "",
                    "date_key": date_key(art.get("date")), "publisher": art.get("publisher") or "",
                    "content_hash": span["content_hash"], "start": start, "end": end}
            hits.append(Hit(cid, art["id"], art["text"][start:end], start, end, meta, dense=entry["dense"],
                            lexical=entry["lexical"], score=entry["score"], ranks=entry["ranks"], article=art))
        return hits


_SPAN = ("article_id", "content_hash", "start", "end", "date", "publisher")


def iso_of(key: int) -> str:
    """YYYY-MM-DD of a date key ("" for 0, no date)."""
    return f"{key // 10000:04d}-{key // 100 % 100:02d}-{key % 100:02d}" if key else ""


_WORD = re.compile(r"[\w.&-]+")


def _words(text: str) -> str:
    return " " + " ".join(w.strip(".-&") for w in _WORD.findall(fold(text))) + " "
