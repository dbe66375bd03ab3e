"""How the product behaves as the archive grows: stores of about 600, 10,000 and 100,000 chunks.

Usage:
    python benchmarks/scale.py [--sizes 600,10k,100k] [--cache DIR] [--questions N] [--rounds N]

Stores (built once under --cache, default .bench-cache/scale, and reused):
* 600: the MultiHop-RAG facts corpus (609 articles, 614 chunks), ingested by the product with real
  embeddings (about two minutes here).
* 10k and 100k: SIMULATED from the 600 store: its articles copied 17 and 163 times under new ids, each copy
  dated a week earlier than the one before, their chunk and sentence rows written through the product's
  own store code with the real vectors plus Gaussian noise (sd 0.01, renormalised); no text is embedded.
  A 10k store of real 200-token chunks would take about 1.7 hours to embed on this 2-core machine (1.6
  chunks/s with their sentences, measured on 100 generated articles), so it is simulated as well. The
  copies repeat the corpus's texts: every lexical and dense search scans and ranks the whole store, as
  it would in a real archive, but ties among copies stand in for distinct stories.

For each size a fresh process opens the store and prints one JSON line: warm `ask` p50/p95 beside the
question-embedding floor measured in the same process, one-article ingest time beside that article's
embedding time (the article is then removed), lexical index build and load time and size, RSS after
answering, store size on disk, and questions/s with 1, 4 and 8 concurrent askers (threads of one
process, as the chat app serves them). The parent prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from stats import pct, rss_mb  # benchmarks/stats.py: scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("MULTIHOP_RAG_DIR", ROOT.parent / "shared" / "benchmarks" / "multihop-rag"))
COPIES = {"10k": 17, "100k": 163}  # copies of the 600 store's 614 chunks: 10,438 and 100,082 chunks
NOISE = 0.01


def settings_for(folder: Path, corpus: Path) -> Any:
    from assistant.core.settings import Settings

    return Settings.from_env(corpus_dir=corpus, store_dir=folder / "store", upload_dir=folder / "uploads")


# --- building ------------------------------------------------------------------------------------------

def build_600(folder: Path) -> None:
    from assistant import Assistant

    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "facts_corpus.jsonl", corpus / "facts.jsonl")
    Assistant(settings_for(folder, corpus)).ingest()


def load_model() -> Any:
    from assistant.core.settings import Settings
    from assistant.index.embedding import load_embed_model

    s = Settings.from_env()
    return load_embed_model(s.embed_model, s.embed_batch_size, s.embed_threads, s.embed_query_engines)


def build_copies(folder: Path, source: Path, copies: int) -> None:
    """Copies of the source store's articles, chunks and sentence rows under new ids, vectors plus noise."""
    import numpy as np

    from assistant.core.documents import Article
    from assistant.index.store import Store
    from assistant.ingest.sync import ANNOTATED

    rng = np.random.default_rng(0)
    src_settings, dst_settings = settings_for(source, source / "corpus"), settings_for(folder, folder / "corpus")
    (folder / "corpus").mkdir(parents=True, exist_ok=True)
    model = load_model()
    src, dst = Store(src_settings, model.model_name, model.dim), Store(dst_settings, model.model_name, model.dim)
    records = src.article_records()
    ids = sorted(records)
    for copy in range(copies):
        for first in range(0, len(ids), 100):
            page = ids[first:first + 100]
            articles = src.get_articles(page)
            new = {}
            for aid in page:
                a = articles[aid]
                fields = {k: a.get(k) for k in ("title", "publisher", "url", "author")}
                new[aid] = Article(id=f"copy{copy}/{aid}", text=a["text"], date=_earlier(a.get("date"), copy),
                                   path=f"copy{copy}/{aid}", **fields)
            _copy_rows(src.chunks, dst.chunks, page, new, rng)
            _copy_rows(src.sentences, dst.sentences, page, new, rng)
            dst.upsert_articles([(new[aid], int(records[aid].get("n_chunks", 0))) for aid in page],
                                annotation=records[page[0]].get("annotation"))
        print(f"\rcopy {copy + 1}/{copies}", end="", file=sys.stderr)
    dst.set_store_meta(**{k: v for k, v in src.store_meta().items() if k == ANNOTATED})  # as its sync left it
    print(f"\n{dst.chunks.count()} chunks", file=sys.stderr)


