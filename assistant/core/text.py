"""Text utilities shared by every stage: word folding and stemming, sentence spans, token counts.

One tokenizer for the lexical index, evidence scoring and follow-ups, so a word
matches the same way everywhere; one sentence splitter, so a chunk's sentences,
a citation's quote and a stored sentence vector all have the same span.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from .answers import MARKER  # what an answer's reader takes for a citation
from .errors import ConfigError

STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those there their they them he she his her we our you your i me my what which who whom whose when "
    "where why how did do does done has have had not no so than then too very can could would should will shall "
    "may might must about into over after before under between during since until while also just more most "
    "such only own same other any each few both all some s t".split()
)
TOKENIZER_VERSION = "porter-3"  # part of the lexical index signature: a change here rebuilds persisted indexes

# news wording that means the same thing, folded onto one stem (after Porter)
SYNONYMS = {
    "death": "kill", "dead": "kill", "die": "kill", "di": "kill", "fatal": "kill", "casualti": "kill",
    "airstrik": "strike", "bomb": "strike", "bombard": "strike", "wound": "injur",
    "soldier": "troop", "personnel": "troop", "servic": "troop", "individu": "peopl", "person": "peopl",
}
_TOKEN = re.compile(r"\w+", re.UNICODE)
# number words and their values: what the evaluation folds and the LLM check compares as figures
UNIT_WORDS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
TENS_WORDS = {w: 10 * n for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}


def fold(text: str) -> str:
    """Lower case without accents or apostrophes (Katai'b = Kataib), for matching words."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"['’‘`]", "", text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    stemmed = _porter().stem(word)
    return SYNONYMS.get(stemmed, stemmed)


@lru_cache(maxsize=1)
def _porter() -> Any:
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


def tokenize(text: str) -> list[str]:
    """Folded, stop-word-free, Porter-stemmed words: "Strikes killed" -> ["strike", "kill"]."""
    return [stem(t) for t in _TOKEN.findall(fold(text)) if t not in STOPWORDS]


def stems(text: str) -> set[str]:
    return set(tokenize(text))


# --- sentences ------------------------------------------------------------------------------------
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "sgt", "capt", "cmdr", "adm", "gov", "sen",
    "rep", "rev", "st", "jr", "sr", "inc", "corp", "co", "ltd", "vs", "etc", "no", "fig", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m",
    "p.m", "d.c", "approx", "est", "dept", "univ", "mt", "ft",
}
# a sentence ends at . ! ? (plus closing quotes/brackets) followed by space and an opener
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n\s*\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence; paragraphs always end a sentence; spans exclude whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end() if m.group(0).strip() else m.start()
        if m.group(0).strip() and m.group(0)[0] == ".":
            word = re.search(r"([\w.]+)\.$", text[max(start, m.start() - 12): m.start() + 1])
            token = (word.group(1) if word else "").lower()
            if token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token):
                continue
        _add_span(text, start, end, spans)
        start = m.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    if not piece.strip():
        return
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    spans.append((start + lead, end - trail))


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


TITLE_CHARS = 60  # a headline-less article is titled by about this many characters of its first words


def first_words(text: str | None, limit: int = TITLE_CHARS) -> str:
    """The start of `text` (whitespace collapsed) cut at a word boundary, with "…" when cut."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit + 1)
    head = flat[:cut] if cut > limit // 3 else flat[:limit]
    return head.rstrip(" ,;:.-–—") + "…"


# --- tokens ---------------------------------------------------------------------------------------
ENCODING = "cl100k_base"


@lru_cache(maxsize=1)
def encoding() -> Any:
    """tiktoken's cl100k_base. Offline it comes from the copy llama-index-core bundles, which
    `prepare_offline()` (run by every entry point and by `Assistant`) points tiktoken at."""
    import tiktoken

    try:
        return tiktoken.get_encoding(ENCODING)
    except Exception as exc:  # tiktoken tries to download the file when it is not pointed at a copy
        raise ConfigError(
            f"tiktoken cannot load {ENCODING} ({type(exc).__name__}); call "
            "assistant.core.offline.prepare_offline() before chunking"
        ) from None


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


# --- markup and markers ---------------------------------------------------------------------------
def neutral_markers(text: str) -> str:
    """Quoted text with its own "[9]" (a footnote in an article, or text planted to pose as a citation)
    written "(9)", so that only the answer's real citations look like citations."""
    return MARKER.sub(r"(\1)", text)


_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_REFERENCE = re.compile(r"^\s*\[[^\]\n]+\]:\s*\S+.*$", re.M)
_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto|data|javascript):[^>\s]*>", re.I)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.I)


def plain_text(text: str) -> str:
    """Generated text without markup a renderer would act on: Markdown images and link targets, link
    definitions, HTML tags and comments, and bare URLs are removed (a link's words stay, and a link
    written around a citation, "[1](...)", stays the citation "[1]"). An answer is plain prose; markup in
    it came from a prompt injection or a confused model, and an API client rendering Markdown or HTML
    would fetch an image from an outside server."""
    text = _COMMENT.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: f"[{m.group(1)}]" if m.group(1).isdigit() else m.group(1), text)
    text = _REFERENCE.sub("", text)
    text = _AUTOLINK.sub("", text)
    text = _TAG.sub("", text)
    text = _URL.sub("", text)
    return re.sub(r"[ \t]{2,}", " ", text)
