"""Finding article files and reading them: which files a sync reads, the id each article gets, and one
line for each file that cannot be read (the others still are).

Ids are paths relative to the base folder holding a file: the corpus folder (no prefix) or the uploads
folder ("uploads/"). A file outside both, named on the command line, gets its path relative to the corpus
folder ("../other/a.txt"), which no corpus or upload id can be, so it never replaces a corpus article of
the same name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..core.documents import Article
from ..core.errors import ArticleError
from ..core.settings import Settings
from .chunking import bound_article
from .reading import SUPPORTED_EXTENSIONS, read_path
from .report import IngestReport


@dataclass(frozen=True)
class SourceFile:
    path: Path
    label: str  # article id for single-article files: path relative to its base folder
    origin: str  # absolute path of the file (printable): which folder an article came from


OUTSIDE = "symlink points outside the corpus folder; not followed"
UPLOADS_PREFIX = "uploads/"  # ids of articles in the uploads folder start with this


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(label: str) -> str:
    """A file name as one line of printable text: bytes that are not UTF-8 (they arrive as surrogates)
    and control characters such as a newline are shown escaped (\\xe9, \\n)."""
    text = label.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


def _unnameable(label: str) -> str | None:
    """Why a file name cannot be an article id (a control character would split every one-line message
    and enter the id), or None."""
    if _CONTROL.search(label):
        return "file name contains a control character (shown escaped); rename the file to ingest it"
    return None


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` (symlinks followed) lies in `folder`; a symlink loop counts as inside
    (reading it then fails with its own message)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # RuntimeError: "Symlink loop" (Python < 3.13)
        return True


def _absolute(path: Path) -> str:
    return _printable(os.path.abspath(path))


Bases = list[tuple[Path, str]]  # folders whose files get ids relative to them, with an id prefix each


def bases_of(settings: Settings) -> Bases:
    """The corpus folder (ids relative to it) and the uploads folder (ids under "uploads/"). A corpus given
    as one file (an evaluation's JSONL) is keyed from its folder: its records stay "articles.jsonl#3"."""
    corpus = Path(settings.corpus_dir)
    return [(corpus.parent if corpus.is_file() else corpus, ""), (settings.uploads, UPLOADS_PREFIX)]


def sync_roots(settings: Settings) -> list[Path]:
    """What a full sync reads: the corpus folder, and the uploads folder once something was uploaded."""
    corpus, uploads = Path(settings.corpus_dir), settings.uploads
    return [corpus] + ([uploads] if uploads.is_dir() and not _inside(uploads, corpus) else [])


def _folder_label(folder: Path, bases: Bases) -> str | None:
    """Id prefix of files directly in `folder`: "" for the corpus folder, "sub/" for a folder in it,
    "uploads/" for the uploads folder; for a folder outside every base, its path relative to the corpus
    folder ("../other/"), which no id of a file inside the bases can be. None without bases."""
    absolute = Path(os.path.abspath(folder))
    try:
        real = absolute.parent.resolve() / absolute.name if absolute.name else absolute.resolve()
    except (OSError, RuntimeError):
        return None
    for base, tag in bases:
        root = base.resolve()
        if real == root:
            return tag
        if real.is_relative_to(root):
            return f"{tag}{real.relative_to(root).as_posix()}/"
    if not bases:
        return None
    return Path(os.path.relpath(real, bases[0][0].resolve())).as_posix() + "/"


def discover(paths: Iterable[Path], report: IngestReport, bases: Bases | None = None) -> list[SourceFile]:
    """Files under `paths` (recursively), refusing symlinks that leave their root.

    Ids (labels) are relative to the base folder holding a file (the corpus folder, or the uploads
    folder under "uploads/"), so a file added by path gets the same id a full sync gives it; files
    outside every base are labelled by their path relative to the corpus folder ("../other/a.txt")."""
    problems = report.problems
    found: list[SourceFile | None] = []
    for root in paths:
        root = Path(root)
        if not root.exists() and not root.is_symlink():
            problems.append(f"{_printable(str(root))}: no such file or folder")
            report.missing_roots.append(str(root))
            continue
        if not root.is_dir():
            prefix = _folder_label(root.parent, bases or []) or ""
            found.append(_source(root, prefix + root.name, report))
            continue
        found += _walk(root, _folder_label(root, bases or []) or "", report)
    return [f for f in found if f is not None]


def _walk(root: Path, prefix: str, report: IngestReport) -> list[SourceFile]:
    found: list[SourceFile | None] = []
    problems = report.problems
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink() and not d.startswith(".") and not _inside(here / d, real_root):
                rel = (here / d).relative_to(root).as_posix()
                problems.append(f"{_printable(prefix + rel)}: {OUTSIDE}")
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = here / name
            label = prefix + path.relative_to(root).as_posix()
            if name.startswith("."):
                if path.suffix.lower() in SUPPORTED_EXTENSIONS:
                    report.notices.append(f"{_printable(label)}: hidden file (its name starts with a dot); "
                                          "not ingested")
                continue
            if path.is_symlink() and not _inside(path, real_root):
                problems.append(f"{_printable(label)}: {OUTSIDE}")
                continue
            if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                problems.append(
                    f"{_printable(label)}: unsupported file type {path.suffix or '(none)'!r}; "
                    f"supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}"
                )
                continue
            found.append(_source(path, label, report))
    return [f for f in found if f is not None]


def _source(path: Path, label: str, report: IngestReport) -> SourceFile | None:
    printable = _printable(label)
    if (why := _unnameable(label)) is not None:
        report.problems.append(f"{printable}: {why}")
        return None
    if printable != label:
        report.notices.append(f"{printable}: file name is not valid UTF-8; stored under the name shown")
    return SourceFile(path, printable, _absolute(path))


def read_sources(
    files: list[SourceFile], max_bytes: int, report: IngestReport, max_tokens: int | None = None
) -> tuple[dict[str, Article], dict[str, str], set[str]]:
    """Articles by id (each cut to `max_tokens` tokens of story text, with a notice), the file each came
    from (by id), and the labels of files that exist but could not be read, wholly or in part (their
    stored articles are kept as they were)."""
    articles: dict[str, Article] = {}
    origins: dict[str, str] = {}
    failed: set[str] = set()
    for f in files:
        try:
            result = read_path(f.path, max_bytes=max_bytes)
        except ArticleError as exc:
            report.problems.append(f"{f.label}: {exc.reason}")
            failed.add(f.label)
            continue
        except Exception as exc:  # a reader failure on one odd file must not stop the others
            report.problems.append(f"{f.label}: could not be read ({type(exc).__name__}: {exc})")
            failed.add(f.label)
            continue
        report.files_read += 1
        report.notices += [_printable(n.replace(str(f.path), f.label)) for n in result.notices]
        report.problems += [_printable(n.replace(str(f.path), f.label)) for n in result.problems]
        if result.problems:  # a record on a bad line may be stored: none of the file's articles is removed
            failed.add(f.label)
        for a in result.articles:
            aid = f.label if a.id == f.path.name else _printable(f"{f.label}{a.id[len(f.path.name):]}")
            article = Article(**(a.to_dict() | {"id": aid, "path": f.label}))
            if aid in articles:
                report.problems.append(f"{f.label}: duplicate article id {aid!r}; later copy skipped")
                continue
            if max_tokens and (cut := bound_article(article, max_tokens)) is not None:
                report.notices.append(
                    f"{aid}: only its first {max_tokens:,} tokens of story text are ingested ({len(cut.text):,} "
                    f"of {len(article.text):,} characters; ASSISTANT_MAX_ARTICLE_TOKENS sets the limit)")
                article = cut
            articles[aid] = article
            origins[aid] = f.origin
    return articles, origins, failed
