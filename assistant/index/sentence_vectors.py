"""Sentence vectors shared through the store: each sentence is embedded once for every process.

Ingest embeds and stores every sentence (`assistant.ingest.sync`), so for an ingested store they
are looked up in memory, else in the store's sentence collection, and answering embeds nothing but
the question. Only a store ingested before that (not yet upgraded by the next ingest) lacks them:
then they are embedded now and written back (so CLI runs, replicas and the chat app share them),
and `embedded` counts them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..core.text import sentence_spans
from .store import sentence_id

log = logging.getLogger(__name__)


class SentenceLike(Protocol):
    """What a sentence must carry to be looked up: its article, that article's record and its span."""

    article_id: str
    start: int
    end: int
    text: str
    meta: dict[str, Any]


class SentenceVectors:
    """Vectors of article sentences: memory, then the store, then the embedding model."""

    # design: 20,000 vectors are 30 MB; answering hands in the vectors of the articles it reads
    # (`prime`), so the cache only spares re-reading the articles of recent questions
    def __init__(self, embed_model: Any, store: Any = None, max_items: int = 20_000) -> None:
        self.embed_model = embed_model
        self.store = store
        self.max_items = max_items
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.embedded = 0  # sentences this instance had to embed (none once the store is annotated)

    def prime(self, vectors: dict[str, Any]) -> None:
        """Vectors read from the store by the caller (with the sentence notes, in one read), by sentence id."""
        with self._lock:
            if len(self._cache) + len(vectors) > self.max_items:
                self._cache.clear()
            self._cache.update({k: np.asarray(v, dtype=np.float32) for k, v in vectors.items()})

    def vectors(self, sentences: list[SentenceLike]) -> np.ndarray:
        keys = [sentence_id(s.article_id, str(s.meta.get("content_hash", "")), s.start) for s in sentences]
        with self._lock:
            missing = {k: s for k, s in zip(keys, sentences) if k not in self._cache}
        found: dict[str, Any] = self.store.sentence_vectors(list(missing)) if missing and self.store else {}
        todo = [k for k in missing if k not in found]
        if todo:
            log.debug("embedding %d sentences without a stored vector", len(todo))
            fresh = self.embed_model.get_text_embedding_batch([missing[k].text for k in todo])
            with self._lock:
                self.embedded += len(todo)
            found.update(zip(todo, fresh))
            self._write_back([missing[k] for k in todo], todo, fresh)
        with self._lock:
            if len(self._cache) + len(found) > self.max_items:
                self._cache.clear()
            self._cache.update({k: np.asarray(v, dtype=np.float32) for k, v in found.items()})
            return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, 1), np.float32)

    def _write_back(self, sentences: list[SentenceLike], keys: list[str], vectors: list[list[float]]) -> None:
        if self.store is None:
            return
        rows = [(k, s.article_id, str(s.meta.get("content_hash", "")), s.start, s.end)
                for k, s in zip(keys, sentences)]
        try:
            self.store.add_sentences(rows, vectors)
        except Exception as exc:  # a read-only store still answers; the vectors stay in memory
            log.warning("could not store sentence vectors: %s", exc)


@dataclass(frozen=True)
class _Span:
    article_id: str
    start: int
    end: int
    text: str
    meta: dict[str, Any]


def embed_missing(store: Any, vectors: SentenceVectors, batch: int = 16, page: int = 200) -> int:
    """Embed every stored article's sentences that have no stored vector yet, a few at a time;
    returns how many were embedded. Articles are read a page at a time."""
    stored = {sid for sid, _, _ in store.sentence_index()}
    done = 0
    ids = list(store.article_records())
    for first in range(0, len(ids), page):
        for aid, article in store.get_articles(ids[first:first + page]).items():
            text, content_hash = article["text"], article.get("content_hash", "")
            todo = [(s, e) for s, e in sentence_spans(text) if sentence_id(aid, content_hash, s) not in stored]
            for i in range(0, len(todo), batch):
                vectors.vectors([_Span(aid, s, e, text[s:e], article) for s, e in todo[i:i + batch]])
                done += len(todo[i:i + batch])
    return done
