"""The answer engine: a question in, a checked `Answer` out (or streamed pieces, then the Answer).

It is handed its parts (store, retriever, embedding model, sentence vectors, LLM,
prompts, settings, clock) and pulls nothing from elsewhere, like llama-index's
query engines: `Assistant` builds the parts once and wires them here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

from ..core.answers import Answer
from ..core.documents import SentenceNote
from ..core.errors import EmptyStoreError
from ..core.settings import Settings
from ..core.text import fold
from ..index.sentence_vectors import SentenceVectors
from ..index.store import Store
from .attribution import attribution_answer
from .briefing import BRIEFING_K_FACTOR, briefing, has_topic
from .evidence import MULTI_HOP_SENTENCES, TOP_SENTENCES, Evidence, gather
from .extractive import abstention, compose, select
from .hybrid import HybridAnswerer
from .joined import joined
from .llm_answerer import LLMAnswerer
from .llms import endpoint_of
from .parse import Parsed
from .prompts import Prompts
from .query import Query, analyse
from .retrieval import HybridRetriever
from .timeline import timeline
from .typed import Candidate, asked_labels, candidates, list_answer, multi_hop, typed_answer
from .verdict import verdict_answer

# MultiHop dev slice (qid > 389): 2, 3, 4 and 5 gave the same answers (inference 0.736 -> 0.806 strict,
# nulls still 50 of 50 declined); 3 is the middle, and most multi-hop questions join two to four reports
SHARED_ARTICLES = 3
MISSING_NAMES_SHARE = 0.5  # decline when at least this share of the names a question uses is absent
_PIECE_END = re.compile(r"(?<=\])(?=\s)")  # a streamed piece ends after each [n]; pieces join back exactly


class AnswerEngine:
    """Answers questions over one store with exact citations: extractively, with an LLM, or both (the
    engine finds the answer, the LLM phrases it: `hybrid`)."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        retriever: HybridRetriever,
        embed_model: Any,
        sentence_vectors: SentenceVectors,
        llm: Callable[[], Any],
        prompts: Prompts,
        clock: Callable[[], date],
        parser: Callable[[str], Parsed] | None = None,
    ) -> None:
        """`llm` returns the language model, loaded on first use: the extractive answerer never calls it."""
        self.settings = settings
        self.store = store
        self.retriever = retriever
        self.embed_model = embed_model
        self.sentence_vectors = sentence_vectors
        self.llm = llm
        self.prompts = prompts
        self.clock = clock
        self.parser = parser

    def stream(self, question: str, history: list[dict[str, str]] | None = None, **options: Any
               ) -> Iterator[str | Answer]:
        """Yield text pieces as they are ready, then the final `Answer`. Options: those of `query`."""
        t0 = time.perf_counter()
        settings = self.settings
        query = self.query(question, history, **options)
        if query.answerer in ("extractive", "hybrid") and not query.claim and query.asked_two:
            first, second = query.asked_two  # the second may refer back to the first ("and which project was she on")
            turns = [*(history or []), {"role": "user", "content": first}]
            parts = {**options, "answerer": "extractive"}  # two answers joined: kept as the engine wrote them
            answer = joined(query.question, [(first, self._final(first, history, **parts)),
                                             (second, self._final(second, turns, **parts))])
            answer.answerer = query.answerer
            answer.seconds = time.perf_counter() - t0
            yield from _PIECE_END.split(answer.text)
            yield answer
            return
        if self.retriever.index.size == 0:
            raise EmptyStoreError("nothing has been ingested yet: run `assistant ingest` (or Assistant.ingest())")
        query_vec = self.embed_model.get_query_embedding(query.search_text)
        hits = self.retriever.retrieve(query, query_vec)
        articles = {h.article_id: h.article for h in hits if h.article is not None}
        if query.answerer == "llm":
            answer = yield from self._llm_answerer().answer(query.question, hits, articles, self.clock())
        else:
            notes, vectors = self.store.sentences_read(
                articles, {aid: art.get("content_hash", "") for aid, art in articles.items()})
            self.sentence_vectors.prime(vectors)
            evidence = gather(query, hits, articles, query_vec, self.sentence_vectors, self.retriever.index)
            answer = extractive_answer(query, evidence, settings.abstain_threshold, query_vec, notes)
            if answer.kind == "quotes" and query.asks == "timeline":
                answer = timeline(query, evidence.sentences, notes, answer.confidence)
            if query.answerer == "hybrid":
                answer.question = query.question
                answer = yield from HybridAnswerer(self._llm_answerer()).answer(answer, articles)
            else:
                yield from _PIECE_END.split(answer.text)
        answer.question = query.question
        answer.search_query = query.search_text
        answer.retrieved = list(dict.fromkeys(h.article_id for h in hits))
        answer.seconds = time.perf_counter() - t0
        yield answer

    def _final(self, question: str, history: list[dict[str, str]] | None, **options: Any) -> Answer:
        """The final answer of one part of a two-part question (its pieces are not streamed)."""
        return next(a for a in self.stream(question, history, **options) if isinstance(a, Answer))

    def query(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        k: int | None = None,
        since: str | None = None,
        until: str | None = None,
        publishers: list[str] | None = None,
        article_ids: list[str] | None = None,
        answerer: str | None = None,
        include_undated: bool = False,
    ) -> Query:
        """The question analysed once (validated, follow-up resolved, what it asks for, dates and
        publishers it names, filters): what retrieval and the answerers read."""
        settings = self.settings
        mode = answerer or settings.answerer
        self.retriever.index  # noqa: B018 - loaded first: it knows the store's publishers
        query = analyse(
            question, history or [], today=self.clock(), max_chars=settings.max_question_chars,
            k=k or settings.top_k, answerer=mode, since=since, until=until, publishers=publishers,
            article_ids=article_ids, include_undated=include_undated,
            rewrite=self._condense if mode == "llm" else None, named_publishers=self.retriever.named_publishers,
            parse=self.parser,
        )
        if query.asks == "overview" and not k:  # a briefing reads further than a factoid, unless told k
            query = replace(query, k=query.k * BRIEFING_K_FACTOR)
        return query

    def _condense(self, question: str, history: list[dict[str, str]]) -> str:
        return self._llm_answerer().condense(question, history)

    def _llm_answerer(self) -> LLMAnswerer:
        llm = self.llm()
        return LLMAnswerer(llm, self.prompts, endpoint_of(llm, self.settings))


