"""Cold start of `python app.py`: fresh process to the first served page (HTTP 200 of /).

Two cases, each in fresh processes on a private copy of corpus/:
  * store already ingested (the usual restart: sync finds nothing to embed)
  * empty store (first run: the whole corpus is embedded before serving)
For each run it also times the first answered question (/ask through gradio_client). As the floor,
the same run times a bare `python -c "import gradio"` (fresh processes too) and prints each case's page
time as a ratio of it.

    .venv/bin/python benchmarks/cold_start.py [--runs 3]

Prints a markdown table (median, min and max of the runs).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who is Yehia Rasool?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_run(corpus: Path, store: Path, timeout: float = 600.0) -> tuple[float, float]:
    """(seconds to HTTP 200 of /, seconds from start to the first answer)."""
    from gradio_client import Client

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_STORE_DIR": str(store)}
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page = None
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"app.py exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        page = time.perf_counter() - t0
                        break
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        if page is None:
            raise SystemExit(f"no page after {timeout:.0f} s")
        answer = Client(url, verbose=False).predict(QUESTION, [], api_name="/ask")
        if not answer.get("citations"):
            raise SystemExit(f"the first answer has no citations: {answer}")
        return page, time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bare_gradio_import() -> float:
    """Seconds for a fresh `python -c "import gradio"`: the floor no Gradio app can start under."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import gradio"], check=True, cwd=ROOT)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per case (default 3)")
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        n_files = sum(1 for p in corpus.iterdir() if p.is_file())

        empty = []
        for i in range(args.runs):
            store = Path(tmp) / f"store-empty-{i}"
            empty.append(one_run(corpus, store))
            print(f"empty store, run {i + 1}: page {empty[-1][0]:.1f} s, first answer {empty[-1][1]:.1f} s",
                  file=sys.stderr)
        ingested_store = Path(tmp) / "store-empty-0"  # ingested by the first run above
        ready = []
        for i in range(args.runs):
            ready.append(one_run(corpus, ingested_store))
            print(f"ingested store, run {i + 1}: page {ready[-1][0]:.1f} s, first answer {ready[-1][1]:.1f} s",
                  file=sys.stderr)
        bare = [bare_gradio_import() for _ in range(args.runs)]
        rows = [("store already ingested", ready), (f"empty store ({n_files} articles to embed)", empty)]

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"

    print(f"Cold start of `python app.py` ({platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {args.runs} fresh processes per case; median (min–max), seconds)\n")
    floor = statistics.median(bare)
    print("| case | start → first page (HTTP 200 of /) | page ÷ bare `import gradio` | start → first answer |")
    print("|---|---|---|---|")
    print(f"| bare `python -c \"import gradio\"` | {cell(bare)} | 1.0 | – |")
    for name, runs in rows:
        pages = [r[0] for r in runs]
        print(f"| {name} | {cell(pages)} | {statistics.median(pages) / floor:.1f} | {cell([r[1] for r in runs])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
