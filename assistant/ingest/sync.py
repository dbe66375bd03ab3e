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
converges to exactly one current set of chunks and sentences. Before (1) the sync announces the
articles it touches (the change log of `assistant.index.replicas`), so every reader's lexical index
reads their chunks again, and a run that finds a change announced and never finished (a killed
writer) sweeps the whole store; otherwise it reads only the rows of the articles it touches.

A stored article whose record names no annotation version, or an older one (a store ingested
before annotations), keeps its chunks and is re-annotated: its sentence rows are written (vectors
already stored by the answerer are reused), then its record names the version, so a kill there
converges on re-run too.

What a sync removes: a full sync owns the corpus and uploads folders, a named folder what came from
under it, a named file the ids it held. A folder that holds no article file at all, or has lost more
than half of at least `MASS_MIN` stored articles, looks the same as an unmounted share or a folder
emptied by mistake: its removals are held, with a line saying so, unless `allow_empty`. An article
ingested by path from outside both folders is kept by a full sync while its file exists, and removed
with a notice once it is gone.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..core.documents import Article
from ..core.settings import Settings
from ..index.embedding import Embedder
from ..index.store import ANNOTATION, ORIGIN, Store, now_iso
from .annotate import ANNOTATION_VERSION, Annotator
from .chunking import chunk_article
from .discovery import (  # noqa: F401 - re-exported: where callers have always found them
    UPLOADS_PREFIX,
    SourceFile,
    _absolute,
    _printable,
    bases_of,
    discover,
    read_sources,
    sync_roots,
)
from .pipeline import embed_and_store
from .report import IngestReport, Progress

# store meta key: the annotation version every article had after the last sync, which saw them all (a
# full sync lists every record; a sync of named files also reads those of any other version)
ANNOTATED = "annotated"
MASS_MIN = 4  # "lost more than half" is judged on folders of at least this many stored articles

def sync(
    store: Store,
    embed_model: Embedder,
    settings: Settings,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    annotator: Annotator | None = None,
    allow_empty: bool = False,
) -> IngestReport:
    """Make the store match the corpus and uploads folders, or, given `paths`, add and update those
    files and folders: an article whose file is gone from a folder named is removed too (unless the
    folder looks unmounted, see the module docstring; `allow_empty` removes all the same). Stored
    articles not annotated with this version are re-annotated (whatever `paths` names).

    `annotator` (default: the process-wide spaCy one, loaded only when there is work) makes the
    sentence notes."""
    t0 = time.perf_counter()
    report = IngestReport()
    if rebuild:
        store.reset()
    roots = sync_roots(settings) if paths is None else [Path(p) for p in paths]
    files = discover(roots, report, bases_of(settings))
    articles, origins, failed = read_sources(files, int(settings.max_file_mb * 1e6), report,
                                             settings.max_article_tokens)

    records = _records(store, paths, articles, files, annotator.version if annotator else ANNOTATION_VERSION)
    todo = [a for aid, a in articles.items() if records.get(aid, {}).get("content_hash") != a.content_hash]
    report.unchanged = len(articles) - len(todo)
    new_ids = {a.id for a in todo if a.id not in records}
    removed = _to_remove(records, set(articles), files, failed, None if paths is None else roots, settings, report,
                         allow_empty)

    version = annotator.version if annotator is not None else ANNOTATION_VERSION
    stale = _unannotated(store, records, articles, {a.id for a in todo} | set(removed), version, origins)
    if stale:
        report.notices.append(f"re-annotating {len(stale)} articles (annotation v{version})")
    interrupted = bool(store.unfinished_changes())  # a writer was killed: its orphans may be anywhere
    if todo or removed:
        store.announce([a.id for a in todo] + removed)  # readers of the lexical index re-read these
    work = [(a, chunk_article(a, settings.chunk_size, settings.chunk_overlap)) for a in todo]
    work += [(a, None) for a in stale]
    embed_and_store(store, embed_model, settings, work, origins, report, progress, annotator, version)
    report.added = sum(1 for a in todo if a.id in new_ids)
    report.updated = len(todo) - report.added
    if interrupted:
        _sweep(store, set(removed))
    else:
        _remove_rows(store, removed)
    store.delete_articles(removed)
    report.removed = len(removed)

    report.articles_total, report.chunks_total = store.counts()
    report.seconds = time.perf_counter() - t0
    store.set_store_meta(last_ingest=now_iso(), last_summary=report.summary(), **{ANNOTATED: version})
    return report


def _records(store: Store, paths: list[Path] | None, articles: dict[str, Article], files: list[SourceFile],
             version: int) -> dict[str, dict[str, object]]:
    """The stored records this sync reads: every one for a full sync or a named folder; for named files
    only those of the articles read, of those files, and of articles not annotated with this version
    (three indexed reads, so adding one article to a large store reads no list of every article). The
    last is skipped when the store says every article was annotated with this version at its last sync
    (`ANNOTATED`): a `$ne` filter scans every record (0.3 s at 100,000 articles, benchmarks/scale.py)."""
    if paths is None or any(p.is_dir() for p in paths):
        return store.article_records()
    labels = sorted({f.label for f in files})
    stale = None if store.store_meta().get(ANNOTATED) == version else {ANNOTATION: {"$ne": version}}
    return store.records_where(list(articles) + labels, [{"path": {"$in": labels}} if labels else None, stale])


