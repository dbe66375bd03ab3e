"""Build the `Query` the engine would build, for tests that drive retrieval or evidence directly."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assistant.answer.query import Query


def query_for(assistant: Any, text: str, k: int = 8, **changes: Any) -> Query:
    """`text` analysed as the engine does (publishers named, date window, what it asks for), then
    any field in `changes` (filters, date_range, ...) set directly."""
    query = assistant.engine.query(text, k=k)
    return replace(query, **changes) if changes else query
