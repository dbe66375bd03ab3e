"""The answer engine end to end through `Assistant`, with the fake embedder and a real embedded Chroma:
exact citations, streaming, filters, the injected clock, follow-ups and refusals."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from checks import check_exact_citations
from fakes import BUDGET, FIRE_2023, FIRE_2024, LIBRARY, STATED, STRIKE

from assistant.answer.engine import extractive_answer
from assistant.answer.evidence import Evidence
from assistant.answer.extractive import ABSTAIN_TEXT
from assistant.answer.query import analyse
from assistant.core.errors import EmptyStoreError, QuestionError

FIRE_QUESTION = "How many workers were injured in the fire at Northport harbour?"
QUESTIONS = [
    FIRE_QUESTION,
    "What happened at Northport harbour in March 2023?",
    "Who is the librarian of the city library?",
    "How big is the budget of Mayor Elena Brandt?",
    "Since when has the Harbour Workers Union been on strike?",
    "What does the union ask for?",
    "When did the fire break out at the fuel depot?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_citation_quotes_its_article_exactly(news_assistant: Any, question: str) -> None:
    answer = news_assistant.ask(question)
    assert not answer.abstained, answer.text
    check_exact_citations(news_assistant, answer)
    assert answer.question == question and answer.search_query == question
    assert answer.retrieved and len(answer.retrieved) == len(set(answer.retrieved))
    assert {c.source for c in answer.citations} <= set(answer.retrieved)
    assert 0 < answer.confidence <= 1 and answer.seconds > 0


@pytest.mark.parametrize("question", ["Who condemned the strikes in Iraq?", "How many US soldiers were injured?",
                                      "What happened in November 2023?", "كم عدد القتلى في الغارات؟"])
def test_seed_corpus_citations_are_exact_too(fake_seed_assistant: Any, question: str) -> None:
    answer = fake_seed_assistant.ask(question)
    check_exact_citations(fake_seed_assistant, answer)
    assert answer.abstained == (answer.citations == [])


@pytest.mark.parametrize("question", QUESTIONS[:4])
def test_streamed_pieces_join_to_exactly_the_answer_text(news_assistant: Any, question: str) -> None:
    *pieces, answer = list(news_assistant.stream(question))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == answer.text
    assert len(pieces) >= len(answer.citations), "a piece ends after each [n]"
    assert answer.text == news_assistant.ask(question).text


def test_look_alike_events_are_kept_apart_end_to_end(news_assistant: Any) -> None:
    answer = news_assistant.ask(FIRE_QUESTION)
    assert {c.source for c in answer.citations} == {FIRE_2023, FIRE_2024}
    assert answer.text.startswith("The articles differ:") and answer.short is None
    for c in answer.citations:
        title, _, day = STATED[c.source]
        line = next(line for line in answer.text.splitlines() if f"[{c.number}]" in line)
        assert title in line and day in line


def test_filters_limit_what_is_quoted(news_assistant: Any) -> None:
    herald = news_assistant.ask(FIRE_QUESTION, publishers=["Coastal Herald"])
    assert set(herald.retrieved) <= {a for a, (_, p, _) in STATED.items() if p == "Coastal Herald"}
    assert {c.source for c in herald.citations} == {FIRE_2023}
    dated = news_assistant.ask("library reading room books", since="2023-01-01", until="2024-12-31")
    assert LIBRARY not in dated.retrieved, "an undated article fails date limits"
    only = news_assistant.ask(FIRE_QUESTION, article_ids=[STRIKE])
    assert set(only.retrieved) <= {STRIKE}


def test_this_year_is_relative_to_the_assistants_clock(make_fake_assistant: Any, news_assistant: Any) -> None:
    store = news_assistant.settings.store_dir
    first = {}
    for year in (2023, 2024):
        clocked = make_fake_assistant(news_assistant.settings.corpus_dir, store_dir=store,
                                      clock=lambda year=year: date(year, 12, 31))
        answer = clocked.ask("What happened at Northport harbour this year?")
        first[year] = answer.retrieved[0]
        assert f"({year}-" in answer.text, "a named date labels quotes with their dates"
    assert first == {2023: FIRE_2023, 2024: FIRE_2024}


def test_follow_up_is_searched_with_the_earlier_subject(news_assistant: Any) -> None:
    history = [{"role": "user", "content": "What is the Harbour Workers Union?"},
               {"role": "assistant", "content": "A union [1]"}]
    answer = news_assistant.ask("Since when has it been on strike?", history=history)
    assert "Harbour Workers Union" in answer.search_query
    assert answer.question == "Since when has it been on strike?"
    assert {c.source for c in answer.citations} == {STRIKE}
    alone = news_assistant.ask("Since when has it been on strike?")
    assert alone.search_query == "Since when has it been on strike?"


def test_question_about_names_the_articles_lack_is_declined_naming_them(news_assistant: Any) -> None:
    answer = news_assistant.ask("What did Olaf Pemberton say about Zanzibar?")
    assert answer.abstained and answer.citations == []
    assert answer.text.startswith(ABSTAIN_TEXT)
    assert all(name in answer.text for name in ("Olaf", "Pemberton", "Zanzibar"))


def test_each_part_of_a_two_part_question_is_answered_with_one_numbering(news_assistant: Any) -> None:
    answer = news_assistant.ask("How many workers were injured in the 2023 fire, and how many in the 2024 fire?")
    first, second = answer.text.split("\n")
    assert first.startswith("- How many workers were injured in the 2023 fire? 12 — ")
    assert second.startswith("- How many workers were injured in the 2024 fire? Five — ")
    assert answer.kind == "list" and [c.number for c in answer.citations] == [1, 2]
    check_exact_citations(news_assistant, answer)


def test_a_question_about_someone_no_passage_mentions_is_declined_naming_them(news_assistant: Any) -> None:
    """Most of its names are found, so the share rule alone would answer with whoever the passages name."""
    question = "Which union of the Valley Times report, led by {}, is on strike at Northport Harbour?"
    answer = news_assistant.ask(question.format("Anthony Melone"))
    assert answer.abstained and "Anthony Melone" in answer.text
    assert not news_assistant.ask(question.format("Marta Quell")).abstained


def test_refusal_shows_the_missing_names_as_the_user_wrote_them(fake_seed_assistant: Any) -> None:
    """Regression: the refusal used to list lower-cased stems ("swift, taylor")."""
    answer = fake_seed_assistant.ask("Who is Taylor Swift?")
    assert answer.abstained and answer.citations == []
    assert "Taylor" in answer.text and "Swift" in answer.text
    assert "taylor" not in answer.text and "swift" not in answer.text
    assert "swift, taylor" not in answer.text.lower()


def test_weak_evidence_is_declined_under_the_threshold_and_keeps_its_strength(make_fake_assistant: Any) -> None:
    strict = make_fake_assistant(abstain_threshold=0.99)
    strict.ingest()
    declined = strict.ask(FIRE_QUESTION)
    assert declined.abstained and "do not answer" in declined.text
    assert 0 < declined.confidence < 0.99
    lenient = make_fake_assistant(abstain_threshold=0.0)
    answered = lenient.ask(FIRE_QUESTION)
    assert not answered.abstained and answered.confidence == pytest.approx(declined.confidence)


def test_no_evidence_sentences_is_a_plain_decline() -> None:
    query = analyse("Who won?", [], today=date(2024, 1, 1), max_chars=100, k=3, answerer="extractive")
    answer = extractive_answer(query, Evidence([], [], []), 0.5, [0.0], {})
    assert answer.abstained and answer.text == f"{ABSTAIN_TEXT} Nothing in them matches this question."


def test_question_before_any_ingest_says_to_ingest(make_fake_assistant: Any) -> None:
    empty = make_fake_assistant()
    with pytest.raises(EmptyStoreError, match="assistant ingest"):
        empty.ask("What happened?")
    with pytest.raises(QuestionError, match="empty"):  # the question is checked first
        empty.ask("  ")


def test_answer_to_dict_is_json_with_the_documented_keys(news_assistant: Any) -> None:
    data = json.loads(json.dumps(news_assistant.ask(QUESTIONS[3]).to_dict()))
    assert {"question", "text", "abstained", "citations", "answerer", "retrieved", "search_query", "notes",
            "confidence", "seconds", "kind", "short", "checks"} == data.keys()
    assert {"number", "source", "title", "date", "quote", "start", "end", "publisher", "url",
            "score"} == data["citations"][0].keys()
    assert data["citations"][0]["source"] == BUDGET


def test_publishers_and_articles_are_what_the_corpus_states(news_assistant: Any) -> None:
    assert news_assistant.publishers() == sorted({p for _, p, _ in STATED.values()})
    for aid, (title, publisher, day) in STATED.items():
        article = news_assistant.article(aid)
        assert (article["title"], article["publisher"], article.get("date")) == (title, publisher, day)
