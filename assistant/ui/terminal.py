"""Plain-text rendering of an `Answer` for the terminal."""

from __future__ import annotations

from ..core.answers import Answer


def answer_to_text(answer: Answer) -> str:
    lines = [answer.text, ""]
    for c in answer.citations:
        meta = " | ".join(x for x in (c.publisher, c.date or "date not stated") if x)
        lines.append(f"[{c.number}] {c.title or c.source} ({meta})")
        lines.append(f"    {c.source} {c.start}:{c.end}  “{c.quote}”")
    for note in answer.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines).rstrip()
