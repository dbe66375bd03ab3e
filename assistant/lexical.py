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
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

K1 = 1.2
B = 0.75
_TOKEN = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those there their they them he she his her we our you your i me my what which who whom whose when "
    "where why how did do does done has have had not no so than then too very can could would should will shall "
    "may might must about into over after before under between during since until while also just more most "
    "such only own same other any each few both all some s t".split()
)


def fold(text: str) -> str:
    """Lower case without accents or apostrophes (Katai'b = Kataib), for matching words."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"['’‘`]", "", text)


TOKENIZER_VERSION = "porter-3"  # part of the signature: a tokenizer change rebuilds persisted indexes


# news wording that means the same thing, folded onto one stem (after Porter)
SYNONYMS = {
    "death": "kill", "dead": "kill", "die": "kill", "di": "kill", "fatal": "kill", "casualti": "kill",
    "airstrik": "strike", "bomb": "strike", "bombard": "strike", "wound": "injur",
    "soldier": "troop", "personnel": "troop", "servic": "troop", "individu": "peopl", "person": "peopl",
}


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    stemmed = _porter().stem(word)
    return SYNONYMS.get(stemmed, stemmed)


@lru_cache(maxsize=1)
def _porter() -> Any:
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


def tokenize(text: str) -> list[str]:
    """Folded, stop-word-free, Porter-stemmed words: "Strikes killed" -> ["strike", "kill"]."""
    return [stem(t) for t in _TOKEN.findall(fold(text)) if t not in STOPWORDS]


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
        self.position = {cid: n for n, cid in enumerate(ids)}
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
        index.position = {cid: n for n, cid in enumerate(index.ids)}
        index.lengths = np.array(payload["lengths"], dtype=np.float32)
        index.avgdl = float(index.lengths.mean()) if len(index.ids) else 1.0
        index._raw = {t: (d, f) for t, (d, f) in payload["postings"].items()}
        index.postings = _arrays(index._raw)
        return index


def _arrays(raw: dict[str, tuple[list[int], list[int]]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {t: (np.array(d, dtype=np.int32), np.array(f, dtype=np.float32)) for t, (d, f) in raw.items()}
