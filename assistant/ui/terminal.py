"""Plain text of an answer and its numbered sources: what `assistant ask` prints and what the chat's
"Copy answer with sources" button copies. No Markdown escapes, no HTML: the text as the answer says it.

Also the display title of a source (shared with the HTML cards): the headline, or the article's first
words when it has none, never a bare file name when there is text to show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.answers import Answer
from ..core.text import first_words

NO_PUBLISHER = "publisher not stated"
NO_DATE = "date not stated"


def display_title(citation: Mapping[str, Any], article: Mapping[str, Any] | None = None) -> str:
    """The headline; else the article's first words (the quote's when the article is gone); else its id."""
    title = str(citation.get("title") or (article or {}).get("title") or "").strip()
    if title:
        return title
    text = (article or {}).get("text")
    words = first_words(text if isinstance(text, str) and text.strip() else citation.get("quote"))
    return words or str(citation.get("source") or "untitled")


def source_field(citation: Mapping[str, Any], article: Mapping[str, Any] | None, key: str) -> Any:
    """A citation's field, or the article's when the citation lacks it."""
    value = citation.get(key)
    if not value and article:
        value = article.get(key)
    return value


def plain_answer(answer: Answer | Mapping[str, Any],
                 articles: Mapping[str, Mapping[str, Any] | None] | None = None,
                 *, offsets: bool = False, notes: bool = False) -> str:
    """The answer's text as it is, then its numbered sources: title, publisher · date · article id
    (with the quote's character offsets when `offsets`), and the quote. `notes` adds the answer's notes."""
    data = answer.to_dict() if isinstance(answer, Answer) else answer
    articles = articles or {}
    lines = [str(data.get("text") or "").strip()]
    citations: Sequence[Mapping[str, Any]] = data.get("citations") or []
    if citations:
        lines += ["", "Sources"]
    for c in citations:
        source = str(c.get("source") or "")
        article = articles.get(source)
        where = source + (f" {c.get('start')}:{c.get('end')}" if offsets else "")
        meta = " · ".join([str(source_field(c, article, "publisher") or NO_PUBLISHER),
                           str(source_field(c, article, "date") or NO_DATE), where])
        lines += [f"[{c.get('number')}] {display_title(c, article)}", f"    {meta}", f"    “{c.get('quote') or ''}”"]
    if notes and data.get("notes"):
        lines += [""] + [f"note: {n}" for n in data["notes"]]
    return "\n".join(lines).rstrip()


def answer_to_text(answer: Answer) -> str:
    """`assistant ask`'s output: the plain answer with quote offsets and notes."""
    return plain_answer(answer, offsets=True, notes=True)
