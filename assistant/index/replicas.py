"""Several app processes (replicas) on one store, as on one `chroma run` server: who may write, and
whether the store changed since a replica last looked.

Both live in a small control collection (`<collection>_control`, two records) that `Store.reset`
leaves alone, so a rebuild keeps its lease:

* The writer lease (record `writer`): one ingest at a time across every replica. Chroma has no
  transactions across calls, but `add` of an id that exists leaves the stored record as it is,
  so of two replicas that race for the lease one record stands; each reads it back, and the one
  that does not find itself refuses with one line (`WriterBusyError`). A lease names its holder
  (host, pid) and expires unless renewed (a thread renews it while held), so a replica killed
  mid-ingest blocks the others for at most `LEASE_SECONDS`, and none on its own host (a dead pid).
* The change stamp (record `stamp`): rewritten when a writer announces a change and when its lease
  is released, i.e. around every ingest or removal by any replica. With the chunk count it is the
  cheap check each request makes: two small reads, never a listing of ids.
* The change log (records `change-<seq>`): before a writer touches the chunks of some articles it
  announces them (`announce`): one record naming them, numbered after the last, marked done when
  its lease is released. A reader that applied changes up to n reads those after n and reads again
  from the store the chunks of the articles they name (`lexical_sync`); one not marked done (a write
  under way, or killed) is read again at the next change. `None` for the articles means everything
  (a rebuild, or more than `MAX_NAMED` articles): readers rebuild. The last `LOG_KEEP` are kept.
  The stamp record names the last change and the last one known finished, so every read of the log
  is by id: a `where` filter scans the metadata of every collection in the database (0.5 s at 100,000
  chunks, measured with benchmarks/scale.py).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..core.errors import StoreError

LEASE_ID = "writer"
STAMP_ID = "stamp"
CHANGE_PREFIX = "change-"
MAX_NAMED = 1000  # a change naming more articles than this is announced as "everything" (readers rebuild)
LOG_KEEP = 1000  # changes kept; a reader further behind rebuilds
LEASE_SECONDS = 60.0  # a lease not renewed for this long is free (wall clock; replicas' clocks should agree)
RENEW_SECONDS = 15.0


class WriterBusyError(StoreError):
    """Another replica is writing to the store (it holds the writer lease)."""


class WriterLease:
    """The store's writer lease as a context manager; entering raises WriterBusyError when another
    live replica holds it. Leaving bumps the change stamp, then frees the lease."""

    def __init__(self, control: Any, location: str, clock: Callable[[], float] = time.time) -> None:
        self.control = control
        self.location = location
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> WriterLease:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            self.release()
        except StoreError:
            if kind is None:
                raise
            # the write's own error says what went wrong; an unreleased lease expires by itself

    def _record(self) -> dict[str, Any]:
        return {"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                "since": self.clock(), "expires": self.clock() + LEASE_SECONDS}

    def holder(self) -> dict[str, Any]:
        got = self.control.get(ids=[LEASE_ID], include=["metadatas"])
        return dict(got["metadatas"][0] or {}) if got["ids"] else {}

    def acquire(self) -> None:
        """Take the lease: insert-if-absent, read back; a stale holder's lease is removed (only if it is
        still that holder's) and the insert tried once more."""
        for _ in range(2):
            self.control.add(ids=[LEASE_ID], embeddings=[[1.0]], metadatas=[self._record()])
            held = self.holder()
            if held.get("owner") == self.owner:
                self._renewer = threading.Thread(target=self._renew, name="writer-lease", daemon=True)
                self._renewer.start()
                return
            if not self._stale(held):
                break
            self.control.delete(ids=[LEASE_ID], where={"owner": str(held.get("owner"))})
        raise WriterBusyError(busy_message(self.location, held, self.clock()))

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        finish_changes(self.control)  # ours, and any a killed writer left unfinished (a new stamp, too)
        self.control.delete(ids=[LEASE_ID], where={"owner": self.owner})

    def _renew(self) -> None:
        """Push the expiry on while held (an ingest of a large corpus outlasts LEASE_SECONDS)."""
        while not self._stop.wait(RENEW_SECONDS):
            try:
                if self.holder().get("owner") == self.owner:
                    self.control.upsert(ids=[LEASE_ID], embeddings=[[1.0]], metadatas=[self._record()])
            except Exception:  # a missed renewal only shortens the lease; the ingest itself goes on
                pass

    def _stale(self, held: dict[str, Any]) -> bool:
        """Expired, or held by a process of this host that is gone (a replica killed mid-ingest)."""
        if float(held.get("expires") or 0) < self.clock():
            return True
        if held.get("host") == socket.gethostname() and isinstance(held.get("pid"), int):
            return not _alive(held["pid"])
        return False


