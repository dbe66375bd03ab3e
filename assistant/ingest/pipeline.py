"""Embedding and storing the work of a sync: chunks and annotated sentences, in the crash-safe order.

Texts (chunks and sentences) are embedded in batches that cut across articles, and each batch is
stored as soon as it is embedded. An article's record is written once every one of its chunks and
sentence rows is stored (the write order of `assistant.ingest.sync`), and its rows of other versions
are deleted right after. So a big article neither holds back the articles queued before it (they are
stored with the first batches) nor the progress, which moves after every batch. A kill loses no work:
the next run finds the chunks and sentence rows the killed one stored for an unfinished article (same ids,
same text) and embeds only the rest; its final sweep deletes whatever no record claims.

Progress counts texts (chunks and sentence rows). Its total is estimated from each article's sentences
before annotation and corrected as each article is queued, so it may grow a little while it runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..core.documents import Article, Chunk, SentenceNote
from ..core.settings import Settings
from ..core.text import sentence_spans
from ..index.embedding import Embedder
from ..index.store import Store, sentence_id
from .annotate import Annotator, default_annotator
from .report import IngestReport, Progress

Work = tuple[Article, list[Chunk] | None]  # an article and its new chunks (None: its stored chunks stay)
Row = tuple[str, str, SentenceNote, bool]  # a sentence row: article id, content hash, note, piece


@dataclass(eq=False)
class _Article:
    """An article on its way into the store: what is still to be embedded, what is stored already."""

    article: Article
    chunks: list[Chunk] | None
    rows: list[Row]
    vectors: list[list[float] | None]  # per row: reused ones known up front, fresh ones once embedded
    n_chunks: int
    ends: list[int]  # per row: where its embedded text ends (see `_embedded_ends`)
    stored: set[int] = field(default_factory=set)  # chunks a killed run stored already (same id and text)
    waiting: int = 0  # chunks and rows queued but not yet stored
    queuing: bool = True  # more of its texts are still to be queued
    fresh: set[int] = field(default_factory=set)  # rows embedded (and stored) by this run


class _Batches:
    """Texts queued across articles, embedded and stored a batch at a time."""

    def __init__(self, store: Store, embed_model: Embedder, settings: Settings, origins: dict[str, str],
                 report: IngestReport, progress: Progress | None, version: int, total: int) -> None:
        self.store, self.embed_model, self.origins = store, embed_model, origins
        self.report, self.progress, self.version = report, progress, version
        # one engine call of chunks (4.5 s for 16 chunks of 200 tokens on one core), so the first progress
        # comes a few seconds after the start, and a kill loses at most that much work
        self.max_chunks = max(1, settings.embed_batch_size)
        self.max_rows = max(1, settings.embed_batch_size * 4)  # design: a sentence is about a quarter of a chunk
        self.chunks: list[tuple[_Article, int]] = []
        self.rows: list[tuple[_Article, int]] = []
        self.done, self.total, self.reported = 0, total, 0
        self.queued: list[_Article] = []  # every article queued and not yet recorded, in order

    def queue(self, item: _Article, estimate: int) -> None:
        """Queue an article's chunks and fresh sentence rows (the batch is stored whenever it is full)."""
        reused = len(item.rows) - sum(1 for v in item.vectors if v is None) + len(item.stored)
        self.total += len(item.chunks or ()) + len(item.rows) - estimate
        self.done += reused
        self.queued.append(item)
        for n in range(len(item.chunks or ())):
            if n in item.stored:
                continue
            item.waiting += 1
            self.chunks.append((item, n))
            self._maybe_flush()
        for n, vec in enumerate(item.vectors):
            if vec is None:
                item.waiting += 1
                self.rows.append((item, n))
                self._maybe_flush()
        item.queuing = False
        if not item.waiting:
            self._record([item])

    def _maybe_flush(self) -> None:
        if len(self.chunks) >= self.max_chunks or len(self.rows) >= self.max_rows:
            self.flush()

    def flush(self) -> None:
        """Embed and store the queued texts, then record every article now complete."""
        chunks, rows, self.chunks, self.rows = self.chunks, self.rows, [], []
        t = time.perf_counter()
        chunk_vectors = self._embed([a.chunks[n].embed_text for a, n in chunks])  # type: ignore[index]
        row_vectors = self._embed([a.article.text[a.rows[n][2].start:a.ends[n]] for a, n in rows])
        self.report.embed_seconds += time.perf_counter() - t
        self.store.add_chunks([a.chunks[n] for a, n in chunks], chunk_vectors)  # type: ignore[index]
        self.store.add_annotated_sentences([a.rows[n] for a, n in rows], row_vectors, self.version)
        for (item, n), vec in zip(rows, row_vectors):
            item.vectors[n] = vec
            item.fresh.add(n)
        for item, _ in chunks + rows:
            item.waiting -= 1
        self.report.chunks_embedded += len(chunks)
        self.report.sentences_embedded += len(rows)
        self._record([a for a in self.queued if not a.waiting and not a.queuing])
        self.done += len(chunks) + len(rows)
        self.report_progress((chunks + rows)[-1][0].article.id if chunks or rows else "")

    def report_progress(self, what: str) -> None:
        """Tell `progress` how far it got, if it got further."""
        if self.progress and self.done > self.reported:
            self.reported = self.done
            self.progress(self.done, self.total, what)

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return self.embed_model.get_text_embedding_batch(texts) if texts else []

    def _record(self, complete: list[_Article]) -> None:
        """Reused sentence rows, then the records, then the rows of other versions: the crash-safe order."""
        if not complete:
            return
        done = {id(a) for a in complete}
        self.queued = [a for a in self.queued if id(a) not in done]
        reused = [(a, n) for a in complete for n in range(len(a.rows)) if n not in a.fresh]
        self.store.add_annotated_sentences([a.rows[n] for a, n in reused],
                                           [a.vectors[n] for a, n in reused], self.version)  # type: ignore[misc]
        self.store.upsert_articles([(a.article, a.n_chunks) for a in complete], self.origins,
                                   annotation=self.version)
        rechunked = [a for a in complete if a.chunks is not None]
        keep = {c.id for a in rechunked for c in a.chunks or ()}
        self.store.delete_chunks([cid for cid, _, _ in self.store.chunks_of([a.article.id for a in rechunked])
                                  if cid not in keep])
        # sentence rows of an earlier version, or written by the answerer for spans no longer made, go
        current = {sentence_id(aid, h, note.start) for a in complete for aid, h, note, _ in a.rows}
        self.store.delete_sentences([sid for sid, _, _ in self.store.sentences_of([a.article.id for a in complete])
                                     if sid not in current])
        self.report.articles_annotated += len(complete)


