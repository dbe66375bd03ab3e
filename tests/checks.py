"""Assertions that several test modules share."""

from __future__ import annotations

from typing import Any

from assistant.core.answers import markers_in


def check_exact_citations(assistant: Any, answer: Any) -> None:
    """Citations numbered 1..n; every [n] in the text has its citation and back; each quote is its article's
    exact span, written in the text right before its [n]; title, date and publisher are the article's."""
    numbers = [c.number for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert markers_in(answer.text) == numbers, "every [n] has a citation and every citation its [n]"
    for c in answer.citations:
        article = assistant.article(c.source)
        assert article["text"][c.start:c.end] == c.quote
        assert f"{c.quote} [{c.number}]" in answer.text
        assert (c.title, c.date, c.publisher) == (article.get("title"), article.get("date"), article.get("publisher"))
