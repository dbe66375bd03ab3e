"""Reading articles: files in, cleaned `Article`s out.

Supported: .txt/.md (headline, publisher and date lines recognised),
.html/.htm (text only), .json/.jsonl (records with title/body/date/...).
Metadata is only what the article states; an unstated field stays None.
"""

from __future__ import annotations

import json
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..core.dates import DATE_LINE, parse_date
from ..core.documents import Article
from ..core.errors import ArticleError
from .html_text import html_to_text

TEXT_EXTENSIONS = {".txt", ".md", ".markdown"}
HTML_EXTENSIONS = {".html", ".htm"}
JSON_EXTENSIONS = {".json", ".jsonl"}
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | JSON_EXTENSIONS


@dataclass(frozen=True)
class ReadResult:
    articles: list[Article]
    notices: list[str]  # non-fatal remarks, e.g. "read as Latin-1"


# longest first: the UTF-32-LE mark starts with the UTF-16-LE one
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode_bytes(data: bytes, path: str) -> tuple[str, str | None]:
    """UTF-8 first; legacy single-byte encodings as a noted fallback; binary refused."""
    if not data.strip():
        raise ArticleError(path, "empty file")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError:
                reason = f"has a {codec.upper()} byte-order mark but does not decode"
                raise ArticleError(path, reason) from None
            if not text.strip():
                raise ArticleError(path, "empty file")
            return unicodedata.normalize("NFC", text), f"{path}: read as {codec.upper()} (byte-order mark)"
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
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ArticleError(label, "broken symbolic link (its target does not exist)") from None
        raise ArticleError(label, "cannot read: no such file") from None
    except OSError as exc:
        raise ArticleError(label, f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a named pipe" if stat.S_ISFIFO(st.st_mode) else \
            "a device or socket"
        raise ArticleError(label, f"not a regular file ({kind})")
    size = st.st_size
    if max_bytes is not None and size > max_bytes:
        raise ArticleError(label, f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(label, f"cannot read: {exc.strerror or exc}") from None
    text, notice = decode_bytes(data, label)
    notices = [notice] if notice else []
    if suffix in JSON_EXTENSIONS:
        articles = parse_records(text, path.name, label, jsonl=suffix == ".jsonl", notices=notices)
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

def parse_records(
    text: str, file_name: str, label: str, jsonl: bool, notices: list[str] | None = None
) -> list[Article]:
    """JSON object, JSON list of objects, or JSON lines. Ids: `<file>#<n>` (or `<file>#<its id>`) for
    records of a list or JSON lines file, even when it holds one record, so ids stay put as it grows.

    Records without body text are skipped with a remark in `notices`."""
    records: list[tuple[int, object]] = []  # (line or record number, record)
    multi = jsonl  # a JSON lines file or a JSON list: ids `<file>#<n>` however many records it holds now
    try:
        if jsonl:
            for lineno, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    try:
                        records.append((lineno, json.loads(line)))
                    except json.JSONDecodeError as exc:
                        raise ArticleError(label, f"invalid JSON on line {lineno}: {exc.msg}") from None
        else:
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ArticleError(label, f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
            multi = isinstance(loaded, list)
            records = list(enumerate(loaded if multi else [loaded], 1))
    except RecursionError:
        raise ArticleError(label, "JSON nested too deeply to be an article") from None
    where = "line" if jsonl else "record"
    articles = []
    for n, (pos, rec) in enumerate(records):
        if not isinstance(rec, dict):
            raise ArticleError(label, f"{where} {pos} is not a JSON object")
        body = rec.get("body") or rec.get("text") or rec.get("content") or ""
        if not isinstance(body, str) or not body.strip():
            if notices is not None:
                notices.append(f"{label}: {where} {pos} has no body text; skipped")
            continue
        rid = f"{file_name}#{rec.get('id', n + 1)}" if multi else file_name
        articles.append(
            Article(
                id=rid,
                text=clean_body(body),
                title=_str(rec.get("title")),
                date=parse_date(_str(rec.get("published_at") or rec.get("date"))),
                publisher=_str(rec.get("publisher") or rec.get("source")),
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
_TRAILING_MARKERS = re.compile(
    r"^(more news|like this|related( articles| stories)?|read more|you may also like|"
    r"recommended|more from .{1,40}|share this( article)?)\s*:?$",
    re.I,
)


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
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [re.sub(r"\s+", " ", ln).strip() for ln in lines]
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


_DATE_PREFIX = re.compile(r"^(?:published|updated|last updated|posted)(?:\s+on)?\s*:?\s*", re.I)
_BYLINE = re.compile(r"^by\s+(\S.*)$", re.I)


def _date_line(line: str) -> str | None:
    """The ISO date of a line that is only a date ("Wednesday, 11/22/2023", "Published: 22 Nov 2023")."""
    line = _DATE_PREFIX.sub("", line)
    return parse_date(line) if DATE_LINE.match(line) else None


def _byline(line: str) -> str | None:
    """"By Jane Doe" -> "Jane Doe" (names only: short, capitalised, no sentence punctuation)."""
    m = _BYLINE.match(line)
    if not m or _SENTENCE_END.search(line.strip()) or len(line.split()) > 10:
        return None
    names = [w for w in m.group(1).replace(",", " ").split() if w.lower() not in ("and", "&")]
    if not names or sum(1 for w in names if w[:1].isupper()) / len(names) < 0.6:
        return None
    return m.group(1).strip()


def article_from_text(article_id: str, text: str, meta: dict[str, str | None] | None = None) -> Article:
    """Find headline, byline, publisher and date lines at the top; keep every sentence of the story."""
    meta = dict(meta or {})
    paras = _paragraphs(text)
    # markdown headings and emphasis markers at the top are layout, not text
    paras = [re.sub(r"^#{1,6}\s+", "", p) for p in paras]
    title = meta.get("title")
    date = parse_date(meta.get("date"))
    publisher = meta.get("publisher")
    author = meta.get("author")
    head = 0
    if not title:
        # a headline within the first two paragraphs; a sentence-like paragraph before it is a caption
        for i in range(min(2, len(paras))):
            if _is_headline(paras[i]) and all(_SENTENCE_END.search(p) for p in paras[:i]):
                title, head = paras[i], i + 1
                break
    else:
        # the declared headline repeated on the page (after a kicker or caption, at most)
        for i in range(min(3, len(paras))):
            if paras[i] == title:
                head = i + 1
                break
    # date, byline and publisher lines directly under the headline (date and byline also at the very top)
    start = head
    while head < len(paras) and head - start < 4:
        line = paras[head]
        if (day := _date_line(line)) is not None:
            date = date or day
        elif (name := _byline(line)) is not None:
            author = author or name
        elif start and not publisher and head - start < 2 and _is_publisher(line):
            publisher = line
        else:
            break
        head += 1
    body = strip_trailing_boilerplate(paras[head:])
    return Article(
        id=article_id,
        text="\n\n".join(body),
        title=title,
        date=date,
        publisher=publisher,
        url=meta.get("url"),
        author=author,
    )
