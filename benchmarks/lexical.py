"""The lexical index (bm25s, `assistant.index.lexical`) beside SQLite FTS5 on the same synthetic chunks.

Usage:
    python benchmarks/lexical.py [--chunks 100000] [--rounds 3] [--questions 50] [--fts-tokens same|porter]

Chunks: --chunks synthetic chunks made from the sentences of the MultiHop-RAG facts corpus
(facts_corpus.jsonl under $MULTIHOP_RAG_DIR, default ../shared/benchmarks/multihop-rag beside the repository),
split with the project's `sentence_spans`: each chunk is 6 to 10 (mean 8) sentences drawn at random
(random.Random(0)), 5 chunks to a synthetic article `a{n}` whose publisher and date come from a random corpus
record. The corpus holds about a thousand sentences, so the vocabulary is small and most chunks share a word
with any question: FTS5 and bm25s both score every such chunk.

Engines, each built here and then served from its files by a fresh process (so load time and RSS are its own):
* ours (bm25s): `LexicalIndex.build` of `ChunkRow`s tokenized by `core.text.tokenize`, saved with
  `LexicalFiles.save`, loaded with `LexicalFiles.load`, asked with `top(question, 10)`;
* SQLite FTS5 (stdlib sqlite3), a file database. With --fts-tokens same (the default) it indexes the project's
  own tokens joined by spaces (tokenize='unicode61', with '_' a token character), and a question is its
  project tokens OR-ed, each quoted: both engines see exactly the same terms. With --fts-tokens porter it
  indexes the raw text with tokenize='porter unicode61' and a question is its folded non-stop words OR-ed.
  Built with one transaction of INSERTs, then 'optimize' (one segment, its fastest to query). Asked with
  `SELECT rowid FROM c WHERE c MATCH ? ORDER BY rank LIMIT 10`.

Questions: the "query" field of the last --questions lines of queries.jsonl in the same folder. Query times
include tokenizing the question; each engine answers every question once to warm up, then --rounds times;
p50/p95 are the medians over rounds, of wall time (and p50 of the process's CPU time, which a busy machine
sways less). Top-10 overlap is the mean over questions of |ours & FTS5| / 10 (the two rank with different
idf formulas, Lucene's and Robertson's). Adding one article: --rounds new 5-chunk articles, each tokenized
and added (`replace_articles` + `LexicalFiles.save(base_changed=False)`; for FTS5 INSERT + COMMIT), median
shown. Prints the command line, the load average before and after, and a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import re
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from stats import pct, rss_mb  # benchmarks/stats.py: scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("MULTIHOP_RAG_DIR", ROOT.parent / "shared" / "benchmarks" / "multihop-rag"))
CHUNKS_PER_ARTICLE = 5
TOP = 10
FTS_SCHEMA = {
    "same": "CREATE VIRTUAL TABLE c USING fts5(body, tokenize=\"unicode61 tokenchars '_'\")",
    "porter": "CREATE VIRTUAL TABLE c USING fts5(body, tokenize='porter unicode61')",
}
FTS_QUERY = "SELECT rowid FROM c WHERE c MATCH ? ORDER BY rank LIMIT 10"
RESULT = "RESULT "  # prefix of a serving process's one result line on stdout




def du_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


# --- the synthetic chunks ------------------------------------------------------------------------------------
def load_corpus() -> tuple[list[str], list[tuple[str, int]]]:
    """(every sentence of the facts corpus, (publisher, date key) of every record that names both)."""
    from assistant.core.dates import date_key
    from assistant.core.text import sentence_spans

    sentences, sources = [], []
    for line in (DATA / "facts_corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        body = record.get("body") or ""
        sentences += [body[s:e] for s, e in sentence_spans(body)]
        if record.get("source") and record.get("published_at"):
            sources.append((str(record["source"]), date_key(str(record["published_at"])[:10])))
    if not sentences or not sources:
        raise SystemExit(f"no sentences or publishers in {DATA / 'facts_corpus.jsonl'}")
    return sentences, sources


def make_articles(n_chunks: int, extra: int, sentences: list[str],
                  sources: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """ceil(n_chunks / 5) + extra synthetic articles, each {id, publisher, date_key, hash, chunks: [(text,
    start, end)]}; the first n_chunks chunks are the index, the `extra` articles are the ones added later."""
    rng = random.Random(0)
    articles = []
    n_articles = -(-n_chunks // CHUNKS_PER_ARTICLE) + extra
    for a in range(n_articles):
        publisher, key = rng.choice(sources)
        texts = [" ".join(rng.choices(sentences, k=rng.randint(6, 10))) for _ in range(CHUNKS_PER_ARTICLE)]
        chunks, start = [], 0
        for text in texts:
            chunks.append((text, start, start + len(text)))
            start += len(text) + 2  # the article is its chunks joined by blank lines
        digest = hashlib.sha256("\n\n".join(texts).encode()).hexdigest()[:16]
        articles.append({"id": f"a{a}", "publisher": publisher, "date_key": key, "hash": digest, "chunks": chunks})
    return articles


def chunk_rows(article: dict[str, Any], tokens: list[list[str]]) -> list[Any]:
    from assistant.index.lexical import ChunkRow

    return [ChunkRow(f"{article['id']}:{k}", toks, article["id"], article["publisher"], article["date_key"], start,
                     end, article["hash"])
            for k, ((_, start, end), toks) in enumerate(zip(article["chunks"], tokens))]


def fts_words(text: str, kind: str) -> list[str]:
    """The terms FTS5 is given for `text`: the project's tokens (same), or its folded non-stop words (porter)."""
    from assistant.core.text import STOPWORDS, fold, tokenize

    if kind == "same":
        return tokenize(text)
    return [w for w in re.findall(r"\w+", fold(text)) if w not in STOPWORDS]


