"""Warm `ask` latency of the extractive answerer beside its floor (embedding the question alone).

Usage: python benchmarks/ask_latency.py [--rounds N] [--corpus DIR]
Ingests the corpus into a temporary store, warms up once, then times every
question of tests/questions.jsonl N times. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from stats import pct  # benchmarks/stats.py: scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    args = parser.parse_args()

    from assistant import Assistant

    questions = [json.loads(line)["question"] for line in (ROOT / "tests" / "questions.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory() as store:
        assistant = Assistant.from_settings(corpus_dir=args.corpus, store_dir=store)
        assistant.ingest()
        for q in questions:  # warm: models loaded, sentence vectors cached, as in a running app
            assistant.ask(q)
        embed, retrieve, ask = [], [], []
        for _ in range(args.rounds):
            for q in questions:
                query = assistant.engine.query(q)
                t0 = time.perf_counter()
                vec = assistant.embed_model.get_query_embedding(q)
                t1 = time.perf_counter()
                assistant.retriever.retrieve(query, vec)
                t2 = time.perf_counter()
                assistant.ask(q)
                t3 = time.perf_counter()
                embed.append(t1 - t0)
                retrieve.append(t2 - t1)
                ask.append(t3 - t2)
    rows = [("embed the question (floor)", embed), ("hybrid retrieval (after embedding)", retrieve),
            ("ask, extractive, end to end", ask)]
    print(f"{len(questions)} questions x {args.rounds} rounds, warm\n")
    print("| step | p50 ms | p95 ms | mean ms |")
    print("|---|---:|---:|---:|")
    for name, values in rows:
        print(f"| {name} | {pct(values, .5) * 1e3:.1f} | {pct(values, .95) * 1e3:.1f} | "
              f"{statistics.mean(values) * 1e3:.1f} |")
    print(f"\nask p50 / embedding p50 = {pct(ask, .5) / pct(embed, .5):.1f}x; "
          f"ask p95 / embedding p95 = {pct(ask, .95) / pct(embed, .95):.1f}x")


if __name__ == "__main__":
    main()
