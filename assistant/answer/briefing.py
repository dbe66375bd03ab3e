"""Briefings: "Summarize the articles", "Brief me on Kataib Hezbollah", "What happened in al-Qaim?".

An extractive briefing: the most central, non-redundant sentences of the evidence, picked by maximal
marginal relevance (llama-index's `get_top_k_mmr_embeddings`) over their stored vectors, at most a few
per article, then grouped by article in date order, each sentence quoted exactly with its [n]. A
briefing about a topic is relevant to the question's vector; one about "the articles" in general is
relevant to the centroid of the evidence (what most of it is about).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..core.answers import Answer, Citation
from ..core.text import stems
from .evidence import GENERIC, Sentence
from .query import Query

# Bounds of a briefing: design choices for readability, not calibrated on any question set (the own,
# kinds and held-out sets were only checked afterwards; no value was tuned to them).
BRIEFING_K_FACTOR = 3  # a briefing retrieves this many times top_k chunks, to reach more of the articles
BRIEFING_SENTENCES = 6  # a briefing stays short enough to read at a glance: about two sentences per story
PER_ARTICLE = 2  # so that one long article does not crowd out the others
MMR_THRESHOLD = 0.5  # relevance vs novelty: llama-index's own default for MMR (get_top_k_mmr_embeddings)
UNDATED = "9999-99-99"  # sorts undated articles (and timeline events) after the dated ones


def has_topic(query: Query) -> bool:
    """Whether a briefing is about something ("Brief me on X") rather than the articles in general."""
    return bool(topic_stems(query))


def candidates(query: Query, sentences: list[Sentence]) -> list[Sentence]:
    """A briefing on a topic quotes only sentences that name it (their own words, not just their
    article's title); one on the articles in general may quote any retrieved sentence. A date the
    question names keeps the articles dated in it, when some are."""
    topic = topic_stems(query)
    found = [s for s in sentences if topic & stems(s.text)] if topic else sentences
    # "What happened in Iraq in November 2023?": the articles dated then, when there are any
    dated = [s for s in found if query.date_range and query.date_range.contains(s.meta.get("date") or None)]
    return dated or found


def topic_stems(query: Query) -> set[str]:
    """What a briefing is about: the names the question uses, else its content words; stems of one or
    two letters ("al" of al-Qaim) name nothing on their own."""
    names = {t for t in query.names if len(t) > 2} - GENERIC
    return names or {t for t in stems(query.content_text) - GENERIC if len(t) > 2}


def pick(sentences: list[Sentence], target: np.ndarray) -> list[Sentence]:
    """Relevant to `target` and unlike each other, at most PER_ARTICLE per article, BRIEFING_SENTENCES in all."""
    usable = [s for s in sentences if s.vector is not None]
    if not usable:
        return []
    # imported here: llama-index takes longer to import (1.3 s) than a whole answer takes
    from llama_index.core.indices.query.embedding_utils import get_top_k_mmr_embeddings

    _, order = get_top_k_mmr_embeddings(
        target.tolist(), [np.asarray(s.vector, dtype=np.float32).tolist() for s in usable],
        similarity_top_k=len(usable), mmr_threshold=MMR_THRESHOLD,
    )
    # the best-scored sentence leads (for a briefing the scorer favours a story's lede, its own summary);
    # maximal marginal relevance adds the others
    lead = max(range(len(usable)), key=lambda i: usable[i].score)
    chosen: list[Sentence] = []
    per_article: dict[str, int] = defaultdict(int)
    for i in [lead] + [i for i in order if i != lead]:
        sent = usable[i]
        if per_article[sent.article_id] < PER_ARTICLE:
            chosen.append(sent)
            per_article[sent.article_id] += 1
        if len(chosen) == BRIEFING_SENTENCES:
            break
    return chosen


def briefing(query: Query, sentences: list[Sentence], query_vec: list[float], confidence: float) -> Answer:
    """The briefing as an Answer of kind "briefing": one line per article, in date order."""
    if has_topic(query):
        target = np.asarray(query_vec, dtype=np.float32)
    else:
        target = np.mean([np.asarray(s.vector, dtype=np.float32) for s in sentences if s.vector is not None], axis=0)
    chosen = pick(candidates(query, sentences), target)
    by_article: dict[str, list[Sentence]] = defaultdict(list)
    for sent in chosen:
        by_article[sent.article_id].append(sent)
    articles = sorted(by_article, key=lambda aid: (by_article[aid][0].meta.get("date") or UNDATED, aid))
    citations: list[Citation] = []
    lines = [f"The articles report, in date order ({len(articles)} articles):" if len(articles) > 1 else
             "The article reports:"]
    for aid in articles:
        quoted = []
        for sent in sorted(by_article[aid], key=lambda s: s.start):
            citations.append(sent.citation(len(citations) + 1))
            quoted.append(f"{sent.shown} [{len(citations)}]")
        lead = by_article[aid][0]
        lines.append(f"- “{lead.article_label}” ({lead.meta.get('date') or 'date not stated'}): {' '.join(quoted)}")
    return Answer(question=query.question, text="\n".join(lines), citations=citations, answerer="extractive",
                  confidence=confidence, kind="briefing")