def fts_match(question: str, kind: str) -> str:
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(fts_words(question, kind)))


# --- serving (in a fresh process per engine) ---------------------------------------------------------------------
def serve(engine: str, work: Path, kind: str, rounds: int) -> dict[str, Any]:
    """Load the engine's files, answer every question (warm, then `rounds` times), add the extra articles."""
    import numpy as np  # noqa: F401 - imported before the baseline, as the index needs it

    from assistant.core.text import tokenize

    questions = json.loads((work / "questions.json").read_text(encoding="utf-8"))
    extra = json.loads((work / "extra.json").read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    if engine == "ours":
        import bm25s  # noqa: F401 - imported before the baseline

        from assistant.index.lexical import LexicalFiles

        tokenize("warm the stemmer")
        gc.collect()
        rss0 = rss_mb()
        t = time.perf_counter()
        files = LexicalFiles(work / "ours")
        index = files.load()
        out["load_s"] = time.perf_counter() - t
        if index is None:
            raise SystemExit("the saved lexical index did not load")
        out["rss_load_mb"] = rss_mb() - rss0

        def ask(q: str) -> list[str]:
            return [f.chunk_id for f in index.top(q, TOP)]

        def matching(q: str) -> int:
            ids = [index.vocab[t] for t in dict.fromkeys(tokenize(q)) if t in index.vocab]
            return int((index.base.get_scores_from_ids(ids) > 0).sum()) if ids else 0

        def add(article: dict[str, Any]) -> None:
            rows = chunk_rows(article, [tokenize(text) for text, _, _ in article["chunks"]])
            index.replace_articles([article["id"]], rows)
            files.save(index, base_changed=False)
    else:
        tokenize("warm the stemmer")
        gc.collect()
        rss0 = rss_mb()
        t = time.perf_counter()
        db = sqlite3.connect(work / "fts.db")
        db.execute("SELECT rowid FROM c WHERE c MATCH '\"zzzznotaword\"' LIMIT 1").fetchall()  # read the schema
        out["load_s"] = time.perf_counter() - t
        out["rss_load_mb"] = rss_mb() - rss0
        ids = json.loads((work / "ids.json").read_text(encoding="utf-8"))  # rowid - 1 -> chunk id

        def ask(q: str) -> list[str]:
            return [ids[r - 1] for (r,) in db.execute(FTS_QUERY, (fts_match(q, kind),))]

        def matching(q: str) -> int:
            return int(db.execute("SELECT count(*) FROM c WHERE c MATCH ?", (fts_match(q, kind),)).fetchone()[0])

        def add(article: dict[str, Any]) -> None:
            with db:
                db.executemany("INSERT INTO c(body) VALUES (?)",
                               [(" ".join(fts_words(text, kind)),) for text, _, _ in article["chunks"]])

    out["top"] = [ask(q) for q in questions]  # warm-up, and the answers compared
    p50, p95, cpu50 = [], [], []
    for _ in range(rounds):
        times, cpu = [], []
        for q in questions:
            t, c = time.perf_counter(), time.process_time()
            ask(q)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        p50.append(pct(times, .5))
        p95.append(pct(times, .95))
        cpu50.append(pct(cpu, .5))
    out |= {"p50": p50, "p95": p95, "cpu50": cpu50, "rss_query_mb": rss_mb() - rss0}
    out["matching"] = statistics.mean(matching(q) for q in questions)
    adds = []
    for article in extra:
        t = time.perf_counter()
        add(article)
        adds.append(time.perf_counter() - t)
    out["add"] = adds
    return out


def run_serve(engine: str, work: Path, kind: str, rounds: int) -> dict[str, Any]:
    run = subprocess.run([sys.executable, __file__, "--serve", engine, "--work", str(work), "--fts-tokens", kind,
                          "--rounds", str(rounds)], capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"serving {engine} failed:\n{run.stderr}")
    return json.loads([line for line in run.stdout.splitlines() if line.startswith(RESULT)][-1][len(RESULT):])


# --- building --------------------------------------------------------------------------------------------------
def build(args: argparse.Namespace, work: Path) -> dict[str, dict[str, Any]]:
    from assistant.core.text import tokenize
    from assistant.index.lexical import LexicalFiles, LexicalIndex

    sentences, sources = load_corpus()
    articles = make_articles(args.chunks, args.rounds, sentences, sources)
    base, extra = articles[:len(articles) - args.rounds], articles[len(articles) - args.rounds:]
    texts = [text for a in base for text, _, _ in a["chunks"]][:args.chunks]
    print(f"{len(sentences)} sentences, {len(texts)} chunks of {statistics.mean(map(len, texts)):.0f} characters "
          "on average; tokenizing", file=sys.stderr, flush=True)
    ours: dict[str, Any] = {"chunks": len(texts)}
    fts: dict[str, Any] = {"chunks": len(texts)}

    t = time.perf_counter()
    tokens = [tokenize(text) for text in texts]
    ours["tokenize_s"] = time.perf_counter() - t
    rows = [row for n, a in enumerate(base)
            for row in chunk_rows(a, tokens[n * CHUNKS_PER_ARTICLE:(n + 1) * CHUNKS_PER_ARTICLE])]
    ours["tokens"] = sum(map(len, tokens)) / len(tokens)
    ours["vocab"] = len({t for toks in tokens for t in toks})

    print("building the bm25s index", file=sys.stderr, flush=True)
    t = time.perf_counter()
    index = LexicalIndex.build(rows)
    ours["build_s"] = time.perf_counter() - t
    t = time.perf_counter()
    LexicalFiles(work / "ours").save(index, base_changed=True)
    ours["save_s"] = time.perf_counter() - t
    ours["mb"] = du_mb(work / "ours")
    ids = [r.id for r in rows]
    del index, rows
    gc.collect()

    print("building the FTS5 index", file=sys.stderr, flush=True)
    if args.fts_tokens == "same":
        fts["tokenize_s"] = ours["tokenize_s"]
        t = time.perf_counter()
        bodies = [" ".join(toks) for toks in tokens]
        fts["tokenize_s"] += time.perf_counter() - t  # joining them
    else:
        t = time.perf_counter()
        bodies = [" ".join(fts_words(text, "porter")) for text in texts]
        fts["tokenize_s"] = time.perf_counter() - t
    db_path = work / "fts.db"
    t = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute(FTS_SCHEMA[args.fts_tokens])
    with db:
        db.executemany("INSERT INTO c(rowid, body) VALUES (?, ?)", ((n + 1, b) for n, b in enumerate(bodies)))
    with db:
        db.execute("INSERT INTO c(c) VALUES ('optimize')")
    db.close()
    fts["build_s"] = time.perf_counter() - t
    fts["save_s"] = 0.0
    fts["mb"] = du_mb(db_path)
    del tokens, bodies
    gc.collect()

    queries = [json.loads(line) for line in (DATA / "queries.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    questions = [q["query"] for q in queries[-args.questions:]]
    (work / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
    (work / "extra.json").write_text(json.dumps(extra), encoding="utf-8")
    (work / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
    del texts, articles, base, ids
    gc.collect()

    for name, result in (("ours", ours), ("fts", fts)):
        print(f"serving {name} from its files", file=sys.stderr, flush=True)
        result |= run_serve(name, work, args.fts_tokens, args.rounds)
    return {"ours": ours, "fts": fts}


# --- the table ---------------------------------------------------------------------------------------------------
def table(r: dict[str, dict[str, Any]], kind: str) -> str:
    ours, fts = r["ours"], r["fts"]
    overlap = statistics.mean(len(set(a) & set(b)) / TOP for a, b in zip(ours["top"], fts["top"]))

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1e3:.1f}"

    fts_tok = "project tokens, joined" if kind == "same" else "fold + stop words (FTS5 stems)"
    rows = [
        ("chunks", lambda e: f"{e['chunks']:,}"),
        ("tokenize the chunks, s", lambda e: f"{e['tokenize_s']:.1f}"),
        ("build the index, s", lambda e: f"{e['build_s']:.1f}"),
        ("save it, s", lambda e: f"{e['save_s']:.2f}" if e is ours else "(written while building)"),
        ("build total (tokenize + build + save), s", lambda e: f"{e['tokenize_s'] + e['build_s'] + e['save_s']:.1f}"),
        ("on disk, MB", lambda e: f"{e['mb']:.0f}"),
        ("load / open in a fresh process, s", lambda e: f"{e['load_s']:.3f}"),
        ("RSS added: after load / after the questions, MB",
         lambda e: f"{e['rss_load_mb']:.0f} / {e['rss_query_mb']:.0f}"),
        (f"query top {TOP}, p50 ms", lambda e: ms(e["p50"])),
        (f"query top {TOP}, p95 ms", lambda e: ms(e["p95"])),
        (f"query top {TOP}, CPU p50 ms", lambda e: ms(e["cpu50"])),
        ("chunks sharing a term with the question, mean", lambda e: f"{e['matching']:,.0f}"),
        ("add one 5-chunk article (tokenize + add + save/commit), ms", lambda e: ms(e["add"])),
    ]
    out = ["| measure | ours (bm25s) | SQLite FTS5 |", "|---|---:|---:|"]
    out += [f"| {label} | {fmt(ours)} | {fmt(fts)} |" for label, fmt in rows]
    out.append(f"| top-{TOP} overlap, ours & FTS5 (mean over questions) | {overlap:.2f} | {overlap:.2f} |")
    out.append(f"\nChunks: {ours['tokens']:.0f} project tokens on average, {ours['vocab']:,} distinct. FTS5 is given: "
               f"{fts_tok}. Per round p50 ms, ours: {', '.join(f'{v * 1e3:.1f}' for v in ours['p50'])}; "
               f"FTS5: {', '.join(f'{v * 1e3:.1f}' for v in fts['p50'])}.")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the questions; medians shown")
    parser.add_argument("--questions", type=int, default=50, help="MultiHop queries asked (the last N)")
    parser.add_argument("--fts-tokens", choices=("same", "porter"), default="same",
                        help="FTS5 indexes the project's tokens (same) or raw text with its porter tokenizer")
    parser.add_argument("--serve", choices=("ours", "fts"), help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(RESULT + json.dumps(serve(args.serve, Path(args.work), args.fts_tokens, args.rounds)))
        return

    import bm25s

    command = shlex.join(["python", "benchmarks/lexical.py", *sys.argv[1:]])
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="lexical-bench-") as tmp:
        results = build(args, Path(tmp))
    load_after = os.getloadavg()
    print(f"`{command}`\n")
    print(f"bm25s {bm25s.__version__}, SQLite {sqlite3.sqlite_version}; {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {platform.system()} {platform.machine()}; {len(results['ours']['top'])} "
          f"questions x {args.rounds} rounds; load average (1/5/15 min) "
          f"{'/'.join(f'{x:.1f}' for x in load_before)} before, {'/'.join(f'{x:.1f}' for x in load_after)} after\n")
    print(table(results, args.fts_tokens))


if __name__ == "__main__":
    main()
