"""Answer text against gold answers: the normalisation behind answer accuracy, and the paper's rule.

Kept apart from the metrics so the exact matching rules can be read (and changed) in one place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..core.text import TENS_WORDS, UNIT_WORDS

_MARKER = re.compile(r"\[\d{1,3}\]")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W_]+")
_ARTICLES = {"a", "an", "the"}
_UNITS, _TENS = UNIT_WORDS, TENS_WORDS


def normalize(text: str) -> list[str]:
    """Tokens compared by answer accuracy: case, accents, punctuation, articles and number words folded.

    "Twenty-five percent" and "25%" both become ["25", "percent"]; "1,000" becomes ["1000"].
    """
    text = unicodedata.normalize("NFKD", _MARKER.sub(" ", text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text).replace("%", " percent ")
    tokens = [t for t in _TOKEN.findall(text) if t not in _ARTICLES]
    return _fold_numbers(tokens)


def _small(tokens: Sequence[str], i: int) -> tuple[int, int] | None:
    """A number 0-99 written in words starting at i: (value, next index)."""
    if i >= len(tokens):
        return None
    t = tokens[i]
    if t in _UNITS:
        return _UNITS[t], i + 1
    if t in _TENS:
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if 1 <= _UNITS.get(nxt, 0) <= 9:
            return _TENS[t] + _UNITS[nxt], i + 2
        return _TENS[t], i + 1
    return None


def _fold_numbers(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        got = _small(tokens, i)
        if got is None:
            out.append(tokens[i])
            i += 1
            continue
        value, i = got
        if i < len(tokens) and tokens[i] == "hundred" and value:
            value, i = value * 100, i + 1
            skip_and = i < len(tokens) and tokens[i] == "and" and _small(tokens, i + 1) is not None
            rest = _small(tokens, i + 1 if skip_and else i)
            if rest is not None:
                value, i = value + rest[0], rest[1]
        out.append(str(value))
    return out


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(list(haystack[i:i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def answer_matches(text: str, gold: str) -> bool:
    """Gold contained in the answer as whole tokens after `normalize`.

    A bare yes/no gold must also not meet its opposite, so hedging with both never counts.
    """
    tokens, want = normalize(text), normalize(gold)
    if want in (["yes"], ["no"]):
        opposite = "no" if want == ["yes"] else "yes"
        return want[0] in tokens and opposite not in tokens
    return _contains(tokens, want)


def answer_correct(text: str, answers: Sequence[str], all_answers: bool = False) -> bool:
    """Strict accuracy of one answer: any accepted answer contained (all of them with `all_answers`)."""
    if not answers:
        return False
    hits = [answer_matches(text, gold) for gold in answers]
    return all(hits) if all_answers else any(hits)


def token_overlap(text: str, answers: Sequence[str]) -> bool:
    """MultiHop-RAG's rule: any shared lower-cased whitespace token. Lenient: "yes or no" matches both."""
    words = set(_MARKER.sub(" ", text).lower().split())
    return any(words & set(gold.lower().split()) for gold in answers)


def short_matches(short: str, gold: str) -> bool:
    """A short answer against a gold short: after `normalize`, either one holds the other as whole words.

    "Austin" matches "Lloyd Austin III", "Lloyd Austin III" matches "Austin", "eight" matches "8";
    "Iran" does not match "Iranian", and an empty side never matches.
    """
    have, want = normalize(short), normalize(gold)
    return bool(have) and bool(want) and (_contains(have, want) or _contains(want, have))
