"""Results as data: `Answer` and `Citation`, rendered by the UI, CLI and evaluator, never re-parsed.

Every [n] in an answer's text matches exactly one citation and vice versa, and every
quote equals the cited article's cleaned text at [start:end].
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

MARKER = re.compile(r"\[(\d{1,3})\]")
ABSTAIN_TEXT = "The articles don't say."  # how every declined answer begins


@dataclass(frozen=True)
class Citation:
    """One numbered source: the exact sentence of the exact article."""

    number: int
    source: str  # article id (file name)
    title: str | None
    date: str | None  # ISO date the article states, or None
    quote: str  # == article text[start:end]
    start: int
    end: int
    publisher: str | None = None
    url: str | None = None
    score: float | None = None  # evidence score of the quoted sentence

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# "quotes": the best sentences quoted (no typed short answer); "factoid": a short answer led by it, then
# its sentence; "list": every distinct answer of the asked type, each cited; "briefing": central sentences
# of several articles, one line per article in date order; "timeline": dated sentences in date order;
# "yesno": a verdict ("Yes"/"No") a cited sentence states or the dates settle, or each side's evidence
# without one; "declined": the articles don't say
KINDS = ("quotes", "factoid", "list", "briefing", "timeline", "yesno", "declined")


@dataclass(frozen=True)
class Short:
    """The short answer ("Kataib Hezbollah", "eight", "2009"): `text` is the cited article's text at
    [start:end], inside the quote of citation `citation`."""

    text: str
    citation: int
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What `Assistant.ask` returns; the UI, CLI and evaluator render it, never re-parse it."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    answerer: str = "extractive"
    retrieved: list[str] = field(default_factory=list)  # article ids in rank order
    search_query: str | None = None  # the question as searched (after follow-up resolution)
    notes: list[str] = field(default_factory=list)  # e.g. dropped or flagged citations
    confidence: float = 0.0
    seconds: float = 0.0
    kind: str = "quotes"  # one of KINDS: what shape the answer has
    short: Short | None = None  # the short answer, when the engine found one
    checks: dict[str, int] = field(default_factory=dict)  # llm answerer: what the citation check did

    def __post_init__(self) -> None:
        if self.abstained:
            self.kind = "declined"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "answerer": self.answerer,
            "retrieved": list(self.retrieved),
            "search_query": self.search_query,
            "notes": list(self.notes),
            "confidence": round(self.confidence, 4),
            "seconds": round(self.seconds, 4),
            "kind": self.kind,
            "short": self.short.to_dict() if self.short else None,
            "checks": dict(self.checks),
        }


def markers_in(text: str) -> list[int]:
    """Distinct [n] numbers in order of first appearance."""
    return list(dict.fromkeys(int(m) for m in MARKER.findall(text)))
