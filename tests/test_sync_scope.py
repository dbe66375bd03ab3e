"""Which stored articles an ingest may remove: a folder named on the command line owns the
deletions under it (as the corpus folder does for a bare `assistant ingest`), nothing else; chat
uploads live in a folder of their own that a full sync includes, under `uploads/` ids."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedding

from assistant.api import Assistant
from assistant.core.settings import Settings
from assistant.index.store import ORIGIN

STORY = "{title}\n\nPort News\n\nWednesday, 11/22/2023\n\n{body} The port said so on Tuesday. Talks resume soon.\n"


def write(path: Path, title: str, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STORY.format(title=title, body=body), encoding="utf-8")
    return path


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Assistant, Path]:
    corpus = tmp_path / "corpus"
    write(corpus / "a.txt", "Dockers Strike In Harbour City", "Dockers walked out over pay.")
    write(corpus / "b.txt", "Ferry Fares Rise Again", "Ferry fares rose by ten percent.")
    write(corpus / "sub" / "c.txt", "New Crane Arrives At Terminal", "A new crane arrived at the terminal.")
    settings = Settings.from_env(env={}, corpus_dir=corpus, store_dir=tmp_path / "store")
    assistant = Assistant(settings, embed_model=HashEmbedding())
    assistant.ingest()
    return assistant, corpus


def stored(assistant: Assistant) -> set[str]:
    return set(assistant.store.article_records())


def chunk_articles(assistant: Assistant) -> set[str]:
    return {aid for _, aid, _ in assistant.store.chunk_index()}


def test_ingest_naming_the_corpus_folder_removes_articles_deleted_from_it(setup: Any) -> None:
    assistant, corpus = setup
    (corpus / "a.txt").unlink()
    report = assistant.ingest(paths=[corpus])
    assert report.removed == 1
    assert stored(assistant) == chunk_articles(assistant) == {"b.txt", "sub/c.txt"}


def test_ingest_naming_a_subfolder_removes_only_what_was_deleted_under_it(setup: Any) -> None:
    assistant, corpus = setup
    write(corpus / "sub" / "d.txt", "Tug Crews Train At Night", "Tug crews trained at night.")
    assistant.ingest(paths=[corpus / "sub"])
    (corpus / "a.txt").unlink()
    (corpus / "sub" / "c.txt").unlink()
    assistant.ingest(paths=[corpus / "sub"])  # (a folder left with no file at all keeps its articles)
    assert stored(assistant) == chunk_articles(assistant) == {"a.txt", "b.txt", "sub/d.txt"}


def test_ingest_of_a_folder_outside_the_corpus_removes_nothing_of_the_corpus(setup: Any, tmp_path: Path) -> None:
    assistant, corpus = setup
    other = tmp_path / "elsewhere"
    write(other / "x.txt", "Harbour Master Retires", "The harbour master retired after thirty years.")
    assistant.ingest(paths=[other])
    assert "../elsewhere/x.txt" in stored(assistant)
    (other / "x.txt").unlink()
    write(other / "y.txt", "Tug Boat Sinks", "A tug boat sank near the pier.")
    report = assistant.ingest(paths=[other])
    assert (report.added, report.removed) == (1, 1)
    assert stored(assistant) == {"a.txt", "b.txt", "sub/c.txt", "../elsewhere/y.txt"}


def test_a_named_single_file_never_removes_its_neighbours(setup: Any) -> None:
    assistant, corpus = setup
    (corpus / "a.txt").unlink()
    assistant.ingest(paths=[corpus / "b.txt"])
    assert stored(assistant) == {"a.txt", "b.txt", "sub/c.txt"}


def test_records_stored_before_files_were_recorded_are_placed_by_their_id(setup: Any) -> None:
    assistant, corpus = setup
    records = assistant.store.article_records()
    assert all(rec.get(ORIGIN) for rec in records.values())
    legacy = assistant.store.get_article("a.txt")
    assistant.store.articles.update(ids=["a.txt"], metadatas=[{k: v for k, v in records["a.txt"].items()
                                                                if k != ORIGIN} | {ORIGIN: ""}])
    assert legacy is not None and not assistant.store.article_records()["a.txt"].get(ORIGIN)
    (corpus / "a.txt").unlink()
    assistant.ingest(paths=[corpus])
    assert stored(assistant) == {"b.txt", "sub/c.txt"}


def test_served_articles_never_show_where_their_file_lives(setup: Any) -> None:
    assistant, corpus = setup
    article = assistant.article("a.txt")
    assert ORIGIN not in article and str(corpus) not in repr(article)


def listing(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_uploads_folder_is_synced_with_the_corpus_and_leaves_the_corpus_untouched(setup: Any) -> None:
    assistant, corpus = setup
    before = listing(corpus)
    uploads = assistant.settings.uploads
    assert not uploads.is_relative_to(corpus)
    write(uploads / "late.txt", "Late Ferry Sails", "The late ferry sailed at midnight.")
    report = assistant.ingest()
    assert report.added == 1 and "uploads/late.txt" in stored(assistant)
    assert listing(corpus) == before
    assert assistant.ingest().unchanged == 4, "a second full sync re-read the upload as new"
    (uploads / "late.txt").unlink()
    held = assistant.ingest()  # the folder is empty now: its last article goes only when told
    assert held.removed == 0 and any("holds no article files" in p for p in held.problems)
    assert assistant.ingest(allow_empty=True).removed == 1 and "uploads/late.txt" not in stored(assistant)


def test_an_uploaded_file_added_by_path_gets_the_id_a_full_sync_gives_it(setup: Any) -> None:
    assistant, _ = setup
    path = write(assistant.settings.uploads / "one.txt", "One Upload", "Uploaded text about cranes.")
    assistant.ingest(paths=[path])
    assert "uploads/one.txt" in stored(assistant)
    assert assistant.ingest().unchanged == 4


def test_a_missing_corpus_folder_removes_nothing(setup: Any, tmp_path: Path) -> None:
    assistant, corpus = setup
    shutil.move(corpus, tmp_path / "moved")
    report = assistant.ingest()
    assert report.missing_roots and report.removed == 0
    assert stored(assistant) == {"a.txt", "b.txt", "sub/c.txt"}


def test_a_corpus_given_as_one_jsonl_file_keys_its_records_by_the_file_name(tmp_path: Path) -> None:
    """An evaluation's `--corpus articles.jsonl`: ids stay "articles.jsonl#1" across runs, never "../…",
    so an existing store is found unchanged instead of gaining a second copy of every article."""
    corpus = tmp_path / "data" / "articles.jsonl"
    corpus.parent.mkdir()
    corpus.write_text('{"title": "Port strike", "body": "The port strike entered its third day."}\n'
                      '{"title": "Library", "body": "The library opened a reading room."}\n', encoding="utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, store_dir=tmp_path / "store")
    first = Assistant(settings, embed_model=HashEmbedding())
    first.ingest()
    assert sorted(first.store.article_records()) == ["articles.jsonl#1", "articles.jsonl#2"]
    again = Assistant(settings, embed_model=HashEmbedding()).ingest()
    assert (again.added, again.unchanged) == (0, 2)
