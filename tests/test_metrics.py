"""Every evaluation metric on small hand-made result sets whose right values were worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.evaluation.matching import answer_correct, answer_matches, normalize, short_matches, token_overlap
from assistant.evaluation.metrics import (
    check_floors,
    compare,
    hit_at,
    parse_floor,
    percentile,
    quote_faithful,
    recall_at,
    reciprocal_rank,
    score,
    short_correct,
    short_in_quote,
    summarize,
    summary,
)
from assistant.evaluation.questions import Question

TEXTS = {"A": "Alpha one. Alpha two.", "B": "Beta one. Beta two.", "C": "Gamma.",
         "S": "Kataib Hezbollah confirmed eight deaths. Lloyd Austin III spoke on Friday."}


def cite(number: int, source: str, start: int, end: int, quote: str | None = None) -> dict[str, Any]:
    text = TEXTS.get(source, "")
    return {"number": number, "source": source, "start": start, "end": end,
            "quote": text[start:end] if quote is None else quote}


def row(q: Question, text: str, abstained: bool = False, citations: list[dict[str, Any]] | None = None,
        retrieved: list[str] | None = None, seconds: float = 1.0) -> dict[str, Any]:
    answer = {"text": text, "abstained": abstained, "citations": citations or [],
              "retrieved": retrieved or []}
    return {"id": q.id, "type": q.type, "answerable": q.answerable, "question": q.question, "answer": answer,
            "verdicts": score(q, answer, TEXTS, seconds)}


# five questions; the expected figures in the tests below are worked out from these by hand
Q1 = Question("q1", "How many medics?", answers=["5"], sources=["A"])
Q2 = Question("q2", "Which city?", answers=["Paris"], sources=["A", "B"])
Q3 = Question("q3", "What is unknowable?", answerable=False, type="unanswerable")
Q4 = Question("q4", "What else is unknowable?", answerable=False, type="unanswerable")
Q5 = Question("q5", "Who?", answers=["Bob"], sources=["B"])


def hand_made_set() -> list[dict[str, Any]]:
    return [
        # right answer ("Five" == "5"), cites the gold article faithfully, gold ranked first
        row(Q1, "Five medics died [1].", citations=[cite(1, "A", 0, 10)], retrieved=["A", "B"], seconds=1.0),
        # wrong answer; cites gold A and non-gold C; first gold at rank 2
        row(Q2, "Berlin [1] [2].", citations=[cite(1, "A", 0, 10), cite(2, "C", 0, 6)],
            retrieved=["C", "B", "A"], seconds=2.0),
        # unanswerable, declined: right
        row(Q3, "The articles don't say.", abstained=True, retrieved=["A"], seconds=3.0),
        # unanswerable, answered anyway: wrong; its one quote is off by one character
        row(Q4, "It was 7 [1].", citations=[cite(1, "B", 1, 10, quote="Beta one.")], retrieved=["B"],
            seconds=4.0),
        # answerable but declined: wrong, and a false abstention
        row(Q5, "The articles don't say.", abstained=True, retrieved=["D", "E"], seconds=5.0),
    ]


# --- answer text -----------------------------------------------------------------------------

def test_number_words_equal_digits() -> None:
    assert answer_correct("Five medics were killed.", ["5"])
    assert answer_correct("16 fighters died", ["sixteen"])
    assert answer_correct("Twenty-five percent voted", ["25%"])
    assert not answer_correct("It cost 1,000 dollars", ["one thousand dollars"])  # scale words stay words
    assert answer_correct("It cost 1,000 dollars", ["1000 dollars"])
    assert answer_correct("three hundred and twelve people", ["312"])
    assert normalize("The U.S.-led coalition's 5.5%") == ["u", "s", "led", "coalition", "s", "5.5", "percent"]


def test_match_ignores_case_punctuation_articles_and_citation_markers() -> None:
    assert answer_matches("It was THE Popular Mobilization Forces [2].", "popular mobilization forces")
    assert answer_matches("Zelensky's visit", "Zelensky")


def test_match_is_on_whole_words_only() -> None:
    assert not answer_matches("It is not known", "no")
    assert not answer_matches("Nobody knows", "no")
    assert not answer_matches("Fivefold", "5")


def test_all_answers_requires_every_answer() -> None:
    assert answer_correct("Paris and Berlin", ["Paris", "Berlin"], all_answers=True)
    assert not answer_correct("Only Paris", ["Paris", "Berlin"], all_answers=True)
    assert answer_correct("Only Paris", ["Paris", "Berlin"], all_answers=False)
    assert not answer_correct("anything", [])


def test_yes_no_gold_is_strict_but_paper_rule_rewards_hedging() -> None:
    assert answer_correct("Yes, both reported it.", ["Yes"])
    assert not answer_correct("Yes and no.", ["Yes"])
    assert not answer_correct("No.", ["Yes"])
    assert token_overlap("yes and no", ["Yes"]) and token_overlap("yes and no", ["no"])


def test_paper_rule_is_any_shared_lowercased_whitespace_token() -> None:
    assert token_overlap("Bankman-Fried was charged", ["Sam Bankman-Fried"])
    assert not token_overlap("Bankman-Fried, the founder", ["Bankman-Fried"])  # "bankman-fried," differs
    assert not token_overlap("SBF", ["Sam Bankman-Fried"])
    assert not token_overlap("Yes, it did [1].", ["Yes"])  # "yes," keeps its comma, as in the paper's script


# --- retrieval, citations, quotes by hand ------------------------------------------------------------

def test_hit_mrr_and_recall_by_hand() -> None:
    retrieved = list("abcdefghijk")  # gold c at rank 3, gold k at rank 11
    gold = ["c", "k"]
    assert [hit_at(retrieved, gold, k) for k in (1, 2, 3, 5, 10)] == [False, False, True, True, True]
    assert reciprocal_rank(retrieved, gold) == pytest.approx(1 / 3)
    assert reciprocal_rank(list("abdefghijk"), ["k"]) == 1 / 10
    assert reciprocal_rank(list("abdefghijkc"), ["c"]) == 0.0  # rank 11 is past MRR@10
    assert recall_at(retrieved, gold, 5) == 0.5
    assert recall_at(retrieved, gold, 11) == 1.0


def test_citation_precision_and_recall_by_hand() -> None:
    citations = [cite(1, "A", 0, 10), cite(2, "A", 11, 21), cite(3, "C", 0, 6)]
    v = score(Q2, {"text": "x [1] [2] [3]", "citations": citations}, TEXTS)
    assert v["cited"] == ["A", "C"]  # distinct articles: A is gold, C is not; gold B is never cited
    assert v["citation_precision"] == 0.5
    assert v["citation_recall"] == 0.5
    assert v["unfaithful"] == []


def test_quote_off_by_one_character_is_unfaithful() -> None:
    assert quote_faithful(cite(1, "A", 0, 10), TEXTS["A"])
    assert not quote_faithful({"start": 1, "end": 11, "quote": "Alpha one."}, TEXTS["A"])
    assert not quote_faithful({"start": 0, "end": 9, "quote": "Alpha one."}, TEXTS["A"])
    assert not quote_faithful({"start": 0, "end": 10, "quote": "Alpha one."}, None)  # no such article
    assert not quote_faithful({"start": 15, "end": 40, "quote": "two."}, TEXTS["A"])


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([], 50) is None


# --- a whole set ---------------------------------------------------------------------------------

def test_verdicts_of_each_hand_made_question() -> None:
    r1, r2, r3, r4, r5 = (r["verdicts"] for r in hand_made_set())
    assert r1["correct"] and r1["hit@1"] and r1["rr@10"] == 1.0 and r1["citation_precision"] == 1.0
    assert not r2["correct"] and not r2["hit@1"] and r2["hit@5"] and r2["rr@10"] == 0.5
    assert r3["correct"] and r3["answer_correct"] is None and r3["hit@5"] is None
    assert not r4["correct"] and r4["unfaithful"] == [1] and r4["citation_precision"] is None
    assert not r5["correct"] and r5["abstained"] and r5["citation_precision"] is None
    assert r5["citation_recall"] == 0.0 and r5["recall@10"] == 0.0


def test_summary_figures_by_hand() -> None:
    values, support = summarize(hand_made_set())
    expected = {
        "answer_accuracy": 1 / 3,  # q1 of q1, q2, q5
        "accuracy_all": 2 / 5,  # q1 and q3
        "token_accuracy": 0.0,  # "5" shares no whitespace token with "Five medics died [1]."
        "hit@1": 1 / 3, "hit@5": 2 / 3, "hit@10": 2 / 3,
        "mrr@10": (1 + 0.5 + 0) / 3,
        "recall@5": 2 / 3, "recall@10": 2 / 3,
        "citation_precision": (1 + 0.5) / 2,  # q5 cites nothing: left out, not 0
        "citation_recall": (1 + 0.5 + 0) / 3,
        "quote_faithfulness": 3 / 4,  # 4 citations, q4's is off by one
        "abstention_precision": 1 / 2,  # abstained on q3 (right) and q5 (wrong)
        "abstention_recall": 1 / 2,  # declined q3 of q3, q4
        "latency_p50": 3.0, "latency_p95": 4.8,
    }
    for name, value in expected.items():
        assert values[name] == pytest.approx(value), name
    counts = [support[m] for m in ("answer_accuracy", "citation_precision", "quote_faithfulness")]
    assert counts == [3, 2, 4]


def test_summary_splits_by_type() -> None:
    s = summary(hand_made_set())
    assert (s["questions"], s["answerable"], s["unanswerable"]) == (5, 3, 2)
    assert set(s["by_type"]) == {"single", "unanswerable"}
    assert s["by_type"]["unanswerable"]["abstention_recall"] == 0.5
    assert s["by_type"]["unanswerable"]["answer_accuracy"] is None
    assert s["by_type"]["single"]["answer_accuracy"] == pytest.approx(1 / 3)
    assert s["by_type"]["single"]["questions"] == 3


def test_failed_question_counts_as_wrong() -> None:
    v = score(Q1, None, TEXTS)
    assert v["correct"] is False and v["hit@10"] is False and v["citation_recall"] == 0.0


# --- gates and comparisons -----------------------------------------------------------------------

def test_floors_name_the_metric_that_fails() -> None:
    overall = {"answer_accuracy": 0.8, "citation_precision": None, "latency_p95": 3.0}
    assert check_floors(overall, {"answer_accuracy": 0.8}) == []
    floors = {"answer_accuracy": 1.01, "citation_precision": 0.5}
    failures = check_floors(overall, floors, {"latency_p95": 2.0})
    assert len(failures) == 3
    assert "answer_accuracy" in failures[0] and "below" in failures[0]
    assert "citation_precision" in failures[1] and "undefined" in failures[1]
    assert "latency_p95" in failures[2] and "above" in failures[2]


def test_parse_floor_accepts_known_metrics_only() -> None:
    assert parse_floor("hit@5=0.9") == ("hit@5", 0.9)
    with pytest.raises(ValueError, match="METRIC"):
        parse_floor("accuracy=0.9")
    with pytest.raises(ValueError, match="not a number"):
        parse_floor("hit@5=high")


def test_compare_lists_flips_both_ways_and_metric_changes() -> None:
    before = hand_made_set()
    after = hand_made_set()
    after[0]["verdicts"] = dict(after[0]["verdicts"], correct=False)  # q1 right -> wrong
    after[4]["verdicts"] = dict(after[4]["verdicts"], correct=True)  # q5 wrong -> right
    result = compare(before, after, {"answer_accuracy": 0.5}, {"answer_accuracy": 0.25})
    assert [i["id"] for i in result["right_to_wrong"]] == ["q1"]
    assert [i["id"] for i in result["wrong_to_right"]] == ["q5"]
    assert result["metrics"]["answer_accuracy"]["change"] == pytest.approx(-0.25)
    assert result["metrics"]["hit@1"]["change"] is None
    assert result["common_questions"] == 5


# --- short answers -------------------------------------------------------------------------------

S_FIRST = (0, TEXTS["S"].index(" Lloyd"))  # "Kataib Hezbollah confirmed eight deaths."
S_SECOND = (S_FIRST[1] + 1, len(TEXTS["S"]))  # "Lloyd Austin III spoke on Friday."


def short(text: str, citation: int = 1, shift: int = 0) -> dict[str, Any]:
    """A short answer at the first place `text` is written in article S (moved by `shift`)."""
    start = TEXTS["S"].index(text) + shift
    return {"text": text, "citation": citation, "start": start, "end": start + len(text)}


def short_row(q: Question, sh: dict[str, Any] | None, span: tuple[int, int] = S_FIRST,
              abstained: bool = False) -> dict[str, Any]:
    citations = [] if abstained else [cite(1, "S", *span)]
    answer = {"text": "The articles don't say." if abstained else "An answer [1].", "abstained": abstained,
              "citations": citations, "retrieved": ["S"], "short": sh}
    return {"id": q.id, "type": q.type, "answerable": q.answerable, "question": q.question, "answer": answer,
            "verdicts": score(q, answer, TEXTS, 1.0)}


S1 = Question("s1", "How many died?", answers=["8"], sources=["S"], short="eight")
S2 = Question("s2", "Who spoke?", answers=["Lloyd Austin", "Austin"], sources=["S"], short="Lloyd Austin")
S3 = Question("s3", "When did he speak?", answers=["Friday"], sources=["S"], short="Friday")
S4 = Question("s4", "Which country?", answers=["Iran"], sources=["S"], short="Iran")
S5 = Question("s5", "Which group?", answers=["Kataib Hezbollah"], sources=["S"], short="Hezbollah")
S6 = Question("s6", "Unknowable?", answerable=False, type="unanswerable")
S7 = Question("s7", "What happened?", answers=["spoke"], sources=["S"])


def short_set() -> list[dict[str, Any]]:
    return [
        short_row(S1, short("eight")),  # right, inside its quote
        short_row(S2, short("Lloyd Austin III"), S_SECOND),  # right: the gold is inside the short; in quote
        short_row(S3, short("Kataib Hezbollah"), S_SECOND),  # wrong, and outside the quote it cites
        short_row(S4, None),  # no short: wrong for accuracy, left out of precision
        short_row(S5, None, abstained=True),  # declined: wrong
        short_row(S6, short("eight", shift=1)),  # unanswerable: no accuracy verdict; offsets one off
        short_row(S7, short("Friday"), S_SECOND),  # no short gold: only short_in_quote applies
    ]


def test_short_matches_either_way_on_whole_folded_words() -> None:
    assert short_matches("Austin", "Lloyd Austin III") and short_matches("Lloyd Austin III", "Austin")
    assert short_matches("EIGHT", "8") and short_matches("Muḥandis", "al-Muhandis")
    assert not short_matches("Iranian", "Iran") and not short_matches("Iraq", "Iran")
    assert not short_matches("", "Iran") and not short_matches("the", "the Green Zone")


def test_short_is_right_when_it_matches_the_short_gold_or_any_accepted_answer() -> None:
    q = Question("x", "Who?", answers=["Defense Secretary", "Lloyd Austin"], short="Lloyd Austin III")
    assert short_correct("Defense Secretary", q) and short_correct("Austin", q)
    assert not short_correct("Kirby", q)


def test_short_verdicts_of_each_hand_made_question() -> None:
    v = [r["verdicts"] for r in short_set()]
    assert [x["short_correct"] for x in v] == [True, True, False, False, False, None, None]
    assert [x["short_in_quote"] for x in v] == [True, True, False, None, None, False, True]
    assert [x["short"] for x in v] == ["eight", "Lloyd Austin III", "Kataib Hezbollah", None, None, "eight",
                                       "Friday"]


def test_short_summary_figures_by_hand() -> None:
    values, support = summarize(short_set())
    assert values["short_accuracy"] == pytest.approx(2 / 5)  # s1, s2 of s1-s5
    assert values["short_precision"] == pytest.approx(2 / 3)  # s1, s2 of the three that gave a short
    assert values["short_in_quote"] == pytest.approx(3 / 5)  # s1, s2, s7 of the five shorts
    assert [support[m] for m in ("short_accuracy", "short_precision", "short_in_quote")] == [5, 3, 5]
    assert summarize(hand_made_set())[0]["short_accuracy"] is None  # no short golds: nothing to measure


def test_short_in_quote_needs_its_own_citation_an_exact_quote_and_the_exact_span() -> None:
    right = cite(1, "S", *S_FIRST)
    assert short_in_quote(short("eight"), [right], TEXTS)
    assert not short_in_quote(short("eight", citation=2), [right], TEXTS)  # no citation [2]
    assert not short_in_quote(short("eight"), [cite(1, "S", *S_FIRST, quote="Kataib")], TEXTS)  # bad quote
    assert not short_in_quote(dict(short("eight"), text="Eight"), [right], TEXTS)  # text is not the span
    assert not short_in_quote({"text": "eight", "citation": 1}, [right], TEXTS)  # no offsets
    wide = dict(short("Kataib Hezbollah confirmed eight deaths."), end=S_FIRST[1] + 1)
    assert not short_in_quote(wide, [right], TEXTS)  # runs past the quote's end


def test_an_abstained_answer_has_no_short_even_if_the_engine_left_one() -> None:
    v = short_row(S1, short("eight"), abstained=True)["verdicts"]
    assert v["short"] is None and v["short_correct"] is False and v["short_in_quote"] is None
