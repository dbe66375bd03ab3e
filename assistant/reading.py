"""Reading articles: files in, cleaned `Article`s out.

Supported: .txt/.md (headline, publisher and date lines recognised),
.html/.htm (text only), .json/.jsonl (records with title/body/date/...).
Metadata is only what the article states; an unstated field stays None.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from .dates import DATE_LINE, parse_date
from .errors import ArticleError
from .html_text import html_to_text

TEXT_EXTENSIONS = {".txt", ".md", ".markdown"}
HTML_EXTENSIONS = {".html", ".htm"}
JSON_EXTENSIONS = {".json", ".jsonl"}
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | JSON_EXTENSIONS


@dataclass(frozen=True)
class Article:
    """One cleaned article. `text` is the story only; citations index into it."""

    id: str
    text: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    path: str | None = None

    @property
    def content_hash(self) -> str:
        payload = json.dumps(asdict(self) | {"path": None}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class ReadResult:
    articles: list[Article]
    notices: list[str]  # non-fatal remarks, e.g. "read as Latin-1"


def decode_bytes(data: bytes, path: str) -> tuple[str, str | None]:
    """UTF-8 first; legacy single-byte encodings as a noted fallback; binary refused."""
    if not data.strip():
        raise ArticleError(path, "empty file")
    head = data[:8192]
    if b"\x00" in head:
        raise ArticleError(path, "binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
        notice = None
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        notice = f"{path}: not valid UTF-8, read as Latin-1/Windows-1252"
    controls = sum(1 for ch in text[:8192] if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 50):
        raise ArticleError(path, "binary file (control characters), not text")
    return unicodedata.normalize("NFC", text), notice


def read_path(path: Path, root: Path | None = None, max_bytes: int | None = None) -> ReadResult:
    """Read one file into one or more articles, or raise `ArticleError` with the reason."""
    label = _label(path, root)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ArticleError(label, f"unsupported file type {suffix or '(none)'!r}; "
                           f"supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ArticleError(label, f"cannot read: {exc.strerror or exc}") from None
    if max_bytes is not None and size > max_bytes:
        raise ArticleError(label, f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(label, f"cannot read: {exc.strerror or exc}") from None
    text, notice = decode_bytes(data, label)
    notices = [notice] if notice else []
    if suffix in JSON_EXTENSIONS:
        articles = parse_records(text, path.name, label, jsonl=suffix == ".jsonl")
    else:
        if suffix in HTML_EXTENSIONS:
            text, meta = html_to_text(text)
        else:
            meta = {}
        articles = [article_from_text(path.name, text, meta)]
    articles = [a for a in articles if a.text]
    if not articles:
        raise ArticleError(label, "no article text left after cleaning")
    return ReadResult([a if a.path else _with_path(a, label) for a in articles], notices)


def _with_path(article: Article, label: str) -> Article:
    return Article(**(article.to_dict() | {"path": label}))


def _label(path: Path, root: Path | None) -> str:
    try:
        return str(path.relative_to(root)) if root else str(path)
    except ValueError:
        return str(path)


# --- JSON records ---------------------------------------------------------------------------

def parse_records(text: str, file_name: str, label: str, jsonl: bool) -> list[Article]:
    """JSON object, JSON list of objects, or JSON lines. Ids: `<file>#<n>` for multi-record files."""
    try:
        if jsonl:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            loaded = json.loads(text)
            records = loaded if isinstance(loaded, list) else [loaded]
    except json.JSONDecodeError as exc:
        raise ArticleError(label, f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    articles = []
    for n, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise ArticleError(label, f"record {n + 1} is not a JSON object")
        body = rec.get("body") or rec.get("text") or rec.get("content") or ""
        if not isinstance(body, str) or not body.strip():
            continue
        rid = file_name if len(records) == 1 else f"{file_name}#{rec.get('id', n + 1)}"
        articles.append(
            Article(
                id=rid,
                text=clean_body(body),
                title=_str(rec.get("title")),
                date=parse_date(_str(rec.get("published_at") or rec.get("date"))),
                source=_str(rec.get("source")),
                url=_str(rec.get("url")),
                author=_str(rec.get("author")),
            )
        )
    return articles


def _str(value: object) -> str | None:
    if value is None:
        return None
    import html

    text = html.unescape(str(value)).strip()
    return text or None


# --- plain text -----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")
_TRAILING_MARKERS = re.compile(r"^(more news|like this|related( articles| stories)?|read more|you may also like|"
                               r"recommended|more from .{1,40}|share this( article)?)\s*:?$", re.I)


def _words(line: str) -> list[str]:
    return line.split()


def _is_headline(line: str) -> bool:
    words = _words(line)
    if not 3 <= len(words) <= 25 or _SENTENCE_END.search(line.strip()):
        return False
    caps = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return caps / len(words) >= 0.6


def _is_publisher(line: str) -> bool:
    words = _words(line)
    return (
        1 <= len(words) <= 6
        and not _SENTENCE_END.search(line.strip())
        and all(w[:1].isupper() or not w[:1].isalpha() for w in words)
        and not DATE_LINE.match(line)
    )


def _is_tag_line(line: str) -> bool:
    parts = [p.strip() for p in line.split(",")]
    return (
        len(parts) >= 3
        and all(0 < len(p.split()) <= 4 for p in parts)
        and not _SENTENCE_END.search(line.strip())
    )


def _paragraphs(text: str) -> list[str]:
    lines = [re.sub(r"\s+", " ", ln).strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return [ln for ln in lines if ln]


def clean_body(text: str) -> str:
    """Whitespace-normalised paragraphs joined by blank lines (the canonical story text)."""
    return "\n\n".join(strip_trailing_boilerplate(_paragraphs(text)))


def strip_trailing_boilerplate(paras: list[str]) -> list[str]:
    """Drop "More News", "like this" link lists and tag lines at the end of a story."""
    paras = list(paras)
    for i, para in enumerate(paras):
        if i > 0 and _TRAILING_MARKERS.match(para):
            rest = paras[i + 1:]
            if all(not _SENTENCE_END.search(p) or len(p.split()) <= 25 for p in rest):
                paras = paras[:i]
                break
    while paras and (_is_tag_line(paras[-1]) or _TRAILING_MARKERS.match(paras[-1])):
        paras.pop()
    return paras


def article_from_text(article_id: str, text: str, meta: dict[str, str | None] | None = None) -> Article:
    """Find headline, publisher and date lines at the top; keep every sentence of the story."""
    meta = dict(meta or {})
    paras = _paragraphs(text)
    # markdown headings and emphasis markers at the top are layout, not text
    paras = [re.sub(r"^#{1,6}\s+", "", p) for p in paras]
    title = meta.get("title")
    date = parse_date(meta.get("date"))
    source = meta.get("source")
    head = 0
    if not title:
        # a headline within the first two paragraphs; a sentence-like paragraph before it is a caption
        for i in range(min(2, len(paras))):
            if _is_headline(paras[i]) and all(_SENTENCE_END.search(p) for p in paras[:i]):
                title, head = paras[i], i + 1
                break
    elif paras and paras[0] == title:
        head = 1
    # publisher and date lines directly under the headline
    while head and head < len(paras):
        line = paras[head]
        if DATE_LINE.match(line) and not date:
            date = parse_date(line)
        elif _is_publisher(line) and not source and head <= 2:
            source = line
        else:
            break
        head += 1
    body = strip_trailing_boilerplate(paras[head:])
    return Article(
        id=article_id,
        text="\n\n".join(body),
        title=title,
        date=date,
        source=source,
        url=meta.get("url"),
        author=meta.get("author"),
    )
