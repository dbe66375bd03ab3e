"""Scoring as pure functions: one question's verdicts, then averages over a result set.

Kept free of the Assistant so every number can be checked by hand in tests. A
verdict of None means "does not apply" (e.g. retrieval metrics of a question with
no gold articles) and is left out of that metric's average, never counted as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .matching import answer_correct, short_matches, token_overlap
from .questions import Question

HIT_KS = (1, 5, 10)
RECALL_KS = (5, 10)
MRR_K = 10
# the metrics of summary.json "overall", in display order
METRICS = (
    "answer_accuracy", "accuracy_all", "token_accuracy",
    "hit@1", "hit@5", "hit@10", "mrr@10", "recall@5", "recall@10",
    "citation_precision", "citation_recall", "quote_faithfulness",
    "abstention_precision", "abstention_recall",
    "short_accuracy", "short_precision", "short_in_quote",
    "latency_p50", "latency_p95",
)
LOWER_IS_BETTER = {"latency_p50", "latency_p95"}


# --- retrieval -----------------------------------------------------------------------------------

def hit_at(retrieved: Sequence[str], gold: Iterable[str], k: int) -> bool:
    gold = set(gold)
    return any(r in gold for r in retrieved[:k])


def reciprocal_rank(retrieved: Sequence[str], gold: Iterable[str], k: int = MRR_K) -> float:
    gold = set(gold)
    for rank, r in enumerate(retrieved[:k], 1):
        if r in gold:
            return 1.0 / rank
    return 0.0


def recall_at(retrieved: Sequence[str], gold: Iterable[str], k: int) -> float:
    gold = set(gold)
    return len(gold & set(retrieved[:k])) / len(gold) if gold else 0.0


# --- one question --------------------------------------------------------------------------------

def score(q: Question, answer: Mapping[str, Any] | None, texts: Mapping[str, str | None],
          seconds: float = 0.0) -> dict[str, Any]:
    """Verdicts of one answer (`Answer.to_dict()`, or None when asking failed).

    `texts` maps every cited article id to its cleaned text (None when the store has no such article).
    """
    answer = answer or {}
    text = str(answer.get("text") or "")
    abstained = bool(answer.get("abstained"))
    retrieved = list(dict.fromkeys(answer.get("retrieved") or []))
    citations = list(answer.get("citations") or [])
    gold = list(dict.fromkeys(q.sources))
    v: dict[str, Any] = {"abstained": abstained, "seconds": round(seconds, 4)}

    if q.answerable:
        v["answer_correct"] = not abstained and answer_correct(text, q.answers, q.all_answers)
        v["token_correct"] = not abstained and token_overlap(text, q.answers)
        v["correct"] = v["answer_correct"]
    else:
        v["answer_correct"] = v["token_correct"] = None
        v["correct"] = abstained

    has_gold = q.answerable and bool(gold)
    for k in HIT_KS:
        v[f"hit@{k}"] = hit_at(retrieved, gold, k) if has_gold else None
    v[f"rr@{MRR_K}"] = reciprocal_rank(retrieved, gold) if has_gold else None
    for k in RECALL_KS:
        v[f"recall@{k}"] = recall_at(retrieved, gold, k) if has_gold else None

    cited = list(dict.fromkeys(str(c.get("source")) for c in citations))
    v["cited"] = cited
    good = len(set(cited) & set(gold))
    v["citation_precision"] = good / len(cited) if has_gold and cited else None
    v["citation_recall"] = good / len(gold) if has_gold else None

    unfaithful = [int(c.get("number", 0)) for c in citations
                  if not quote_faithful(c, texts.get(str(c.get("source"))))]
    v["citations"] = len(citations)
    v["unfaithful"] = unfaithful

    short = answer.get("short") if not abstained else None
    short_text = str(short.get("text") or "") if isinstance(short, Mapping) else ""
    v["short"] = short_text or None
    if q.answerable and q.short:
        v["short_correct"] = bool(short_text) and short_correct(short_text, q)
    else:
        v["short_correct"] = None
    v["short_in_quote"] = short_in_quote(short, citations, texts) if short_text else None
    return v


def short_correct(short_text: str, q: Question) -> bool:
    """The answer's short text matches the gold short, or any of the question's accepted answers."""
    golds = [g for g in (q.short, *q.answers) if g]
    return any(short_matches(short_text, gold) for gold in golds)


def short_in_quote(short: Mapping[str, Any], citations: Sequence[Mapping[str, Any]],
                   texts: Mapping[str, str | None]) -> bool:
    """The short answer is the article's text at [start:end], inside the quote of the citation it names."""
    try:
        number, start, end = int(short["citation"]), int(short["start"]), int(short["end"])
    except (KeyError, TypeError, ValueError):
        return False
    cited = next((c for c in citations if c.get("number") == number), None)
    if cited is None or not quote_faithful(cited, texts.get(str(cited.get("source")))):
        return False
    article_text = texts.get(str(cited.get("source"))) or ""
    return (int(cited["start"]) <= start < end <= int(cited["end"])
            and article_text[start:end] == short.get("text"))


def quote_faithful(citation: Mapping[str, Any], article_text: str | None) -> bool:
    """The quote is exactly the article's cleaned text at [start:end]."""
    if article_text is None:
        return False
    try:
        start, end = int(citation["start"]), int(citation["end"])
    except (KeyError, TypeError, ValueError):
        return False
    return 0 <= start <= end <= len(article_text) and article_text[start:end] == citation.get("quote")


