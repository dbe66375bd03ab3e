"""The extractive answerer: which sentences it quotes (select) and how it writes them out (compose):
look-alike events kept apart with their article and date, quotes copied exactly, markers numbered."""

from __future__ import annotations

from typing import Any

from assistant.answer.evidence import Evidence, Sentence
from assistant.answer.extractive import ABSTAIN_TEXT, MAX_SENTENCES, abstention, compose, select, several_events
from assistant.answer.query import FACTOID_KINDS, asked_for
from assistant.core.answers import markers_in

HOW_MANY = "How many workers were injured in the harbour fire?"
COUNT = "number"  # what the engine's Query asks for with HOW_MANY (checked below)
TEXTS = {
    "fire-2023.txt": "A fire destroyed three warehouses at the harbour on Tuesday. "
                     "Firefighters said 12 workers were injured in the blaze.",
    "fire-2024.txt": "Flames swept through a fuel depot at the harbour on Sunday. "
                     "Five dock workers were injured when the depot roof collapsed.",
    "undated.txt": "Seven workers were injured when scaffolding fell at the harbour.",
    "same.txt": "Officials said 12 workers were injured at the harbour.",
    "again.txt": "Firefighters said 12 workers were injured in the blaze on Tuesday.",
    "other-fire.txt": "Firefighters said 5 workers were injured in the blaze.",
}
META = {
    "fire-2023.txt": {"title": "Harbour Fire Destroys Warehouses", "date": "2023-03-14", "publisher": "Herald"},
    "fire-2024.txt": {"title": "Fire At The Harbour Again", "date": "2024-06-02", "publisher": "Times"},
    "undated.txt": {"title": "", "date": "", "publisher": ""},
    "same.txt": {"title": "Same Figure", "date": "2023-03-15"},
    "again.txt": {"title": "Again", "date": "2023-03-14"},
    "other-fire.txt": {"title": "Another Blaze", "date": "2024-06-02"},
}


def test_the_how_many_question_asks_for_a_number() -> None:
    assert kind_of(HOW_MANY) == COUNT


def kind_of(question: str) -> str | None:
    """The factoid kind the engine's Query gives this question (`Query.kind`)."""
    asks, _ = asked_for(question)
    return asks if asks in FACTOID_KINDS else None


def sent(article_id: str, n: int, score: float, kind_match: bool = False, overlap: float = 0.5) -> Sentence:
    """Sentence `n` (0-based) of one of TEXTS, with its exact span."""
    text = TEXTS[article_id]
    starts = [0] + [i + 2 for i, ch in enumerate(text) if text[i:i + 2] == ". "]
    start = starts[n]
    end = text.find(". ", start) + 1 if n + 1 < len(starts) else len(text)
    return Sentence(article_id, start, end, text[start:end], 0, META[article_id], score=score,
                    kind_match=kind_match, overlap=overlap)


def evidence(*sentences: Sentence, terms: list[str] | None = None) -> Evidence:
    return Evidence(list(sentences), terms or ["worker", "injur", "harbour", "fire"], [])


