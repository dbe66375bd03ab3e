"""'Who said that?': the speaker of the claim the previous answer quoted, led by name, cited to the sentence
that names them, with the short answer's span inside that quote -- never the previous answer again."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.answer.attribution import speaker_in
from assistant.answer.followups import asks_who_said, claim_of


@pytest.mark.parametrize(
    "sentence,speaker",
    [
        ("“These facilities are used by militias,” Kirby added.", "Kirby"),
        ("Kataib Hezbollah, based in Jurf al-Sakhar south of Baghdad, confirmed the death of eight members.",
         "Kataib Hezbollah"),
        ("Five dock workers were injured when the roof collapsed, according to the port police.", "the port police"),
        ('"We will respond," said Yehia Rasool, a spokesman.', "Yehia Rasool"),
        ("Militia officials have confirmed the deaths of 16 fighters.", "Militia officials"),
        ("However, the union reported casualties.", "the union"),
        ("The attacks, the second such action launched against armed groups by the administration in two "
         "months, struck militia bases on either side of the border.", None),
        ("A fire destroyed three warehouses on Tuesday night.", None),
    ],
)
def test_the_speaker_a_sentence_names_is_found_with_its_exact_span(sentence: str, speaker: str | None) -> None:
    found = speaker_in(sentence, offset=100)
    if speaker is None:
        assert found is None
    else:
        assert found is not None and found.text == speaker
        assert sentence[found.start - 100:found.end - 100] == speaker


@pytest.mark.parametrize("question", ["Who said that?", "Who made that claim?", "Which official gave that warning?",
                                      "According to whom?", "who reported this"])
def test_questions_about_who_said_the_last_claim_are_recognised(question: str) -> None:
    assert asks_who_said(question)


@pytest.mark.parametrize("question", ["Who is the mayor?", "Who won the vote?", "What did the union say?"])
def test_other_questions_are_not_about_who_said_the_last_claim(question: str) -> None:
    assert not asks_who_said(question)


def test_a_declined_answer_claims_nothing() -> None:
    history = [{"role": "user", "content": "Who won?"},
               {"role": "assistant", "content": "The articles don't say. Nothing in them matches this question."}]
    assert claim_of(history) is None
    history[-1]["content"] = "Five dock workers were injured. [1]"
    assert claim_of(history) == "Five dock workers were injured."


def test_who_said_that_names_the_speaker_of_the_previous_claim(news_assistant: Any) -> None:
    first = news_assistant.ask("How many dock workers were injured when the depot roof collapsed?")
    assert any("port police" in c.quote for c in first.citations)
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    answer = news_assistant.ask("Who said that?", history=history)
    assert answer.kind == "factoid" and answer.text != first.text
    assert answer.short is not None and answer.short.text == "the port police"
    cited = answer.citations[answer.short.citation - 1]
    article = news_assistant.article(cited.source)["text"]
    assert article[cited.start:cited.end] == cited.quote
    assert cited.start <= answer.short.start < answer.short.end <= cited.end
    assert article[answer.short.start:answer.short.end] == answer.short.text
    assert answer.to_dict()["short"]["text"] == "the port police"


def test_who_said_that_declines_when_the_claim_names_no_speaker(news_assistant: Any) -> None:
    """The warehouses sentence names nobody; the next one ("Firefighters said ...") speaks of something else."""
    first = news_assistant.ask("How many warehouses did the 2023 fire destroy?")
    assert any(c.quote.startswith("A fire destroyed three warehouses") for c in first.citations)
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    answer = news_assistant.ask("Who said that?", history=history)
    assert answer.abstained and answer.citations == [] and "who said it" in answer.text
