"""Incremental sync of article files into the store.

Each new or changed article is chunked, annotated (its sentences, their entities and stated
dates: `assistant.ingest.annotate`) and embedded (chunks and sentences) here, once; answering
then embeds nothing but the question.

Order of writes per batch of articles, so that a process killed at any point loses nothing
and leaves no duplicate once re-run: (1) upsert the new chunks and sentence rows (vector and
notes) under ids that include the content hash, (2) upsert the article record with the new
hash and the annotation version, (3) delete that article's chunks with any other hash and its
sentence rows that are not of the new set. A final sweep deletes chunks and sentence rows whose
article record is missing or carries another hash (orphans of a killed run). Re-running
converges to exactly one current set of chunks and sentences.

A stored article whose record names no annotation version, or an older one (a store ingested
before annotations), keeps its chunks and is re-annotated: its sentence rows are written (vectors
already stored by the answerer are reused), then its record names the version, so a kill there
converges on re-run too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from ..core.documents import Article, Chunk, SentenceNote
from ..core.errors import ArticleError
from ..core.settings import Settings
from ..core.text import sentence_spans
from ..index.store import ANNOTATION, ORIGIN, Store, now_iso, sentence_id
from .annotate import ANNOTATION_VERSION, Annotator, default_annotator
from .chunking import chunk_article
from .reading import SUPPORTED_EXTENSIONS, read_path

Progress = Callable[[int, int, str], None]  # done, total, what


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    sentences_embedded: int = 0  # sentence vectors computed (stored ones reused are not counted)
    articles_annotated: int = 0  # new, changed and re-annotated articles
    annotate_seconds: float = 0.0  # spaCy, of `seconds`
    embed_seconds: float = 0.0  # the embedding model (chunks and sentences), of `seconds`
    articles_total: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # files that could not be ingested
    notices: list[str] = field(default_factory=list)  # ingested, with a remark
    files_read: int = 0
    missing_roots: list[str] = field(default_factory=list)  # folders or files given that do not exist

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_total} in store "
            f"({self.articles_total} articles) in {self.seconds:.1f} s"
            + (f"; {self.articles_annotated} articles annotated, {self.sentences_embedded} sentences embedded"
               if self.articles_annotated else "")
            + (f"; {len(self.problems)} file(s) skipped" if self.problems else "")
        )

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"summary": self.summary()}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    label: str  # article id for single-article files: path relative to its base folder
    origin: str  # absolute path of the file (printable): which folder an article came from


OUTSIDE = "symlink points outside the corpus folder; not followed"
UPLOADS_PREFIX = "uploads/"  # ids of articles in the uploads folder start with this


def _printable(label: str) -> str:
    """A file name that is not valid UTF-8 (undecodable bytes arrive as surrogates) as printable text."""
    return label.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` (symlinks followed) lies in `folder`; a symlink loop counts as inside
    (reading it then fails with its own message)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # RuntimeError: "Symlink loop" (Python < 3.13)
        return True


def _absolute(path: Path) -> str:
    return _printable(os.path.abspath(path))


Bases = list[tuple[Path, str]]  # folders whose files get ids relative to them, with an id prefix each


def bases_of(settings: Settings) -> Bases:
    """The corpus folder (ids relative to it) and the uploads folder (ids under "uploads/")."""
    return [(Path(settings.corpus_dir), ""), (settings.uploads, UPLOADS_PREFIX)]


def sync_roots(settings: Settings) -> list[Path]:
    """What a full sync reads: the corpus folder, and the uploads folder once something was uploaded."""
    corpus, uploads = Path(settings.corpus_dir), settings.uploads
    return [corpus] + ([uploads] if uploads.is_dir() and not _inside(uploads, corpus) else [])


def _folder_label(folder: Path, bases: Bases) -> str | None:
    """Id prefix of files directly in `folder`: "" for the corpus folder, "sub/" for a folder in it,
    "uploads/" for the uploads folder; None for a folder outside every base."""
    absolute = Path(os.path.abspath(folder))
    try:
        real = absolute.parent.resolve() / absolute.name if absolute.name else absolute.resolve()
    except (OSError, RuntimeError):
        return None
    for base, tag in bases:
        root = base.resolve()
        if real == root:
            return tag
        if real.is_relative_to(root):
            return f"{tag}{real.relative_to(root).as_posix()}/"
    return None


def discover(paths: Iterable[Path], report: IngestReport, bases: Bases | None = None) -> list[SourceFile]:
    """Files under `paths` (recursively), refusing symlinks that leave their root.

    Ids (labels) are relative to the base folder holding a file (the corpus folder, or the uploads
    folder under "uploads/"), so a file added by path gets the same id a full sync gives it; files
    outside every base are labelled relative to the folder named."""
    problems = report.problems
    found: list[SourceFile] = []
    for root in paths:
        root = Path(root)
        if not root.exists() and not root.is_symlink():
            problems.append(f"{_printable(str(root))}: no such file or folder")
            report.missing_roots.append(str(root))
            continue
        if not root.is_dir():
            prefix = _folder_label(root.parent, bases or []) or ""
            found.append(_source(root, prefix + root.name, report))
            continue
        found += _walk(root, _folder_label(root, bases or []) or "", report)
    return found


def _walk(root: Path, prefix: str, report: IngestReport) -> list[SourceFile]:
    found: list[SourceFile] = []
    problems = report.problems
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink() and not d.startswith(".") and not _inside(here / d, real_root):
                rel = (here / d).relative_to(root).as_posix()
                problems.append(f"{_printable(prefix + rel)}: {OUTSIDE}")
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            label = prefix + path.relative_to(root).as_posix()
            if path.is_symlink() and not _inside(path, real_root):
                problems.append(f"{_printable(label)}: {OUTSIDE}")
                continue
            if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                problems.append(
                    f"{_printable(label)}: unsupported file type {path.suffix or '(none)'!r}; "
                    f"supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}"
                )
                continue
            found.append(_source(path, label, report))
    return found


def _source(path: Path, label: str, report: IngestReport) -> SourceFile:
    printable = _printable(label)
    if printable != label:
        report.notices.append(f"{printable}: file name is not valid UTF-8; stored under the name shown")
    return SourceFile(path, printable, _absolute(path))


def read_sources(
    files: list[SourceFile], max_bytes: int, report: IngestReport
) -> tuple[dict[str, Article], dict[str, str], set[str]]:
    """Articles by id, the file each came from (by id), and the labels of files that exist but
    could not be read (their stored articles are kept as they were)."""
    articles: dict[str, Article] = {}
    origins: dict[str, str] = {}
    failed: set[str] = set()
    for f in files:
        try:
            result = read_path(f.path, max_bytes=max_bytes)
        except ArticleError as exc:
            report.problems.append(f"{f.label}: {exc.reason}")
            failed.add(f.label)
            continue
        except Exception as exc:  # a reader failure on one odd file must not stop the others
            report.problems.append(f"{f.label}: could not be read ({type(exc).__name__}: {exc})")
            failed.add(f.label)
            continue
        report.files_read += 1
        report.notices += [_printable(n.replace(str(f.path), f.label)) for n in result.notices]
        for a in result.articles:
            aid = f.label if a.id == f.path.name else _printable(f"{f.label}{a.id[len(f.path.name):]}")
            article = Article(**(a.to_dict() | {"id": aid, "path": f.label}))
            if aid in articles:
                report.problems.append(f"{f.label}: duplicate article id {aid!r}; later copy skipped")
                continue
            articles[aid] = article
            origins[aid] = f.origin
    return articles, origins, failed


def sync(
    store: Store,
    embed_model: BaseEmbedding,
    settings: Settings,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    annotator: Annotator | None = None,
) -> IngestReport:
    """Make the store match the corpus and uploads folders, or, given `paths`, add and update those
    files and folders: an article whose file is gone from a folder named is removed too. Stored
    articles not annotated with this version are re-annotated (whatever `paths` names).

    `annotator` (default: the process-wide spaCy one, loaded only when there is work) makes the
    sentence notes."""
    t0 = time.perf_counter()
    report = IngestReport()
    if rebuild:
        store.reset()
    roots = sync_roots(settings) if paths is None else [Path(p) for p in paths]
    files = discover(roots, report, bases_of(settings))
    articles, origins, failed = read_sources(files, int(settings.max_file_mb * 1e6), report)

    records = store.article_records()
    todo = [a for aid, a in articles.items() if records.get(aid, {}).get("content_hash") != a.content_hash]
    report.unchanged = len(articles) - len(todo)
    new_ids = {a.id for a in todo if a.id not in records}
    # a full sync owns everything stored (unless a root is missing: then nothing is removed);
    # named folders own what came from under them; a file read fine owns the ids it no longer holds
    scopes = None if paths is None else [_absolute(p) for p in roots if p.is_dir()]
    if report.missing_roots and paths is None:
        scopes = []
    seen = {f.label for f in files}
    removed = [aid for aid, rec in records.items()
               if aid not in articles and (rec.get("path") or aid) not in failed
               and ((rec.get("path") or aid) in seen or _owned(_origin(rec, aid, settings), scopes))]

    version = annotator.version if annotator is not None else ANNOTATION_VERSION
    stale = _unannotated(store, records, articles, {a.id for a in todo} | set(removed), version, origins)
    if stale:
        report.notices.append(f"re-annotating {len(stale)} articles (annotation v{version})")
    work = [(a, chunk_article(a, settings.chunk_size, settings.chunk_overlap)) for a in todo]
    work += [(a, None) for a in stale]
    _embed_and_store(store, embed_model, settings, work, origins, report, progress, annotator, version)
    report.added = sum(1 for a in todo if a.id in new_ids)
    report.updated = len(todo) - report.added
    _sweep(store, set(removed))
    store.delete_articles(removed)
    report.removed = len(removed)

    report.articles_total, report.chunks_total = store.counts()
    report.seconds = time.perf_counter() - t0
    store.set_store_meta(last_ingest=now_iso(), last_summary=report.summary())
    return report


def _origin(record: dict[str, object], aid: str, settings: Settings) -> str:
    """The file an article was read from; records written before files were recorded are placed
    by their id (relative to the corpus folder, or to the uploads folder under "uploads/")."""
    if record.get(ORIGIN):
        return str(record[ORIGIN])
    label = str(record.get("path") or aid)
    if label.startswith(UPLOADS_PREFIX):
        return _absolute(settings.uploads / label[len(UPLOADS_PREFIX):])
    return _absolute(Path(settings.corpus_dir) / label)


def _owned(origin: str, scopes: list[str] | None) -> bool:
    if scopes is None:
        return True
    return any(origin.startswith(scope.rstrip(os.sep) + os.sep) for scope in scopes)


def _sweep(store: Store, stale_articles: set[str]) -> None:
    """Delete chunks and sentence vectors of removed articles and of versions no longer current
    (orphans of a killed run)."""
    current = store.article_records()

    def is_stale(aid: str, content_hash: str) -> bool:
        return aid in stale_articles or aid not in current or current[aid].get("content_hash") != content_hash

    store.delete_chunks([cid for cid, aid, h in store.chunk_index() if is_stale(aid, h)])
    store.delete_sentences([sid for sid, aid, h in store.sentence_index() if is_stale(aid, h)])


def _unannotated(
    store: Store, records: dict[str, dict[str, object]], articles: dict[str, Article], skip: set[str],
    version: int, origins: dict[str, str],
) -> list[Article]:
    """Stored articles whose sentences lack this annotation version (and that this sync neither
    re-chunks nor removes): as read now, else as stored (their file may be outside `paths`)."""
    ids = [aid for aid, rec in records.items() if aid not in skip and rec.get(ANNOTATION) != version]
    found = {aid: articles[aid] for aid in ids if aid in articles}
    missing = [aid for aid in ids if aid not in found]
    for first in range(0, len(missing), 200):
        for aid, served in store.get_articles(missing[first:first + 200]).items():
            fields = {k: served.get(k) for k in ("title", "date", "publisher", "url", "author", "path")}
            found[aid] = Article(id=aid, text=served["text"], **fields)
    out = []
    for aid in ids:
        article = found.get(aid)
        if article is None or article.content_hash != records[aid].get("content_hash"):
            continue  # not as stored (a record written by another version of the reader): left as it is
        if records[aid].get(ORIGIN) and aid not in origins:
            origins[aid] = str(records[aid][ORIGIN])
        out.append(article)
    return out


Work = tuple[Article, list[Chunk] | None]  # an article and its new chunks (None: its stored chunks stay)


def _embed_and_store(
    store: Store,
    embed_model: BaseEmbedding,
    settings: Settings,
    work: list[Work],
    origins: dict[str, str],
    report: IngestReport,
    progress: Progress | None,
    annotator: Annotator | None,
    version: int,
) -> None:
    total = sum(len(c) for _, c in work if c)
    done = 0
    if progress and total:
        progress(0, total, "")
    batch: list[Work] = []
    stored_chunks: dict[str, int] = {}  # chunk counts of articles only re-annotated

    def flush() -> None:
        nonlocal done, annotator
        if annotator is None:
            annotator = default_annotator()
        chunks = [c for _, cs in batch if cs for c in cs]
        t = time.perf_counter()
        notes = annotator.annotate_many([a for a, _ in batch])
        report.annotate_seconds += time.perf_counter() - t
        rows = _sentence_rows(store, batch, notes, stored_chunks)
        ids = [sentence_id(aid, h, note.start) for aid, h, note, _ in rows]
        reuse = _reusable(store, ids, rows)
        fresh = [n for n, sid in enumerate(ids) if sid not in reuse]
        texts = {a.id: a.text for a, _ in batch}
        t = time.perf_counter()
        vectors = embed_model.get_text_embedding_batch([c.embed_text for c in chunks]) if chunks else []
        new = embed_model.get_text_embedding_batch(
            [texts[rows[n][0]][rows[n][2].start:rows[n][2].end] for n in fresh]) if fresh else []
        report.embed_seconds += time.perf_counter() - t
        sentence_vectors = [reuse.get(sid) for sid in ids]
        for n, vec in zip(fresh, new):
            sentence_vectors[n] = vec
        # the writes in the crash-safe order, each for the whole batch (a write is a transaction:
        # one per article made ingest of many short articles a fifth slower than the model alone)
        store.add_chunks(chunks, vectors)
        store.add_annotated_sentences(rows, sentence_vectors, version)  # type: ignore[arg-type]
        store.upsert_articles([(a, len(cs) if cs is not None else stored_chunks[a.id]) for a, cs in batch],
                              origins, annotation=version)
        rechunked = [a.id for a, cs in batch if cs is not None]
        keep = {c.id for c in chunks}
        store.delete_chunks([cid for cid, _, _ in store.chunks_of(rechunked) if cid not in keep])
        # sentence rows of an earlier version, or written by the answerer for spans no longer made, go
        current = set(ids)
        store.delete_sentences([sid for sid, _, _ in store.sentences_of([a.id for a, _ in batch])
                                if sid not in current])
        done += len(chunks)
        report.chunks_embedded += len(chunks)
        report.sentences_embedded += len(fresh)
        report.articles_annotated += len(batch)
        if progress and total:
            progress(done, total, batch[-1][0].id)
        batch.clear()

    size = sentences = 0
    for item in work:
        batch.append(item)
        size += len(item[1] or ())
        sentences += len(sentence_spans(item[0].text))
        if size >= settings.embed_batch_size * 4 or sentences >= settings.embed_batch_size * 16:
            flush()
            size = sentences = 0
    if batch:
        flush()


def _sentence_rows(
    store: Store, batch: list[Work], notes: list[list[SentenceNote]], stored_chunks: dict[str, int]
) -> list[tuple[str, str, SentenceNote, bool]]:
    """(article id, content hash, note, piece) of every sentence row of the batch: each sentence, plus
    each part of an over-long sentence as a chunk holds it (the answerer reads a chunk's sentences
    with the same splitter, so it finds a stored vector for every one of them)."""
    spans: dict[str, list[tuple[int, int]]] = {a.id: [(c.start, c.end) for c in cs] for a, cs in batch if cs}
    kept = [a.id for a, cs in batch if cs is None]
    if kept:
        hashes = {a.id: a.content_hash for a, _ in batch}
        for aid, found in store.chunk_spans(kept).items():
            current = [(s, e) for h, s, e in found if h == hashes.get(aid)]
            spans[aid] = current
            stored_chunks[aid] = len(current)
        for aid in kept:
            stored_chunks.setdefault(aid, 0)
    rows: list[tuple[str, str, SentenceNote, bool]] = []
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


def _reusable(
    store: Store, ids: list[str], rows: list[tuple[str, str, SentenceNote, bool]]
) -> dict[str, list[float]]:
    """Vectors already stored for the same spans (by the answerer, or by a run killed before its
    records were written): not embedded again."""
    stored = store.sentence_rows(ids)
    out = {}
    for sid, (_, _, note, _) in zip(ids, rows):
        if sid in stored and stored[sid][0].get("end") == note.end:
            out[sid] = stored[sid][1]
    return out
