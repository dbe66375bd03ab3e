"""Answerers side by side on one question set over the seed corpus: the extractive answerer and the `llm`
answerer on the local model (Qwen2.5-Coder-0.5B-Instruct via gpt4all, extra `local`) and the `hybrid` one
(the engine answers, the model phrases), scored by the
project's evaluation code (the same verdicts as `assistant eval`).

    python benchmarks/llm.py                      # all of tests/questions.jsonl: hours for llm on a CPU
    python benchmarks/llm.py --limit 2            # the first two questions: a smoke run of a few minutes
    python benchmarks/llm.py --ids q18,q11,q41    # chosen questions
    python benchmarks/llm.py --every 8            # every 8th question of the set (q01, q09, ...): ~13 questions
    python benchmarks/llm.py --answerers llm --store .bench-cache/llm-store

Per answerer: answer accuracy and short-answer accuracy (assistant/evaluation/metrics.py), what the
citation check did to the model's answers (`Answer.checks`: citations kept, dropped and renumbered,
sentences dropped as unsupported or uncited, the model's own refusals), how many answers declined, the
model's prompt reading speed (prompt tokens / time to the first token) and decoding speed (tokens after
the first / their time), and seconds per question (warm: the model is loaded before the clock starts).
Prints a markdown table with the command line and the load average, then every raw model output (the
text before the check), and writes one JSON line per question and answerer to --out.

Set ASSISTANT_LLM_THREADS, ASSISTANT_LLM_CONTEXT, ASSISTANT_LLM_MODEL_PATH... as for the app. To add an
answerer, add its settings to ANSWERERS.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.evaluation.metrics import summary  # noqa: E402
from assistant.evaluation.questions import Question, load_questions  # noqa: E402
from assistant.evaluation.runner import run_questions  # noqa: E402

# answerer name -> the settings it runs with (on top of ASSISTANT_* variables); one entry per answerer
ANSWERERS: dict[str, dict[str, Any]] = {
    "extractive": {"answerer": "extractive"},
    "llm": {"answerer": "llm", "llm_provider": "local"},
    "hybrid": {"answerer": "hybrid", "llm_provider": "local"},
}
CHECK_KEYS = ("refused", "sentences_unsupported", "sentences_uncited", "sentences_attributed", "citations",
              "citations_kept",
              "citations_renumbered", "citations_invalid", "citations_unsupporting")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", default=str(ROOT / "tests" / "questions.jsonl"), help="question set (default %(default)s)")
    p.add_argument("--corpus", default=str(ROOT / "corpus"), help="articles (default the seed corpus)")
    p.add_argument("--limit", type=int, help="only the first N questions of the set (after --ids)")
    p.add_argument("--ids", help="comma-separated question ids, in this order")
    p.add_argument("--every", type=int, default=1, help="every N-th question of the set, from the first")
    p.add_argument("--answerers", default=",".join(ANSWERERS),
                   help=f"comma-separated, of {', '.join(ANSWERERS)} (default all)")
    p.add_argument("--store", help="store folder to ingest into and reuse (default: a temporary one)")
    p.add_argument("--out", default=str(ROOT / "eval-out" / "llm-bench"),
                   help="folder for results.jsonl (default eval-out/llm-bench)")
    return p.parse_args(argv)


def pick(questions: list[Question], ids: str | None, limit: int | None, every: int = 1) -> list[Question]:
    """The questions asked: those named by --ids (in that order), else every --every-th of the set; then
    the first --limit."""
    if ids:
        by_id = {q.id: q for q in questions}
        wanted = [i.strip() for i in ids.split(",") if i.strip()]
        unknown = [i for i in wanted if i not in by_id]
        if unknown:
            raise SystemExit(f"--ids: no question {', '.join(unknown)} in the set")
        questions = [by_id[i] for i in wanted]
    else:
        questions = questions[::max(1, every)]
    return questions[:limit] if limit else questions


@contextmanager
def store_folder(path: str | None) -> Iterator[Path]:
    if path:
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="llm-bench-") as tmp:
        yield Path(tmp)


def run_answerer(name: str, base: Any, questions: list[Question]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Result rows (the runner's, plus the model's generations) and the summary of one answerer."""
    from assistant import Assistant

    assistant = Assistant(base.settings.replace(**ANSWERERS[name]), embed_model=base.embed_model)
    assistant.ask(questions[0].question, answerer="extractive")  # store, lexical index and parser, untimed
    generations: list[Any] = []
    if assistant.settings.answerer in ("llm", "hybrid"):
        assistant.llm.observer = generations.append  # loads (and on first use joins) the model, untimed
    rows: list[dict[str, Any]] = []
    seen = 0

    def on_result(row: dict[str, Any]) -> None:
        nonlocal seen
        row["generations"] = [asdict(g) for g in generations[seen:]]
        seen = len(generations)
        rows.append(row)
        print(f"  {name} {row['id']}: {row['seconds']:.1f} s", file=sys.stderr, flush=True)

    run_questions(assistant, questions, answerer=assistant.settings.answerer, progress=False, on_result=on_result,
                  warm_up=False)
    return rows, summary(rows)


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The table's figures for one answerer's rows."""
    checks = {key: sum(int((r["answer"] or {}).get("checks", {}).get(key, 0)) for r in rows) for key in CHECK_KEYS}
    gens = [g for r in rows for g in r.get("generations", [])]
    prompt = sum(g["prompt_tokens"] or 0 for g in gens)
    reading = sum(g["first_token_seconds"] for g in gens if g["prompt_tokens"])
    after_first = sum(max(g["output_tokens"] - 1, 0) for g in gens)
    decoding = sum(g["decode_seconds"] for g in gens)
    seconds = [float(r["seconds"]) for r in rows]
    return {
        "checks": checks,
        "declined": sum(1 for r in rows if (r["answer"] or {}).get("abstained")),
        "errors": sum(1 for r in rows if r.get("error")),
        "generations": len(gens),
        "prompt_tps": prompt / reading if reading else None,
        "ttft": statistics.mean(g["first_token_seconds"] for g in gens) if gens else None,
        "decode_tps": after_first / decoding if decoding else None,
        "seconds_mean": statistics.mean(seconds) if seconds else None,
        "seconds_max": max(seconds) if seconds else None,
    }


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(results: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]]) -> list[str]:
    lines = [
        "| answerer | questions | answer acc. | short acc. | citations kept / dropped / renumbered "
        "| sentences dropped: unsupported / uncited | uncited, cited by the check "
        "| declined (model refused) | prompt tok/s | first token s "
        "| decode tok/s | s / question (max) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (rows, summ) in results.items():
        t, overall = totals(rows), summ["overall"]
        c = t["checks"]
        checked = bool(t["generations"])
        cites = (f"{c['citations_kept']} / {c['citations_invalid'] + c['citations_unsupporting']} / "
                 f"{c['citations_renumbered']}") if checked else "–"
        sentences = f"{c['sentences_unsupported']} / {c['sentences_uncited']}" if checked else "–"
        attributed = str(c["sentences_attributed"]) if checked else "–"
        declined = f"{t['declined']} ({c['refused']})" if checked else str(t["declined"])
        lines.append(
            f"| {name} | {len(rows)} | {fmt(overall['answer_accuracy'], 3)} | {fmt(overall['short_accuracy'], 3)} "
            f"| {cites} | {sentences} | {attributed} | {declined} | {fmt(t['prompt_tps'])} | {fmt(t['ttft'])} "
            f"| {fmt(t['decode_tps'])} | {fmt(t['seconds_mean'])} ({fmt(t['seconds_max'])}) |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n.strip() for n in args.answerers.split(",") if n.strip()]
    if unknown := [n for n in names if n not in ANSWERERS]:
        raise SystemExit(f"--answerers: unknown {', '.join(unknown)}; known: {', '.join(ANSWERERS)}")
    questions = pick(load_questions(args.set), args.ids, args.limit, args.every)
    if not questions:
        raise SystemExit("no questions to ask")

    from assistant import Assistant

    load_before = os.getloadavg()
    results: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
    with store_folder(args.store) as store:
        base = Assistant.from_settings(corpus_dir=args.corpus, store_dir=store)
        report = base.ingest()
        print(f"corpus {args.corpus}: {report.summary()}", file=sys.stderr)
        for name in names:
            results[name] = run_answerer(name, base, questions)
    load_after = os.getloadavg()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for name, (rows, _) in results.items():
            for row in rows:
                f.write(json.dumps({"answerer": name, **row}, ensure_ascii=False) + "\n")

    command = " ".join(shlex.quote(a) for a in ["python", "benchmarks/llm.py", *(sys.argv[1:] if argv is None
                                                                                   else argv)])
    print(f"`{command}` ({len(questions)} questions of {Path(args.set).name}; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after; {os.cpu_count()} cores)\n")
    print("\n".join(table(results)))
    for name, (rows, _) in results.items():
        raw = [(r["id"], g["text"]) for r in rows for g in r.get("generations", [])]
        if raw:
            print(f"\nraw model output, {name} (before the check):")
            for qid, text in raw:
                print(f"- {qid}: {json.dumps(text, ensure_ascii=False)}")
    print(f"\nwrote {out / 'results.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
