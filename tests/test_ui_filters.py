"""The page's filters and corpus line (fast: pure functions over article lists)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.core.errors import ConfigError
from assistant.ui.handlers import answer_options, corpus_summary, date_field, filter_summary, matching

TODAY = date(2026, 11, 22)
ARTICLES = [
    {"id": "a", "date": "2023-11-22", "publisher": None},
    {"id": "b", "date": "2023-10-02", "publisher": "ICARO Media Group"},
    {"id": "c", "date": None, "publisher": "ICARO Media Group"},
    {"id": "d", "date": None, "publisher": None},
]


def test_date_fields_read_the_phrases_questions_use_and_say_what_they_understood() -> None:
    assert date_field("November 2023", "since", TODAY) == ("2023-11-01", "since 1 Nov 2023 (read “November 2023”)")
    assert date_field("November 2023", "until", TODAY)[0] == "2023-11-30"
    assert date_field("2023", "until", TODAY)[0] == "2023-12-31"
    assert date_field("last year", "since", TODAY)[0] == "2025-01-01"
    assert date_field(" 2023-11-22 ", "since", TODAY) == ("2023-11-22", "since 22 Nov 2023")
    assert date_field("", "since", TODAY) == (None, None)
    with pytest.raises(ConfigError, match="until: expected a date"):
        date_field("soonish", "until", TODAY)


def test_the_page_takes_phrases_but_the_api_only_iso_dates() -> None:
    assert answer_options("November 2023", "", None, None, today=TODAY) == {"since": "2023-11-01"}
    with pytest.raises(ConfigError, match="since: expected a date"):
        answer_options("November 2023", "", None, None)


def test_matching_counts_as_the_store_filters_and_counts_the_undated_a_date_range_drops() -> None:
    assert matching(ARTICLES, None, None, None) == (4, 0)
    assert matching(ARTICLES, "2023-11-01", None, None) == (1, 2)
    assert matching(ARTICLES, None, "2023-10-31", ["ICARO Media Group"]) == (1, 1)
    assert matching(ARTICLES, None, None, ["ICARO Media Group"]) == (2, 0)


def test_filter_summary_gives_one_chip_per_active_filter_and_n_of_m() -> None:
    chips, line, undated = filter_summary(ARTICLES, "November 2023", "", ["ICARO Media Group"], TODAY)
    assert chips == ["since 1 Nov 2023 (read “November 2023”)", "", "publisher: ICARO Media Group"]
    assert "0 of 4 articles match" in line and "1 undated article left out" in line and "filter-bad" in line
    assert undated == 1
    assert filter_summary(ARTICLES, "", "", [], TODAY) == (["", "", ""], "", 0)
    chips, line, undated = filter_summary(ARTICLES, "whenever", "", [], TODAY)
    assert chips == [] and "since: expected a date" in line and undated == 0


def test_including_undated_articles_counts_them_among_those_that_match() -> None:
    assert matching(ARTICLES, "2023-11-01", None, None, include_undated=True) == (3, 2)
    assert matching(ARTICLES, None, "2023-10-31", ["ICARO Media Group"], include_undated=True) == (2, 1)
    assert matching(ARTICLES, None, None, None, include_undated=True) == (4, 0)  # no date filter: nothing changes
    _, left_out, undated = filter_summary(ARTICLES, "November 2023", "", [], TODAY)
    assert "1 of 4 articles match" in left_out and "2 undated articles left out by the date filter" in left_out
    _, taken_in, same = filter_summary(ARTICLES, "November 2023", "", [], TODAY, include_undated=True)
    assert "3 of 4 articles match" in taken_in and "2 undated articles included" in taken_in
    assert undated == same == 2  # the box stays offered while it is ticked
    assert filter_summary(ARTICLES, "", "", ["ICARO Media Group"], TODAY, include_undated=True)[2] == 0


def test_the_include_undated_option_reaches_ask_only_with_a_date_limit() -> None:
    assert answer_options("2023-11-01", "", None, None, include_undated=True) == {
        "since": "2023-11-01", "include_undated": True}
    assert answer_options("", "", ["ICARO Media Group"], None, include_undated=True) == {
        "publishers": ["ICARO Media Group"]}
    assert "include_undated" not in answer_options("2023-11-01", "", None, None)


def test_corpus_summary_speaks_of_articles_dates_and_publishers_only() -> None:
    assert corpus_summary(ARTICLES) == ("4 articles, dated 2 Oct 2023 to 22 Nov 2023 (2 undated), "
                                        "from ICARO Media Group (2 name no publisher).")
    assert corpus_summary([{"date": None, "publisher": None}]) == "1 article, none dated."
    assert "No articles yet" in corpus_summary([])
