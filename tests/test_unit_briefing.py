"""Briefings: a request to summarize or brief gets central, non-redundant sentences, one line per article
in date order, each quoted exactly with its [n] -- not a refusal and not a single quote."""

from __future__ import annotations

from typing import Any

from checks import check_exact_citations
from fakes import FIRE_2023, FIRE_2024, STATED

from assistant.answer.briefing import BRIEFING_SENTENCES, PER_ARTICLE
from assistant.core.answers import markers_in


def lines_of(answer: Any) -> list[str]:
    return answer.text.splitlines()[1:]


def test_summarize_the_articles_is_a_briefing_over_several_articles(news_assistant: Any) -> None:
    answer = news_assistant.ask("Summarize the articles")
    assert answer.kind == "briefing" and not answer.abstained
    check_exact_citations(news_assistant, answer)
    articles = [c.source for c in answer.citations]
    assert len(set(articles)) >= 3, "a briefing on the articles in general reaches several of them"
    assert len(answer.citations) <= BRIEFING_SENTENCES
    assert all(articles.count(a) <= PER_ARTICLE for a in set(articles))


def test_briefing_lines_are_one_per_article_in_date_order_with_undated_last(news_assistant: Any) -> None:
    answer = news_assistant.ask("Summarize the articles")
    dates = []
    for line in lines_of(answer):
        numbers = markers_in(line)
        cited = {c.source for c in answer.citations if c.number in numbers}
        assert len(cited) == 1, "each line quotes one article"
        (source,) = cited
        title, _, date = STATED[source]
        assert line.startswith(f"- “{title}” ({date or 'date not stated'}):")
        dates.append(date or "9999")
    assert dates == sorted(dates)


def test_briefing_on_a_topic_quotes_only_sentences_that_name_it(news_assistant: Any) -> None:
    answer = news_assistant.ask("Brief me on the Northport harbour fires")
    assert answer.kind == "briefing"
    check_exact_citations(news_assistant, answer)
    assert {c.source for c in answer.citations} == {FIRE_2023, FIRE_2024}
    assert all("Northport" in c.quote or "harbour" in c.quote for c in answer.citations)


def test_a_date_the_briefing_names_keeps_the_articles_dated_in_it(news_assistant: Any) -> None:
    answer = news_assistant.ask("What happened at Northport harbour in June 2024?")
    assert answer.kind == "briefing"
    assert {c.source for c in answer.citations} == {FIRE_2024}


def test_a_briefing_on_something_the_articles_never_name_is_declined(news_assistant: Any) -> None:
    answer = news_assistant.ask("Summarize what the articles say about Taylor Swift")
    assert answer.abstained and answer.kind == "declined" and answer.citations == []


def test_every_answer_says_its_kind(news_assistant: Any) -> None:
    assert news_assistant.ask("How many workers were injured in the 2023 fire?").kind == "factoid"
    assert news_assistant.ask("Summarize the articles").to_dict()["kind"] == "briefing"