def _earlier(date: str | None, weeks: int) -> str | None:
    if not date:
        return date
    import datetime as dt

    return (dt.date.fromisoformat(date[:10]) - dt.timedelta(weeks=weeks)).isoformat() + date[10:]


def _copy_rows(src: Any, dst: Any, article_ids: list[str], new: dict[str, Any], rng: Any) -> None:
    import numpy as np

    got = src.get(where={"article_id": {"$in": article_ids}}, include=["embeddings", "metadatas", "documents"])
    if not got["ids"]:
        return
    vecs = np.asarray(got["embeddings"], dtype=np.float32)
    vecs += rng.normal(0, NOISE, vecs.shape).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids, metas = [], []
    for rid, meta in zip(got["ids"], got["metadatas"], strict=True):
        article = new[meta["article_id"]]
        old_hash, new_hash = meta["content_hash"], article.content_hash
        ids.append(rid.replace(meta["article_id"], article.id, 1).replace(old_hash[:12], new_hash[:12]))
        meta = {**meta, "article_id": article.id, "content_hash": new_hash}
        if "date" in meta:
            from assistant.core.dates import date_key

            meta |= {"date": article.date or "", "date_key": date_key(article.date)}
        metas.append(meta)
    documents = got["documents"] if any(got["documents"] or []) else None
    dst.upsert(ids=ids, embeddings=vecs.tolist(), metadatas=metas, documents=documents)


def ensure(size: str, cache: Path) -> Path:
    folder = cache / size
    if (folder / "built").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t = time.perf_counter()
    if size == "600":
        build_600(folder)
    else:
        build_copies(folder, ensure("600", cache), COPIES[size])
    (folder / "built").write_text(f"{time.perf_counter() - t:.0f} s\n")
    return folder


# --- measuring (in a fresh process per size) -----------------------------------------------------------------
def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (DATA / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r["query"] for r in rows[-n:]]




def measure_lexical(folder: Path) -> dict[str, Any]:
    """Rebuild the lexical index from every chunk, save it, and time loading it (a process of its own, so
    the rebuild's transient memory does not count in the answering process's RSS)."""
    from assistant import Assistant
    from assistant.index.lexical import LexicalFiles

    assistant = Assistant(settings_for(folder, folder / "corpus"))
    t = time.perf_counter()
    assistant.retriever.refresh(force=True)
    out = {"lexical_build_s": time.perf_counter() - t}
    loads = []
    for _ in range(3):
        t = time.perf_counter()
        LexicalFiles(assistant.retriever.path).load()
        loads.append(time.perf_counter() - t)
    return out | {"lexical_load_s": pct(loads, .5), "lexical_mb": _du(assistant.retriever.path)}


def measure(folder: Path, n_questions: int, rounds: int) -> dict[str, Any]:
    from assistant import Assistant

    assistant = Assistant(settings_for(folder, folder / "corpus"))
    out: dict[str, Any] = {"chunks": assistant.store.chunks.count()}
    qs = questions(n_questions)
    for q in qs:  # warm
        assistant.ask(q)
    floor, ask = [], []
    for _ in range(rounds):
        for q in qs:
            t0 = time.perf_counter()
            assistant.embed_model.get_query_embedding(q)
            t1 = time.perf_counter()
            assistant.ask(q)
            floor.append(t1 - t0)
            ask.append(time.perf_counter() - t1)
    out |= {"floor_p50": pct(floor, .5), "ask_p50": pct(ask, .5), "ask_p95": pct(ask, .95),
            "floor_p95": pct(floor, .95)}
    out["rss_mb"] = rss_mb()
    for askers in (1, 4, 8):
        out[f"qps_{askers}"] = _throughput(assistant, qs, askers)
    out |= _one_article(assistant, folder)
    out["store_mb"] = _du(folder / "store")
    return out


