"""Dates: parsing the ones articles state, and the ones questions name.

Article dates are ISO `YYYY-MM-DD` strings or None; never guessed.
Question forms understood (see README): "in November 2023", "November 2023",
"in 2021", "on 22 November 2023", "November 22, 2023", "2023-11-22",
"11/22/2023", "last January" / "this year" / "last year" (relative to `today`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ]
    )
    for m in names
}
MONTH_PATTERN = r"(january|february|march|april|may|june|july|august|september|october|november|december|" \
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_WEEKDAY_RE = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b")
_US = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MDY = re.compile(rf"\b{MONTH_PATTERN}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{MONTH_PATTERN},?\s+(\d{{4}})\b", re.I)
_MY = re.compile(rf"\b{MONTH_PATTERN}\s+(?:of\s+)?(\d{{4}})\b", re.I)
# "in 2021", "during 2021", "the events of 2021" -- but not "of 2000 workers" (a count, not a year)
_YEAR = re.compile(r"\b(?:(?:in|during)\s+((?:19|20)\d{2})|of\s+((?:19|20)\d{2})(?!\s+[a-z]))\b", re.I)
_LAST_MONTH = re.compile(rf"\b(last|this)\s+{MONTH_PATTERN}\b", re.I)
_REL_YEAR = re.compile(r"\b(last|this)\s+year\b", re.I)

DATE_LINE = re.compile(
    rf"^\s*{_WEEKDAY_RE}(?:\d{{1,2}}/\d{{1,2}}/\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}(?:[T ][\d:.+Z-]+)?|"
    rf"{MONTH_PATTERN}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{MONTH_PATTERN},?\s+\d{{4}})"
    rf"(?:\s*(?:,|at)?\s*\d{{1,2}}:\d{{2}}\s*(?:[ap]\.?m\.?)?\s*[A-Z]{{0,4}})?\s*$",
    re.I,
)


def _safe(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None) -> str | None:
    """The first full date in `text` as ISO, or None. Used on metadata fields and date lines."""
    if not text:
        return None
    text = str(text).strip()
    if m := _ISO.search(text):
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    if m := _US.search(text):
        return _safe(int(m[3]), int(m[1]), int(m[2]))
    if m := _MDY.search(text):
        return _safe(int(m[3]), MONTHS[m[1].lower()], int(m[2]))
    if m := _DMY.search(text):
        return _safe(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    try:
        return datetime.strptime(text[:31], "%a, %d %b %Y %H:%M:%S %z").date().isoformat()
    except ValueError:
        return None


def date_key(iso: str | None) -> int:
    """YYYYMMDD as an int for range filters in Chroma; 0 when the date is unknown."""
    return int(iso.replace("-", "")) if iso else 0


@dataclass(frozen=True)
class DateRange:
    """An inclusive date window named by a question, plus the words that named it."""

    start: str
    end: str
    phrase: str

    def contains(self, iso: str | None) -> bool:
        return bool(iso) and self.start <= iso <= self.end  # type: ignore[operator]


def _month_range(y: int, m: int, phrase: str) -> DateRange:
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return DateRange(date(y, m, 1).isoformat(), (nxt - timedelta(days=1)).isoformat(), phrase)


def year_of_named_month(which: str, month: int, today: date) -> int:
    """The year of "this October" (this year's) or "last October" (the latest October before `today`'s
    month) said on `today`; shared by questions and by the dates articles state."""
    return today.year if which.lower() == "this" or month < today.month else today.year - 1


def question_date_range(question: str, today: date) -> DateRange | None:
    """The date window a question names, if any (most specific form wins); "this year" and "last
    January" are relative to `today`, which the caller's clock gives (never the system date here)."""
    for rx in (_ISO, _US, _MDY, _DMY):
        if m := rx.search(question):
            iso = parse_date(m[0])
            if iso:
                return DateRange(iso, iso, m[0])
    if m := _MY.search(question):
        return _month_range(int(m[2]), MONTHS[m[1].lower()], m[0])
    if m := _LAST_MONTH.search(question):
        month = MONTHS[m[2].lower()]
        return _month_range(year_of_named_month(m[1], month, today), month, m[0])
    if m := _REL_YEAR.search(question):
        year = today.year - (m[1].lower() == "last")
        return DateRange(f"{year}-01-01", f"{year}-12-31", m[0])
    if m := _YEAR.search(question):
        year = m[1] or m[2]
        return DateRange(f"{year}-01-01", f"{year}-12-31", m[0])
    return None
