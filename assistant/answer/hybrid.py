"""The `hybrid` answerer: the engine finds the answer, a language model only phrases it.

The extractive engine answers first (its typed short answer, list, briefing or quotes, each quote an
exact sentence). The model is handed that short answer and those sentences, numbered as the engine
cites them, and asked to phrase one or two sentences citing them. The `llm` answerer's check then keeps
only what the cited sentences support (`llm_answerer`), each kept claim cited to its exact sentence.
So the model cannot bring in a fact the engine did not find, and a small model has a short prompt to
read (the local 0.5B model spends ~47 s reading the `llm` answerer's ~1,800-token prompt).

When the engine declines, or its answer is a list, briefing or timeline, the model is not called. When
nothing the model wrote survives the check, the engine's own answer stands, with a note.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ..core.answers import Answer, Citation, Short
from .llm_answerer import LLMAnswerer, checked_answer, more
from .retrieval import Hit

# Answers whose shape is the point, kept as the engine wrote them: a one-or-two-sentence phrasing of a
# dated timeline, a briefing or a list would drop its lines
SHAPED = ("list", "briefing", "timeline")


class HybridAnswerer:
    """Phrases the engine's answer with a model (handed a `LLMAnswerer` for the model and its check)."""

    def __init__(self, writer: LLMAnswerer) -> None:
        self.writer = writer

    def answer(self, found: Answer, articles: dict[str, dict[str, Any]]) -> Generator[str, None, Answer]:
        """Yield the checked sentences as they stream, then return the answer (or `found` unchanged
        when it declined or nothing phrased survives)."""
        if found.abstained or not found.citations or found.kind in SHAPED:
            yield found.text
            return found
        sources = [_source(c, articles) for c in found.citations]
        numbered = "\n".join(f"[{c.number}] {c.quote}" for c in found.citations)
        short = f"The answer is: {found.short.text}." if found.short else ""
        prompt = self.writer.prompts.render("phrase", question=found.question, short=short, sentences=numbered)
        shown: list[str] = []
        text = yield from self.writer.stream_checked(prompt, sources, articles, shown)
        phrased, parts = checked_answer(found.question, text, sources, articles)
        if phrased.abstained:
            found.notes.append("the model's phrasing was not supported by the cited sentences: the engine's "
                               "answer is shown")
            found.checks = phrased.checks
            if not shown:
                yield found.text
            found.answerer = "hybrid"
            return found
        yield from more(parts, shown)
        phrased.answerer, phrased.kind, phrased.confidence = "hybrid", found.kind, found.confidence
        phrased.short = _short(found, phrased.citations)
        return phrased


def _source(citation: Citation, articles: dict[str, dict[str, Any]]) -> Hit:
    """A cited sentence as a source of one sentence, for the check."""
    meta = articles[citation.source]
    return Hit(f"{citation.source}@{citation.start}", citation.source, citation.quote, citation.start,
               citation.end, {"article_id": citation.source, "content_hash": meta.get("content_hash", "")})


def _short(found: Answer, citations: list[Citation]) -> Short | None:
    """The engine's short answer, numbered as the phrased answer cites its sentence (None if it does not)."""
    if found.short is None:
        return None
    old = next((c for c in found.citations if c.number == found.short.citation), None)
    new = next((c for c in citations if old and (c.source, c.start) == (old.source, old.start)), None)
    return Short(found.short.text, new.number, found.short.start, found.short.end) if new else None
