"""The document types every stage shares: a cleaned `Article` and the `Chunk`s cut from it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Article:
    """One cleaned article. `text` is the story only; citations index into it.

    `publisher` is the outlet that published it (e.g. "ICARO Media Group"); the article's own
    id (its file name) is what citations call their `source`."""

    id: str
    text: str
    title: str | None = None
    date: str | None = None
    publisher: str | None = None
    url: str | None = None
    author: str | None = None
    path: str | None = None

    @cached_property
    def content_hash(self) -> str:
        """sha256 of everything but the path (computed once: chunking asks for it per chunk)."""
        payload = json.dumps(asdict(self) | {"path": None}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """One stored unit of retrieval: whole sentences of one article, `text == article.text[start:end]`."""

    id: str
    article_id: str
    seq: int
    start: int
    end: int
    text: str
    header: str
    metadata: dict[str, Any]

    @property
    def embed_text(self) -> str:
        return f"{self.header}\n\n{self.text}" if self.header else self.text


HEADER_TITLE_CHARS = 300  # a title longer than this is not a headline; only its start is embedded


def header_for(title: str | None, publisher: str | None, date: str | None = None) -> str:
    """Title and "publisher | date" lines embedded (and indexed) above each chunk's text; not part
    of the chunk's span, so quotes stay exact."""
    parts = []
    if title:
        title = " ".join(title.split())
        if len(title) > HEADER_TITLE_CHARS:
            title = title[:HEADER_TITLE_CHARS].rsplit(" ", 1)[0]
        parts.append(title)
    line = " | ".join(x for x in (publisher, date) if x)
    if line:
        parts.append(line)
    return "\n".join(parts)