def busy_message(location: str, held: dict[str, Any], now: float) -> str:
    ago = max(now - float(held.get("since") or now), 0.0)
    return (f"another replica (host {held.get('host', '?')}, pid {held.get('pid', '?')}) has been writing to "
            f"the store at {location} for {ago:.0f} s; one writer at a time: retry when it finishes")


def bump_stamp(control: Any, seq: int | None = None, done: int | None = None) -> None:
    """A new stamp (and, given, a new last change number and last finished one)."""
    if seq is None or done is None:  # the stamp is read only for what is not given
        old_seq, old_done = _marks(control)
        seq = old_seq if seq is None else seq
        done = old_done if done is None else done
    control.upsert(ids=[STAMP_ID], embeddings=[[1.0]],
                   metadatas=[{"stamp": uuid.uuid4().hex, "seq": seq, "done": done}])


def read_stamp(control: Any) -> str:
    got = control.get(ids=[STAMP_ID], include=["metadatas"])
    return str((got["metadatas"][0] or {}).get("stamp", "")) if got["ids"] else ""


def last_change(control: Any) -> int:
    return _marks(control)[0]


def _marks(control: Any) -> tuple[int, int]:
    """(the last change announced, the last one below which all are known finished). A stamp written
    before the finished mark existed gives LOG_KEEP changes back (all that may be kept)."""
    got = control.get(ids=[STAMP_ID], include=["metadatas"])
    meta = (got["metadatas"][0] or {}) if got["ids"] else {}
    seq = int(meta.get("seq", 0))
    return seq, int(meta.get("done", max(seq - LOG_KEEP, 0)))


def _ids(seqs: Iterable[int]) -> list[str]:
    return [f"{CHANGE_PREFIX}{s:012d}" for s in seqs]


@dataclass(frozen=True)
class Change:
    """One announced change: its number, the articles whose chunks it touches (None: any), whether
    its writer finished."""

    seq: int
    articles: frozenset[str] | None
    done: bool


def announce(control: Any, article_ids: Iterable[str] | None) -> int:
    """Record that the chunks of these articles (None: of any) are about to change; its number. Call
    it holding the writer lease, before the writes."""
    ids = None if article_ids is None else sorted(set(article_ids))
    if ids is not None and len(ids) > MAX_NAMED:
        ids = None
    last, done = _marks(control)
    seq = last + 1
    control.upsert(ids=_ids([seq]), embeddings=[[1.0]], metadatas=[
        {"change": seq, "articles": "*" if ids is None else json.dumps(ids), "done": False}])
    bump_stamp(control, seq, done)
    if seq > LOG_KEEP:  # the one that falls out of the log (every release finished it)
        control.delete(ids=_ids([seq - LOG_KEEP]))
    return seq


def changes_since(control: Any, seq: int) -> list[Change] | None:
    """The changes after number `seq`, oldest first; None when some of them are no longer kept."""
    last = last_change(control)
    if last - seq > LOG_KEEP:
        return None
    changes = changes_of(control, range(seq + 1, last + 1))
    return changes if [c.seq for c in changes] == list(range(seq + 1, seq + 1 + len(changes))) else None


def changes_of(control: Any, seqs: Iterable[int]) -> list[Change]:
    ids = _ids(seqs)
    got = control.get(ids=ids, include=["metadatas"]) if ids else {"metadatas": []}
    return sorted((_change(m) for m in got["metadatas"]), key=lambda c: c.seq)


def unfinished(control: Any) -> list[int]:
    """The numbers of announced changes not finished (under way, or their writer was killed), oldest first."""
    seq, done = _marks(control)
    return [c.seq for c in changes_of(control, range(done + 1, seq + 1)) if not c.done]


def finish_changes(control: Any) -> None:
    """Mark every announced change done, and the stamp's finished mark with them."""
    seq, done = _marks(control)
    ids = _ids(range(done + 1, seq + 1))
    if ids:
        got = control.get(ids=ids, include=["metadatas"])
        if got["ids"]:
            control.upsert(ids=got["ids"], embeddings=[[1.0]] * len(got["ids"]),
                           metadatas=[{**(m or {}), "done": True} for m in got["metadatas"]])
    bump_stamp(control, seq, seq)


def _change(meta: dict[str, Any] | None) -> Change:
    meta = meta or {}
    named = meta.get("articles", "*")
    return Change(int(meta.get("change", 0)), None if named == "*" else frozenset(json.loads(str(named))),
                  bool(meta.get("done")))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True