def embed_and_store(
    store: Store,
    embed_model: Embedder,
    settings: Settings,
    work: list[Work],
    origins: dict[str, str],
    report: IngestReport,
    progress: Progress | None,
    annotator: Annotator | None,
    version: int,
) -> None:
    """Annotate, embed and store `work` (see the module docstring for the order and the progress)."""
    sentences = [len(sentence_spans(a.text)) for a, _ in work]  # split once: the estimate and the groups
    estimates = [len(cs or ()) + n for (_, cs), n in zip(work, sentences, strict=True)]
    batches = _Batches(store, embed_model, settings, origins, report, progress, version, sum(estimates))
    if progress and work:
        progress(0, batches.total, "")
    n = 0
    # design: spaCy reads about 16 batches' worth of sentences at once (a few hundred), one long article alone
    for group in _groups(work, sentences, settings.embed_batch_size * 16):
        if annotator is None:
            annotator = default_annotator()
        t = time.perf_counter()
        notes = annotator.annotate_many([a for a, _ in group])
        report.annotate_seconds += time.perf_counter() - t
        stored_chunks: dict[str, int] = {}
        spans: dict[str, list[tuple[int, int]]] = {}
        rows = _sentence_rows(store, group, notes, stored_chunks, spans)
        reuse = _reusable(store, rows)
        stored = store.stored_chunk_texts([c.id for _, cs in group for c in cs or ()])
        by_article: dict[str, list[Row]] = {}
        for row in rows:
            by_article.setdefault(row[0], []).append(row)
        for article, chunks in group:
            mine = by_article.get(article.id, [])
            vectors = [reuse.get(sentence_id(aid, h, note.start)) for aid, h, note, _ in mine]
            n_chunks = len(chunks) if chunks is not None else stored_chunks[article.id]
            ends = _embedded_ends(mine, spans.get(article.id, []))
            kept = {i for i, c in enumerate(chunks or ()) if stored.get(c.id) == c.text}
            batches.queue(_Article(article, chunks, mine, vectors, n_chunks, ends, kept), estimates[n])
            n += 1
    batches.flush()
    batches.report_progress(work[-1][0].id if work else "")


