"""The product's llama-index face: our hybrid retrieval as a llama-index retriever and our cited answers
as a llama-index query engine, so a llama-index user can plug them into their own pipelines (routers,
sub-question engines, agents) without losing the exact offsets that make a citation checkable.

Every node carries `article_id`, `title`, `publisher`, `date`, `start` and `end`, where
`article(article_id)["text"][start:end] == node.text`. Offsets and ids are kept out of what an LLM or
embedder downstream reads (they would only be noise there); titles, publishers and dates are kept in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from ..core.answers import Answer, Citation
from ..core.errors import EmptyStoreError
from .engine import AnswerEngine
from .retrieval import Hit

RETRIEVER_OPTIONS = ("k", "since", "until", "publishers", "article_ids", "include_undated")
# offsets and ids locate the text; an LLM or embedder reading the node needs only its words and header
_HIDDEN_KEYS = ["article_id", "start", "end", "chunk_id", "citation", "url"]


def _node(node_id: str, text: str, meta: dict[str, Any], score: float | None) -> NodeWithScore:
    node = TextNode(id_=node_id, text=text, metadata=meta,
                    excluded_llm_metadata_keys=list(_HIDDEN_KEYS), excluded_embed_metadata_keys=list(_HIDDEN_KEYS))
    return NodeWithScore(node=node, score=score)


def hit_node(hit: Hit) -> NodeWithScore:
    """A retrieved chunk as a node: its text and where it stands in its article's cleaned text."""
    meta = {"article_id": hit.article_id, "title": hit.meta.get("title") or None,
            "publisher": hit.meta.get("publisher") or None, "date": hit.meta.get("date") or None,
            "start": hit.start, "end": hit.end, "chunk_id": hit.chunk_id}
    return _node(hit.chunk_id, hit.text, meta, hit.score)


def citation_node(citation: Citation) -> NodeWithScore:
    """A cited sentence as a node: the quote, its place in its article, and its [n] in the answer text."""
    meta = {"article_id": citation.source, "title": citation.title, "publisher": citation.publisher,
            "date": citation.date, "start": citation.start, "end": citation.end,
            "citation": citation.number, "url": citation.url}
    return _node(f"{citation.source}#{citation.start}-{citation.end}", citation.quote, meta, citation.score)


class NewsRetriever(BaseRetriever):
    """The engine's hybrid retrieval (dense + BM25, date and publisher boosts, the same filters as
    `Assistant.ask`) behind llama-index's `retrieve`: the question is analysed exactly as `ask` analyses
    it, so a pipeline sees the chunks our answers are built from."""

    def __init__(self, engine: AnswerEngine, **filters: Any) -> None:
        unknown = set(filters) - set(RETRIEVER_OPTIONS)
        if unknown:
            raise TypeError(f"unknown retriever option(s): {', '.join(sorted(unknown))}")
        super().__init__()
        self._engine = engine
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        engine = self._engine
        if engine.store.chunks.count() == 0:
            raise EmptyStoreError("nothing has been ingested yet: run `assistant ingest` (or Assistant.ingest())")
        query = engine.query(query_bundle.query_str, [], **self._filters)
        vector = engine.embed_model.get_query_embedding(query.search_text)
        return [hit_node(h) for h in engine.retriever.retrieve(query, vector)]


class NewsQueryEngine(BaseQueryEngine):
    """`Assistant.ask` behind llama-index's `query`: the response text is the cited answer, the source
    nodes are exactly its citations (in [n] order), and `metadata` is the whole `Answer.to_dict()` so
    nothing the product knows (confidence, abstention, short answer) is lost on the way."""

    def __init__(self, ask: Callable[..., Answer], **options: Any) -> None:
        super().__init__(callback_manager=None)
        self._ask = ask
        self._options = options

    def _query(self, query_bundle: QueryBundle) -> Response:
        return answer_response(self._ask(query_bundle.query_str, **self._options))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        # answering is CPU-bound and synchronous; a thread keeps the caller's event loop free
        answer = await asyncio.to_thread(self._ask, query_bundle.query_str, **self._options)
        return answer_response(answer)

    def _get_prompt_modules(self) -> PromptMixinType:
        return {}  # prompts live in the project's own templates (Assistant(prompts=...)), not here


def answer_response(answer: Answer) -> Response:
    """An `Answer` as a llama-index `Response`."""
    return Response(response=answer.text, source_nodes=[citation_node(c) for c in answer.citations],
                    metadata=answer.to_dict())
