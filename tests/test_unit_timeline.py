"""Timelines: the topical sentences in date order -- the date a sentence states (resolved at ingest), else its
article's date called the report's date, else listed last as undated -- each quoted exactly."""

from __future__ import annotations

from typing import Any

from fakes import FIRE_2023, FIRE_2024

from assistant.answer.evidence import Sentence
from assistant.answer.timeline import dated
from assistant.core.answers import markers_in
from assistant.core.documents import SentenceNote, StatedDate


def sentence(meta: dict[str, Any]) -> Sentence:
    return Sentence("a.txt", 0, 20, "It began on Friday.", 0, meta)


def test_a_sentence_is_dated_by_the_date_it_states_else_its_report_else_not_at_all() -> None:
    note = SentenceNote(0, 20, (), (StatedDate("Friday", 12, 18, "2023-11-17"),))
    assert dated(sentence({"date": "2023-11-22"}), note) == ("2023-11-17", "2023-11-17")
    assert dated(sentence({"date": "2023-11-22"}), SentenceNote(0, 20)) == ("2023-11-22",
                                                                          "2023-11-22, date of the report")
    key, label = dated(sentence({}), None)
    assert label == "date not stated" and key > "2999"


def test_a_timeline_lists_the_topics_events_in_date_order_with_exact_quotes(news_assistant: Any) -> None:
    answer = news_assistant.ask("Give me a timeline of the Northport harbour fires")
    assert answer.kind == "timeline"
    lines = answer.text.splitlines()[1:]
    assert lines and all(line.startswith("- ") for line in lines)
    keys = [line[2:12] for line in lines if line[2:6].isdigit()]
    assert keys == sorted(keys)
    assert {c.source for c in answer.citations} <= {FIRE_2023, FIRE_2024}
    assert {FIRE_2023, FIRE_2024} <= {c.source for c in answer.citations}
    assert markers_in(answer.text) == [c.number for c in answer.citations]
    for c in answer.citations:
        assert news_assistant.article(c.source)["text"][c.start:c.end] == c.quote
    first_2024 = next(n for n, c in enumerate(answer.citations) if c.source == FIRE_2024)
    assert all(c.source == FIRE_2023 for c in answer.citations[:first_2024]), "2023 events come first"
