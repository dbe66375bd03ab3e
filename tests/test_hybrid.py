"""The `hybrid` answerer: the engine finds the answer, a (scripted) model phrases it, the check keeps
only what the engine's cited sentences support."""

from __future__ import annotations

import re
from typing import Any

from fake_llm import ScriptedLLM
from test_llm_answerer import llm_assistant

QUESTION = "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?"


def numbered(prompt: str) -> dict[int, str]:
    """The numbered sentences of a phrase prompt."""
    block = prompt.split("<sentences>", 1)[1].split("</sentences>", 1)[0]
    return {int(n): text for n, text in re.findall(r"^\[(\d+)\] (.*)$", block, re.M)}


def test_the_model_phrases_the_engines_answer_from_its_cited_sentences_only(fake_seed_assistant: Any) -> None:
    extractive = fake_seed_assistant.ask(QUESTION)
    assert extractive.short is not None  # the engine's typed answer, which the model is told

    def phrase(prompt: str) -> str:
        n, sentence = next(iter(numbered(prompt).items()))
        return f"According to the articles, {sentence[0].lower()}{sentence[1:]} [{n}]"

    llm = ScriptedLLM(phrase)
    answer = llm_assistant(fake_seed_assistant, llm, answerer="hybrid").ask(QUESTION)
    prompt = llm.prompts[-1]
    assert f"The answer is: {extractive.short.text}." in prompt
    assert set(numbered(prompt).values()) == {c.quote for c in extractive.citations}  # nothing else to read
    assert answer.answerer == "hybrid" and not answer.abstained
    assert answer.citations[0].quote in {c.quote for c in extractive.citations}
    assert not answer.text.startswith("According to")  # the lead-in is not a claim
    c = answer.citations[0]
    assert fake_seed_assistant.article(c.source)["text"][c.start:c.end] == c.quote
    assert answer.short is not None and answer.short.text == extractive.short.text


def test_a_phrasing_the_cited_sentences_do_not_support_leaves_the_engines_answer(fake_seed_assistant: Any) -> None:
    llm = ScriptedLLM(lambda prompt: "Forty members were killed [1].")
    answer = llm_assistant(fake_seed_assistant, llm, answerer="hybrid").ask(QUESTION)
    extractive = fake_seed_assistant.ask(QUESTION)
    assert answer.text == extractive.text and "Forty" not in answer.text
    assert any("not supported" in note for note in answer.notes)


def test_a_question_the_engine_declines_never_reaches_the_model(fake_seed_assistant: Any) -> None:
    llm = ScriptedLLM(lambda prompt: "The harbour of Tarsk reopened [1].")
    answer = llm_assistant(fake_seed_assistant, llm, answerer="hybrid").ask(
        "How many ferries does the Orlen Valley operator run?")
    assert answer.abstained and llm.prompts == []


def test_hybrid_streams_only_checked_sentences(fake_seed_assistant: Any) -> None:
    def phrase(prompt: str) -> str:
        n, sentence = next(iter(numbered(prompt).items()))
        return f"{sentence} [{n}] The strikes were ordered by the moon [{n}]."

    assistant = llm_assistant(fake_seed_assistant, ScriptedLLM(phrase), answerer="hybrid")
    pieces = list(assistant.stream(QUESTION))
    final = pieces[-1]
    shown = "".join(p for p in pieces[:-1] if isinstance(p, str))
    assert "moon" not in shown and shown == final.text


def test_a_timeline_keeps_the_engines_dated_lines_without_the_model(fake_seed_assistant: Any) -> None:
    llm = ScriptedLLM(lambda prompt: "Things happened [1].")
    question = "Give me a timeline of the US strikes in Iraq."
    extractive = fake_seed_assistant.ask(question)
    answer = llm_assistant(fake_seed_assistant, llm, answerer="hybrid").ask(question)
    assert extractive.kind == "timeline" and answer.text == extractive.text and llm.prompts == []


def test_a_two_part_question_is_answered_in_two_parts_as_the_engine_joins_them(fake_seed_assistant: Any) -> None:
    llm = ScriptedLLM(lambda prompt: "Things happened [1].")
    question = "Who is Yehia Rasool and how many Kataib Hezbollah members were killed?"
    extractive = fake_seed_assistant.ask(question)
    assert extractive.text.startswith("- Who is Yehia Rasool?")  # the engine answers each part
    answer = llm_assistant(fake_seed_assistant, llm, answerer="hybrid").ask(question)
    assert answer.text == extractive.text and answer.answerer == "hybrid" and llm.prompts == []