# --- a result set --------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); p in [0, 100]."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(values: Iterable[Any]) -> tuple[float | None, int]:
    got = [float(x) for x in values if x is not None]
    return (sum(got) / len(got) if got else None), len(got)


def summarize(results: Sequence[Mapping[str, Any]]) -> tuple[dict[str, float | None], dict[str, int]]:
    """(metric -> value, metric -> how many questions/citations it is over) for result rows with verdicts."""
    vs = [r["verdicts"] for r in results]
    values: dict[str, float | None] = {}
    support: dict[str, int] = {}

    def put(name: str, pair: tuple[float | None, int]) -> None:
        values[name], support[name] = pair

    put("answer_accuracy", _mean(v["answer_correct"] for v in vs))
    put("accuracy_all", _mean(v["correct"] for v in vs))
    put("token_accuracy", _mean(v["token_correct"] for v in vs))
    for k in HIT_KS:
        put(f"hit@{k}", _mean(v[f"hit@{k}"] for v in vs))
    put(f"mrr@{MRR_K}", _mean(v[f"rr@{MRR_K}"] for v in vs))
    for k in RECALL_KS:
        put(f"recall@{k}", _mean(v[f"recall@{k}"] for v in vs))
    put("citation_precision", _mean(v["citation_precision"] for v in vs))
    put("citation_recall", _mean(v["citation_recall"] for v in vs))
    n_cites = sum(v["citations"] for v in vs)
    n_bad = sum(len(v["unfaithful"]) for v in vs)
    put("quote_faithfulness", ((n_cites - n_bad) / n_cites if n_cites else None, n_cites))
    unanswerable = [v for v in vs if v["answer_correct"] is None]
    abstentions = [v for v in vs if v["abstained"]]
    declined_right = sum(1 for v in unanswerable if v["abstained"])
    put("abstention_precision", (declined_right / len(abstentions) if abstentions else None,
                                 len(abstentions)))
    put("abstention_recall", (declined_right / len(unanswerable) if unanswerable else None,
                              len(unanswerable)))
    put("short_accuracy", _mean(v.get("short_correct") for v in vs))
    put("short_precision", _mean(v.get("short_correct") for v in vs if v.get("short")))
    put("short_in_quote", _mean(v.get("short_in_quote") for v in vs))
    seconds = [float(v["seconds"]) for v in vs]
    put("latency_p50", (percentile(seconds, 50), len(seconds)))
    put("latency_p95", (percentile(seconds, 95), len(seconds)))
    return values, support


def summary(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """summary.json: overall metrics, the same by question type, and how many items each is over."""
    overall, support = summarize(results)
    by_type: dict[str, Any] = {}
    for qtype in sorted({str(r.get("type")) for r in results}):
        rows = [r for r in results if str(r.get("type")) == qtype]
        values, _ = summarize(rows)
        by_type[qtype] = {"questions": len(rows), **values}
    return {
        "questions": len(results),
        "answerable": sum(1 for r in results if r.get("answerable")),
        "unanswerable": sum(1 for r in results if not r.get("answerable")),
        "errors": sum(1 for r in results if r.get("error")),
        "overall": overall,
        "support": support,
        "by_type": by_type,
    }


# --- gates and comparisons -----------------------------------------------------------------------

def parse_floor(text: str) -> tuple[str, float]:
    """'answer_accuracy=0.8' -> ('answer_accuracy', 0.8); a metric name must be one of METRICS."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or name not in METRICS:
        raise ValueError(f"expected METRIC=VALUE with METRIC one of {', '.join(METRICS)}; got {text!r}")
    try:
        return name, float(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a number") from None


def check_floors(overall: Mapping[str, float | None], floors: Mapping[str, float],
                 ceilings: Mapping[str, float] | None = None) -> list[str]:
    """One message per metric under its floor (or over its ceiling); undefined metrics fail too."""
    failures = []
    for name, floor in floors.items():
        value = overall.get(name)
        if value is None:
            failures.append(f"{name} is undefined (nothing to measure), floor {floor:g}")
        elif value < floor:
            failures.append(f"{name} = {value:.4f} is below the floor {floor:g}")
    for name, ceiling in (ceilings or {}).items():
        value = overall.get(name)
        if value is None:
            failures.append(f"{name} is undefined (nothing to measure), ceiling {ceiling:g}")
        elif value > ceiling:
            failures.append(f"{name} = {value:.4f} is above the ceiling {ceiling:g}")
    return failures


def compare(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]],
            old_overall: Mapping[str, Any], new_overall: Mapping[str, Any]) -> dict[str, Any]:
    """Change per metric and the questions (by id, in both runs) whose `correct` verdict flipped."""
    deltas = {}
    for name in METRICS:
        a, b = old_overall.get(name), new_overall.get(name)
        deltas[name] = {"before": a, "after": b, "change": None if a is None or b is None else b - a}
    before = {r["id"]: r for r in old}
    flips: dict[str, list[dict[str, Any]]] = {"right_to_wrong": [], "wrong_to_right": []}
    for r in new:
        prev = before.get(r["id"])
        if prev is None:
            continue
        was, now = bool(prev["verdicts"]["correct"]), bool(r["verdicts"]["correct"])
        if was != now:
            item = {"id": r["id"], "type": r.get("type"), "question": r.get("question"),
                    "before": (prev.get("answer") or {}).get("text", ""),
                    "after": (r.get("answer") or {}).get("text", "")}
            flips["right_to_wrong" if was else "wrong_to_right"].append(item)
    common = len(set(before) & {r["id"] for r in new})
    return {"metrics": deltas, "common_questions": common, **flips}
