"""Yes/no and comparison verdicts (assistant/answer/verdict.py) over the synthetic news corpus, fast tier.

A verdict only when the articles' dates settle an order question or every part of the question has a
sentence that clearly states it; otherwise each part's evidence, naming the part they do not settle.
Every [n] matches one citation, and every quote is its article's exact text.
"""

from __future__ import annotations

from typing import Any

from checks import check_exact_citations
from fakes import BUDGET, FIRE_2023, FIRE_2024, STRIKE
from queries import query_for

from assistant.answer.evidence import Sentence
from assistant.answer.verdict import UNSETTLED, Side, content_stems, coverage, date_verdict

BOTH_STATED = ("Does the Coastal Herald say a fire destroyed three warehouses at Northport harbour, while the "
               "Valley Times says flames swept through a fuel depot on the Northport quay?")
ONE_UNSTATED = ("Does the Coastal Herald say a fire destroyed three warehouses at Northport harbour, while the "
                "Valley Times says the mayor opened a swimming pool for dock workers?")


def test_dates_settle_which_report_came_first(news_assistant: Any) -> None:
    before = news_assistant.ask("Was the report on the warehouses fire at Northport harbour published before "
                                "the report on the dock union strike?")
    after = news_assistant.ask("Was the report on the warehouses fire at Northport harbour published after "
                               "the report on the dock union strike?")
    assert before.kind == after.kind == "yesno"
    assert before.text.startswith("Yes.") and after.text.startswith("No.")
    assert [c.source for c in before.citations] == [FIRE_2023, STRIKE]
    assert [c.date for c in before.citations] == ["2023-03-14", "2023-11-05"]
    for answer in (before, after):
        check_exact_citations(news_assistant, answer)


def test_yes_when_every_part_has_a_sentence_that_states_it(news_assistant: Any) -> None:
    answer = news_assistant.ask(BOTH_STATED)
    assert answer.kind == "yesno" and answer.text.startswith("Yes.")
    assert [c.source for c in answer.citations] == [FIRE_2023, FIRE_2024]  # each part from the publisher it names
    check_exact_citations(news_assistant, answer)


def test_no_verdict_when_a_part_is_unsupported_and_the_part_is_named(news_assistant: Any) -> None:
    answer = news_assistant.ask(ONE_UNSTATED)
    assert answer.kind == "yesno" and not answer.abstained
    assert answer.text.startswith(UNSETTLED)
    assert not answer.text.startswith(("Yes", "No"))
    assert "Not settled: the second part of the question (Valley Times)." in answer.text
    assert "Not settled: the first part" not in answer.text  # the supported part is just quoted
    assert "swimming pool" not in answer.text  # the part is named, not echoed as if the articles said it
    assert answer.citations and answer.citations[0].source == FIRE_2023
    check_exact_citations(news_assistant, answer)


def test_a_part_naming_a_publisher_is_answered_from_that_publisher_only(news_assistant: Any) -> None:
    answer = news_assistant.ask("Does the Coastal Herald say the union is asking for a pay rise of six percent, "
                                "while the Valley Times says the harbour authority blamed an electrical fault?")
    assert not answer.text.startswith(("Yes", "No"))  # each claim is in the other publisher's article
    assert {c.source for c in answer.citations} <= {FIRE_2023, BUDGET, FIRE_2024, STRIKE}
    assert all(c.publisher == "Coastal Herald" for c in answer.citations[:1])
    check_exact_citations(news_assistant, answer)


def test_a_one_part_question_without_a_verdict_is_left_to_the_quoting_answerer(news_assistant: Any) -> None:
    answer = news_assistant.ask("Did the library reading room close because of the harbour fire?")
    assert answer.kind != "yesno" or not answer.text.startswith(("Yes", "No"))


def _sentence(text: str, article: str, date: str | None) -> Sentence:
    return Sentence(article, 0, len(text), text, 0, {"date": date, "title": "", "publisher": "P"})


def test_undated_or_same_day_reports_are_not_ordered() -> None:
    a = Side("the fire report", _sentence("A fire.", "a", "2023-03-14"), 1.0, 3, True)
    undated = Side("before the library report", _sentence("A room.", "b", None), 1.0, 3, True)
    same_day = Side("before the strike report", _sentence("A strike.", "c", "2023-03-14"), 1.0, 3, True)
    weak = Side("before the strike report", _sentence("A strike.", "d", "2024-01-01"), 0.2, 1, True)
    assert date_verdict("before", [a, undated]) is None
    assert date_verdict("before", [a, same_day]) is None
    assert date_verdict("before", [a, weak]) is None  # the second report was not clearly found


def test_coverage_weighs_rare_words_and_counts_the_headline() -> None:
    sent = Sentence("a", 0, 10, "Flames swept through a depot.", 0, {"title": "Fire at Northport"})
    weights = {"ferri": 3.0, "flame": 1.0, "quay": 2.0}  # a word without a weight weighs the median, 2.0
    share, matched = coverage({"flame", "depot", "northport", "ferri"}, sent, weights)
    assert matched == 3 and share == (1.0 + 2.0 + 2.0) / (1.0 + 2.0 + 2.0 + 3.0)


def test_query_for_fills_the_parts_the_verdict_reads(news_assistant: Any) -> None:
    query = query_for(news_assistant, BOTH_STATED)
    assert query.asks == "yesno" and len(query.parts) == 2
    assert query.publishers == ("Coastal Herald", "Valley Times")


def test_a_yes_no_question_with_a_when_clause_gets_a_verdict(news_assistant: Any) -> None:
    """"Was anyone injured when the roof collapsed?" asks yes or no; "when" opens a clause."""
    answer = news_assistant.ask("Was anyone injured when the roof collapsed?")
    assert answer.kind == "yesno" and answer.text.startswith("Yes."), answer.text
    check_exact_citations(news_assistant, answer)


def test_an_indefinite_pronoun_is_not_a_word_the_sentence_must_hold() -> None:
    """"Was anyone killed ...?": "anyone" is what the question asks about; a sentence saying "one civilian
    was killed" states it."""
    assert content_stems("Was anyone killed in the strikes?", set()) == {"kill", "strike"}
