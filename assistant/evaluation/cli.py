"""`assistant eval SET`: run a question set, print a table, write results/summary/report, gate on floors.

Exit status: 0 when every --fail-under/--fail-over holds, 1 when one does not (each
is named on stderr), 2 for errors (unreadable set, bad option, store problems).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError

DEFAULT_OUT = "eval-out"


def add_eval_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `eval` on the CLI's subparsers (imports nothing heavy)."""
    p = subparsers.add_parser(
        "eval", help="ask a question set and measure retrieval, answers, citations and latency",
        description="Ask every question of SET (.jsonl, .json, .yaml, .csv, or MultiHop-RAG queries) through "
                    "the assistant; write results.jsonl, summary.json and report.html into --out.")
    p.add_argument("set", help="question set file")
    p.add_argument("--corpus", dest="eval_corpus", metavar="DIR",
                   help="ingest this folder or file into a store of its own first (default: the configured "
                        "store; the corpus folder is synced into it when it is empty)")
    p.add_argument("--k", type=int, help="chunks to retrieve per question")
    p.add_argument("--answerer", choices=["extractive", "llm", "hybrid"])
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                   help="exit 1 when overall METRIC is below VALUE (repeatable)")
    p.add_argument("--fail-over", action="append", default=[], metavar="METRIC=VALUE",
                   help="exit 1 when overall METRIC is above VALUE, e.g. latency_p95=2 (repeatable)")
    p.add_argument("--compare", metavar="EARLIER_OUT_DIR",
                   help="show changes and flips against an earlier run")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--today", metavar="YYYY-MM-DD",
                   help="the date questions such as 'this year' are relative to (default: the system date)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)
    return p


def _floors(items: list[str]) -> dict[str, float]:
    from .metrics import parse_floor

    try:
        return dict(parse_floor(item) for item in items)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def build_assistant(args: argparse.Namespace) -> tuple[Any, bool]:
    """(Assistant, whether to sync its corpus first) for the eval options and the CLI's global ones.

    Settings are built here, once, from `ASSISTANT_*` variables and the flags. With `--corpus`, the
    set gets a collection of its own, in the configured store or (when the store folder was left at
    its default) in OUT/store. `--today` fixes the date that "this year" questions mean."""
    from ..api import Assistant
    from ..core.offline import prepare_offline
    from ..core.settings import Settings
    from .runner import collection_for

    prepare_offline()
    settings = Settings.from_env(
        corpus_dir=getattr(args, "corpus", None), store_dir=getattr(args, "store", None),
        chroma_url=getattr(args, "chroma_url", None), collection=getattr(args, "collection", None),
        answerer=args.answerer,
    )
    clock = _clock(args.today)
    if args.eval_corpus:
        corpus = Path(args.eval_corpus)
        if not corpus.exists():
            raise ConfigError(f"--corpus {corpus}: no such file or folder")
        store_dir = settings.store_dir if settings.store_dir != Settings().store_dir else Path(args.out) / "store"
        settings = settings.replace(corpus_dir=corpus, store_dir=store_dir, collection=collection_for(corpus))
        return Assistant(settings, clock=clock), True
    assistant = Assistant(settings, clock=clock)
    return assistant, assistant.store.counts()[0] == 0


def _clock(today: str | None) -> Callable[[], date]:
    if not today:
        return date.today
    try:
        fixed = date.fromisoformat(today)
    except ValueError:
        raise ConfigError(f"--today must be a date like 2024-01-31, got {today!r}") from None
    return lambda: fixed


def ingest(assistant: Any, progress: bool) -> None:
    from tqdm import tqdm

    bar: Any = None

    def step(done: int, total: int, what: str) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, leave=False,
                       disable=not progress)
        bar.update(done - bar.n)

    report = assistant.ingest(progress=step)
    if bar is not None:
        bar.close()
    for line in report.problems:
        print(f"skipped: {line}", file=sys.stderr)
    print(f"corpus {assistant.settings.corpus_dir}: {report.summary()}", file=sys.stderr)


def print_table(summary: Mapping[str, Any], comparison: Mapping[str, Any] | None = None) -> None:
    """Metrics down, overall then each question type across (stdout)."""
    from .metrics import METRICS

    types = list(summary["by_type"])
    head = ["metric", "overall", "n"] + [f"{t} ({summary['by_type'][t]['questions']})" for t in types]
    if comparison:
        head.append("change")
    rows = [head]
    for m in METRICS:
        row = [m, _cell(summary["overall"].get(m)), str(summary["support"].get(m, ""))]
        row += [_cell(summary["by_type"][t].get(m)) for t in types]
        if comparison:
            change = comparison["metrics"][m]["change"]
            row.append("–" if change is None else f"{change:+.3f}")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for n, row in enumerate(rows):
        pairs = enumerate(zip(row, widths, strict=True))
        cells = (c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs)
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def cmd_eval(args: argparse.Namespace) -> int:
    from .metrics import check_floors, compare, summary
    from .questions import load_questions, resolve_titles
    from .report import write_report
    from .runner import read_outputs, run_questions, write_outputs

    floors, ceilings = _floors(args.fail_under), _floors(args.fail_over)
    questions = load_questions(args.set)[: args.limit] if args.limit else load_questions(args.set)
    earlier = read_outputs(Path(args.compare)) if args.compare else None
    progress = not args.no_progress
    assistant, sync = build_assistant(args)
    if sync:
        ingest(assistant, progress)
    if any(q.gold_titles for q in questions):
        missing = resolve_titles(questions, assistant.store.article_records())
        if missing:
            print(f"warning: {len(missing)} gold title(s) not in the store, e.g. {missing[0]!r}",
                  file=sys.stderr)

    results = run_questions(assistant, questions, k=args.k, answerer=args.answerer, progress=progress)
    summ = summary(results)
    s = assistant.settings
    summ["run"] = {"set": str(args.set), "corpus": str(s.corpus_dir), "collection": s.collection,
                   "k": args.k or s.top_k, "answerer": args.answerer or s.answerer,
                   "today": assistant.clock().isoformat()}
    comparison = compare(earlier[0], results, earlier[1]["overall"], summ["overall"]) if earlier else None
    if comparison:
        summ["compare"] = {"earlier": str(args.compare), **comparison}
    out = Path(args.out)
    write_outputs(out, results, summ)
    report = write_report(out, results, summ, comparison, title=f"Evaluation of {Path(args.set).name}")

    print_table(summ, comparison)
    if comparison:
        print(f"\nflips against {args.compare}: {len(comparison['right_to_wrong'])} right->wrong "
              f"({', '.join(i['id'] for i in comparison['right_to_wrong']) or 'none'}), "
              f"{len(comparison['wrong_to_right'])} wrong->right "
              f"({', '.join(i['id'] for i in comparison['wrong_to_right']) or 'none'})")
    if summ["errors"]:
        print(f"\n{summ['errors']} question(s) failed with an error; see results.jsonl", file=sys.stderr)
    print(f"\nwrote {out / 'results.jsonl'}, {out / 'summary.json'}, {report}")
    failures = check_floors(summ["overall"], floors, ceilings)
    for line in failures:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if failures else 0
