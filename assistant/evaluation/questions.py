"""Question sets: one `Question` type, read from JSONL, JSON, YAML, CSV or MultiHop-RAG files.

Every format maps onto the same fields so the runner and the metrics never care
where a set came from. MultiHop-RAG names its gold articles by title; those are
kept in `gold_titles` until `resolve_titles` maps them onto the store's ids.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import AssistantError

MULTIHOP_NULL_ANSWER = "Insufficient information."
UNRESOLVED = "?title:"  # prefix of a gold source whose title is not in the store (counts as never retrieved)


@dataclass
class Question:
    """One evaluation item; field names are the question-set format."""

    id: str
    question: str
    answers: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    answerable: bool = True
    history: list[str] = field(default_factory=list)
    type: str = "single"
    all_answers: bool = False
    gold_titles: list[str] = field(default_factory=list)  # MultiHop-RAG: gold articles by title
    short: str | None = None  # gold short answer of a factoid ("Kataib Hezbollah", "eight", "2009")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.gold_titles:
            out.pop("gold_titles")
        if self.short is None:
            out.pop("short")
        return out


class QuestionSetError(AssistantError):
    """The question set cannot be read; the message names the file and the record."""


def load_questions(path: str | Path) -> list[Question]:
    """Read a set by extension: .jsonl/.json, .yaml/.yml, .csv; MultiHop-RAG records are detected."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise QuestionSetError(f"{path}: cannot read the question set: {exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        records = _jsonl(text, path)
    elif suffix == ".json":
        records = _json(text, path)
    elif suffix in (".yaml", ".yml"):
        records = _yaml(text, path)
    elif suffix == ".csv":
        records = list(csv.DictReader(io.StringIO(text)))
    else:
        raise QuestionSetError(
            f"{path}: unknown question-set format {suffix!r}; use .jsonl, .json, .yaml or .csv"
        )
    return parse_records(records, str(path))


def parse_records(records: Iterable[Mapping[str, Any]], where: str = "question set") -> list[Question]:
    """Records of either format to `Question`s, checking ids are unique."""
    questions: list[Question] = []
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, Mapping):
            raise QuestionSetError(f"{where}: record {n} is not a mapping")
        if is_feedback(rec):
            q = from_feedback(rec)
            if q is None:
                continue
        else:
            q = from_multihop(rec, n) if is_multihop(rec) else from_record(rec, n, where)
        questions.append(q)
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise QuestionSetError(f"{where}: duplicate question id {q.id!r}")
        seen.add(q.id)
    return questions


def is_multihop(rec: Mapping[str, Any]) -> bool:
    return "query" in rec and "question" not in rec and ("evidence_list" in rec or "question_type" in rec)


def from_record(rec: Mapping[str, Any], n: int, where: str) -> Question:
    """One record of our own format (values from CSV arrive as strings)."""
    question = str(rec.get("question") or "").strip()
    if not question:
        raise QuestionSetError(f"{where}: record {n} has no 'question'")
    answers = _list(rec.get("answers"))
    sources = _list(rec.get("sources"))
    answerable = _bool(rec.get("answerable"), default=True)
    if answerable and not answers:
        raise QuestionSetError(f"{where}: record {n} ({rec.get('id') or question[:40]!r}) is answerable "
                               "but lists no 'answers'")
    return Question(
        id=str(rec.get("id") or f"q{n:03d}"),
        question=question,
        answers=answers,
        sources=sources,
        answerable=answerable,
        history=_list(rec.get("history")),
        type=str(rec.get("type") or ("single" if answerable else "unanswerable")),
        all_answers=_bool(rec.get("all_answers"), default=False),
        short=_short(rec.get("short"), n, where, answerable),
    )


