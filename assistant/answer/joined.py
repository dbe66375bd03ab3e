"""Two questions in one ("Which prime minister was in office during A, and which during B?"): each part
is answered on its own, with its own retrieval, and the answers are joined with one numbering.

A single retrieval for both parts would favour whichever part the question's words lean to, and a typed
answer takes one candidate; so the engine splits the question (`query.two_questions`) and joins here.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.answers import MARKER, Answer, Citation


def joined(question: str, parts: list[tuple[str, Answer]]) -> Answer:
    """One line per part, led by the part as asked; a sentence both parts cite keeps one number."""
    numbers: dict[tuple[str, int], int] = {}
    citations: list[Citation] = []
    lines = []
    for asked, answer in parts:
        mapping = {}
        for cite in answer.citations:
            key = (cite.source, cite.start)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(replace(cite, number=numbers[key]))
            mapping[cite.number] = numbers[key]
        lines.append(f"- {asked} {_renumbered(answer.text, mapping)}")
    answers = [a for _, a in parts]
    out = Answer(question=question, text="\n".join(lines), citations=citations,
                 abstained=all(a.abstained for a in answers), answerer=answers[0].answerer,
                 confidence=min(a.confidence for a in answers), kind="list")
    out.notes = [n for a in answers for n in a.notes]
    out.retrieved = list(dict.fromkeys(r for a in answers for r in a.retrieved))
    return out


def _renumbered(text: str, mapping: dict[int, int]) -> str:
    return MARKER.sub(lambda m: f"[{mapping[int(m.group(1))]}]", text)
