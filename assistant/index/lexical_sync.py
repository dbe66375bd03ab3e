"""Keeping a store's lexical index in step with the store, in every process that reads it.

A reader looks at the store's change stamp at most once per `check_seconds` (two small reads). When
it moved, the reader applies the changes announced since the last one its index applied (see
`replicas`): it reads again, from the store, the chunks of the articles they name, and saves the
index. A change still under way (or whose writer was killed) is applied as far as it got and again
at the next check, because the index records the change before it as the last one applied.

It rebuilds the whole index, from every chunk (a page of ids at a time), when it has none or cannot
read it, when a change names "everything" (a rebuild of the store), when the changes it needs are no
longer logged, when the delta has grown past its share, or as a last check, when with nothing under
way it does not cover as many chunks as the store holds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.documents import header_for
from .lexical import ChunkRow, LexicalFiles, LexicalIndex

log = logging.getLogger(__name__)


def lexical_text(text: str, meta: dict[str, Any]) -> str:
    """What the index reads of a chunk: its article's headline and publisher above its text."""
    return f"{header_for(meta.get('title') or None, meta.get('publisher') or None)}\n{text}"


def row_of(chunk_id: str, text: str, meta: dict[str, Any]) -> ChunkRow:
    return ChunkRow.from_store(chunk_id, lexical_text(text, meta), meta)


class LexicalKeeper:
    """One store's lexical index, loaded once and kept in step (thread-safe)."""

    def __init__(self, store: Any, check_seconds: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.files = LexicalFiles(store.lexical_folder())
        self.check_seconds = check_seconds
        self.monotonic = monotonic
        self._index: LexicalIndex | None = None
        self._stamp: tuple[int, str] | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()
        self.rebuilds = 0  # how many times this keeper rebuilt the whole index (for tests and benchmarks)

    @property
    def folder(self) -> Any:
        return self.files.folder

    def current(self) -> LexicalIndex:
        """The index, brought up to date first when the store changed (checked at most once per
        `check_seconds`)."""
        index = self._index
        if index is not None and self.monotonic() - self._checked < self.check_seconds:
            return index
        self._checked = self.monotonic()
        if index is not None and self.store.change_stamp() == self._stamp:
            return index
        return self.refresh()

    def refresh(self) -> LexicalIndex:
        """Load the index if needed and apply every change the store announced since."""
        with self._lock:
            self._stamp, self._checked = self.store.change_stamp(), self.monotonic()  # before reading: a
            index = self._index or self.files.load()  # change made meanwhile moves it again
            if index is None or self.store.last_change() < index.seq:
                return self._rebuild("no usable saved index" if index is None else "the store was replaced")
            changes = self.store.changes_since(index.seq)
            if changes is None:
                return self._rebuild("the changes since it was saved are no longer logged")
            if any(c.articles is None for c in changes):
                return self._rebuild("the store was rebuilt or changed wholesale")
            if changes:
                named = set().union(*(c.articles for c in changes))
                index.replace_articles(named, [row_of(*r) for r in self.store.chunk_texts_of(sorted(named))])
                unfinished = [c.seq for c in changes if not c.done]
                index.seq = unfinished[0] - 1 if unfinished else changes[-1].seq
                if index.needs_compaction():
                    return self._rebuild(None)
                self.files.save(index, base_changed=False)
            if not any(not c.done for c in changes) and index.size != self._stamp[0]:
                count = self.store.chunks.count()  # read again: a write may have finished meanwhile
                if index.size != count:
                    return self._rebuild(f"it covers {index.size} chunks, the store holds {count}")
            self._index = index
            return index

    def rebuild(self) -> LexicalIndex:
        with self._lock:
            return self._rebuild(None)

    def _rebuild(self, why: str | None) -> LexicalIndex:
        if why:
            log.info("rebuilding the lexical index of %s: %s", self.store.location, why)
        unfinished = self.store.unfinished_changes()
        seq = unfinished[0] - 1 if unfinished else self.store.last_change()
        rows = [row_of(cid, text, meta) for ids, metas, texts in self.store.chunk_pages()
                for cid, meta, text in zip(ids, metas, texts, strict=True)]
        index = LexicalIndex.build(rows, seq)
        self.files.save(index, base_changed=True)
        self._index = index
        self.rebuilds += 1
        return index