def _short(value: Any, n: int, where: str, answerable: bool) -> str | None:
    """The gold short answer: a non-empty string, only on an answerable question (CSV: empty = none)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):  # YAML reads `short: 2009` as 2009
        raise QuestionSetError(f"{where}: record {n}: 'short' must be a string, got {value!r}")
    value = str(value)
    if not answerable:
        raise QuestionSetError(f"{where}: record {n}: an unanswerable question has no 'short' answer")
    return value.strip()


def is_feedback(rec: Mapping[str, Any]) -> bool:
    """A line of the chat's feedback file (a thumbs up or down) that nobody has turned into a test yet:
    once someone adds "answers", the line is read as our own format."""
    return rec.get("feedback") in ("up", "down") and "answers" not in rec and "question" in rec


def from_feedback(rec: Mapping[str, Any]) -> Question | None:
    """A voted answer as a question. Up: the answer given is the gold (its short answer, its cited articles),
    or, for a decline, the question is unanswerable. Down on an answer: a candidate that the answer given was
    not supported, so the set expects a decline until someone writes the right "answers" into the line.
    Down on a decline: no gold to check against yet, so it is left out (None) until "answers" are added."""
    answered = not rec.get("abstained")
    up = rec.get("feedback") == "up"
    if not up and not answered:
        return None
    answerable = up and answered
    short = rec.get("short") if answerable and isinstance(rec.get("short"), str) and rec["short"].strip() else None
    return Question(
        id=str(rec.get("id") or "fb"), question=str(rec["question"]).strip(),
        answers=[short or str(rec.get("answer") or "")] if answerable else [],
        sources=_list(rec.get("sources")) if answerable else [], answerable=answerable,
        history=_list(rec.get("history")), type=f"feedback-{rec['feedback']}", short=short,
    )


def from_multihop(rec: Mapping[str, Any], n: int) -> Question:
    """A MultiHop-RAG query: evidence titles are the gold articles; null queries must be declined."""
    qtype = str(rec.get("question_type") or "unknown")
    answer = str(rec.get("answer") or "").strip()
    answerable = qtype != "null_query" and answer != MULTIHOP_NULL_ANSWER
    evidence = rec.get("evidence_list") or []
    titles = [str(e["title"]) for e in evidence if isinstance(e, Mapping) and e.get("title")]
    return Question(
        id=f"mh{rec.get('qid', n)}",
        question=str(rec["query"]).strip(),
        answers=[answer] if answerable and answer else [],
        sources=[],
        answerable=answerable,
        type=qtype.removesuffix("_query"),
        gold_titles=list(dict.fromkeys(titles)) if answerable else [],
    )


def title_key(title: str | None) -> str:
    """Titles as compared across files: HTML entities decoded, NFC, whitespace collapsed, case-folded."""
    text = unicodedata.normalize("NFC", html.unescape(str(title or "")))
    return re.sub(r"\s+", " ", text).strip().casefold()


def resolve_titles(questions: list[Question], records: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Fill `sources` from `gold_titles` via the store's article records; returns titles not found.

    An unknown title stays a gold source under an id no article has, so it counts as missed.
    """
    by_title: dict[str, str] = {}
    for aid, meta in sorted(records.items()):
        key = title_key(meta.get("title"))
        if key:
            by_title.setdefault(key, aid)
    missing: list[str] = []
    for q in questions:
        if not q.gold_titles:
            continue
        ids = []
        for title in q.gold_titles:
            aid = by_title.get(title_key(title))
            if aid is None:
                missing.append(title)
                aid = UNRESOLVED + title
            ids.append(aid)
        q.sources = list(dict.fromkeys(ids))
    return list(dict.fromkeys(missing))


def _jsonl(text: str, path: Path) -> list[Any]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise QuestionSetError(f"{path}: line {n} is not JSON: {exc.msg}") from None
    return out


def _json(text: str, path: Path) -> list[Any]:
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionSetError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    return loaded if isinstance(loaded, list) else [loaded]


def _yaml(text: str, path: Path) -> list[Any]:
    import yaml

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise QuestionSetError(f"{path}: invalid YAML: {exc}") from None
    if loaded is None:
        return []
    if isinstance(loaded, Mapping) and isinstance(loaded.get("questions"), list):
        return loaded["questions"]
    if not isinstance(loaded, list):
        raise QuestionSetError(f"{path}: expected a list of questions")
    return loaded


def _list(value: Any) -> list[str]:
    """A list field, or a '|'-separated string (CSV)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split("|") if part.strip()]
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def _bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "y"):
        return True
    if text in ("false", "no", "0", "n"):
        return False
    raise QuestionSetError(f"not a true/false value: {value!r}")
