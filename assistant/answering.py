"""From a question to a checked `Answer`: validation, follow-ups, retrieval, answerer.

Shared by both answerers; `stream` yields text pieces, then the final Answer.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .citations import Answer
from .dates import question_date_range
from .errors import ConfigError, EmptyStoreError, QuestionError
from .evidence import Evidence, gather
from .extractive import abstention, compose, select
from .followups import resolve_followup
from .retrieval import Filters

if TYPE_CHECKING:
    from .api import Assistant


def clean_question(question: Any, limit: int) -> str:
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, got {type(question).__name__}")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > limit:
        raise QuestionError(f"the question is too long ({len(text):,} characters; the limit is {limit:,})")
    return text


def clean_history(history: Any) -> list[dict[str, str]]:
    if not history:
        return []
    if not isinstance(history, list):
        raise QuestionError("history must be a list of {'role', 'content'} messages")
    out = []
    for m in history:
        if isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str):
            out.append({"role": m["role"], "content": m["content"][:4000]})
        else:
            raise QuestionError("history must be a list of {'role': 'user'|'assistant', 'content': str} messages")
    return out


def answer_stream(
    assistant: Assistant,
    question: str,
    history: list[dict[str, str]],
    k: int | None = None,
    since: str | None = None,
    until: str | None = None,
    sources: list[str] | None = None,
    article_ids: list[str] | None = None,
    answerer: str | None = None,
) -> Iterator[Any]:
    t0 = time.perf_counter()
    settings = assistant.settings
    question = clean_question(question, settings.max_question_chars)
    history = clean_history(history)
    mode = answerer or settings.answerer
    if mode not in ("extractive", "llm"):
        raise ConfigError(f"answerer must be 'extractive' or 'llm', got {mode!r}")
    filters = Filters(tuple(sources or ()), tuple(article_ids or ()), _iso(since, "since"), _iso(until, "until"))
    store = assistant.store
    if store.chunks.count() == 0:
        raise EmptyStoreError("nothing has been ingested yet: run `assistant ingest` (or Assistant.ingest())")

    llm_answerer = None
    if mode == "llm":
        from .llm_answering import LLMAnswerer

        llm_answerer = LLMAnswerer(assistant.llm, settings)
        search_query = llm_answerer.condense(question, history)
    else:
        search_query = resolve_followup(question, history)

    date_range = question_date_range(search_query)
    retriever = assistant.retriever
    query_vec = assistant.embed_model.get_query_embedding(search_query)
    hits = retriever.retrieve(search_query, k or settings.top_k, filters, date_range, query_embedding=query_vec)
    articles = store.get_articles(h.article_id for h in hits)
    evidence = gather(hits, articles, question, search_query, query_vec, assistant.sentence_cache,
                      retriever.index, date_range)

    if llm_answerer is not None:
        answer = yield from llm_answerer.answer(question, hits, articles, evidence)
    else:
        answer = _extractive(question, evidence, settings.abstain_threshold, date_range is not None)
        yield from _PIECE_END.split(answer.text)
    answer.question = question
    answer.search_query = search_query
    answer.retrieved = list(dict.fromkeys(h.article_id for h in hits))
    answer.seconds = time.perf_counter() - t0
    yield answer


_PIECE_END = re.compile(r"(?<=\])(?=\s)")  # a streamed piece ends after each [n]; pieces join back exactly


MISSING_NAMES_SHARE = 0.5  # decline when at least this share of the names a question uses is absent


def _extractive(question: str, evidence: Evidence, threshold: float, dated: bool) -> Answer:
    strength = evidence.strength()
    if not evidence.sentences:
        return abstention(question, "Nothing in them matches this question.")
    if evidence.missing and evidence.missing_share() >= MISSING_NAMES_SHARE:
        return _declined(question, f"Nothing in them mentions {', '.join(evidence.missing[:3])}.", strength)
    if strength < threshold:
        return _declined(question, "The closest passages do not answer this question.", strength)
    return compose(question, select(evidence, question), strength, dated)


def _declined(question: str, reason: str, strength: float) -> Answer:
    """An abstention that keeps its evidence strength, so evaluation can see how close it was."""
    answer = abstention(question, reason)
    answer.confidence = strength
    return answer


def _iso(value: str | None, name: str) -> str | None:
    if not value:
        return None
    from .dates import parse_date

    iso = parse_date(value)
    if iso is None:
        raise QuestionError(f"{name} must be a date such as 2023-11-22, got {value!r}")
    return iso
