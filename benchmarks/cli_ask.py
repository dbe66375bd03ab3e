"""`assistant ask` from launch to printed answer, on an ingested store of the 5 seed articles, beside the
imports it cannot avoid (what a lazier import chain could at most save).

    .venv/bin/python benchmarks/cli_ask.py [--runs 5]

Each run is a fresh process. Prints a markdown table (median, min, max); read ratios, not absolute
figures, on a shared machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who is Yehia Rasool?"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, store = Path(tmp) / "corpus", Path(tmp) / "store"
        shutil.copytree(ROOT / "corpus", corpus)
        cli = [sys.executable, "-m", "assistant", "--corpus", str(corpus), "--store", str(store)]
        subprocess.run([*cli, "ingest"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "import chromadb": [sys.executable, "-c", "import chromadb"],
            "import llama_index.core": [sys.executable, "-c", "import llama_index.core"],
            "assistant --help": [*cli, "--help"],
            f"assistant ask {QUESTION!r}": [*cli, "ask", QUESTION],
        }
        print("| command | median s | min s | max s |\n|---|---|---|---|")
        for name, command in cases.items():
            runs = [timed(command) for _ in range(args.runs)]
            print(f"| {name} | {statistics.median(runs):.2f} | {min(runs):.2f} | {max(runs):.2f} |")


if __name__ == "__main__":
    main()
