"""A persisted BM25 index over the stored chunks (the lexical half of hybrid retrieval).

Saved as one JSON file under store_dir, tagged with a signature of the chunk ids it
covers; when the store changes (an ingest, or another client of a Chroma server) the
signature no longer matches and the index is rebuilt from the store's own texts.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..core.text import TOKENIZER_VERSION, tokenize

K1 = 1.2
B = 0.75


def signature(chunk_ids: list[str]) -> str:
    h = hashlib.sha256(TOKENIZER_VERSION.encode())
    for cid in sorted(chunk_ids):
        h.update(cid.encode("utf-8") + b"\0")
    return h.hexdigest()


class LexicalIndex:
    """BM25 over chunk texts; postings held as numpy arrays for fast scoring."""

    def __init__(self, ids: list[str], doc_tokens: list[list[str]], sig: str) -> None:
        self.ids = ids
        self.signature = sig
        lengths = np.array([len(t) for t in doc_tokens], dtype=np.float32)
        self.avgdl = float(lengths.mean()) if len(ids) else 1.0
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for n, toks in enumerate(doc_tokens):
            for term, tf in Counter(toks).items():
                docs, tfs = postings.setdefault(term, ([], []))
                docs.append(n)
                tfs.append(tf)
        self._raw = {t: (d, f) for t, (d, f) in postings.items()}
        self.lengths = lengths
        self.postings = _arrays(self._raw)

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> LexicalIndex:
        return cls(list(ids), [tokenize(t) for t in texts], signature(list(ids)))

    def idf(self, term: str) -> float:
        df = len(self.postings[term][0]) if term in self.postings else 0
        n = len(self.ids)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query` (zeros where no term matches)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        norm = K1 * (1 - B + B * self.lengths / max(self.avgdl, 1e-9))
        for term in set(tokenize(query)):
            if term not in self.postings:
                continue
            docs, tfs = self.postings[term]
            out[docs] += self.idf(term) * tfs * (K1 + 1) / (tfs + norm[docs])
        return out

    # --- persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write atomically: a killed process leaves the old file or the new one, never half."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload: dict[str, Any] = {
            "signature": self.signature,
            "ids": self.ids,
            "lengths": self.lengths.astype(int).tolist(),
            "postings": self._raw,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex | None:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        index = cls.__new__(cls)
        index.ids = payload["ids"]
        index.signature = payload["signature"]
        index.lengths = np.array(payload["lengths"], dtype=np.float32)
        index.avgdl = float(index.lengths.mean()) if len(index.ids) else 1.0
        index._raw = {t: (d, f) for t, (d, f) in payload["postings"].items()}
        index.postings = _arrays(index._raw)
        return index


def _arrays(raw: dict[str, tuple[list[int], list[int]]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {t: (np.array(d, dtype=np.int32), np.array(f, dtype=np.float32)) for t, (d, f) in raw.items()}
