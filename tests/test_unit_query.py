"""Query analysis: validation, history cleaning, filter dates, follow-up resolution and the date window,
all before anything is searched."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.followups import has_own_name, history_text, needs_context, resolve_followup, topic_terms
from assistant.answer.query import (
    HISTORY_MESSAGE_CHARS,
    analyse,
    asked_for,
    clean_history,
    clean_question,
    filter_date,
)
from assistant.core.errors import ConfigError, QuestionError

TODAY = date(2024, 3, 10)


def ask(question: object, history: object = None, **options: object):
    return analyse(question, history, today=TODAY, max_chars=200, k=4, answerer="extractive", **options)


# --- the question itself ---------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["", "   ", "\n\t ", "\x00\x01\x02"])
def test_empty_question_is_refused(question: str) -> None:
    with pytest.raises(QuestionError, match="the question is empty"):
        clean_question(question, 100)


@pytest.mark.parametrize("question", [None, 42, ["what?"], b"what?"])
def test_question_that_is_not_text_is_refused_naming_its_type(question: object) -> None:
    with pytest.raises(QuestionError, match=f"must be text, got {type(question).__name__}"):
        clean_question(question, 100)


def test_too_long_question_is_refused_naming_length_and_limit() -> None:
    with pytest.raises(QuestionError) as err:
        clean_question("w" * 12_345, 2_000)
    assert "12,345 characters" in str(err.value) and "limit is 2,000" in str(err.value)
    assert clean_question("w" * 2_000, 2_000) == "w" * 2_000


def test_control_characters_and_runs_of_space_become_single_spaces() -> None:
    assert clean_question("  Who\x00 won\t\tthe\n\n cup?\x1b ", 100) == "Who won the cup?"


# --- the conversation so far ------------------------------------------------------------------------

def test_history_keeps_user_and_assistant_messages_cut_to_the_message_limit() -> None:
    long = "x" * (HISTORY_MESSAGE_CHARS + 50)
    cleaned = clean_history([{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": long}])
    assert cleaned[0] == {"role": "user", "content": "Hi?"}
    assert cleaned[1]["role"] == "assistant" and len(cleaned[1]["content"]) == HISTORY_MESSAGE_CHARS
    assert clean_history(None) == [] and clean_history([]) == []


@pytest.mark.parametrize("history", [
    "earlier question",
    {"role": "user", "content": "hi"},
    [{"speaker": "me", "text": "hi"}],
    [{"role": "system", "content": "be nice"}],
    [{"role": "user", "content": 7}],
    ["just a string"],
])
def test_malformed_history_is_refused(history: object) -> None:
    with pytest.raises(QuestionError, match="history"):
        clean_history(history)


# --- filters ----------------------------------------------------------------------------------------

def test_filter_dates_accept_the_date_forms_and_name_the_option_otherwise() -> None:
    assert filter_date(None, "since") is None and filter_date("", "since") is None
    assert filter_date("2023-11-22", "since") == "2023-11-22"
    assert filter_date("22 November 2023", "until") == "2023-11-22"
    with pytest.raises(QuestionError, match="until must be a date such as 2023-11-22, got 'soon'"):
        filter_date("soon", "until")


def test_analyse_builds_the_filters_from_the_options() -> None:
    query = ask("Who?", since="1 March 2023", until="2023-12-31", publishers=["Valley Times"],
                article_ids=["a.txt"])
    assert query.filters.since == "2023-03-01" and query.filters.until == "2023-12-31"
    assert query.filters.publishers == ("Valley Times",) and query.filters.article_ids == ("a.txt",)
    assert (query.k, query.answerer) == (4, "extractive")
    with pytest.raises(QuestionError, match="since"):
        ask("Who?", since="yesterday-ish")


def test_unknown_answerer_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="answerer must be 'extractive', 'llm' or 'hybrid', got 'oracle'"):
        analyse("Who?", [], today=TODAY, max_chars=100, k=4, answerer="oracle")


# --- what is searched -------------------------------------------------------------------------------

def test_date_window_is_read_from_the_question_relative_to_today() -> None:
    query = ask("What happened at the harbour last year?")
    assert (query.date_range.start, query.date_range.end) == ("2023-01-01", "2023-12-31")
    assert ask("What happened at the harbour?").date_range is None


def test_follow_up_search_text_carries_the_earlier_subject_and_its_date() -> None:
    history = [{"role": "user", "content": "What did the Harbour Workers Union demand in November 2023?"},
               {"role": "assistant", "content": "A pay rise [1]"}]
    query = ask("Since when have they been on strike?", history)
    assert query.question == "Since when have they been on strike?"
    assert "Harbour Workers Union" in query.search_text and query.search_text.startswith(query.question)
    assert query.date_range is not None and query.date_range.start == "2023-11-01"
    assert query.history == history


def test_rewrite_replaces_rule_based_resolution_when_given() -> None:
    calls = []

    def rewrite(question: str, history: list[dict[str, str]]) -> str:
        calls.append((question, history))
        return "Since when has the Harbour Workers Union been on strike?"

    history = [{"role": "user", "content": "What is the Harbour Workers Union?"}]
    query = ask("Since when are they on strike?", history, rewrite=rewrite)
    assert calls == [("Since when are they on strike?", history)]
    assert query.search_text == "Since when has the Harbour Workers Union been on strike?"


# --- follow-ups -------------------------------------------------------------------------------------

def test_question_with_its_own_name_and_no_reference_is_searched_as_asked() -> None:
    history = [{"role": "user", "content": "What is the Harbour Workers Union?"}]
    assert resolve_followup("Who is Mayor Elena Brandt?", history) == "Who is Mayor Elena Brandt?"
    assert not needs_context("Who is Mayor Elena Brandt?")


def test_question_referring_back_gets_the_latest_named_topic() -> None:
    history = [
        {"role": "user", "content": "What did Mayor Elena Brandt present?"},
        {"role": "assistant", "content": "A budget of 40 million euros [1]"},
        {"role": "user", "content": "What is the Harbour Workers Union?"},
        {"role": "assistant", "content": "A union of dock workers [1]"},
    ]
    resolved = resolve_followup("Since when has it been on strike?", history)
    assert resolved.startswith("Since when has it been on strike? (")
    assert "Harbour Workers Union" in resolved and "Brandt" not in resolved


def test_follow_up_skips_earlier_questions_without_a_name_and_ignores_assistant_turns() -> None:
    history = [
        {"role": "user", "content": "What did Mayor Elena Brandt present?"},
        {"role": "assistant", "content": "The Harbour Workers Union said nothing [1]"},
        {"role": "user", "content": "and then what happened?"},
    ]
    resolved = resolve_followup("What did she pay for?", history)
    assert "Elena Brandt" in resolved and "Union" not in resolved


def test_follow_up_without_history_is_unchanged() -> None:
    assert resolve_followup("Since when has it been on strike?", []) == "Since when has it been on strike?"


def test_topic_terms_drop_question_words_and_stopwords_and_keep_order() -> None:
    assert topic_terms("What is the Harbour Workers Union and what did it do?") == ["Harbour", "Workers", "Union"]
    assert has_own_name("When did Northport reopen?") and not has_own_name("When did it reopen?")


def test_history_text_labels_the_last_turns() -> None:
    history = [{"role": "user", "content": f"q{n}"} for n in range(10)]
    text = history_text(history, limit=2)
    assert text == "User: q8\nUser: q9"


@pytest.mark.parametrize(
    "question,asks,item",
    [
        ("Summarize the articles", "overview", None),
        ("Brief me on Kataib Hezbollah", "overview", None),
        ("Give me a briefing on the port strike", "overview", None),
        ("Catch me up on the harbour fire", "overview", None),
        ("What happened in al-Qaim?", "overview", None),
        ("Give me a timeline of the strikes", "timeline", None),
        ("What happened first, the drone attack or the strikes?", "timeline", None),
        ("How many fighters were killed?", "number", None),
        ("When did the strikes happen?", "date", None),
        ("Which city did the mayor lead?", "place", None),
        ("Who is Yehia Rasool?", "person", None),
        ("Which US officials condemned the attack?", "list", "person"),
        ("What sites were struck?", "list", "place"),
        ("Which militia did the US blame?", "organisation", "organisation"),
        ("Did the strikes in al-Anbar or south of Baghdad kill more fighters?", "comparison", None),
        ("Did Iraq condemn the strikes?", "yesno", None),
        ("Why did the US strike Iraq?", "reason", None),
        ("Tell me about the weather", "other", None),
        ("Which former Alameda Research CEO testified?", "person", "person"),  # the noun four words on
        ("At which venture capital firm was she a partner?", "organisation", "organisation"),
        ("What did the US State Secretary and the Iraqi minister discuss?", "other", None),  # no item after "did"
        ("Who is the individual accused of fraud?", "person", "person"),
        ("Who scored twice in the game where his team won?", "person", None),  # the first question word asks
        ("Who was the mayor when the fire broke out?", "person", None),
        ("How many workers were hurt when the roof collapsed?", "number", None),
        ("What was Port Nova formerly called?", "alias", None),
        ("Which company is also known for its ferries?", "organisation", "organisation"),  # not another name
        ("Which anniversary did the festival mark?", "ordinal", "ordinal"),
        ("Was anyone hurt when the roof collapsed?", "yesno", None),  # "when" opens a clause
        ("Can you tell me when the fire broke out?", "date", None),  # asked through a yes/no frame
    ],
)
def test_what_a_question_asks_for_is_read_once_from_its_words(question: str, asks: str, item: str | None) -> None:
    assert asked_for(question) == (asks, item)


def test_the_query_carries_what_is_asked_and_the_names_as_written() -> None:
    query = analyse("How many Kataib Hezbollah members were killed in November 2023?", [], today=date(2024, 1, 1),
                    max_chars=2000, k=8, answerer="extractive")
    assert (query.asks, query.kind) == ("number", "number")
    assert query.focus == ("Kataib", "Hezbollah", "members", "were")
    assert set(query.names.values()) == {"Kataib", "Hezbollah"}  # the date's words name a date, not a subject
    assert "November 2023" not in query.content_text and query.date_range is not None
    assert analyse("Summarize the articles", [], today=date(2024, 1, 1), max_chars=2000, k=8,
                   answerer="extractive").kind is None


@pytest.mark.parametrize(("question", "outlets"), [
    ("Who joined as CTO, according to a TechCrunch article, and later became CEO, as reported by a Wall Street "
     "Journal article?", ("TechCrunch", "Wall Street Journal")),
    ("Considering an article by The Verge and another article by CNET, which tablet ...?", ("Verge", "CNET")),
    ("Who, as reported by 'The Independent - Life and Style', cheered?", ("Independent",)),
    ("Did the New York Times report say so?", ("New York Times",)),
    ("Considering The Wall Street Journal's first article, which CEO ...?", ("Wall Street Journal",)),
    ("Which group, according to officials, carried it out?", ()),
    ("What did Apple pay, according to Eddy Cue, in the article from December?", ()),  # a speaker, a month
])
def test_the_outlets_a_question_attributes_claims_to_are_found(question: str, outlets: tuple[str, ...]) -> None:
    from assistant.answer.query import outlets_named
    assert outlets_named(question) == outlets


def test_names_of_two_or_more_words_are_kept_whole_as_written() -> None:
    from assistant.answer.query import name_phrases
    assert name_phrases("Which company did Anthony Melone join, as The Wall Street Journal's report says?") == (
        "Anthony Melone", "The Wall Street Journal")
    assert name_phrases("Who leads Kataib Hezbollah in Iraq?") == ("Kataib Hezbollah",)  # one-word names aside


@pytest.mark.parametrize(("question", "parts"), [
    ("Which prime minister was in office during the 2020 strikes, and which during the 2023 strikes?",
     ("Which prime minister was in office during the 2020 strikes?",
      "Which prime minister was in office during the 2023 strikes?")),  # the second completed from the first
    ("Who won the vote, and who lost it?", ("Who won the vote?", "Who lost it?")),
    ("Who leads the union and the port?", None),
    ("Did the union and which port agree?", None),  # not a question-word question
])
def test_a_question_that_asks_two_things_is_split_in_two(question: str, parts: tuple[str, str] | None) -> None:
    from assistant.answer.query import two_questions
    assert two_questions(question) == parts
