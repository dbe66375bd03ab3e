"""What replicas on one `chroma run` server pay to notice each other's ingests (issue 10).

Starts a private Chroma server on a free loopback port, ingests a copy of corpus/ through replica A, and
opens replica B (a second `Assistant`, its own store folder, the same server). Then it times:
  * the change check each request makes (`Store.change_stamp`: chunk count + stamp record), beside the
    full id listing it replaces (`chunks.get(include=[])`, what the lexical index compared before);
  * a question through B (its check included), idle;
  * the lag: an article ingested through A until B's answer cites it (B asks every 0.1 s).

    .venv/bin/python benchmarks/replica_check.py [--repeat 200]

Prints a markdown table (medians of one run).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NEW = "Glacier institute names a new chief\nReplica Bench Wire\n\nZorvath Quillane is the chief glaciologist of " \
      "the Norrland Ice Institute, the institute said on Friday.\n"


BIG = 20_000  # rows of a synthetic collection: how the listing and the count grow with the store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    exe = Path(sys.executable).with_name("chroma")
    port = free_port()
    server = subprocess.Popen([str(exe if exe.exists() else "chroma"), "run", "--path", str(folder), "--host",
                               "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the chroma server did not start")


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per row (default 200)")
    args = parser.parse_args(argv)
    from assistant import Assistant, Settings

    with tempfile.TemporaryDirectory(prefix="replicas-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        server, url = start_server(Path(tmp) / "server")
        try:
            a = Assistant(Settings.from_env(corpus_dir=str(corpus), store_dir=f"{tmp}/a", chroma_url=url))
            a.ingest()
            b = Assistant(Settings.from_env(corpus_dir=str(corpus), store_dir=f"{tmp}/b", chroma_url=url),
                          embed_model=a.embed_model)
            b.warm_up()
            store = b.store
            n_chunks = store.chunks.count()
            check = median_ms(store.change_stamp, args.repeat)
            listing = median_ms(lambda: store.chunks.get(include=[]), args.repeat)
            ask = median_ms(lambda: b.ask("Who is Yehia Rasool?"), max(args.repeat // 10, 5))
            (corpus / "new.txt").write_text(NEW, encoding="utf-8")
            a.ingest()
            t0 = time.perf_counter()
            while "new.txt" not in [c.source for c in b.ask("Who is Zorvath Quillane?").citations]:
                time.sleep(0.1)
            lag = time.perf_counter() - t0
            big = b.store.client.get_or_create_collection("bench_big", embedding_function=None)
            for first in range(0, BIG, 2000):
                ids = [f"c{i}" for i in range(first, min(first + 2000, BIG))]
                big.add(ids=ids, embeddings=[[1.0]] * len(ids))
            big_count = median_ms(big.count, args.repeat)
            big_listing = median_ms(lambda: big.get(include=[]), max(args.repeat // 10, 5))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"Replicas on one Chroma server ({n_chunks} chunks; medians of {args.repeat} calls, one run)\n")
    print("| what | median |")
    print("|---|---|")
    print(f"| change check per request (chunk count + stamp record) | {check:.1f} ms |")
    print(f"| full id listing it replaces | {listing:.1f} ms ({listing / check:.1f}× the check) |")
    print(f"| chunk count of a {BIG:,}-row collection (the check's part that grows) | {big_count:.1f} ms |")
    print(f"| full id listing of a {BIG:,}-row collection | {big_listing:.1f} ms "
          f"({big_listing / big_count:.0f}× its count) |")
    print(f"| a question through replica B, idle | {ask:.0f} ms |")
    print(f"| ingest through A returned → B's answer cites the new article | {lag:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
