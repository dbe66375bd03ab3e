"""Timelines: "Timeline of the strikes", "What happened first, ...?": the dated events of the evidence in
date order, each quoted exactly with its [n].

A sentence's date is the first date it states, resolved at ingest against its article's date ("on Friday"
in an article of Wednesday 2023-11-22 is 2023-11-17); else its article's date, said to be the report's
date; else it is listed last as undated. Only sentences that name the timeline's topic are used.
"""

from __future__ import annotations

from ..core.answers import Answer, Citation
from ..core.documents import SentenceNote
from .briefing import UNDATED, candidates
from .evidence import Sentence
from .query import Query

TIMELINE_EVENTS = 8  # a design bound for readability (not calibrated): longer histories are a briefing's job


def dated(sentence: Sentence, note: SentenceNote | None) -> tuple[str, str]:
    """(sort key, label) of a sentence: the date it states, else its article's date, else undated."""
    stated = next((d for d in (note.dates if note else ()) if d.iso), None)
    if stated:
        return stated.first or UNDATED, stated.iso or ""
    if sentence.meta.get("date"):
        return sentence.meta["date"], f"{sentence.meta['date']}, date of the report"
    return UNDATED, "date not stated"


def timeline(query: Query, sentences: list[Sentence], notes: dict[str, list[SentenceNote]],
             confidence: float) -> Answer:
    """The best-scored topical sentences (one per distinct quote), in date order, undated last."""
    chosen: list[tuple[str, str, Sentence]] = []
    seen: set[str] = set()
    for sent in sorted(candidates(query, sentences), key=lambda s: -s.score):
        if sent.text in seen:
            continue
        seen.add(sent.text)
        key, label = dated(sent, sent.note(notes))
        chosen.append((key, label, sent))
        if len(chosen) == TIMELINE_EVENTS:
            break
    chosen.sort(key=lambda item: (item[0], item[2].article_id, item[2].start))
    citations: list[Citation] = []
    lines = ["In date order:"]
    for n, (_, label, sent) in enumerate(chosen, 1):
        citations.append(sent.citation(n))
        lines.append(f"- {label}: {sent.shown} [{n}]")
    return Answer(question=query.question, text="\n".join(lines), citations=citations, answerer="extractive",
                  confidence=confidence, kind="timeline")
