"""The check every LLM answer goes through (`check_generated`), on hand-made sources: a sentence keeps its
[n] only if source n was given and supports its words and figures; everything dropped is noted."""

from __future__ import annotations

from datetime import date
from typing import Any

from fake_llm import ScriptedLLM, source_number

from assistant.answer.extractive import ABSTAIN_TEXT
from assistant.answer.llm_answerer import LLMAnswerer, check_generated
from assistant.answer.prompts import Prompts
from assistant.answer.retrieval import Hit
from assistant.core.answers import markers_in

TODAY = date(2024, 3, 10)
QUESTION = "How many workers were injured in the harbour fire?"
ARTICLES = {
    "fire.txt": {"text": "A fire destroyed three warehouses at the harbour on Tuesday. "
                         "Firefighters said 12 workers were injured in the blaze. "
                         "The harbour authority blamed an electrical fault.",
                 "title": "Harbour Fire", "date": "2023-03-14", "publisher": "Herald", "content_hash": "h1"},
    "depot.txt": {"text": "Flames swept through a fuel depot on Sunday. "
                          "Five dock workers were injured when the depot roof collapsed.",
                  "title": "Depot Fire", "publisher": "Times", "content_hash": "h2"},
}


def hit(article_id: str) -> Hit:
    text = ARTICLES[article_id]["text"]
    meta = {"article_id": article_id, "content_hash": ARTICLES[article_id]["content_hash"]}
    return Hit(f"{article_id}::0", article_id, text, 0, len(text), meta)


SOURCES = [hit("fire.txt"), hit("depot.txt")]


def check(text: str) -> Any:
    return check_generated(QUESTION, text, SOURCES, ARTICLES)


def assert_exact(answer: Any) -> None:
    assert markers_in(answer.text) == [c.number for c in answer.citations]
    for c in answer.citations:
        assert ARTICLES[c.source]["text"][c.start:c.end] == c.quote


def test_supported_sentences_are_kept_and_cite_the_exact_supporting_sentence() -> None:
    answer = check("Firefighters said 12 workers were injured in the blaze [1]. "
                   "Five dock workers were injured when the depot roof collapsed [2].")
    assert not answer.abstained and answer.notes == [] and answer.answerer == "llm"
    assert [c.quote for c in answer.citations] == [
        "Firefighters said 12 workers were injured in the blaze.",
        "Five dock workers were injured when the depot roof collapsed.",
    ]
    assert_exact(answer)


def test_a_source_number_that_was_not_given_is_dropped_and_noted() -> None:
    answer = check("Firefighters said 12 workers were injured in the blaze [1][7].")
    assert markers_in(answer.text) == [1] and len(answer.citations) == 1
    assert "dropped [7]: no source 7 was given" in answer.notes
    assert_exact(answer)


def test_a_sentence_its_source_does_not_support_is_dropped_and_noted() -> None:
    answer = check("Firefighters said 12 workers were injured in the blaze [1]. "
                   "The mayor resigned over the budget scandal [1].")
    assert "mayor" not in answer.text and len(answer.citations) == 1
    assert any(n.startswith("dropped unsupported sentence: The mayor resigned") for n in answer.notes)
    assert_exact(answer)


def test_a_wrong_figure_with_a_real_citation_is_not_accepted() -> None:
    answer = check("Firefighters said 40 workers were injured in the blaze [1].")
    assert answer.abstained and answer.citations == []
    assert any("unsupported" in n and "40 workers" in n for n in answer.notes)


def test_a_claim_cited_to_the_wrong_source_is_dropped() -> None:
    answer = check("Firefighters said 12 workers were injured in the blaze [2].")
    assert answer.abstained and any("cited [2]" in n for n in answer.notes)


def test_an_uncited_sentence_is_dropped_and_noted() -> None:
    answer = check("Firefighters said 12 workers were injured in the blaze [1]. Everyone was shocked.")
    assert "shocked" not in answer.text
    assert "dropped uncited sentence: Everyone was shocked." in answer.notes


def test_two_claims_on_one_sentence_share_one_citation_number() -> None:
    answer = check("In the blaze 12 workers were injured, firefighters said [1]. "
                   "Firefighters said 12 workers were injured [1].")
    assert answer.notes == [] and answer.text.count("[1]") == 2
    assert len(answer.citations) == 1 and markers_in(answer.text) == [1]


def test_the_model_saying_the_articles_dont_say_is_an_abstention() -> None:
    for text in (ABSTAIN_TEXT, "The articles don't say. Sorry.", "   "):
        answer = check(text)
        assert answer.abstained and answer.citations == []


def test_streamed_llm_answer_is_checked_and_prompt_numbers_the_sources() -> None:
    def script(prompt: str) -> str:
        return (f"Five dock workers were injured when the depot roof collapsed [{source_number(prompt, 'depot')}]. "
                "Nine people died [9].")

    llm = ScriptedLLM(script)
    pieces, answer = run(LLMAnswerer(llm, Prompts(), "scripted").answer(QUESTION, SOURCES, ARTICLES, TODAY))
    assert "".join(pieces).startswith("Five dock workers")
    assert [c.source for c in answer.citations] == ["depot.txt"]
    assert "dropped [9]: no source 9 was given" in answer.notes
    prompt = llm.prompts[0]
    assert "[1] Harbour Fire | Herald | 2023-03-14" in prompt
    assert "[2] Depot Fire | Times | date not stated" in prompt
    assert QUESTION in prompt and TODAY.isoformat() in prompt


def test_sources_of_a_replaced_article_version_are_not_offered() -> None:
    stale = {**ARTICLES, "fire.txt": ARTICLES["fire.txt"] | {"content_hash": "newer"}}
    llm = ScriptedLLM(lambda prompt: "Five dock workers were injured when the depot roof collapsed [1].")
    _, answer = run(LLMAnswerer(llm, Prompts(), "scripted").answer(QUESTION, SOURCES, stale, TODAY))
    assert "Harbour Fire" not in llm.prompts[0]
    assert [c.source for c in answer.citations] == ["depot.txt"]


def run(gen: Any) -> tuple[list[str], Any]:
    """The pieces a generator yields and the value it returns."""
    pieces = []
    while True:
        try:
            pieces.append(next(gen))
        except StopIteration as stop:
            return pieces, stop.value


def test_the_check_counts_what_it_kept_renumbered_and_dropped() -> None:
    answer = check("Five dock workers were injured when the depot roof collapsed [2]. "
                   "Firefighters said 12 workers were injured in the blaze [1][7]. "
                   "The mayor resigned over the budget scandal [1]. "
                   "The harbour is very old.")
    assert markers_in(answer.text) == [1, 2]  # numbered by first use: the model's [2] is shown as [1]
    assert answer.checks == {
        "refused": 0, "sentences": 4, "sentences_kept": 2, "sentences_unsupported": 1, "sentences_uncited": 1,
        "sentences_attributed": 0, "citations": 4, "citations_kept": 2, "citations_renumbered": 2,
        "citations_invalid": 1, "citations_unsupporting": 1,
    }
    assert answer.to_dict()["checks"] == answer.checks
    assert_exact(answer)


def test_a_model_that_says_the_articles_dont_say_is_counted_as_a_refusal() -> None:
    answer = check(ABSTAIN_TEXT)
    assert answer.abstained and answer.checks["refused"] == 1 and answer.checks["sentences"] == 0
