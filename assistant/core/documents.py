"""The document types every stage shares: a cleaned `Article`, the `Chunk`s cut from it, and the
notes on its sentences (`SentenceNote`: entities and stated dates) made once at ingest."""

from __future__ import annotations

import calendar
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


# --- annotations (computed once at ingest, see assistant/ingest/annotate.py) ---------------------

@dataclass(frozen=True)
class Entity:
    """A named entity: spaCy's label (PERSON, ORG, GPE, DATE, CARDINAL, ...) and its span in the
    article (`text == article.text[start:end]`)."""

    label: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class StatedDate:
    """A date a sentence states, with its span in the article. `iso` is the day ("2023-11-17"), the
    month ("2023-11") or the year ("2023") it names, resolved against the article's own date for
    "Friday" or "yesterday"; None when it cannot be placed on a calendar ("three years", "next week")."""

    text: str
    start: int
    end: int
    iso: str | None

    @property
    def first(self) -> str | None:
        """The first day it covers, as ISO."""
        return _iso_range(self.iso)[0]

    @property
    def last(self) -> str | None:
        """The last day it covers, as ISO."""
        return _iso_range(self.iso)[1]


@dataclass(frozen=True)
class SentenceNote:
    """One sentence of an article (span by `assistant.core.text.sentence_spans`), with the entities
    in it and the dates it states, all spans article-absolute."""

    start: int
    end: int
    entities: tuple[Entity, ...] = ()
    dates: tuple[StatedDate, ...] = ()

    def entities_json(self) -> str:
        """Compact JSON: [[label, start, end, text], ...]."""
        return json.dumps([[e.label, e.start, e.end, e.text] for e in self.entities],
                          ensure_ascii=False, separators=(",", ":"))

    def dates_json(self) -> str:
        """Compact JSON: [[start, end, text, iso or null], ...]."""
        return json.dumps([[d.start, d.end, d.text, d.iso] for d in self.dates],
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, start: int, end: int, entities: str | None, dates: str | None) -> SentenceNote:
        ents = tuple(Entity(str(lab), int(s), int(e), str(t)) for lab, s, e, t in json.loads(entities or "[]"))
        stated = tuple(StatedDate(str(t), int(s), int(e), i) for s, e, t, i in json.loads(dates or "[]"))
        return cls(start, end, ents, stated)


def _iso_range(iso: str | None) -> tuple[str | None, str | None]:
    """(first day, last day) of an ISO day, month or year."""
    if not iso:
        return None, None
    if len(iso) == 4:
        return f"{iso}-01-01", f"{iso}-12-31"
    if len(iso) == 7:
        year, month = int(iso[:4]), int(iso[5:7])
        days = calendar.monthrange(year, month)[1]
        return f"{iso}-01", f"{iso}-{days:02d}"
    return iso, iso
