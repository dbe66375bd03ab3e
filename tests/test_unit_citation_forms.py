"""Citation forms real models write, read by the check (assistant/answer/citation_forms.py and the
attribution in llm_answerer). The first cases are what Qwen2.5-Coder-0.5B-Instruct (provider `local`)
wrote in this project's runs over the seed corpus, verbatim; the last ones are common forms the
check reads too."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.citation_forms import bare_claim, normal_markers
from assistant.answer.llm_answerer import check_generated
from assistant.answer.retrieval import Hit
from assistant.ingest.reading import read_path

SEED = Path(__file__).resolve().parent.parent / "corpus"
STRIKES, REACTIONS = "000_f19390a96d0bfcc2.txt", "001_d0b1d9f66b66a1cb.txt"


def seed_sources(*names: str) -> tuple[list[Hit], dict[str, dict]]:
    """Each seed article as one whole-article source, as the prompt numbered them."""
    hits, articles = [], {}
    for name in names:
        article = read_path(SEED / name).articles[0]
        articles[article.id] = {"text": article.text, "title": article.title, "content_hash": article.content_hash}
        hits.append(Hit(f"{article.id}::0", article.id, article.text, 0, len(article.text),
                        {"article_id": article.id, "content_hash": article.content_hash}))
    return hits, articles


def check(output: str, *names: str):
    hits, articles = seed_sources(*names)
    return check_generated("question", output, hits, articles)


def test_a_claim_behind_a_preamble_and_no_marker_is_cited_to_the_sentence_that_holds_it() -> None:
    # q01, "How many fighters did militia officials say were killed?" (real output, no [n] anywhere)
    answer = check("According to the articles, militia officials said 16 fighters were killed in the Friday "
                   "strikes.", REACTIONS, STRIKES)
    assert answer.text == "Militia officials said 16 fighters were killed in the Friday strikes. [1]"
    assert answer.citations[0].source.endswith(STRIKES)
    assert answer.citations[0].quote.startswith("Militia officials have confirmed the deaths of 16 fighters")
    assert answer.checks["sentences_attributed"] == 1


def test_a_verbatim_sentence_without_a_marker_is_cited_to_itself() -> None:
    # q11, "Who is Iraq's national security adviser?" (real output: the article's sentence, no [n])
    output = ("Iraq's national security adviser, Qassem al-Aaraji, expressed on social media platform X (formerly "
              "Twitter) that the US actions would not contribute to calm and suggested that the US should focus on "
              "pressuring a halt to the Israeli offensive in Gaza instead of targeting Iraqi national bodies.")
    answer = check(output, STRIKES, REACTIONS)
    assert [c.source.endswith(REACTIONS) for c in answer.citations] == [True]
    assert answer.citations[0].quote == output


def test_according_to_a_marker_in_front_is_read_as_citing_that_source() -> None:
    # a one-source prompt (real output): the marker stood inside "According to [1],". It is read as a
    # citation of source 1, which is then judged: no one sentence of it holds both the 16 fighters and
    # the "Iran-linked targets in Iraq", so the joined claim is dropped as unsupported, not as uncited
    answer = check("According to [1], 16 fighters were killed during the U.S. airstrikes on Iran-linked "
                   "targets in Iraq.", STRIKES)
    assert answer.checks["citations"] == 1 and answer.checks["sentences_unsupported"] == 1
    assert answer.notes == ["dropped unsupported sentence: 16 fighters were killed during the U.S. airstrikes on "
                            "Iran-linked targets in Iraq. (cited [1])"]
    kept = check("According to [1], militia officials have confirmed the deaths of 16 fighters.", STRIKES)
    assert kept.text == "Militia officials have confirmed the deaths of 16 fighters. [1]"


def test_a_figure_in_digits_matches_the_same_figure_in_words() -> None:
    # q02 (real output): "5 medics" where the article says "five medics"
    answer = check("The article states that 5 medics reportedly killed when an airstrike hit a base hospital "
                   "in western al-Anbar province.", STRIKES)
    assert not answer.abstained and "five medics" in answer.citations[0].quote


def test_a_figure_the_source_does_not_state_is_never_attributed() -> None:
    # q02 (real output, "5" where the article says "five" medics) changed to a figure the article lacks
    answer = check("The article states that 7 medics reportedly killed when an airstrike hit a base hospital "
                   "in western al-Anbar province.", STRIKES)
    assert answer.abstained and answer.checks["sentences_uncited"] == 1


def test_a_bare_number_is_no_claim() -> None:
    # q18, "How many Kataib Hezbollah members were killed ...?" (real output)
    assert check("1", STRIKES).abstained


@pytest.mark.parametrize(("written", "read"), [
    ("Killed [1, 2].", "Killed [1][2]."),
    ("Killed [1; 3].", "Killed [1][3]."),
    ("Killed [Source 2].", "Killed [2]."),
    ("Killed (source 2).", "Killed [2]."),
    ("Killed (2).", "Killed [2]."),
    ("Killed [1][2].", "Killed [1][2]."),
    ("Steps: (1) the port closed.", "Steps: (1) the port closed."),  # an enumeration stays text
])
def test_other_marker_forms_are_read_as_one_marker_per_source(written: str, read: str) -> None:
    assert normal_markers(written) == read


def test_a_lead_in_that_only_names_the_source_is_dropped_from_the_claim() -> None:
    assert bare_claim("The article states that five medics were killed.") == "Five medics were killed."
    assert bare_claim("The article.") == "The article."  # nothing after it: kept as written


def test_a_sentence_cited_by_the_check_is_not_counted_as_a_citation_the_model_wrote() -> None:
    answer = check("According to the articles, militia officials said 16 fighters were killed in the Friday "
                   "strikes.", STRIKES)
    assert answer.checks["sentences_attributed"] == 1
    assert answer.checks["citations"] == answer.checks["citations_kept"] == answer.checks["citations_unsupporting"] == 0
