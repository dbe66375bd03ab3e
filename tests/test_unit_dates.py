"""Dates: every question form `assistant.core.dates` documents, relative forms against an injected today,
and the article dates read from metadata and date lines."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.core.dates import DateRange, date_key, parse_date, question_date_range

TODAY = date(2024, 3, 10)


@pytest.mark.parametrize(
    "question,start,end",
    [
        ("What happened in November 2023?", "2023-11-01", "2023-11-30"),
        ("Strikes November 2023", "2023-11-01", "2023-11-30"),
        ("What did the mayor say in 2021?", "2021-01-01", "2021-12-31"),
        ("What happened on 22 November 2023?", "2023-11-22", "2023-11-22"),
        ("What happened on November 22, 2023?", "2023-11-22", "2023-11-22"),
        ("What happened on 2023-11-22?", "2023-11-22", "2023-11-22"),
        ("What happened on 11/22/2023?", "2023-11-22", "2023-11-22"),
        ("What happened in Nov. 2023?", "2023-11-01", "2023-11-30"),
        ("Budget news in February 2024", "2024-02-01", "2024-02-29"),  # leap year
        ("Budget news in December 2023", "2023-12-01", "2023-12-31"),  # the month that ends the year
    ],
)
def test_documented_question_forms_name_their_date_window(question: str, start: str, end: str) -> None:
    found = question_date_range(question, TODAY)
    assert found is not None
    assert (found.start, found.end) == (start, end)
    assert found.phrase in question, "the phrase is the words that named the date"


def test_relative_forms_count_from_the_injected_today() -> None:
    this_year = question_date_range("What happened this year?", TODAY)
    last_year = question_date_range("What happened last year?", TODAY)
    assert (this_year.start, this_year.end) == ("2024-01-01", "2024-12-31")
    assert (last_year.start, last_year.end) == ("2023-01-01", "2023-12-31")
    other_today = question_date_range("What happened this year?", date(2019, 7, 1))
    assert other_today.start == "2019-01-01"


def test_last_month_name_is_the_most_recent_one_before_today() -> None:
    # in March 2024, last January is January 2024; last June is June 2023
    assert question_date_range("What happened last January?", TODAY).start == "2024-01-01"
    assert question_date_range("What happened last June?", TODAY).start == "2023-06-01"
    # in January itself, "last January" is the one a year before
    assert question_date_range("What happened last January?", date(2024, 1, 20)).start == "2023-01-01"
    this_june = question_date_range("What happens this June?", TODAY)
    assert (this_june.start, this_june.end) == ("2024-06-01", "2024-06-30")


def test_the_most_specific_form_wins() -> None:
    found = question_date_range("What happened in 2023, on November 22, 2023 exactly?", TODAY)
    assert (found.start, found.end) == ("2023-11-22", "2023-11-22")


@pytest.mark.parametrize("question", ["What happened at the harbour?", "Why did 12 workers get hurt?",
                                      "What happened on 2023-02-30?"])
def test_question_without_a_valid_date_names_no_window(question: str) -> None:
    assert question_date_range(question, TODAY) is None


def test_date_range_contains_only_dates_inside_it_and_never_an_unknown_date() -> None:
    window = DateRange("2023-11-01", "2023-11-30", "November 2023")
    assert window.contains("2023-11-01") and window.contains("2023-11-30")
    assert not window.contains("2023-10-31") and not window.contains("2023-12-01")
    assert not window.contains(None) and not window.contains("")


@pytest.mark.parametrize(
    "text,iso",
    [
        ("2023-10-07T15:37:43+00:00", "2023-10-07"),
        ("Wednesday, 11/22/2023", "2023-11-22"),
        ("November 22, 2023", "2023-11-22"),
        ("22nd November 2023", "2023-11-22"),
        ("Tue, 21 Nov 2023 10:00:00 +0000", "2023-11-21"),
        ("13/45/2023", None),  # not a calendar date
        ("", None),
        (None, None),
        ("sometime last spring", None),
    ],
)
def test_article_dates_are_parsed_or_left_unknown(text: str | None, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_date_key_orders_dates_and_is_zero_when_unknown() -> None:
    assert date_key(None) == 0
    assert date_key("2023-11-22") < date_key("2023-11-23") < date_key("2024-01-01")


def test_a_count_after_of_is_not_read_as_a_year() -> None:
    assert question_date_range("How many of 2000 workers were injured?", TODAY) is None
    assert question_date_range("What were the events of 2021?", TODAY) is not None


def test_a_year_after_in_is_a_year_whatever_follows() -> None:
    found = question_date_range("Who won in 2023 and why?", TODAY)
    assert found is not None and (found.start, found.end) == ("2023-01-01", "2023-12-31")