def _origin(record: dict[str, object], aid: str, settings: Settings) -> str:
    """The file an article was read from; records written before files were recorded are placed
    by their id (relative to the corpus folder, or to the uploads folder under "uploads/")."""
    if record.get(ORIGIN):
        return str(record[ORIGIN])
    label = str(record.get("path") or aid)
    if label.startswith(UPLOADS_PREFIX):
        return _absolute(settings.uploads / label[len(UPLOADS_PREFIX):])
    return _absolute(Path(settings.corpus_dir) / label)


OUTSIDE_PREFIX = "../"  # ids of articles ingested by path from outside the corpus and uploads folders
Group = tuple[str, set[str], bool]  # a folder, the stored articles it owns, whether it holds any article file


def _to_remove(records: dict[str, dict[str, object]], read: set[str], files: list[SourceFile], failed: set[str],
               named: list[Path] | None, settings: Settings, report: IngestReport, allow_empty: bool) -> list[str]:
    """The stored articles this sync removes. A full sync (`named` None) owns every article but those ingested
    by path from outside (ids "../..."), which it keeps while their file exists; nothing when a root is
    missing. Named folders own what came from under them; a file read fine owns the ids it no longer holds.
    Removals from a folder that looks unmounted are held (see the module docstring)."""
    seen = {f.label for f in files}

    def gone(aid: str, rec: dict[str, object]) -> bool:
        return aid not in read and str(rec.get("path") or aid) not in failed

    if named is None:
        if report.missing_roots:
            return []
        removed = [aid for aid, rec in records.items() if gone(aid, rec) and not aid.startswith(OUTSIDE_PREFIX)]
        removed += _gone_outside(records, read, settings, report)
        groups = [(_absolute(folder), {aid for aid in records if _base(aid) == base},
                   any(_base(label) == base for label in seen))
                  for folder, base in ((Path(settings.corpus_dir), ""), (settings.uploads, UPLOADS_PREFIX))]
    else:
        scopes = [_absolute(p) for p in named if p.is_dir()]
        removed = [aid for aid, rec in records.items() if gone(aid, rec) and (
            str(rec.get("path") or aid) in seen or _owned(_origin(rec, aid, settings), scopes))]
        groups = [(scope, {aid for aid, rec in records.items() if _owned(_origin(rec, aid, settings), [scope])},
                   any(_owned(f.origin, [scope]) for f in files)) for scope in scopes]
    return removed if allow_empty else _hold_mass_removal(removed, groups, report)


def _base(aid: str) -> str:
    """Which folder a full sync reads an id from: "uploads/" (the uploads folder), "../" (outside both,
    ingested by path) or "" (the corpus folder)."""
    return next((p for p in (UPLOADS_PREFIX, OUTSIDE_PREFIX) if aid.startswith(p)), "")


def _owned(origin: str, scopes: list[str]) -> bool:
    return any(origin.startswith(scope.rstrip(os.sep) + os.sep) for scope in scopes)


def _gone_outside(records: dict[str, dict[str, object]], read: set[str], settings: Settings,
                  report: IngestReport) -> list[str]:
    """Articles ingested by path from outside the corpus and uploads folders whose file is gone: a full
    sync removes them, saying so (while the file exists they are kept: the sync was never given it)."""
    out = []
    for aid, rec in records.items():
        if aid.startswith(OUTSIDE_PREFIX) and aid not in read and not os.path.lexists(_origin(rec, aid, settings)):
            out.append(aid)
            report.notices.append(f"{_printable(aid)}: ingested by path from outside the corpus folder, and its "
                                  "file is gone; removed")
    return out


def _hold_mass_removal(removed: list[str], groups: list[Group], report: IngestReport) -> list[str]:
    """`removed`, less the removals from a folder that holds no article file or lost more than half of at
    least MASS_MIN stored articles (each such folder is named in a problem line)."""
    held: set[str] = set()
    for folder, owned, has_files in groups:
        gone = [aid for aid in removed if aid in owned and aid not in held]
        if gone and (not has_files or (len(owned) >= MASS_MIN and 2 * len(gone) > len(owned))):
            held.update(gone)
            what = "holds no article files" if not has_files else f"has lost {len(gone)} of its {len(owned)} articles"
            report.problems.append(
                f"{folder}: the folder {what}, so none was removed from the store (an unmounted or emptied "
                f"folder looks like this); run `assistant ingest --allow-empty` to remove them")
    return [aid for aid in removed if aid not in held]


def _remove_rows(store: Store, removed: list[str]) -> None:
    """Delete the chunks and sentence rows of removed articles (found by article: no scan of the store)."""
    store.delete_chunks([cid for cid, _, _ in store.chunks_of(removed)])
    store.delete_sentences([sid for sid, _, _ in store.sentences_of(removed)])


def _sweep(store: Store, stale_articles: set[str]) -> None:
    """Delete chunks and sentence vectors of removed articles and of versions no longer current
    (orphans of a killed run: done only after one, as it reads every row of the store)."""
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