def extractive_answer(query: Query, evidence: Evidence, threshold: float, query_vec: list[float],
                      notes: dict[str, list[SentenceNote]]) -> Answer:
    """Answer from the evidence by what is asked: a briefing, a verdict, a typed short answer or list
    (see typed.py), else the best sentences quoted. Decline when most of the question's names are absent
    from the evidence, when the evidence is too weak (see `Evidence.strength` and the README), or when
    a typed question finds no answer of its type tied to it. A briefing on the articles in general has
    no topic to miss."""
    question = query.question
    strength = evidence.strength(MULTI_HOP_SENTENCES if multi_hop(query) else TOP_SENTENCES)
    if not evidence.sentences:
        return abstention(question, "Nothing in them matches this question.")
    if evidence.missing and evidence.missing_share() >= MISSING_NAMES_SHARE:
        return _declined(question, f"Nothing in them mentions {', '.join(evidence.missing_words[:3])}.", strength)
    if query.asks not in ("yesno", "comparison") and (absent := evidence.absent_name(_not_sources(query))):
        return _declined(question, f"Nothing in them mentions {absent}.", strength)
    if unknown := [o for o in query.outlets if not _known_outlet(o, query, evidence)]:
        return _declined(question, f"None of them is from {unknown[0]} or mentions it.", strength)
    if query.claim:
        return attribution_answer(query, evidence.sentences, strength)
    general = query.asks == "overview" and not has_topic(query)
    shared = _shared_answer(query, evidence, notes) if strength < threshold and not general else None
    if strength < threshold and not general and shared is None:
        return _declined(question, "The closest passages do not answer this question.", strength)
    if query.asks == "overview":
        return briefing(query, evidence.sentences, query_vec, strength)
    if query.asks in ("yesno", "comparison") and (verdict := verdict_answer(query, evidence, strength)):
        return verdict
    if asked_labels(query) and notes:  # a store from before annotation quotes until its upgrade
        found = shared if shared is not None else candidates(query, evidence, notes)
        if query.asks != "list":
            return typed_answer(query, found, strength)
        if listed := list_answer(query, found, strength):
            return listed
    return compose(question, select(evidence, query.kind), strength, query.kind, query.date_range is not None)


def _not_sources(query: Query) -> tuple[str, ...]:
    """The question's names of two or more words less the sources it cites: an outlet absent from the
    passages may still be the unstated publisher of one (see `_known_outlet`). Checked for questions
    that ask for a thing, not for yes/no ones: those say per part what the articles do and don't settle."""
    sources = [fold(o) for o in (*query.outlets, *query.publishers)]
    return tuple(p for p in query.name_phrases if not any(fold(p) in s or s in fold(p) for s in sources))


def _known_outlet(outlet: str, query: Query, evidence: Evidence) -> bool:
    """A source the question cites ("according to a Bloomberg article") is a publisher of the store, is
    named in the evidence ("according to the Pentagon"), or may be the unstated publisher of a passage
    found; else the articles cannot say what it reported."""
    name = rf"(?<!\w){re.escape(fold(outlet))}(?!\w)"
    if any(not s.meta.get("publisher") for s in evidence.sentences):
        return True
    return any(re.search(name, fold(p)) for p in query.publishers) or any(
        re.search(name, fold(" ".join((s.meta.get("publisher") or "", s.meta.get("title") or "",
                                       s.meta.get("text") or s.text)))) for s in evidence.sentences)


def _shared_answer(query: Query, evidence: Evidence, notes: dict[str, list[SentenceNote]]
                   ) -> list[Candidate] | None:
    """The candidates of a multi-hop question whose typed answer several articles share (their agreement
    is the evidence, however loosely each sentence matches a long question's words), else None."""
    if not (multi_hop(query) and asked_labels(query) and notes):
        return None
    found = candidates(query, evidence, notes)
    return found if found and len(found[0].articles) >= SHARED_ARTICLES else None


def _declined(question: str, reason: str, strength: float) -> Answer:
    """An abstention that keeps its evidence strength, so evaluation can see how close it was."""
    answer = abstention(question, reason)
    answer.confidence = strength
    return answer
