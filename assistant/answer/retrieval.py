"""Hybrid retrieval: dense search in Chroma + BM25, fused by reciprocal rank.

Filters (publisher, article ids, date range) apply to both halves. A date the
question names (see `dates.question_date_range`) boosts chunks dated inside it;
undated chunks are neither boosted nor dropped.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.documents import header_for
from ..core.settings import Settings
from ..core.text import fold
from ..index.lexical import LexicalIndex, signature
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


class HybridRetriever:
    """Owns the lexical index of one store and fuses it with Chroma's dense search."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.path = store.lexical_path()  # named by collection: a moved store folder keeps its index
        self._lock = threading.Lock()
        self._index: LexicalIndex | None = None
        self._metas: dict[str, dict[str, Any]] = {}
        self._publisher_words: dict[str, str] = {}  # publisher -> its words, padded for whole-word matching
        self._stamp: tuple[int, str] | None = None  # the store's change stamp the index was built at
        self._checked = 0.0  # monotonic time of the last change check

    def refresh(self, force: bool = False) -> LexicalIndex:
        """Load the persisted index, rebuilding it if it does not cover exactly the stored chunks."""
        with self._lock:
            self._stamp, self._checked = self.store.change_stamp(), time.monotonic()  # before reading: a write
            ids = self.store.chunks.get(include=[])["ids"] if not force else None  # meanwhile is seen next time
            if not force and self._index is not None and self._index.signature == signature(ids):
                return self._index
            index = None if force else LexicalIndex.load(self.path)
            if index is None or index.signature != signature(ids or []):
                all_ids, docs, metas = self.store.all_chunks()
                texts = [_lexical_text(d, m) for d, m in zip(docs, metas)]
                index = LexicalIndex.build(all_ids, texts)
                index.save(self.path)
                self._metas = dict(zip(all_ids, metas))
            else:
                _, _, metas = self.store.get_chunks(index.ids) if index.ids else ([], [], [])
                self._metas = dict(zip(index.ids, metas))
            self._index = index
            names = {m.get("publisher") for m in self._metas.values() if m.get("publisher")}
            self._publisher_words = {n: _words(n) for n in names if len(n) >= 3}
            return index

    @property
    def index(self) -> LexicalIndex:
        """The lexical index, rebuilt first when another replica (or process) wrote to the store since it
        was built: each request sees every replica's ingests within CHECK_SECONDS."""
        if self._index is None:
            return self.refresh()
        if time.monotonic() - self._checked < CHECK_SECONDS:
            return self._index
        self._checked = time.monotonic()
        stamp = self.store.change_stamp()
        if stamp == self._stamp:
            return self._index
        with self._lock:
            if stamp == self._stamp:  # another thread has rebuilt it meanwhile
                return self._index
        # rebuilt from the store's texts: an edit that keeps its chunk ids (a new title) changes them too
        return self.refresh(force=True)

    def named_publishers(self, query: str) -> set[str]:
        """Publishers of the store that the question names, as whole words, case-insensitively."""
        padded = _words(query)
        return {name for name, words in self._publisher_words.items() if words in padded}

    def retrieve(self, query: Query, query_embedding: list[float]) -> list[Hit]:
        """Top `query.k` chunks for the query (whose embedding the caller computed once), best first:
        its filters applied to both halves, chunks in a date it names and from publishers it names boosted."""
        filters, date_range, k = query.filters, query.date_range, query.k
        index = self.index
        pool = max(4 * k, 30)
        dense = self.store.dense_query(query_embedding, pool, filters.where())
        scores = index.scores(query.search_text)
        lexical: list[tuple[str, float]] = []
        if len(scores):
            order = np.argsort(-scores)
            for n in order[: pool * 4]:
                if scores[n] <= 0:
                    break
                cid = index.ids[n]
                if filters.allows(self._metas.get(cid, {})):
                    lexical.append((cid, float(scores[n])))
                if len(lexical) >= pool:
                    break
        fused: dict[str, dict[str, Any]] = {}
        for name, ranked in (("dense", dense), ("lexical", lexical)):
            for rank, (cid, value) in enumerate(ranked, 1):
                entry = fused.setdefault(cid, {"score": 0.0, "ranks": {}, "dense": 0.0, "lexical": 0.0})
                entry["score"] += 1.0 / (RRF_K + rank)
                entry["ranks"][name] = rank
                entry[name] = value
        named = set(query.publishers)
        for cid, entry in fused.items():
            meta = self._metas.get(cid) or {}
            if date_range and date_range.contains(meta.get("date") or None):
                entry["score"] += DATE_BOOST / (RRF_K + 1)
            if named and meta.get("publisher") in named:
                entry["score"] += PUBLISHER_BOOST / (RRF_K + 1)
        best = sorted(fused.items(), key=lambda kv: -kv[1]["score"])[:k]
        ids, docs, metas = self.store.get_chunks([cid for cid, _ in best])
        by_id = {cid: (d, m) for cid, d, m in zip(ids, docs, metas)}
        hits = []
        for cid, entry in best:
            if cid not in by_id:
                continue
            doc, meta = by_id[cid]
            hits.append(
                Hit(cid, meta["article_id"], doc, int(meta["start"]), int(meta["end"]), meta,
                    dense=entry["dense"], lexical=entry["lexical"], score=entry["score"], ranks=entry["ranks"])
            )
        return hits


def _lexical_text(doc: str, meta: dict[str, Any]) -> str:
    header = header_for(meta.get("title") or None, meta.get("publisher") or None)
    return f"{header}\n{doc}"


_WORD = re.compile(r"[\w.&-]+")


def _words(text: str) -> str:
    return " " + " ".join(w.strip(".-&") for w in _WORD.findall(fold(text))) + " "
