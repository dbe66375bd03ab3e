"""A damaged store: its failures as one line, and moving it aside for a rebuild.

Chroma reports a damaged database in several ways: its own errors, SQLite's, and panics of its Rust
core, which pyo3 raises as `PanicException`, a `BaseException` that `except Exception` does not catch.
Every call into a collection goes through `guarded`, which turns each of these into one `StoreError`
line naming the store folder and how to rebuild it. Some damage aborts the process inside Rust instead;
`damaged` (SQLite's own quick check, run before a rebuild opens anything) finds that too, and
`move_aside` keeps the damaged folder while a fresh one is built.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import StoreError
from ..core.settings import Settings

REBUILD = "rebuild it with `assistant ingest --rebuild` (which moves the damaged folder aside)"


def is_failure(exc: BaseException) -> bool:
    """Whether `exc` is the store failing (not a caller's mistake such as an empty id list, which
    chromadb raises as ValueError). Chroma's Rust core panics on a damaged database, and pyo3's
    PanicException derives from BaseException, so `except Exception` alone lets it through."""
    from chromadb.errors import ChromaError

    return isinstance(exc, (ChromaError, sqlite3.DatabaseError)) or type(exc).__name__ == "PanicException"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0][:200] if text else "") or type(exc).__name__


def failure_message(settings: Settings, exc: BaseException) -> str:
    """One line naming the store and what to do: a server is the server's to fix; a folder can be rebuilt."""
    if settings.chroma_url:
        return f"the Chroma server {settings.chroma_url} failed: {_reason(exc)}"
    return f"the store at {chroma_path(settings)} is unreadable ({_reason(exc)}): {REBUILD}"


def chroma_path(settings: Settings) -> Path:
    return Path(settings.store_dir) / "chroma"


def guarded(settings: Settings, call: Callable[..., Any]) -> Callable[..., Any]:
    """`call`, with a failure of the store raised as one StoreError line."""
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except BaseException as exc:
            if is_failure(exc):
                raise StoreError(failure_message(settings, exc)) from None
            raise
    return run


class Guarded:
    """A Chroma collection whose every call raises a store failure as StoreError (see `guarded`)."""

    def __init__(self, collection: Any, settings: Settings) -> None:
        self._collection = collection
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        return guarded(self._settings, attr) if callable(attr) else attr


def damaged(settings: Settings) -> str | None:
    """Why the embedded store's database is damaged (SQLite's own quick check), or None when it is
    sound, absent or a server's. Read-only; run before a rebuild, since some damage aborts the whole
    process inside Chroma's Rust core instead of raising."""
    db = chroma_path(settings) / "chroma.sqlite3"
    if settings.chroma_url or not db.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return _reason(exc)
    problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
    return problems[0][:200] if problems else None


def move_aside(settings: Settings) -> Path:
    """Rename the embedded store's folder to `chroma.unreadable-<time>` (kept, never deleted) and forget
    this process's client of it, so the next open starts an empty store."""
    path = chroma_path(settings)
    aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    forget_client(settings)
    os.replace(path, aside)
    return aside


def forget_client(settings: Settings) -> None:
    """Drop this process's cached Chroma client of the embedded store (chromadb keeps one per folder for
    the life of the process), so the next open reads the folder afresh."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        key = str(chroma_path(settings))
        system = SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        if system is not None:
            system.stop()
    except BaseException:  # a client that cannot even stop is dropped all the same
        pass