def _groups(work: list[Work], sentences: list[int], max_sentences: int) -> Iterator[list[Work]]:
    """Consecutive articles of at most about `max_sentences` sentences in all (one article at least; each
    article's count in `sentences`), so spaCy reads several short articles at once and one long one alone."""
    group: list[Work] = []
    count = 0
    for item, n in zip(work, sentences, strict=True):
        group.append(item)
        count += n
        if count >= max_sentences:
            yield group
            group, count = [], 0
    if group:
        yield group


def _embedded_ends(rows: list[Row], spans: list[tuple[int, int]]) -> list[int]:
    """Where each row's embedded text ends: a sentence longer than the chunk that begins with it is embedded
    as that chunk holds it (the answerer reads it so, and its other parts are rows of their own), not
    whole: a 100 kB sentence without a full stop was one text of 25,000 tokens."""
    ends = []
    for _, _, note, _ in rows:
        holding = [ce for cs, ce in spans if cs <= note.start < ce]
        ends.append(min([note.end, *holding]))
    return ends


def _sentence_rows(
    store: Store, batch: list[Work], notes: list[list[SentenceNote]], stored_chunks: dict[str, int],
    spans: dict[str, list[tuple[int, int]]],
) -> list[Row]:
    """(article id, content hash, note, piece) of every sentence row of the batch: each sentence, plus
    each part of an over-long sentence as a chunk holds it (the answerer reads a chunk's sentences
    with the same splitter, so it finds a stored vector for every one of them). `spans` gets each
    article's chunk spans."""
    spans.update({a.id: [(c.start, c.end) for c in cs] for a, cs in batch if cs})
    kept = [a.id for a, cs in batch if cs is None]
    if kept:
        hashes = {a.id: a.content_hash for a, _ in batch}
        for aid, found in store.chunk_spans(kept).items():
            current = [(s, e) for h, s, e in found if h == hashes.get(aid)]
            spans[aid] = current
            stored_chunks[aid] = len(current)
        for aid in kept:
            stored_chunks.setdefault(aid, 0)
    rows: list[Row] = []
    for (article, _), article_notes in zip(batch, notes):
        h = article.content_hash
        rows += [(article.id, h, note, False) for note in article_notes]
        starts = {note.start for note in article_notes}
        for cs, ce in spans.get(article.id, []):
            for s, e in sentence_spans(article.text[cs:ce]):
                if cs + s not in starts:
                    starts.add(cs + s)
                    rows.append((article.id, h, _part(article_notes, cs + s, cs + e), True))
    return rows


def _part(notes: list[SentenceNote], start: int, end: int) -> SentenceNote:
    """The note of a part of a sentence: what of the whole sentence's note lies in it."""
    ents = tuple(e for n in notes for e in n.entities if start <= e.start and e.end <= end)
    dates = tuple(d for n in notes for d in n.dates if start <= d.start and d.end <= end)
    return SentenceNote(start, end, ents, dates)


def _reusable(store: Store, rows: list[Row]) -> dict[str, list[float]]:
    """Vectors already stored for the same spans (by the answerer, or by a run killed before its
    records were written), by sentence id: not embedded again."""
    ids = [sentence_id(aid, h, note.start) for aid, h, note, _ in rows]
    stored = store.sentence_rows(ids)
    out = {}
    for sid, (_, _, note, _) in zip(ids, rows):
        if sid in stored and stored[sid][0].get("end") == note.end:
            out[sid] = stored[sid][1]
    return out
