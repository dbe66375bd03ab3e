"""Typed short answers: for who / which / where / when / how many questions, the named entity of the asked
type in the quoted sentence (stored at ingest by spaCy's NER), led in front of the quote.

A candidate that only repeats the question's own words is no answer ("Who killed X?" is not answered by
"X"). A short answer is given only when the quoted sentence holds exactly one other candidate of the
asked type: with two ("2,500 in Iraq and 900 in Syria") picking one needs more than word distance, and a
wrong short answer, shown first and in bold, is worse than none.
"""

from __future__ import annotations

import re

from ..core.answers import Short
from ..core.documents import SentenceNote
from ..core.text import stems
from .evidence import Sentence, numbers_in
from .query import Query

# spaCy's OntoNotes labels that can answer each kind of question
LABELS = {
    "person": ("PERSON",),
    "organisation": ("ORG", "NORP"),
    "place": ("GPE", "LOC", "FAC"),
    "date": ("DATE",),
    "number": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT"),
}


_DEFINITION = re.compile(r"^\s*(who|what) (is|was|are|were) [A-Z]", re.I)


def wanted(query: Query) -> tuple[str, ...]:
    """The entity labels that answer the query, or () when it does not ask for one thing ("Who is Yehia
    Rasool?" asks what he is, not for a name: a definition has no short answer of a type)."""
    if query.asks == "list" or _DEFINITION.match(query.question):
        return ()
    return LABELS.get(query.item or query.asks, ())


def short_answer(query: Query, sentence: Sentence, note: SentenceNote | None, citation: int) -> Short | None:
    """The short answer inside `sentence` (cited as `citation`), or None when it holds none of the asked type."""
    labels = wanted(query)
    if not labels or note is None:
        return None
    asked = stems(query.question)
    text = sentence.text
    candidates = [e for e in note.entities
                  if e.label in labels and sentence.start <= e.start and e.end <= sentence.end
                  and not stems(e.text.replace(".", "")) <= asked  # U.S. is the question's US
                  and not text[e.end - sentence.start:].startswith("-")]  # "Iran-backed" names no place
    if query.asks == "number" and len(numbers_in(text)) > 1:
        return None  # "2,500 in Iraq and another 900 in Syria": NER may miss one; the text holds two
    if len({c.text for c in candidates}) != 1:
        return None  # none, or several of the asked type: which one answers needs more than this sentence
    best = candidates[0]
    return Short(best.text, citation, best.start, best.end)
