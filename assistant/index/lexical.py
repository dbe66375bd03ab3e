"""The lexical half of hybrid retrieval: BM25 over the stored chunks, kept in step with the store.

Ranking is bm25s's (k1 1.2, b 0.75, Lucene idf); tokens are the project's own (`core.text.tokenize`).
An index is two parts:

* the base, a bm25s index saved under its own folder and loaded memory-mapped, with one row of
  columns per chunk (article, publisher, date key, span, content hash) so filters, boosts and hits
  need no chunk metadata from the store;
* the delta: chunks added since the base was built, and base rows removed since, scored with the
  same statistics. Adding one article to a store of 100,000 chunks touches the delta only; when the
  delta outgrows `COMPACT_SHARE` of the base, the whole index is rebuilt (see `LexicalFiles.update`).

Chosen over SQLite FTS5 by measurement (`python benchmarks/lexical.py`, README "Scaling"): on the
same 100,000 chunks FTS5's `ORDER BY rank` took ~150 ms a question against ~2 ms here, because it
ranks every chunk that holds any of the question's words.

Which chunks it covers is decided by the store's change log (`replicas`): the index records the
last change it applied, and each change names the articles it touched, whose chunks are then read
again from the store. Files are replaced atomically (a manifest names the live base and delta), so a
killed process leaves the old index or the new one; anything unreadable makes it rebuild rather than
fail: a damaged cache must never stop questions or ingests.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.text import TOKENIZER_VERSION, tokenize

K1 = 1.2
B = 0.75
FORMAT = 2  # of the files below; a folder of another format is rebuilt
# Rebuild the base once the delta holds this share of it: a delta is scored in Python-sized numpy
# pieces and rewritten whole at each change, so it is kept small; at 100k chunks this is every ~10k.
COMPACT_SHARE = 0.1
COMPACT_MIN = 2000  # ... but never for fewer chunks than this (a small store is rebuilt in well under a second)

log = logging.getLogger(__name__)

COLUMNS = ("article", "publisher", "date_key", "start", "end", "hash")  # int32 each; codes into `tables`


@dataclass
class ChunkRow:
    """What the index keeps of one chunk: its id, its tokens and the columns filters and hits read."""

    id: str
    tokens: list[str]
    article_id: str
    publisher: str
    date_key: int
    start: int
    end: int
    content_hash: str

    @classmethod
    def from_store(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> ChunkRow:
        return cls(chunk_id, tokenize(text), str(meta.get("article_id", "")), str(meta.get("publisher") or ""),
                   int(meta.get("date_key") or 0), int(meta.get("start", 0)), int(meta.get("end", 0)),
                   str(meta.get("content_hash", "")))


@dataclass
class Found:
    """A chunk the index ranks for a question: its id, score and the columns of its row."""

    chunk_id: str
    score: float
    article_id: str
    publisher: str
    date_key: int
    start: int
    end: int
    content_hash: str


@dataclass
class _Tables:
    """The strings the int columns code for (one list per coded column), and their codes."""

    article: list[str] = field(default_factory=list)
    publisher: list[str] = field(default_factory=list)
    hash: list[str] = field(default_factory=list)

    def code(self, column: str, value: str, codes: dict[str, dict[str, int]]) -> int:
        table = codes.get(column)
        if table is None:  # (not `setdefault`: its default would be built again at every call)
            table = codes[column] = {v: n for n, v in enumerate(getattr(self, column))}
        if value not in table:
            table[value] = len(table)
            getattr(self, column).append(value)
        return table[value]


class LexicalIndex:
    """BM25 over the stored chunks: a bm25s base plus a delta (see the module docstring)."""

    def __init__(self, base: Any, ids: list[str], columns: dict[str, np.ndarray], tables: _Tables,
                 avgdl: float, median_df: int, delta: list[ChunkRow] | None = None,
                 dead: Iterable[int] = (), seq: int = 0) -> None:
        self.base = base  # bm25s.BM25, or None for an empty base
        self.ids = ids  # base row -> chunk id
        self.columns = columns
        self.tables = tables
        self.avgdl = avgdl
        self.median_df = median_df
        self.seq = seq  # the last change of the store's log this index has applied
        self.alive = np.ones(len(ids), dtype=bool)
        self.alive[list(dead)] = False
        self.vocab: dict[str, int] = dict(base.vocab_dict) if base is not None else {}
        self.df = np.diff(np.asarray(base.scores["indptr"])).astype(np.int64) if base is not None else np.zeros(0)
        self._codes: dict[str, dict[str, int]] = {}
        self.delta: dict[str, ChunkRow] = {}
        self._delta_df: Counter[str] = Counter()
        for row in delta or ():
            self._add_delta(row)

    # --- building --------------------------------------------------------------------------------
    @classmethod
    def build(cls, rows: list[ChunkRow], seq: int = 0) -> LexicalIndex:
        """A base of these chunks and an empty delta."""
        import bm25s

        tables, codes = _Tables(), {}
        columns = {c: np.zeros(len(rows), dtype=np.int32) for c in COLUMNS}
        vocab: dict[str, int] = {}
        token_ids = []
        for n, row in enumerate(rows):
            token_ids.append([vocab.setdefault(t, len(vocab)) for t in row.tokens])
            columns["article"][n] = tables.code("article", row.article_id, codes)
            columns["publisher"][n] = tables.code("publisher", row.publisher, codes)
            columns["hash"][n] = tables.code("hash", row.content_hash, codes)
            columns["date_key"][n], columns["start"][n], columns["end"][n] = row.date_key, row.start, row.end
        base = None
        if rows:
            base = bm25s.BM25(k1=K1, b=B, method="lucene")
            base.index((token_ids, vocab), show_progress=False)
        lengths = [len(r.tokens) for r in rows]
        avgdl = float(np.mean(lengths)) if rows else 1.0
        dfs = np.diff(np.asarray(base.scores["indptr"])) if base is not None else np.zeros(0)
        median_df = int(np.median(dfs)) if len(dfs) else 1
        return cls(base, [r.id for r in rows], columns, tables, avgdl, median_df, seq=seq)

    # --- what evidence scoring reads ---------------------------------------------------------------
    @property
    def size(self) -> int:
        """Chunks covered (live base rows and delta rows)."""
        return int(self.alive.sum()) + len(self.delta)

    def chunk_ids(self) -> set[str]:
        """The ids of the chunks covered."""
        return {self.ids[n] for n in np.flatnonzero(self.alive)} | set(self.delta)

    def knows(self, term: str) -> bool:
        return self._df(term) > 0

    def idf(self, term: str) -> float:
        return _idf(self.size, self._df(term))

    def median_idf(self) -> float:
        return _idf(self.size, self.median_df) if self.vocab or self.delta else 1.0

    def max_idf(self) -> float:
        return _idf(max(self.size, 1), 0)

    def _df(self, term: str) -> int:
        n = self.vocab.get(term)
        base = int(self.df[n]) if n is not None and n < len(self.df) else 0
        return base + self._delta_df.get(term, 0)

    # --- ranking ---------------------------------------------------------------------------------------
    def top(self, query: str, n: int, where: dict[str, Any] | None = None) -> list[Found]:
        """The `n` best chunks for `query` that pass `where` (Chroma's filter syntax over article_id,
        publisher and date_key), best first; none that shares no word with it."""
        terms = list(dict.fromkeys(tokenize(query)))
        found: list[Found] = []
        if self.base is not None and len(self.ids):
            ids = [self.vocab[t] for t in terms if t in self.vocab]
            if ids:
                scores = self.base.get_scores_from_ids(ids)
                keep = self.alive & (scores > 0)
                if where:
                    keep &= _mask(where, self._base_column)
                candidates = np.flatnonzero(keep)
                if len(candidates) > n:
                    candidates = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
                found = [self._found_base(int(r), float(scores[r])) for r in candidates]
        found += self._delta_top(terms, where)
        found.sort(key=lambda f: -f.score)
        return found[:n]

    def scores(self, query: str) -> dict[str, float]:
        """chunk id -> BM25 score of every chunk that shares a word with `query` (for tests and tools)."""
        return {f.chunk_id: f.score for f in self.top(query, max(self.size, 1))}

    def _found_base(self, row: int, score: float) -> Found:
        c, t = self.columns, self.tables
        return Found(self.ids[row], score, t.article[c["article"][row]], t.publisher[c["publisher"][row]],
                     int(c["date_key"][row]), int(c["start"][row]), int(c["end"][row]), t.hash[c["hash"][row]])

    def _base_column(self, name: str) -> tuple[np.ndarray, list[str] | None]:
        if name in ("article_id", "publisher"):
            column = "article" if name == "article_id" else "publisher"
            return self.columns[column], getattr(self.tables, column)
        if name == "date_key":
            return self.columns["date_key"], None
        raise ValueError(f"the lexical index cannot filter on {name!r}")

    def _delta_top(self, terms: list[str], where: dict[str, Any] | None) -> list[Found]:
        """The delta's chunks, scored with the whole index's statistics (so they rank among the base's)."""
        rows = [r for r in self.delta.values() if set(r.tokens) & set(terms)]
        if where:
            rows = [r for r in rows if _allows(where, r)]
        out = []
        for row in rows:
            tf = Counter(row.tokens)
            norm = K1 * (1 - B + B * len(row.tokens) / max(self.avgdl, 1e-9))
            score = sum(self.idf(t) * tf[t] * (K1 + 1) / (tf[t] + norm) for t in terms if tf[t])
            out.append(Found(row.id, score, row.article_id, row.publisher, row.date_key, row.start, row.end,
                             row.content_hash))
        return out

    # --- changes -----------------------------------------------------------------------------------------
    def replace_articles(self, article_ids: Iterable[str], rows: list[ChunkRow]) -> None:
        """The chunks of these articles are now `rows` (none: the articles are gone)."""
        ids = set(article_ids)
        codes = [n for n, a in enumerate(self.tables.article) if a in ids]
        if codes and len(self.ids):
            self.alive &= ~np.isin(self.columns["article"], codes)
        for cid in [cid for cid, r in self.delta.items() if r.article_id in ids]:
            self._drop_delta(cid)
        for row in rows:
            self._add_delta(row)

    def needs_compaction(self) -> bool:
        changed = len(self.delta) + int((~self.alive).sum())
        return changed > max(COMPACT_MIN, COMPACT_SHARE * len(self.ids))

    def _add_delta(self, row: ChunkRow) -> None:
        if row.id in self.delta:
            self._drop_delta(row.id)
        self.delta[row.id] = row
        self._delta_df.update(set(row.tokens))

    def _drop_delta(self, chunk_id: str) -> None:
        row = self.delta.pop(chunk_id)
        self._delta_df.subtract(set(row.tokens))


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


# --- filters over the columns (the subset of Chroma's `where` that Filters.where() writes) ---------------
def _mask(where: dict[str, Any], column: Any) -> np.ndarray:
    if "$and" in where:
        return np.logical_and.reduce([_mask(w, column) for w in where["$and"]])
    if "$or" in where:
        return np.logical_or.reduce([_mask(w, column) for w in where["$or"]])
    ((name, cond),) = where.items()
    values, table = column(name)
    op, operand = next(iter(cond.items())) if isinstance(cond, dict) else ("$eq", cond)
    if table is not None:  # a coded string column: compare codes
        wanted = [operand] if op in ("$eq", "$ne") else list(operand)
        codes = [n for n, v in enumerate(table) if v in set(wanted)]
        hit = np.isin(values, codes)
        return ~hit if op in ("$ne", "$nin") else hit
    return _compare(values, op, operand)


def _allows(where: dict[str, Any], row: ChunkRow) -> bool:
    def column(name: str) -> tuple[np.ndarray, list[str] | None]:
        if name == "article_id":
            return np.array([0]), [row.article_id]
        if name == "publisher":
            return np.array([0]), [row.publisher]
        if name == "date_key":
            return np.array([row.date_key]), None
        raise ValueError(f"the lexical index cannot filter on {name!r}")

    return bool(_mask(where, column)[0])


def _compare(values: np.ndarray, op: str, operand: Any) -> np.ndarray:
    ops = {"$eq": np.equal, "$ne": np.not_equal, "$gt": np.greater, "$gte": np.greater_equal,
           "$lt": np.less, "$lte": np.less_equal}
    if op in ops:
        return ops[op](values, operand)
    if op in ("$in", "$nin"):
        hit = np.isin(values, list(operand))
        return hit if op == "$in" else ~hit
    raise ValueError(f"the lexical index cannot filter with {op!r}")


# --- files --------------------------------------------------------------------------------------------
class LexicalFiles:
    """Where one store's lexical index lives on disk: `folder/manifest.json` names the live base folder
    and delta file; each save writes new files, then replaces the manifest, then removes the old ones."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest = folder / "manifest.json"

    def load(self) -> LexicalIndex | None:
        """The saved index, or None when there is none or it is not a whole, consistent one."""
        import bm25s

        try:
            meta = json.loads(self.manifest.read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT or meta.get("tokenizer") != TOKENIZER_VERSION:
                raise ValueError("another format")
            base_dir = self.folder / str(meta["base"])
            ids = json.loads((base_dir / "ids.json").read_text(encoding="utf-8"))
            tables = _Tables(**json.loads((base_dir / "tables.json").read_text(encoding="utf-8")))
            columns = {c: np.load(base_dir / f"{c}.npy", mmap_mode="r") for c in COLUMNS}
            base = bm25s.BM25.load(base_dir, mmap=True, show_progress=False) if ids else None
            delta_meta = json.loads((self.folder / str(meta["delta"])).read_text(encoding="utf-8"))
            delta = [ChunkRow(**r) for r in delta_meta["rows"]]
            index = LexicalIndex(base, [str(i) for i in ids], columns, tables, float(meta["avgdl"]),
                                 int(meta["median_df"]), delta, delta_meta["dead"], int(meta["seq"]))
            _check(index)
            return index
        except Exception as exc:  # noqa: BLE001 - any damage to a cache means "rebuild it"
            if self.manifest.exists() or self.folder.is_file():
                log.warning("the lexical index at %s is unusable (%s: %s); rebuilding it",
                            self.folder, type(exc).__name__, exc)
            return None

    def save(self, index: LexicalIndex, base_changed: bool) -> None:
        """Write the delta (and the base when `base_changed`), then switch the manifest to them. A write
        that fails is logged and the index serves from memory (and is rebuilt next time)."""
        try:
            if self.folder.is_file() or self.folder.is_symlink():
                self.folder.unlink()
            self.folder.mkdir(parents=True, exist_ok=True)
            old = self._current()
            base = self._write_base(index) if base_changed or not old.get("base") else old["base"]
            delta = f"delta-{uuid.uuid4().hex[:12]}.json"
            dead = np.flatnonzero(~index.alive).tolist()
            payload = {"rows": [r.__dict__ for r in index.delta.values()], "dead": dead}
            (self.folder / delta).write_text(json.dumps(payload), encoding="utf-8")
            meta = {"format": FORMAT, "tokenizer": TOKENIZER_VERSION, "base": base, "delta": delta,
                    "avgdl": index.avgdl, "median_df": index.median_df, "seq": index.seq}
            tmp = self.folder / "manifest.tmp"
            tmp.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(tmp, self.manifest)
            self._remove_unused({base, delta})
        except OSError as exc:
            log.warning("could not save the lexical index to %s (%s); it is kept in memory", self.folder, exc)

    def _current(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.manifest.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return {}

    def _write_base(self, index: LexicalIndex) -> str:
        name = f"base-{uuid.uuid4().hex[:12]}"
        folder = self.folder / name
        folder.mkdir()
        if index.base is not None:
            index.base.save(folder, show_progress=False)
        (folder / "ids.json").write_text(json.dumps(index.ids), encoding="utf-8")
        (folder / "tables.json").write_text(json.dumps(index.tables.__dict__), encoding="utf-8")
        for c in COLUMNS:
            np.save(folder / f"{c}.npy", np.asarray(index.columns[c], dtype=np.int32))
        return name

    def _remove_unused(self, keep: set[str]) -> None:
        """Old bases and deltas (a process that still reads an old base keeps it open: on POSIX the file
        lives until it is closed)."""
        for path in self.folder.iterdir():
            if path.name in keep or path.name == "manifest.json":
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _check(index: LexicalIndex) -> None:
    """Raise ValueError unless the loaded parts fit together."""
    n = len(index.ids)
    for c in COLUMNS:
        if len(index.columns[c]) != n:
            raise ValueError(f"column {c} has {len(index.columns[c])} rows for {n} chunks")
    if index.base is not None and int(index.base.scores["num_docs"]) != n:
        raise ValueError("the bm25s index covers another number of chunks")
    for c, table in (("article", index.tables.article), ("publisher", index.tables.publisher),
                     ("hash", index.tables.hash)):
        if n and not 0 <= int(np.min(index.columns[c])) <= int(np.max(index.columns[c])) < len(table):
            raise ValueError(f"a {c} code points outside its table")