def _throughput(assistant: Any, qs: list[str], askers: int) -> float:
    work = list(qs) * max(1, askers)  # each asker answers as many questions as the single one did
    lock = threading.Lock()

    def run() -> None:
        while True:
            with lock:
                if not work:
                    return
                q = work.pop()
            assistant.ask(q)

    t = time.perf_counter()
    total = len(work)
    threads = [threading.Thread(target=run) for _ in range(askers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return total / (time.perf_counter() - t)


ARTICLE = """Harbour authority names new chief of pilots
Scale Benchmark Wire
2026-11-20

The Westmark harbour authority named Ilse Varnow its chief of pilots on Thursday, the authority said.
Varnow has guided container ships into the harbour for nineteen years.
She succeeds Tomas Reidel, who retired in October after a career of thirty-one years.
The authority said the pilots guided 4,212 ships into the harbour last year, a record.
Varnow said her first task is to train eleven new pilots before the spring season.
"""


def _one_article(assistant: Any, folder: Path) -> dict[str, float]:
    uploads = assistant.settings.uploads
    uploads.mkdir(parents=True, exist_ok=True)
    path = uploads / f"scale-{os.getpid()}.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    report = assistant.ingest(paths=[path])
    aid = f"uploads/{path.name}"
    answer = assistant.ask("How many ships did the Westmark pilots guide into the harbour last year?")
    assistant.remove_upload(aid)
    return {"ingest_s": report.seconds, "ingest_embed_s": report.embed_seconds,
            "ingest_answered": float(any(c.source == aid for c in answer.citations))}


def _du(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


# --- the table ---------------------------------------------------------------------------------------------------
def table(results: dict[str, dict[str, Any]]) -> str:
    rows = [
        ("chunks", lambda r: f"{r['chunks']:,}"),
        ("embed the question, p50 ms (floor)", lambda r: f"{r['floor_p50'] * 1e3:.1f}"),
        ("warm ask, p50 ms", lambda r: f"{r['ask_p50'] * 1e3:.1f}"),
        ("warm ask, p50 / floor", lambda r: f"{r['ask_p50'] / r['floor_p50']:.2f}x"),
        ("warm ask, p95 ms (floor p95)", lambda r: f"{r['ask_p95'] * 1e3:.1f} ({r['floor_p95'] * 1e3:.1f})"),
        ("one-article ingest, s", lambda r: f"{r['ingest_s']:.2f}"),
        ("... of it embedding, s", lambda r: f"{r['ingest_embed_s']:.2f}"),
        ("... beyond embedding, s", lambda r: f"{r['ingest_s'] - r['ingest_embed_s']:.2f}"),
        ("lexical index build / load, s", lambda r: f"{r['lexical_build_s']:.1f} / {r['lexical_load_s']:.2f}"),
        ("lexical index on disk, MB", lambda r: f"{r['lexical_mb']:.0f}"),
        ("RSS after answering, MB", lambda r: f"{r['rss_mb']:.0f}"),
        ("store on disk, MB", lambda r: f"{r['store_mb']:.0f}"),
        ("questions/s, 1 / 4 / 8 askers", lambda r: f"{r['qps_1']:.1f} / {r['qps_4']:.1f} / {r['qps_8']:.1f}"),
        ("4 askers / 1", lambda r: f"{r['qps_4'] / r['qps_1']:.2f}x"),
    ]
    names = list(results)
    labels = {"10k": "10k (simulated)", "100k": "100k (simulated)"}
    out = ["| | " + " | ".join(labels.get(n, n) for n in names) + " |", "|---|" + "---:|" * len(names)]
    out += [f"| {label} | " + " | ".join(fmt(results[n]) for n in names) + " |" for label, fmt in rows]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="600,10k,100k")
    parser.add_argument("--cache", default=str(ROOT / ".bench-cache" / "scale"))
    parser.add_argument("--questions", type=int, default=30, help="MultiHop queries asked (the last N)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # a store folder: measure it here, print JSON
    parser.add_argument("--lexical", action="store_true", help=argparse.SUPPRESS)  # with --measure: the index
    args = parser.parse_args()
    if args.measure:
        folder = Path(args.measure)
        got = measure_lexical(folder) if args.lexical else measure(folder, args.questions, args.rounds)
        print(json.dumps(got))
        return
    cache = Path(args.cache)
    results = {}
    load_before = os.getloadavg()[0]
    for size in args.sizes.split(","):
        folder = ensure(size, cache)
        if args.build_only:
            continue
        results[size] = {}
        for extra in (["--lexical"], []):
            run = subprocess.run([sys.executable, __file__, "--measure", str(folder), "--questions",
                                  str(args.questions), "--rounds", str(args.rounds), *extra],
                                 capture_output=True, text=True, check=True)
            results[size] |= json.loads(run.stdout.strip().splitlines()[-1])
        print(f"{size}: {results[size]}", file=sys.stderr)
    if results:
        print(f"python benchmarks/scale.py {' '.join(sys.argv[1:])}".strip())
        print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
        print(table(results))


if __name__ == "__main__":
    main()
