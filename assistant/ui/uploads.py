"""Browser uploads: saving files into the uploads folder safely, then ingesting just those.

Uploads go to `settings.uploads` (by default `<store_dir>/uploads`), never into the corpus
folder, which stays exactly as its owner keeps it. An upload `name.txt` becomes the article
`uploads/name.txt`; a full sync reads the uploads folder too, so uploads survive restarts.
A cleaned name never overwrites a different file (`name-2.ext` instead); an identical
file is reused; a new file that yields no article is removed again.

The work of one upload is bounded before anything is saved: a file whose articles hold more than
`max_upload_tokens` tokens of story text is refused (each article counting at most `max_article_tokens`,
where the ingest cuts it), so no upload can keep the embedder busy for long.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError
from ..core.text import count_tokens

if TYPE_CHECKING:
    from ..api import Assistant
    from ..core.settings import Settings
    from ..ingest.report import Progress

UPLOAD_EXTENSIONS = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")


def safe_file_name(name: str) -> str:
    """A plain file name for the uploads folder: no folders, no leading dots, only [A-Za-z0-9._-]."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:80] or "article"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext).lower()
    return f"{stem}.{ext}" if ext else stem


def _same_file(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def save_upload(folder: Path, original_name: str, data: bytes, taken: set[str]) -> tuple[str, bool]:
    """Write `data` into `folder` under a safe, unused name; (name, newly written).

    An identical file already there is reused. A different file (or a name in `taken`: one whose
    article id is already in the store) is never overwritten: name-2.ext, name-3.ext, ... is used
    instead. The file appears atomically (hard link of a finished hidden temp file), so racing
    uploads are safe.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_file_name(original_name)
    stem, _, ext = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:12]
    tmp = folder / f".upload-{digest}-{threading.get_ident()}.tmp"
    tmp.write_bytes(data)
    try:
        for n in range(1, 1000):
            candidate = name if n == 1 else f"{stem}-{n}.{ext}"
            dest = folder / candidate
            if dest.exists() or dest.is_symlink():
                if _same_file(dest, data):
                    return candidate, False
                continue
            if candidate in taken:
                continue
            try:
                os.link(tmp, dest)
            except FileExistsError:
                if _same_file(dest, data):
                    return candidate, False
                continue
            return candidate, True
    finally:
        tmp.unlink(missing_ok=True)
    raise ConfigError(f"{original_name}: no free file name left in the uploads folder")


def add_uploads(assistant: Assistant, paths: list[str], progress: Progress | None = None) -> dict[str, Any]:
    """Save uploaded files into the uploads folder and ingest them (reporting to `progress` after each
    embedded batch); a report as data:
    {"saved": [{"file": uploaded name, "article": article id}], "refused", "summary", "problems", "notices"}."""
    from ..ingest.sync import UPLOADS_PREFIX  # ingest's module, loaded by the ingest below anyway

    settings = assistant.settings
    folder = Path(settings.uploads)
    saved: list[tuple[str, str]] = []  # (uploaded name, name in the uploads folder)
    new_files: list[Path] = []
    refused: list[str] = []
    taken = {aid[len(UPLOADS_PREFIX):] for aid in assistant.store.article_records() if aid.startswith(UPLOADS_PREFIX)}
    for path in paths:
        p = Path(path)
        original = _original_name(p)
        problem = _refusal(p, original, settings.max_upload_mb) or _over_budget(p, original, settings)
        if problem:
            refused.append(problem)
            continue
        name, written = save_upload(folder, original, p.read_bytes(), taken)
        taken.add(name)
        saved.append((original, name))
        if written:
            new_files.append(folder / name)
    report = None
    if saved:
        report = assistant.ingest(paths=[folder / name for _, name in saved], progress=progress)
        # a new file from which no article could be read does not stay in the uploads folder
        stored = {m.get("path") for m in assistant.store.article_records().values()}
        for path in new_files:
            if UPLOADS_PREFIX + path.name not in stored:
                path.unlink(missing_ok=True)
        saved = [(o, n) for o, n in saved if UPLOADS_PREFIX + n in stored]
    return {
        "saved": [{"file": o, "article": UPLOADS_PREFIX + n} for o, n in saved],
        "refused": refused,
        "summary": report.summary() if report else None,
        "problems": list(report.problems) if report else [],
        "notices": list(report.notices) if report else [],
    }


def _refusal(path: Path, original: str, max_mb: float) -> str | None:
    """Why an uploaded file is refused before saving (type or size), or None."""
    if path.suffix.lower() not in UPLOAD_EXTENSIONS:
        return (f"{original}: refused, unsupported file type {path.suffix or '(none)'!r}; "
                f"accepted: {', '.join(UPLOAD_EXTENSIONS)}")
    size = path.stat().st_size
    if size > int(max_mb * 1e6):
        return f"{original}: refused, too large ({size / 1e6:.1f} MB; the limit is {max_mb:g} MB)"
    return None


def _over_budget(path: Path, original: str, settings: Settings) -> str | None:
    """Why an upload is refused for the work it would take (more than `max_upload_tokens` tokens of story
    text, each article counted up to `max_article_tokens`), or None. Counting stops once over, so a 5 MB
    file is judged in about the time of its first `max_upload_tokens` tokens. A file that cannot be read
    is left to the ingest, which names the reason."""
    from ..core.errors import ArticleError
    from ..ingest.chunking import bound_article
    from ..ingest.reading import read_path

    try:
        articles = read_path(path, max_bytes=int(settings.max_file_mb * 1e6)).articles
    except ArticleError:
        return None
    budget, total = settings.max_upload_tokens, 0
    for article in articles:
        cut = bound_article(article, settings.max_article_tokens)
        total += settings.max_article_tokens if cut is not None else count_tokens(article.text)
        if total > budget:
            return (f"{original}: refused, more than {budget:,} tokens of story text (the limit of one upload, "
                    "ASSISTANT_MAX_UPLOAD_TOKENS); `assistant ingest PATH` on the server takes a file this big")
    return None


def _original_name(path: Path) -> str:
    """Gradio keeps the uploaded file's own name as the last part of its temp path."""
    return path.name