def check_quotes(answer: Any) -> None:
    assert markers_in(answer.text) == [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert TEXTS[c.source][c.start:c.end] == c.quote
        assert f"{c.quote} [{c.number}]" in answer.text


def test_look_alike_events_are_labelled_with_their_article_and_date() -> None:
    chosen = select(evidence(sent("fire-2023.txt", 1, 0.9, True), sent("fire-2024.txt", 1, 0.85, True)), COUNT)
    assert {s.article_id for s in chosen} == {"fire-2023.txt", "fire-2024.txt"}
    assert several_events(chosen, COUNT)
    answer = compose(HOW_MANY, chosen, 0.8, COUNT)
    assert answer.text.splitlines()[0] == "The articles describe separate events:"
    for c in answer.citations:
        line = next(line for line in answer.text.splitlines() if line.endswith(f"[{c.number}]"))
        assert META[c.source]["title"] in line and META[c.source]["date"] in line
    check_quotes(answer)
    assert not answer.abstained and answer.confidence == 0.8


def test_undated_event_says_its_date_is_not_stated_and_falls_back_to_its_id() -> None:
    chosen = [sent("fire-2023.txt", 1, 0.9, True), sent("undated.txt", 0, 0.88, True)]
    answer = compose(HOW_MANY, chosen, 0.7, COUNT)
    undated = next(line for line in answer.text.splitlines() if "Seven workers" in line)
    assert "undated.txt" in undated and "date not stated" in undated
    check_quotes(answer)


def test_a_headline_less_event_is_labelled_by_its_first_words_when_its_text_is_known() -> None:
    with_text = sent("undated.txt", 0, 0.88, True)
    with_text.meta = META["undated.txt"] | {"text": TEXTS["undated.txt"]}
    answer = compose(HOW_MANY, [sent("fire-2023.txt", 1, 0.9, True), with_text], 0.7, COUNT)
    undated = next(line for line in answer.text.splitlines() if line.endswith("[2]"))
    assert undated.startswith("In “Seven workers were injured when scaffolding fell at the…”")


def test_same_figure_from_two_articles_is_not_called_separate_events() -> None:
    chosen = [sent("fire-2023.txt", 1, 0.9, True), sent("same.txt", 0, 0.88, True)]
    assert not several_events(chosen, COUNT)
    assert "separate events" not in compose(HOW_MANY, chosen, 0.7, COUNT).text


def test_plain_answer_quotes_sentences_inline_without_labels() -> None:
    question = "What burned at the harbour?"
    chosen = select(evidence(sent("fire-2023.txt", 0, 0.9), sent("fire-2024.txt", 0, 0.5)), kind_of(question))
    assert [s.article_id for s in chosen] == ["fire-2023.txt"], "a sentence far below the best is left out"
    answer = compose(question, chosen, 0.9, kind_of(question))
    assert answer.text == f"{TEXTS['fire-2023.txt'].split('. ')[0]}. [1]"
    check_quotes(answer)


def test_date_question_or_named_date_labels_the_quotes_with_dates() -> None:
    chosen = [sent("fire-2023.txt", 0, 0.9)]
    when, what = "When did the warehouses burn?", "What burned at the harbour?"
    assert "(2023-03-14)" in compose(when, chosen, 0.9, kind_of(when)).text
    assert "(2023-03-14)" in compose(what, chosen, 0.9, kind_of(what), dated=True).text
    assert "2023-03-14" not in compose(what, chosen, 0.9, kind_of(what)).text


def test_select_skips_a_sentence_that_says_the_same_again() -> None:
    chosen = select(evidence(sent("fire-2023.txt", 1, 0.9, True), sent("again.txt", 0, 0.89, True)), COUNT)
    assert [s.article_id for s in chosen] == ["fire-2023.txt"]


def test_select_adds_the_next_sentence_when_it_holds_what_the_best_one_lacks() -> None:
    best = sent("fire-2023.txt", 0, 0.9, kind_match=False)
    follow = sent("fire-2023.txt", 1, 0.3, kind_match=True)  # scores low, but directly follows and has the figure
    chosen = select(evidence(best, follow), COUNT)
    assert chosen == [best, follow]


def test_select_quotes_at_most_the_maximum_number_of_sentences() -> None:
    many = [sent(aid, n, 0.9 - 0.01 * i, True, overlap=0.5)
            for i, (aid, n) in enumerate([("fire-2023.txt", 1), ("fire-2024.txt", 1), ("undated.txt", 0),
                                          ("fire-2023.txt", 0), ("fire-2024.txt", 0)])]
    assert len(select(evidence(*many), COUNT)) <= MAX_SENTENCES


def test_no_evidence_selects_nothing_and_abstention_explains_why() -> None:
    assert select(evidence(), COUNT) == []
    answer = abstention(HOW_MANY, "Nothing in them matches this question.")
    assert answer.abstained and answer.citations == []
    assert answer.text == f"{ABSTAIN_TEXT} Nothing in them matches this question."


def test_look_alike_event_worded_the_same_but_with_another_figure_is_kept_apart() -> None:
    chosen = select(evidence(sent("fire-2023.txt", 1, 0.9, True), sent("other-fire.txt", 0, 0.89, True)), COUNT)
    assert [s.article_id for s in chosen] == ["fire-2023.txt", "other-fire.txt"]
    answer = compose(HOW_MANY, chosen, 0.8, COUNT)
    assert answer.text.startswith("The articles describe separate events:")
    check_quotes(answer)
