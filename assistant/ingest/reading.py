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
from dataclasses import dataclass, field
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
    problems: list[str] = field(default_factory=list)  # parts of the file that could not be read (bad lines)


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
        codec = _utf16_without_bom(head)
        text = _decoded(data, codec) if codec else None
        if text is None or not text.strip():
            raise ArticleError(path, "binary file (contains NUL bytes), not text")
        return unicodedata.normalize("NFC", text), f"{path}: read as {codec.upper()} (no byte-order mark)"
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


def _utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when the NUL bytes sit where UTF-16 puts them for mostly Latin text
    (every other byte), else None: such a file is text, not binary."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    odd_nul = head[1:2 * pairs:2].count(0) / pairs
    even_nul = head[0:2 * pairs:2].count(0) / pairs
    if odd_nul > 0.6 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.6 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _decoded(data: bytes, codec: str) -> str | None:
    """`data` as `codec`, if it decodes to text with few control characters; else None."""
    try:
        text = data[:len(data) - len(data) % 2].decode(codec)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for ch in text[:4096] if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    return None if controls > max(8, len(text[:4096]) // 50) else text


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
    problems: list[str] = []
    if suffix in JSON_EXTENSIONS:
        articles = parse_records(text, path.name, label, jsonl=suffix == ".jsonl", notices=notices,
                                 problems=problems)
    else:
        if suffix in HTML_EXTENSIONS:
            text, meta = html_to_text(text)
        else:
            meta = {}
        articles = [article_from_text(path.name, text, meta)]
    articles = [a for a in articles if a.text]
    if not articles:
        raise ArticleError(label, "no article text left after cleaning")
    return ReadResult([a if a.path else _with_path(a, label) for a in articles], notices, problems)


def _with_path(article: Article, label: str) -> Article:
    return Article(**(article.to_dict() | {"path": label}))


def _label(path: Path, root: Path | None) -> str:
    try:
        return str(path.relative_to(root)) if root else str(path)
    except ValueError:
        return str(path)


# --- JSON records ---------------------------------------------------------------------------

def parse_records(
    text: str, file_name: str, label: str, jsonl: bool, notices: list[str] | None = None,
    problems: list[str] | None = None,
) -> list[Article]:
    """JSON object, JSON list of objects, or JSON lines. Ids: `<file>#<n>` (or `<file>#<its id>`) for
    records of a list or JSON lines file, even when it holds one record, so ids stay put as it grows.

    A JSON line that does not parse is skipped with a line in `problems` naming its line and column (it
    keeps its number, so the records after it keep their ids); a record without body text is skipped with
    a remark in `notices`. ArticleError when no record is left, with the reason of the first."""
    records, bad = _json_records(text, label, jsonl)
    multi = jsonl or (len(records) != 1 or records[0][0] != 0)
    where = "line" if jsonl else "record"
    articles, skipped = [], list(bad)
    for n, (pos, rec) in enumerate(records):
        if rec is None:
            continue
        if not isinstance(rec, dict):
            raise ArticleError(label, f"{where} {pos} is not a JSON object")
        body, why = _body(rec)
        if why:
            at = f"{where} {pos}{'' if why.startswith('has ') else ':'} {why}"
            skipped.append(at if multi else why)
            if notices is not None and multi:
                notices.append(f"{label}: {at}; skipped")
            continue
        rid = f"{file_name}#{rec.get('id', n + 1)}" if multi else file_name
        articles.append(Article(
            id=rid, text=clean_body(body), title=_str(rec.get("title")),
            date=parse_date(_str(rec.get("published_at") or rec.get("date"))),
            publisher=_str(rec.get("publisher") or rec.get("source")), url=_str(rec.get("url")),
            author=_str(rec.get("author")),
        ))
    if not [a for a in articles if a.text]:
        raise ArticleError(label, skipped[0] if len(skipped) == 1 else
                           f"no record has article text ({skipped[0]}, ...)" if skipped else "no records")
    if problems is not None:
        problems += [f"{label}: {b}; skipped (the other lines were read)" for b in bad]
    return articles


def _json_records(text: str, label: str, jsonl: bool) -> tuple[list[tuple[int, object]], list[str]]:
    """(position, record) of each record (None for a JSON line that does not parse; position 0 for a
    file of one JSON object), and what is wrong with each bad line. A JSON document that does not
    parse is ArticleError."""
    try:
        if not jsonl:
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ArticleError(label, f"invalid JSON at line {exc.lineno}, column {exc.colno}: "
                                   f"{exc.msg}") from None
            return (list(enumerate(loaded, 1)) if isinstance(loaded, list) else [(0, loaded)]), []
        records: list[tuple[int, object]] = []
        bad = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append((lineno, json.loads(line)))
                except json.JSONDecodeError as exc:
                    records.append((lineno, None))
                    bad.append(f"invalid JSON on line {lineno}, column {exc.colno}: {exc.msg}")
        return records, bad
    except RecursionError:
        raise ArticleError(label, "JSON nested too deeply to be an article") from None


_JSON_TYPES = {bool: "true or false", int: "a number", float: "a number", list: "a list", dict: "an object"}


def _body(record: dict[str, object]) -> tuple[str, str | None]:
    """The record's body text, or why it has none ("body is not text (a number)", "has no body text")."""
    for key in ("body", "text", "content"):
        value = record.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            return "", f"{key} is not text ({_JSON_TYPES.get(type(value), type(value).__name__)})"
        if value.strip():
            return value, None
    return "", "has no body text"


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
