"""The question, analysed once into a `Query` that everything downstream reads.

Validation (empty, too long, not text), the conversation so far, follow-up
resolution (what to search for), the date window the question names, hard filters
and options. Like llama-index's `QueryBundle`: built at the top of the engine,
never re-derived from strings further down.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..core.dates import DateRange, parse_date, question_date_range
from ..core.errors import ConfigError, QuestionError
from .followups import resolve_followup
from .retrieval import Filters

ANSWERERS = ("extractive", "llm")
HISTORY_MESSAGE_CHARS = 4000  # each earlier message is cut to this; only recent topic words matter


@dataclass(frozen=True)
class Query:
    """One question with everything the engine needs to answer it."""

    question: str  # as asked, cleaned of control characters and extra spaces
    search_text: str  # what is searched: the question, completed from the conversation when it refers back
    history: list[dict[str, str]] = field(default_factory=list)
    date_range: DateRange | None = None  # a date the question names ("in November 2023"): a boost, not a filter
    filters: Filters = field(default_factory=Filters)
    k: int = 8
    answerer: str = "extractive"


def clean_question(question: Any, limit: int) -> str:
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, got {type(question).__name__}")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > limit:
        raise QuestionError(f"the question is too long ({len(text):,} characters; the limit is {limit:,})")
    return text


def clean_history(history: Any) -> list[dict[str, str]]:
    if not history:
        return []
    if not isinstance(history, list):
        raise QuestionError("history must be a list of {'role', 'content'} messages")
    out = []
    for m in history:
        if isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str):
            out.append({"role": m["role"], "content": m["content"][:HISTORY_MESSAGE_CHARS]})
        else:
            raise QuestionError("history must be a list of {'role': 'user'|'assistant', 'content': str} messages")
    return out


def filter_date(value: str | None, name: str) -> str | None:
    """A --since/--until value as an ISO date (None when unset); QuestionError naming the option."""
    if not value:
        return None
    iso = parse_date(value)
    if iso is None:
        raise QuestionError(f"{name} must be a date such as 2023-11-22, got {value!r}")
    return iso


def analyse(
    question: Any,
    history: Any,
    *,
    today: date,
    max_chars: int,
    k: int,
    answerer: str,
    since: str | None = None,
    until: str | None = None,
    publishers: list[str] | None = None,
    article_ids: list[str] | None = None,
    rewrite: Callable[[str, list[dict[str, str]]], str] | None = None,
) -> Query:
    """Validate and analyse a question. `rewrite` (the LLM's condense step) replaces the
    rule-based follow-up resolution when given."""
    text = clean_question(question, max_chars)
    turns = clean_history(history)
    if answerer not in ANSWERERS:
        raise ConfigError(f"answerer must be 'extractive' or 'llm', got {answerer!r}")
    filters = Filters(tuple(publishers or ()), tuple(article_ids or ()),
                      filter_date(since, "since"), filter_date(until, "until"))
    search = rewrite(text, turns) if rewrite is not None else resolve_followup(text, turns)
    return Query(text, search, turns, question_date_range(search, today), filters, k, answerer)
