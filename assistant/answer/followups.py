"""Follow-up questions: turning "Since when has the US treated it as a terrorist group?"
into something retrievable, given the conversation so far.

Extractive mode needs no LLM: when the question refers back (a pronoun such as
it/they/he/she/this/that/there, "the group", or no name of its own), the topic
words of the most recent earlier user question that had any are added to the
search. LLM mode asks the model to rewrite the question (prompts/condense.txt).
"""

from __future__ import annotations

import re

from ..core.answers import ABSTAIN_TEXT, MARKER
from ..core.text import STOPWORDS, fold

_REFERRING = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|"
    r"the (group|militia|country|man|woman|organi[sz]ation|attack|strikes?|article|same))\b",
    re.I,
)
_QUESTION_WORDS = {
    "what", "who", "whom", "when", "where", "why", "how", "which", "many", "much", "tell", "say", "said", "says",
    "does", "did", "do", "is", "are", "was", "were", "has", "have", "had", "according", "since", "long", "ago",
}


def topic_terms(question: str) -> list[str]:
    """Names and content words of a question, in order, without question words."""
    words = re.findall(r"[\w'’-]+", question)
    out = []
    for w in words:
        f = fold(w)
        if f in STOPWORDS or f in _QUESTION_WORDS or len(f) < 3:
            continue
        out.append(w)
    return list(dict.fromkeys(out))


def has_own_name(question: str) -> bool:
    """A capitalised word that is not the first word: the question names its own subject."""
    words = re.findall(r"[\w'’-]+", question)
    return any(w[:1].isupper() and fold(w) not in _QUESTION_WORDS for w in words[1:])


def needs_context(question: str) -> bool:
    return bool(_REFERRING.search(question)) or not has_own_name(question)


def resolve_followup(question: str, history: list[dict[str, str]]) -> str:
    """The text to search for: the question, plus earlier topic words when it refers back."""
    earlier = [m.get("content", "") for m in history if m.get("role") == "user" and m.get("content")]
    if not earlier or not needs_context(question):
        return question
    for previous in reversed(earlier):
        terms = [t for t in topic_terms(previous) if fold(t) not in fold(question)]
        if terms and has_own_name(previous):
            return f"{question} ({' '.join(terms)})"
    return question


def history_text(history: list[dict[str, str]], limit: int = 6) -> str:
    lines = []
    for m in history[-limit:]:
        role = "User" if m.get("role") == "user" else "Assistant"
        lines.append(f"{role}: {m.get('content', '').strip()}")
    return "\n".join(lines)


_CLAIM_FOLLOWUP = re.compile(
    r"^\s*(?:who|which \w+)\s+(?:\w+\s+){0,2}?(?:said|says|stated|claimed|reported|announced|told|confirmed|made|"
    r"gave|issued|called|warned|denied)\b.*\b(?:that|this|it|so|claim|statement|warning)\b|\baccording to whom\b",
    re.I,
)


def asks_who_said(question: str) -> bool:
    """'Who said that?', 'Who made that claim?', 'Which official gave that warning?', 'According to whom?'."""
    return bool(_CLAIM_FOLLOWUP.search(question))


def claim_of(history: list[dict[str, str]]) -> str | None:
    """The previous answer's claim (its text without [n] markers), if the assistant answered it
    (a declined answer claims nothing)."""
    for message in reversed(history):
        if message.get("role") == "assistant":
            text = MARKER.sub("", message.get("content") or "").strip()
            return text if text and not text.startswith(ABSTAIN_TEXT) else None
    return None
