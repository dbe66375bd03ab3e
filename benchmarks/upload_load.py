"""`/ask` latency while a 5 MB upload ingests, beside the same questions on an idle app (issue 13, item 1).

    .venv/bin/python benchmarks/upload_load.py [--questions N] [--kind text|html|both] [--corpus DIR]

Starts the chat app (`python app.py` on a free loopback port, the bundled model) on a copy of the corpus
in a temporary store, then through gradio_client:

1. idle: asks the first N questions of tests/questions.jsonl one after another, twice (the first round
   warms up and is not counted);
2. loaded: submits one upload of a 5 MB file to `/upload` and, while that job runs, asks the same questions
   round and round from another client, recording each latency; the upload's progress (as gradio_client's
   job status reports it) is polled every 50 ms.

Upload kinds: `text` is one article of 5 MB of plain sentences (the ingest cuts it to
`ASSISTANT_MAX_ARTICLE_TOKENS`, so it is accepted and ingests); `html` is 5 MB of crafted markup
(unclosed <span>s and stray </p>s, the case that was quadratic) around a short story.

Prints a markdown table: per case, the number of questions, p50 and p95 in ms, p95 over the idle p95, the
upload's wall time, the seconds until its progress first moved (from the first stored batch) and how many
progress updates were seen. The goal is p95 within 2x idle. Offline; nothing is written outside a temporary
folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from stats import pct  # benchmarks/stats.py: scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
FIVE_MB = 5_000_000
AUTH = ("bench", "a long benchmark password")



def five_mb(kind: str, folder: Path) -> Path:
    """A file of just under 5 MB (the default upload limit) of the given kind."""
    if kind == "text":
        path = folder / "five_mb_report.txt"
        sentence = "Inspectors counted {n} containers on quay {q} during the overnight audit of the port. "
        parts, size, n = ["Port Audit Report\n\n"], 0, 0
        while size < FIVE_MB - 200:
            parts.append(sentence.format(n=n, q=n % 7))
            size += len(parts[-1])
            n += 1
        path.write_text("".join(parts), encoding="utf-8")
    else:
        path = folder / "five_mb_page.html"
        story = ("<h1>Harbour Pilot Retires</h1><p>The harbour pilot of Port Quillan retired on Friday after "
                 "thirty years. The port authority thanked him.</p>")
        unit = "<span>word word </p>"
        path.write_text("<html><body>" + story + unit * ((FIVE_MB - 400) // len(unit)) + "</body></html>",
                        encoding="utf-8")
    return path


def start_app(base: Path, corpus: Path) -> tuple[subprocess.Popen[bytes], str]:
    shutil.copytree(corpus, base / "corpus")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_CORPUS_DIR": str(base / "corpus"), "ASSISTANT_STORE_DIR": str(base / "store")}
    log = (base / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--auth", ":".join(AUTH)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 300
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the app did not start: {(base / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)


def ask_all(client: Any, questions: list[str]) -> list[float]:
    out = []
    for q in questions:
        t = time.perf_counter()
        client.predict(q, [], api_name="/ask")
        out.append(time.perf_counter() - t)
    return out


def loaded(url: str, questions: list[str], upload: Path) -> dict[str, Any]:
    """Latencies of questions asked while `upload` ingests, and what its job reported."""
    from gradio_client import Client, handle_file

    asker, uploader = Client(url, auth=AUTH, verbose=False), Client(url, auth=AUTH, verbose=False)
    latencies: list[float] = []
    started = time.perf_counter()
    job = uploader.submit([handle_file(str(upload))], api_name="/upload")
    updates: list[tuple[float, int, int]] = []
    done = threading.Event()

    def watch() -> None:
        while not job.done():
            for unit in job.status().progress_data or []:
                if unit.index and unit.length and (not updates or updates[-1][1] != unit.index):
                    updates.append((time.perf_counter() - started, unit.index, unit.length))
            time.sleep(0.05)
        done.set()

    threading.Thread(target=watch, daemon=True).start()
    n = 0
    while not done.is_set():
        latencies += ask_all(asker, [questions[n % len(questions)]])
        n += 1
    result = job.result()
    return {"latencies": latencies, "seconds": time.perf_counter() - started, "updates": updates,
            "result": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--kind", choices=["text", "html", "both"], default="both")
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    questions = [json.loads(line)["question"] for line in (ROOT / "tests" / "questions.jsonl").open()
                 if line.strip() and not json.loads(line).get("history")][:args.questions]
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        proc, url = start_app(base, Path(args.corpus))
        try:
            client = Client(url, auth=AUTH, verbose=False)
            ask_all(client, questions)  # warm-up round
            idle = ask_all(client, questions)
            rows = [("idle", len(idle), pct(idle, 0.5), pct(idle, 0.95), 1.0, None, None, None, "")]
            for kind in (["text", "html"] if args.kind == "both" else [args.kind]):
                run = loaded(url, questions, five_mb(kind, base))
                lat, updates = run["latencies"], run["updates"]
                outcome = "saved" if run["result"]["saved"] else "refused: " + "; ".join(run["result"]["refused"])
                rows.append((f"5 MB {kind} upload ingesting", len(lat), pct(lat, 0.5), pct(lat, 0.95),
                             pct(lat, 0.95) / pct(idle, 0.95), run["seconds"], updates[0][0] if updates else None,
                             len(updates), outcome))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("| case | questions | p50 ms | p95 ms | p95 / idle p95 | upload s | first progress s | progress updates "
          "| upload |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for case, n, p50, p95, ratio, secs, first, count, outcome in rows:
        def cell(x: Any, fmt: str) -> str:
            return "–" if x is None else format(x, fmt)
        print(f"| {case} | {n} | {p50 * 1000:.0f} | {p95 * 1000:.0f} | {ratio:.2f} | {cell(secs, '.1f')} | "
              f"{cell(first, '.1f')} | {cell(count, 'd')} | {outcome} |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
