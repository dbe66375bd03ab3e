"""The Chroma store: one collection of chunks (with embeddings), one of articles, one of sentences.

Sentence rows (one vector per sentence, written at ingest) carry the sentence's notes: its
entities and the dates it states (`SentenceNote`, as compact JSON), with the annotation version
that made them; the article record names that version too (`ANNOTATION`).

Embedded (`PersistentClient` under store_dir) by default; a Chroma server via
`HttpClient` when `chroma_url` is set. Everything else is the same code path.
The chunk collection records the embedding model it was built with.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..core.documents import Article, Chunk, SentenceNote
from ..core.errors import StoreError, StoreMismatchError
from ..core.settings import Settings
from .damage import Guarded, chroma_path, failure_message, guarded, is_failure

META_ID = "__store__"
ORIGIN = "origin"  # article record key: the absolute path of its file (for sync only; never served)
ANNOTATION = "annotation"  # article record and sentence row key: the annotation version of its sentence notes
PIECE = "piece"  # sentence row key: a part of an over-long sentence, as a chunk holds it (vector only)
_SYNC_ONLY = (ORIGIN, ANNOTATION)
# what an article states, served with null when it does not state it (Article's optional fields)
_STATED = ("title", "date", "publisher", "url", "author", "path")
# Ids per `get`/`delete` call and records per write: SQLite refuses a statement of more than 32,766
# variables, and one call with every id of a store of more than ~32,760 chunks failed with
# "too many SQL variables"; pages of 2,000 keep each call far under it at no measurable cost.
_PAGE = 2000


def open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises bare Exceptions for connection errors
            raise StoreError(f"Chroma server {settings.chroma_url} is unreachable: {exc}") from None
    path = chroma_path(settings)
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except BaseException as exc:
        if isinstance(exc, Exception) or is_failure(exc):
            raise StoreError(failure_message(settings, exc)) from None
        raise


class Store:
    """Chunks, article records and sentence rows (vectors and notes) of one corpus."""

    def __init__(self, settings: Settings, embed_model_name: str, embed_dim: int) -> None:
        self.settings = settings
        self.model_name = embed_model_name
        self.dim = embed_dim
        self.client = open_client(settings)
        self.location = settings.chroma_url or str(Path(settings.store_dir) / "chroma")
        self.mismatch: StoreMismatchError | None = None
        self._open()

    # A store built with another embedding model opens, but every use of it raises
    # StoreMismatchError, except `reset()` (what `ingest --rebuild` does), which cures it.
    @property
    def chunks(self) -> Any:
        if self.mismatch is not None:
            raise self.mismatch
        return self._chunks

    @property
    def articles(self) -> Any:
        if self.mismatch is not None:
            raise self.mismatch
        return self._articles

    @property
    def sentences(self) -> Any:
        """One vector per sentence of every article, with its notes, written at ingest (a store
        ingested before annotations gets them from the answerer or `Assistant.warm_up` until the
        next ingest upgrades it), so each sentence is embedded once for every process."""
        if self.mismatch is not None:
            raise self.mismatch
        return self._sentences

    def _open(self) -> None:
        name = self.settings.collection
        vectors = {"configuration": {"hnsw": {"space": "cosine"}},
                   "metadata": {"embedding_model": self.model_name, "embedding_dim": self.dim}}
        try:
            self._chunks = self._collection(f"{name}_chunks", **vectors)
            self._articles = self._collection(f"{name}_articles")
            self._sentences = self._collection(f"{name}_sentences", **vectors)
            self._control = self._collection(f"{name}_control")  # replicas: writer lease, change stamp
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open collection {name!r} at {self.location}: {exc}") from None
        built_with = (self._chunks.metadata or {}).get("embedding_model")
        self.mismatch = None
        if built_with != self.model_name:
            self.mismatch = StoreMismatchError(
                f"the store at {self.location} was built with embedding model {built_with!r}, "
                f"not {self.model_name!r}: rebuild it with `assistant ingest --rebuild`"
            )

    def writer_lease(self) -> Any:
        """The context every write to the store runs in: one writer at a time across the replicas that
        share it (see `replicas`); leaving it tells the other replicas the store changed."""
        from .replicas import WriterLease

        return WriterLease(self._control, self.location)

    def change_stamp(self) -> tuple[int, str]:
        """(chunk count, change stamp): two small reads that move when any replica writes, so a reader
        can see another replica's ingest without listing ids."""
        from .replicas import read_stamp

        try:
            return self.chunks.count(), read_stamp(self._control)
        except StoreError as exc:
            if type(exc.__context__).__name__ != "NotFoundError":
                raise
        self._open()  # another replica rebuilt the store: its collections are new ones
        return self.chunks.count(), read_stamp(self._control)

    def lexical_folder(self) -> Path:
        """Where the lexical index of this store is cached: under store_dir, named by the collection (and
        by the server's URL for a server), never by an absolute path, so a store folder that is moved
        keeps its index. Files of former formats (one JSON file) are removed."""
        folder = Path(self.settings.store_dir) / "lexical"
        collection = self.settings.collection
        if self.settings.chroma_url:
            import hashlib

            server = hashlib.sha1(self.settings.chroma_url.encode()).hexdigest()[:10]
            name = f"server-{server}-{collection}"
        else:
            name = f"local-{collection}"
        for old in folder.glob(f"*-{collection}.json"):
            if old.is_file() and re.fullmatch(rf"([0-9a-f]{{10}}|local|server-[0-9a-f]{{10}})-{re.escape(collection)}"
                                              r"\.json", old.name):
                old.unlink(missing_ok=True)
        return folder / name

    # --- the change log (see replicas) ------------------------------------------------------------
    def announce(self, article_ids: Iterable[str] | None) -> int:
        """Tell readers the chunks of these articles (None: of any) are about to change (under the lease)."""
        from .replicas import announce

        return announce(self._control, article_ids)

    def changes_since(self, seq: int) -> Any:
        from .replicas import changes_since

        return changes_since(self._control, seq)

    def changes_of(self, seqs: Iterable[int]) -> Any:
        from .replicas import changes_of

        return changes_of(self._control, seqs)

    def last_change(self) -> int:
        from .replicas import last_change

        return last_change(self._control)

    def unfinished_changes(self) -> list[int]:
        """Changes announced and not finished: under way, or their writer was killed (then its orphans
        may be anywhere)."""
        from .replicas import unfinished

        return unfinished(self._control)

    def _collection(self, name: str, **options: Any) -> Guarded:
        get = guarded(self.settings, self.client.get_or_create_collection)
        return Guarded(get(name, embedding_function=None, **options), self.settings)

    def reset(self) -> None:
        """Drop the collections and recreate them empty (for --rebuild); readers are told to rebuild."""
        self.announce(None)
        for suffix in ("chunks", "articles", "sentences"):
            from chromadb.errors import NotFoundError

            try:
                guarded(self.settings, self.client.delete_collection)(f"{self.settings.collection}_{suffix}")
            except StoreError as exc:
                if not isinstance(exc.__context__, NotFoundError):  # absent already is fine
                    raise
        self._open()

    # --- articles ---------------------------------------------------------------------------
    def article_records(self) -> dict[str, dict[str, Any]]:
        """article id -> stored metadata (content_hash, title, ...), without texts."""
        out: dict[str, dict[str, Any]] = {}
        for ids, metas, _ in self._pages(self.articles, ["metadatas"]):
            out.update({i: m for i, m in zip(ids, metas, strict=True) if i != META_ID})
        return out

    def records_where(self, ids: list[str], wheres: list[dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
        """The records (as `article_records`) of these ids and of those that pass any of `wheres`."""
        out: dict[str, dict[str, Any]] = {}
        for got in _by_ids(self.articles, [i for i in dict.fromkeys(ids) if i != META_ID], ["metadatas"]):
            out.update({i: m or {} for i, m in zip(got["ids"], got["metadatas"], strict=True)})
        for where in filter(None, wheres):
            got = self.articles.get(where=where, include=["metadatas"])
            out.update({i: m or {} for i, m in zip(got["ids"], got["metadatas"], strict=True) if i != META_ID})
        return out

    def upsert_article(self, article: Article, n_chunks: int) -> None:
        self.upsert_articles([(article, n_chunks)])

    def upsert_articles(
        self, items: list[tuple[Article, int]], files: dict[str, str] | None = None, annotation: int | None = None
    ) -> None:
        """Article records (with their chunk counts, the file each was read from and the version of the
        annotation of their stored sentences), one write per page."""
        files = files or {}
        for i in range(0, len(items), _PAGE):
            page = items[i:i + _PAGE]
            metas = []
            for article, n_chunks in page:
                # unstated fields are written as None, which removes them: an upsert merges metadata, so an
                # edited article that lost its headline or date would otherwise keep the old one
                meta = {k: v for k, v in article.to_dict().items() if k not in ("id", "text")}
                meta |= {"content_hash": article.content_hash, "n_chunks": n_chunks}
                if files.get(article.id):
                    meta[ORIGIN] = files[article.id]
                meta[ANNOTATION] = annotation  # None removes it (an upsert keeps the keys it is not given)
                metas.append(meta)
            self.articles.upsert(
                ids=[a.id for a, _ in page], embeddings=[[1.0]] * len(page),
                documents=[a.text for a, _ in page], metadatas=metas,
            )

    def delete_articles(self, ids: list[str]) -> None:
        _delete(self.articles, ids)

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        got = self.articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not got["ids"] or article_id == META_ID:
            return None
        return _served(article_id, got["documents"][0], got["metadatas"][0])

    def get_articles(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = [i for i in dict.fromkeys(ids) if i != META_ID]
        out: dict[str, dict[str, Any]] = {}
        for got in _by_ids(self.articles, ids, ["documents", "metadatas"]):
            rows = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            out.update({i: _served(i, d, m) for i, d, m in rows})
        return out

    def store_meta(self) -> dict[str, Any]:
        got = self.articles.get(ids=[META_ID], include=["metadatas"])
        return dict(got["metadatas"][0] or {}) if got["ids"] else {}

    def set_store_meta(self, **values: Any) -> None:
        meta = self.store_meta() | values
        self.articles.upsert(ids=[META_ID], embeddings=[[1.0]], documents=[""], metadatas=[meta])

    # --- chunks -----------------------------------------------------------------------------
    def chunk_index(self) -> list[tuple[str, str, str]]:
        """(chunk id, article id, content hash) for every stored chunk."""
        return self._index_of(self.chunks)

    def add_chunks(self, chunks: list[Chunk], embeddings: list[list[float]]) -> None:
        """Chunks with their vectors, in one write per page (each write is a transaction)."""
        for i in range(0, len(chunks), _PAGE):
            page = chunks[i:i + _PAGE]
            self.chunks.upsert(
                ids=[c.id for c in page],
                embeddings=embeddings[i:i + _PAGE],
                documents=[c.text for c in page],
                metadatas=[c.metadata for c in page],
            )

    def stored_chunk_texts(self, ids: list[str]) -> dict[str, str]:
        """chunk id -> stored text, of the chunks among `ids` that are stored (with their vectors)."""
        out: dict[str, str] = {}
        for got in _by_ids(self.chunks, ids, ["documents"]):
            out.update(zip(got["ids"], got["documents"], strict=True))
        return out

    def chunks_of(self, article_ids: list[str]) -> list[tuple[str, str, str]]:
        """(chunk id, article id, content hash) of every stored chunk of these articles."""
        return _rows_of(self.chunks, article_ids)

    def chunk_texts_of(self, article_ids: Iterable[str]) -> list[tuple[str, str, dict[str, Any]]]:
        """(chunk id, text, metadata) of every stored chunk of these articles."""
        out: list[tuple[str, str, dict[str, Any]]] = []
        for got in _by_articles(self.chunks, list(dict.fromkeys(article_ids)), ["documents", "metadatas"]):
            out += [(i, d, m or {}) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
        return out

    def chunk_pages(self) -> Iterator[tuple[list[str], list[dict[str, Any]], list[str]]]:
        """Every stored chunk, a page at a time: (ids, metadatas, texts)."""
        return iter(self._pages(self.chunks, ["metadatas", "documents"]))

    def chunk_spans(self, article_ids: list[str]) -> dict[str, list[tuple[str, int, int]]]:
        """article id -> (content hash, start, end) of each of its stored chunks."""
        out: dict[str, list[tuple[str, int, int]]] = {}
        for got in _by_articles(self.chunks, article_ids):
            for m in got["metadatas"]:
                m = m or {}
                out.setdefault(m.get("article_id", ""), []).append(
                    (m.get("content_hash", ""), int(m.get("start", 0)), int(m.get("end", 0))))
        return out

    def sentences_of(self, article_ids: list[str]) -> list[tuple[str, str, str]]:
        """(sentence id, article id, content hash) of every stored sentence vector of these articles."""
        return _rows_of(self.sentences, article_ids)

    # --- sentences ----------------------------------------------------------------------------
    def add_sentences(self, rows: list[tuple[str, str, str, int, int]], embeddings: list[list[float]]) -> None:
        """Vectors embedded on the read path (a store not yet annotated); rows: (id, article id, content
        hash, start, end). A row stored already is kept as it is (an ingest may have written it, with
        its notes, since the reader looked)."""
        for i in range(0, len(rows), _PAGE):
            page = rows[i:i + _PAGE]
            self.sentences.add(
                ids=[r[0] for r in page],
                embeddings=embeddings[i:i + _PAGE],
                metadatas=[{"article_id": a, "content_hash": h, "start": s, "end": e} for _, a, h, s, e in page],
            )

    def add_annotated_sentences(
        self, rows: list[tuple[str, str, SentenceNote, bool]], embeddings: list[list[float]], annotation: int
    ) -> None:
        """Sentences with their vectors and notes; rows: (article id, content hash, note, piece), where a
        piece is part of an over-long sentence as a chunk holds it (stored for its vector)."""
        for i in range(0, len(rows), _PAGE):
            page = rows[i:i + _PAGE]
            metas = []
            for aid, content_hash, note, piece in page:
                meta = {"article_id": aid, "content_hash": content_hash, "start": note.start, "end": note.end,
                        "entities": note.entities_json(), "dates": note.dates_json(), ANNOTATION: annotation,
                        PIECE: piece}
                metas.append(meta)
            self.sentences.upsert(
                ids=[sentence_id(aid, h, note.start) for aid, h, note, _ in page],
                embeddings=embeddings[i:i + _PAGE],
                metadatas=metas,
            )

    def sentence_vectors(self, ids: list[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for got in _by_ids(self.sentences, ids, ["embeddings"]):
            out.update(zip(got["ids"], got["embeddings"], strict=True))
        return out

    def sentence_rows(self, ids: list[str]) -> dict[str, tuple[dict[str, Any], list[float]]]:
        """id -> (metadata, vector) of the stored sentence rows among `ids`."""
        out: dict[str, tuple[dict[str, Any], list[float]]] = {}
        for got in _by_ids(self.sentences, ids, ["metadatas", "embeddings"]):
            for sid, meta, vec in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True):
                out[sid] = (meta or {}, list(vec))
        return out

    def sentence_notes(
        self, article_ids: Iterable[str], hashes: dict[str, str] | None = None
    ) -> dict[str, list[SentenceNote]]:
        """The annotated sentences of these articles, in text order, by article id: of the version
        `hashes` names (default: the stored article's current version). An article whose sentences
        are not annotated yet (a store ingested before annotations, not yet upgraded) is absent."""
        ids = [i for i in dict.fromkeys(article_ids) if i != META_ID]
        if hashes is None:
            hashes = {}
            for got in _by_ids(self.articles, ids, ["metadatas"]):
                hashes.update({i: (m or {}).get("content_hash", "") for i, m in zip(got["ids"], got["metadatas"])})
        metas = [m or {} for got in _by_articles(self.sentences, ids) for m in got["metadatas"]]
        return notes_of(metas, hashes)

    def sentences_read(
        self, article_ids: Iterable[str], hashes: dict[str, str]
    ) -> tuple[dict[str, list[SentenceNote]], dict[str, list[float]]]:
        """What answering reads of these articles' sentences, in one read: their notes (as
        `sentence_notes`) and every stored sentence vector of the versions `hashes` names, by id."""
        ids = [i for i in dict.fromkeys(article_ids) if i != META_ID]
        metas: list[dict[str, Any]] = []
        vectors: dict[str, list[float]] = {}
        for got in _by_articles(self.sentences, ids, ["metadatas", "embeddings"]):
            for sid, meta, vec in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True):
                meta = meta or {}
                if meta.get("content_hash") == hashes.get(meta.get("article_id", "")):
                    metas.append(meta)
                    vectors[sid] = vec
        return notes_of(metas, hashes), vectors

    def sentence_index(self) -> list[tuple[str, str, str]]:
        """(sentence id, article id, content hash) for every stored sentence vector."""
        return self._index_of(self.sentences)

    def _index_of(self, collection: Any) -> list[tuple[str, str, str]]:
        rows = []
        for ids, metas, _ in self._pages(collection, ["metadatas"]):
            rows += [(i, m.get("article_id", ""), m.get("content_hash", "")) for i, m in zip(ids, metas, strict=True)]
        return rows

    def delete_sentences(self, ids: list[str]) -> None:
        _delete(self.sentences, ids)

    def delete_chunks(self, ids: list[str]) -> None:
        _delete(self.chunks, ids)

    def all_chunks(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        for i, m, d in self._pages(self.chunks, ["metadatas", "documents"]):
            ids += i
            metas += m
            docs += d
        return ids, docs, metas

    def get_chunks(self, ids: list[str]) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """The stored chunks among `ids`, in the order asked (none asked, as when a filter leaves no
        chunk, is none found: Chroma refuses an empty id list)."""
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for got in _by_ids(self.chunks, ids, ["documents", "metadatas"]):
            found.update((c, (d, m or {})) for c, d, m in zip(got["ids"], got["documents"], got["metadatas"]))
        keep = [cid for cid in ids if cid in found]
        return keep, [found[c][0] for c in keep], [found[c][1] for c in keep]

    def has_chunks(self, where: dict[str, Any] | None) -> bool:
        """Whether any stored chunk passes `where` (one indexed lookup of one id)."""
        return bool(self.chunks.get(where=where or None, limit=1, include=[])["ids"])

    def dense_query(
        self, embedding: list[float], n: int, where: dict[str, Any] | None
    ) -> list[tuple[str, float, dict[str, Any]]]:
        """(chunk id, cosine similarity, metadata), best first (fewer than `n` when fewer are stored)."""
        res = self.chunks.query(
            query_embeddings=[embedding], n_results=n, where=where or None, include=["distances", "metadatas"]
        )
        rows = zip(res["ids"][0], res["distances"][0], res["metadatas"][0], strict=True)
        return [(cid, 1.0 - dist, meta or {}) for cid, dist, meta in rows]

    def status(self) -> dict[str, Any]:
        """What the store holds, where it is and when it was last synced."""
        articles, chunks = self.counts()
        meta = self.store_meta()
        return {
            "articles": articles,
            "chunks": chunks,
            "embedding_model": self.model_name,
            "store": self.location,
            "server": bool(self.settings.chroma_url),
            "collection": self.settings.collection,
            "last_ingest": meta.get("last_ingest"),
            "last_summary": meta.get("last_summary"),
        }

    def counts(self) -> tuple[int, int]:
        return max(self.articles.count() - (1 if self.store_meta() else 0), 0), self.chunks.count()

    def _pages(self, collection: Any, include: list[str]) -> Iterable[tuple[list[str], list[Any], list[Any]]]:
        offset = 0
        while True:
            got = collection.get(include=include, limit=_PAGE, offset=offset)
            if not got["ids"]:
                return
            metas = got.get("metadatas") or [{}] * len(got["ids"])
            docs = got.get("documents") or [""] * len(got["ids"])
            yield got["ids"], [m or {} for m in metas], docs
            offset += len(got["ids"])
            if len(got["ids"]) < _PAGE:
                return


def _by_ids(collection: Any, ids: list[str], include: list[str]) -> Iterator[dict[str, Any]]:
    """One `get` per page of `ids` (see _PAGE): what Chroma returns for each."""
    for first in range(0, len(ids), _PAGE):
        yield collection.get(ids=ids[first:first + _PAGE], include=include)


def _by_articles(collection: Any, article_ids: list[str], include: list[str] | None = None
                 ) -> Iterator[dict[str, Any]]:
    """The rows of these articles (their metadata, or what `include` names), one `get` per page of ids."""
    for first in range(0, len(article_ids), _PAGE):
        page = article_ids[first:first + _PAGE]
        where = {"article_id": page[0]} if len(page) == 1 else {"article_id": {"$in": page}}
        yield collection.get(where=where, include=include or ["metadatas"])


def _delete(collection: Any, ids: list[str]) -> None:
    for first in range(0, len(ids), _PAGE):
        collection.delete(ids=ids[first:first + _PAGE])


def _rows_of(collection: Any, article_ids: list[str]) -> list[tuple[str, str, str]]:
    rows = []
    for got in _by_articles(collection, article_ids):
        for rid, m in zip(got["ids"], got["metadatas"], strict=True):
            rows.append((rid, (m or {}).get("article_id", ""), (m or {}).get("content_hash", "")))
    return rows


def _served(article_id: str, text: str, meta: dict[str, Any] | None) -> dict[str, Any]:
    """An article as readers get it: text and metadata (a field it does not state is None, not absent),
    without where it lives on this machine."""
    stated = dict.fromkeys(_STATED)
    return {"id": article_id, "text": text,
            **stated, **{k: v for k, v in (meta or {}).items() if k not in _SYNC_ONLY}}


def notes_of(metas: Iterable[dict[str, Any]], hashes: dict[str, str]) -> dict[str, list[SentenceNote]]:
    """The sentence notes among these sentence rows' metadata, of the versions `hashes` names, in text order
    by article id (rows written before annotation, and parts of over-long sentences, carry none)."""
    out: dict[str, list[SentenceNote]] = {}
    for m in metas:
        aid = m.get("article_id", "")
        if ANNOTATION not in m or m.get(PIECE) or m.get("content_hash") != hashes.get(aid):
            continue
        out.setdefault(aid, []).append(
            SentenceNote.from_json(int(m["start"]), int(m["end"]), m.get("entities"), m.get("dates")))
    for notes in out.values():
        notes.sort(key=lambda n: n.start)
    return out


def sentence_id(article_id: str, content_hash: str, start: int) -> str:
    return f"{article_id}::{content_hash[:12]}::s{start}"


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
