"""`Assistant`: the Python API. The CLI, the chat app and the evaluator call only this.

Heavy parts (embedding model, Chroma client, lexical index) load on first use
and then stay for the life of the object, shared by all callers and threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import AssistantError
from .offline import prepare_offline
from .settings import Settings


class Assistant:
    """Question answering over one corpus of news articles, with exact citations."""

    def __init__(self, settings: Settings, embed_model: Any = None, llm: Any = None) -> None:
        self.settings = settings
        self._embed_model = embed_model
        self._llm = llm
        self._store: Any = None
        self._retriever: Any = None
        self._sentence_cache: Any = None
        self._lock = threading.RLock()
        self._ingest_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Settings from `ASSISTANT_*` variables and defaults, with keyword overrides."""
        prepare_offline()
        if settings is None:
            settings = Settings.from_env(**overrides)
        elif overrides:
            settings = settings.replace(**overrides)
        return cls(settings)

    # --- parts, loaded once -------------------------------------------------------------------
    @property
    def embed_model(self) -> Any:
        with self._lock:
            if self._embed_model is None:
                from .embedding import load_embed_model

                self._embed_model = load_embed_model(self.settings.embed_model, self.settings.embed_batch_size)
            return self._embed_model

    @property
    def store(self) -> Any:
        with self._lock:
            if self._store is None:
                from .store import Store

                model = self.embed_model
                self._store = Store(self.settings, model.model_name, model.dim)
            return self._store

    @property
    def retriever(self) -> Any:
        with self._lock:
            if self._retriever is None:
                from .retrieval import HybridRetriever

                self._retriever = HybridRetriever(self.store, self.embed_model, self.settings)
            return self._retriever

    @property
    def sentence_cache(self) -> Any:
        with self._lock:
            if self._sentence_cache is None:
                from .evidence import SentenceEmbeddings

                self._sentence_cache = SentenceEmbeddings(self.embed_model, self.store)
            return self._sentence_cache

    @property
    def llm(self) -> Any:
        with self._lock:
            if self._llm is None:
                from .llms import load_llm

                self._llm = load_llm(self.settings)
            return self._llm

    # --- ingestion ------------------------------------------------------------------------------
    def ingest(
        self, paths: list[str | Path] | None = None, rebuild: bool = False, progress: Any = None
    ) -> Any:
        """Sync the corpus folder (or add/update `paths`) into the store; returns an `IngestReport`."""
        from .ingest import sync

        with self._ingest_lock:
            report = sync(
                self.store,
                self.embed_model,
                self.settings,
                paths=[Path(p) for p in paths] if paths is not None else None,
                rebuild=rebuild,
                progress=progress,
            )
            self.retriever.refresh(force=report.changed or rebuild)
            return report

    def warm_up(self, batch: int = 16) -> int:
        """Embed every sentence that has no stored vector yet, a few at a time, so that first questions
        wait for nothing. The chat app runs this in the background; returns how many were embedded."""
        from .chunking import sentence_spans
        from .evidence import Sentence
        from .store import sentence_id

        self.retriever.refresh()
        stored = {sid for sid, _, _ in self.store.sentence_index()}
        done = 0
        ids = list(self.store.article_records())
        for page in range(0, len(ids), 200):
            for aid, article in self.store.get_articles(ids[page:page + 200]).items():
                text = article["text"]
                todo = [(s, e) for s, e in sentence_spans(text)
                        if sentence_id(aid, article.get("content_hash", ""), s) not in stored]
                for i in range(0, len(todo), batch):
                    self.sentence_cache.vectors(
                        [Sentence(aid, s, e, text[s:e], 0, article) for s, e in todo[i:i + batch]]
                    )
                    done += len(todo[i:i + batch])
        return done

    def status(self) -> dict[str, Any]:
        store = self.store
        articles, chunks = store.counts()
        meta = store.store_meta()
        return {
            "articles": articles,
            "chunks": chunks,
            "embedding_model": store.model_name,
            "store": store.location,
            "server": bool(self.settings.chroma_url),
            "collection": self.settings.collection,
            "last_ingest": meta.get("last_ingest"),
            "last_summary": meta.get("last_summary"),
        }

    def article(self, source: str) -> dict[str, Any]:
        """Cleaned text and metadata of one article: `text[start:end]` of a citation is its quote."""
        found = self.store.get_article(source)
        if found is None:
            raise AssistantError(f"no article {source!r} in the store")
        return found

    def sources(self) -> list[str]:
        """Distinct publisher names in the store (for filters)."""
        return sorted({m.get("source") for m in self.store.article_records().values() if m.get("source")})

    # --- answering ------------------------------------------------------------------------------
    def ask(self, question: str, history: list[dict[str, str]] | None = None, **options: Any) -> Any:
        """Answer `question` (with the conversation so far) as an `Answer` with checked citations."""
        *_, answer = self.stream(question, history=history, **options)
        return answer

    def stream(
        self, question: str, history: list[dict[str, str]] | None = None, **options: Any
    ) -> Iterator[Any]:
        """Yield text pieces as they are ready, then the final `Answer`."""
        from .answering import answer_stream

        yield from answer_stream(self, question, history or [], **options)
