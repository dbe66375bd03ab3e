"""Question parts: a yes/no or comparison question cut into the claims, reports or sides it joins,
each later part keeping the words that join it (the verdict reads "before"/"after" from them)."""

from __future__ import annotations

from datetime import date

from assistant.answer.query import analyse, question_parts


def test_two_claims_joined_by_while_are_two_parts() -> None:
    question = "Does the Coastal Herald say 12 workers were injured, while the Valley Times says five were?"
    assert question_parts(question) == ("Does the Coastal Herald say 12 workers were injured",
                                        "while the Valley Times says five were")


def test_an_order_question_keeps_its_order_word_on_the_second_report() -> None:
    question = "Was the report on the harbour fire published before the report on the dock strike?"
    assert question_parts(question) == ("Was the report on the harbour fire published",
                                        "before the report on the dock strike")


def test_a_question_about_consistency_between_reports_is_not_an_order_question() -> None:
    question = "Was the reporting on the harbour consistent before the Valley Times reported the strike?"
    assert question_parts(question) == (question.rstrip("?"),)


def test_both_sources_become_one_part_each_asking_the_same() -> None:
    assert question_parts("Do both the Coastal Herald and the Valley Times report a fire at Northport?") == (
        "Do the Coastal Herald report a fire at Northport", "Do the Valley Times report a fire at Northport")


def test_the_sides_of_a_comparison_are_split_at_or() -> None:
    assert question_parts("Were more workers injured in the 2023 fire or in the 2024 fire?") == (
        "Were more workers injured in the 2023 fire", "in the 2024 fire")


def test_a_list_inside_a_claim_is_not_split() -> None:
    question = "Does the article say the room holds books, maps, and records?"
    assert question_parts(question) == (question.rstrip("?"),)


def test_parts_are_filled_only_for_yes_no_and_comparison_questions() -> None:
    def ask(text: str):
        return analyse(text, [], today=date(2024, 3, 10), max_chars=300, k=4, answerer="extractive")

    assert ask("Did the fire start before the strike was reported?").parts == (
        "Did the fire start", "before the strike was reported")
    assert ask("How many workers were injured in the fire, and who said so?").parts == ()
