"""report.html: one self-contained page (inline CSS and SVG, no script) that opens offline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from .metrics import LOWER_IS_BETTER, METRICS
from .svg import diverging_bars, grouped_bars, histogram

TYPE_SERIES = (
    "accuracy_all", "hit@5", "mrr@10", "citation_precision", "citation_recall", "quote_faithfulness"
)

CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1a202c;line-height:1.4}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #e2e8f0}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #e2e8f0;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f7fafc}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#276749;font-weight:600}.bad{color:#c53030;font-weight:600}.muted{color:#718096}
.up{color:#276749}.down{color:#c53030}blockquote{margin:2px 0 2px 12px;color:#4a5568;font-size:12px}
details summary{cursor:pointer}
"""


def fmt(value: Any, metric: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f} s" if metric.startswith("latency") else f"{value:.3f}"
    return escape(str(value))


def metrics_table(summary: Mapping[str, Any]) -> str:
    types = summary["by_type"]
    head = "".join(f"<th>{escape(t)} ({types[t]['questions']})</th>" for t in types)
    rows = []
    for m in METRICS:
        cells = "".join(f'<td class="num">{fmt(types[t].get(m), m)}</td>' for t in types)
        rows.append(f'<tr><th>{escape(m)}</th><td class="num">{fmt(summary["overall"].get(m), m)}</td>'
                    f'<td class="num muted">{summary["support"].get(m, "")}</td>{cells}</tr>')
    return (f"<table id=\"metrics\"><tr><th>metric</th><th>overall</th><th>n</th>{head}</tr>"
            + "\n".join(rows) + "</table>")


def compare_section(comparison: Mapping[str, Any]) -> str:
    deltas = comparison["metrics"]
    plotted = {m: d["change"] for m, d in deltas.items() if m not in LOWER_IS_BETTER}
    rows = []
    for m, d in deltas.items():
        change = d["change"]
        better = change is not None and (change < 0 if m in LOWER_IS_BETTER else change > 0)
        worse = change is not None and (change > 0 if m in LOWER_IS_BETTER else change < 0)
        cls = "up" if better else "down" if worse else ""
        rows.append(f'<tr><th>{escape(m)}</th><td class="num">{fmt(d["before"], m)}</td>'
                    f'<td class="num">{fmt(d["after"], m)}</td>'
                    f'<td class="num {cls}">{"–" if change is None else f"{change:+.3f}"}</td></tr>')
    out = [f"<h2>Change against the earlier run</h2>"
           f"<p>{comparison['common_questions']} questions in both runs; "
           f"{len(comparison['right_to_wrong'])} went right → wrong, "
           f"{len(comparison['wrong_to_right'])} wrong → right.</p>",
           diverging_bars("compare", plotted, "Change per metric (after − before)"),
           "<table id=\"deltas\"><tr><th>metric</th><th>before</th><th>after</th><th>change</th></tr>"
           + "\n".join(rows) + "</table>"]
    for key, title in (("right_to_wrong", "Right → wrong"), ("wrong_to_right", "Wrong → right")):
        items = comparison[key]
        lis = "".join(
            f"<li><b>{escape(i['id'])}</b> <span class=\"muted\">({escape(str(i['type']))})</span> "
            f"{escape(i['question'] or '')}<blockquote>before: {escape(i['before'] or '')}</blockquote>"
            f"<blockquote>after: {escape(i['after'] or '')}</blockquote></li>" for i in items)
        list_id = key.replace("_", "-")
        out.append(f'<h3>{title} ({len(items)})</h3><ul id="{list_id}">{lis or "<li>none</li>"}</ul>')
    return "\n".join(out)


def question_rows(results: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for r in results:
        v = r["verdicts"]
        answer = r.get("answer") or {}
        verdict = '<span class="ok">right</span>' if v["correct"] else '<span class="bad">wrong</span>'
        cites = "".join(
            f"<blockquote>[{c.get('number')}] {escape(str(c.get('source')))}: “{escape(str(c.get('quote')))}”"
            + (' <span class="bad">unfaithful</span>' if c.get("number") in v["unfaithful"] else "")
            + "</blockquote>" for c in answer.get("citations") or [])
        gold = " | ".join(r.get("gold_answers") or []) or "(decline)"
        if r.get("gold_short"):
            gold += f"; short: {r['gold_short']}"
        text = escape(answer.get("text") or "")
        if v.get("short"):
            ok = v.get("short_correct") is not False and v.get("short_in_quote")
            text = (f'<div class="{"ok" if ok else "bad"}">short: {escape(str(v["short"]))}</div>' + text)
        if r.get("error"):
            text = f'<span class="bad">{escape(r["error"])}</span>'
        hist = (f'<div class="muted">after: {" / ".join(escape(h) for h in r["history"])}</div>'
                if r.get("history") else "")
        rows.append(
            f"<tr><td>{escape(r['id'])}</td><td>{escape(str(r['type']))}</td><td>{verdict}</td>"
            f"<td>{hist}{escape(r['question'])}<div class=\"muted\">gold: {escape(gold)}</div></td>"
            f"<td>{text}<details><summary>{len(answer.get('citations') or [])} citation(s), "
            f"retrieved {len(r.get('retrieved') or [])}</summary>{cites}"
            f"<div class=\"muted\">retrieved: {escape(', '.join(r.get('retrieved') or []))}<br>"
            f"gold sources: {escape(', '.join(r.get('gold_sources') or []))}</div></details></td>"
            f'<td class="num">{r["seconds"]:.2f}</td></tr>')
    return ("<table id=\"questions\"><tr><th>id</th><th>type</th><th>verdict</th><th>question</th>"
            "<th>answer</th><th>s</th></tr>" + "\n".join(rows) + "</table>")


def render(results: Sequence[Mapping[str, Any]], summary: Mapping[str, Any],
           comparison: Mapping[str, Any] | None = None, title: str = "Evaluation report") -> str:
    run = summary.get("run") or {}
    facts = " · ".join(f"{escape(k)}: {escape(str(v))}" for k, v in run.items() if v not in (None, ""))
    by_type = {t: dict(v) for t, v in summary["by_type"].items()}
    by_type["overall"] = dict(summary["overall"])
    latency = [float(r["seconds"]) for r in results]
    marks = {"p50": summary["overall"].get("latency_p50"), "p95": summary["overall"].get("latency_p95")}
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{summary['questions']} questions ({summary['answerable']} answerable, "
        f"{summary['unanswerable']} to decline), {summary['errors']} errors.<br>"
        f"<span class=\"muted\">{facts}</span></p>",
        "<h2>Metrics</h2>", metrics_table(summary),
        "<h2>Metrics by question type</h2>",
        grouped_bars("by-type", by_type, TYPE_SERIES, "Metrics by question type"),
        "<h2>Latency</h2>", histogram("latency", latency, marks, "Seconds per question"),
    ]
    if comparison:
        body.append(compare_section(comparison))
    body += ["<h2>Questions</h2>", question_rows(results)]
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_report(out: Path, results: Sequence[Mapping[str, Any]], summary: Mapping[str, Any],
                 comparison: Mapping[str, Any] | None = None, title: str = "Evaluation report") -> Path:
    path = out / "report.html"
    path.write_text(render(results, summary, comparison, title), encoding="utf-8")
    return path
