"""The library: listing, searching and removing uploads through the public `Assistant` methods (fast:
the fake embedder), and the example questions drawn from the corpus."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.core.errors import AssistantError
from assistant.ui.handlers import example_questions, library_choices, search_library

UPLOAD = """Orlen Valley Ferry Strike Ends
Orlen Valley Courier
March 3, 2024
The ferry crews of the Orlen Valley ended their nine-day strike on Sunday after the operator agreed to a raise.
"""


def test_removing_an_upload_takes_it_out_of_the_store_the_search_index_and_the_uploads_folder(
    make_fake_assistant: Callable[..., Any], seed_copy: Path
) -> None:
    assistant = make_fake_assistant(corpus=seed_copy)
    upload = assistant.settings.uploads / "orlen.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text(UPLOAD, encoding="utf-8")
    assistant.ingest()
    listed = {a["id"]: a for a in assistant.articles()}
    assert listed["uploads/orlen.txt"] | {"id": None} == {
        "id": None, "title": "Orlen Valley Ferry Strike Ends", "publisher": "Orlen Valley Courier",
        "date": "2024-03-03", "origin": "upload"}
    assert len(listed) == 6 and {a["origin"] for a in listed.values()} == {"corpus", "upload"}
    question = "How long was the Orlen Valley ferry strike?"
    assert "uploads/orlen.txt" in {c.source for c in assistant.ask(question).citations}

    gone = assistant.remove_upload("uploads/orlen.txt")
    assert gone["title"] == "Orlen Valley Ferry Strike Ends" and "text" not in gone
    assert "uploads/orlen.txt" not in {a["id"] for a in assistant.articles()}
    assert not upload.exists()
    assert not assistant.store.chunks_of(["uploads/orlen.txt"]) and not assistant.store.sentences_of(
        ["uploads/orlen.txt"])
    assert "uploads/orlen.txt" not in {c.source for c in assistant.ask(question).citations}
    assert assistant.ingest().removed == 0  # nothing left for a sync to find


def test_only_uploads_can_be_removed_and_only_once(make_fake_assistant: Callable[..., Any], seed_copy: Path) -> None:
    assistant = make_fake_assistant(corpus=seed_copy)
    assistant.ingest()
    corpus_id = assistant.articles()[0]["id"]
    with pytest.raises(AssistantError, match="is not an upload"):
        assistant.remove_upload(corpus_id)
    with pytest.raises(AssistantError, match="no article"):
        assistant.remove_upload("uploads/never.txt")
    assert len(assistant.articles()) == 5


ARTICLES = [
    {"id": "uploads/b.txt", "title": "Ferry Strike Ends", "publisher": "Courier", "date": "2024-03-03",
     "origin": "upload"},
    {"id": "a.txt", "title": None, "publisher": None, "date": None, "origin": "corpus"},
    {"id": "c.txt", "title": "Canal Tolls Rise", "publisher": "Ledger", "date": None, "origin": "corpus"},
]


def test_library_search_matches_every_word_in_title_publisher_date_or_id() -> None:
    assert [a["id"] for a in search_library(ARTICLES, "ferry 2024")] == ["uploads/b.txt"]
    assert [a["id"] for a in search_library(ARTICLES, "LEDGER")] == ["c.txt"]
    assert [a["id"] for a in search_library(ARTICLES, "uploaded")] == []  # the origin is matched as stored
    assert len(search_library(ARTICLES, "  ")) == 3
    assert library_choices(ARTICLES[:2]) == [("Ferry Strike Ends (uploaded)", "uploads/b.txt"),
                                             ("a.txt (corpus folder)", "a.txt")]


def test_example_questions_come_from_the_corpus_headlines() -> None:
    assert example_questions(ARTICLES) == ["What happened? Brief me.", "Summarise: Ferry Strike Ends",
                                           "Summarise: Canal Tolls Rise"]
    assert example_questions([]) == []


def test_the_article_listing_is_read_once_per_change_of_the_store_by_any_replica(
    make_fake_assistant: Callable[..., Any], seed_copy: Path
) -> None:
    writer = make_fake_assistant(corpus=seed_copy)
    writer.ingest()
    reader = make_fake_assistant(corpus=seed_copy)  # a second process's view of the same store
    reads = []
    scan = reader.store.article_records
    reader.store.article_records = lambda: reads.append(1) or scan()
    assert len(reader.articles()) == 5 and reader.publishers() == writer.publishers()
    reader.articles()
    assert len(reads) == 1  # page loads after the first reuse the listing

    upload = writer.settings.uploads / "orlen.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text(UPLOAD, encoding="utf-8")
    writer.ingest(paths=[upload])
    assert "uploads/orlen.txt" in {a["id"] for a in reader.articles()}
    assert "Orlen Valley Courier" in reader.publishers() and len(reads) == 2


def test_a_large_library_lists_a_page_of_rows_and_says_how_many_match() -> None:
    from assistant.ui.cards import library_list

    html = library_list(ARTICLES, total=10, query="", shown=2)
    assert html.count("<tr data-id=") == 2 and "uploads/b.txt" in html and "c.txt" not in html
    assert "3 of 10 articles; the newest 2 are listed" in html
    assert library_list(ARTICLES, total=3).count("<tr data-id=") == 3
