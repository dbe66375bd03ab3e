"""A persisted BM25 index over the stored chunks (the lexical half of hybrid retrieval).

Saved as one JSON file under store_dir, tagged with a signature of the chunk ids it
covers; when the store changes (an ingest, or another client of a Chroma server) the
signature no longer matches and the index is rebuilt from the store's own texts.

The file is a cache of what the store holds, so anything wrong with it (unreadable, the wrong
shape, ids that do not match its signature, a folder in its place) makes it rebuild rather than
fail: a damaged cache must never stop questions or ingests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..core.text import TOKENIZER_VERSION, tokenize

K1 = 1.2
B = 0.75

log = logging.getLogger(__name__)


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
        """Write atomically: a killed process leaves the old file or the new one, never half. A folder in
        the file's place is removed (the lexical folder is ours); a write that still fails is logged and
        the index serves from memory (it is rebuilt again next time)."""
        payload: dict[str, Any] = {
            "signature": self.signature,
            "ids": self.ids,
            "lengths": self.lengths.astype(int).tolist(),
            "postings": self._raw,
        }
        tmp = path.with_suffix(".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for stale in (path, tmp):
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)
            tmp.write_text(json.dumps(payload), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not save the lexical index to %s (%s); it is kept in memory", path, exc)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none or it is not a whole, consistent index."""
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return cls._from_payload(payload)
        except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            if path.exists():
                log.warning("the lexical index at %s is unusable (%s); rebuilding it", path, type(exc).__name__)
            return None

    @classmethod
    def _from_payload(cls, payload: Any) -> LexicalIndex:
        """Raises ValueError (or the error of the shape it trips on) unless `payload` is a saved index whose
        ids match its signature and whose postings and lengths fit those ids."""
        index = cls.__new__(cls)
        index.ids = [str(i) for i in payload["ids"]]
        index.signature = str(payload["signature"])
        if signature(index.ids) != index.signature:
            raise ValueError("ids do not match the signature")
        index.lengths = np.array(payload["lengths"], dtype=np.float32).reshape(-1)
        if len(index.lengths) != len(index.ids):
            raise ValueError("one length per id expected")
        index.avgdl = float(index.lengths.mean()) if len(index.ids) else 1.0
        index._raw = {str(t): (list(d), list(f)) for t, (d, f) in payload["postings"].items()}
        index.postings = _arrays(index._raw)
        for docs, tfs in index.postings.values():
            if len(docs) != len(tfs) or (len(docs) and not 0 <= docs.min() <= docs.max() < len(index.ids)):
                raise ValueError("a posting points outside the ids")
        return index


def _arrays(raw: dict[str, tuple[list[int], list[int]]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {t: (np.array(d, dtype=np.int32), np.array(f, dtype=np.float32)) for t, (d, f) in raw.items()}
