"""Issue 13, the store side: filters that match nothing (item 3), edited articles that lose a field
(item 4), corrupted store files (item 5) and stores of more ids than one SQLite statement takes
(item 10's batching). Fast tier: the fake embedder and a real embedded Chroma in tmp dirs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fakes import FIRE_2023, LIBRARY, NEWS

from assistant.core.errors import FilterError, StoreError

QUESTION = "How many workers were injured in the fire at Northport harbour?"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic news corpus ingested once (fake embedder) into `<folder>/store`, beside `<folder>/news`."""
    from fakes import HashEmbedding, write_news

    from assistant.api import Assistant
    from assistant.core.settings import Settings

    base = tmp_path_factory.mktemp("ingested")
    settings = Settings.from_env(env={}, corpus_dir=write_news(base / "news"), store_dir=base / "store")
    assistant = Assistant(settings, embed_model=HashEmbedding())
    assistant.ingest()
    assistant.retriever.refresh()
    return base


@pytest.fixture
def stored(ingested: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(corpus, store) of this test: copies of `ingested` at tmp_path/news and tmp_path/store, where
    `make_fake_assistant(corpus)` opens them (copying is ten times faster than ingesting again)."""
    shutil.copytree(ingested / "news", tmp_path / "news")
    shutil.copytree(ingested / "store", tmp_path / "store")
    return tmp_path / "news", tmp_path / "store"


# --- item 3: a filter that matches nothing ----------------------------------------------------------
@pytest.mark.parametrize(("options", "named"), [
    ({"since": "2030-01-01"}, ["since 2030-01-01 leaves 0 of 5 articles"]),
    ({"publishers": ["Nobody Weekly"]}, ["publisher 'Nobody Weekly' leaves 0 of 5 articles"]),
    ({"since": "2024-01-01", "publishers": ["Town Crier"]},
     ["since 2024-01-01 leaves 2", "publisher 'Town Crier' leaves 1", "none passes all of them"]),
])
def test_a_filter_that_leaves_no_article_says_how_many_each_filter_leaves(
        news_assistant: Any, options: dict[str, Any], named: list[str]) -> None:
    with pytest.raises(FilterError) as caught:
        news_assistant.ask(QUESTION, **options)
    message = str(caught.value)
    assert message.startswith("no article matches the filters") and "\n" not in message
    for part in named:
        assert part in message


def test_a_filter_that_leaves_some_articles_still_answers(news_assistant: Any) -> None:
    answer = news_assistant.ask(QUESTION, since="2024-01-01")
    assert all(c.date >= "2024-01-01" for c in answer.citations)


def test_a_date_range_with_no_dated_article_still_answers_from_undated_ones_when_they_are_included(
        news_assistant: Any) -> None:
    answer = news_assistant.ask("When does the new reading room at the city library open?", since="2030-01-01",
                                include_undated=True)  # no FilterError: the undated article passes
    assert set(answer.retrieved) == {LIBRARY}


def test_the_cli_reports_a_filter_matching_nothing_in_one_line_without_a_traceback(
        fake_cli: Any, stored: tuple[Path, Path]) -> None:
    news_corpus, store = stored
    result = fake_cli("--corpus", news_corpus, "--store", store, "ask", QUESTION, "--publisher", "Nobody Weekly")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: no article matches the filters (publisher 'Nobody Weekly' leaves 0 of 5 articles); "
        "widen or remove them"]


def test_the_ask_endpoint_reports_a_filter_matching_nothing_as_its_message(news_assistant: Any) -> None:
    from assistant.ui.handlers import Handlers

    with pytest.raises(Exception) as caught:
        Handlers(news_assistant).api_ask(QUESTION, since="2031-05-01")
    assert caught.value.message.startswith("no article matches the filters (since 2031-05-01 leaves 0 of 5")


def test_chunks_asked_for_by_no_id_are_none_found(news_assistant: Any) -> None:
    assert news_assistant.store.get_chunks([]) == ([], [], [])


# --- item 4: an edited article keeps no field its new version does not state -----------------------
def test_editing_an_article_to_drop_its_headline_and_date_drops_them_from_the_store(
        make_fake_assistant: Any, stored: tuple[Path, Path]) -> None:
    news_corpus, _ = stored
    assistant = make_fake_assistant(news_corpus)
    assert assistant.article(FIRE_2023)["date"] == "2023-03-14"
    body = NEWS[FIRE_2023].split("\n\n", 1)[1]
    (news_corpus / FIRE_2023).write_text(body, encoding="utf-8")  # headline, publisher and date lines gone
    assert assistant.ingest().updated == 1
    article = assistant.article(FIRE_2023)
    assert (article["title"], article["date"], article["publisher"]) == (None, None, None)
    cited = [c for c in assistant.ask(QUESTION).citations if c.source == FIRE_2023]
    assert cited and all(c.title is None and c.date is None for c in cited)


def test_an_article_serves_every_field_it_does_not_state_as_null(news_assistant: Any) -> None:
    article = news_assistant.article("library_reading_room.txt")  # states no date, url or author
    assert {"date", "url", "author"} <= set(article)
    assert (article["date"], article["url"], article["author"]) == (None, None, None)


# --- item 5: corrupted store files ----------------------------------------------------------------
@pytest.mark.parametrize("content", ["{}", "[]", "null", "garbage", "short ids", "no base"])
def test_a_lexical_index_of_the_wrong_shape_is_rebuilt(
        make_fake_assistant: Any, stored: tuple[Path, Path], content: str) -> None:
    import json

    news_corpus, _ = stored
    assistant = make_fake_assistant(news_corpus)
    folder = assistant.retriever.path
    manifest = json.loads((folder / "manifest.json").read_text())
    if content == "short ids":
        ids = folder / manifest["base"] / "ids.json"
        ids.write_text(json.dumps(json.loads(ids.read_text())[:2]))
    elif content == "no base":
        shutil.rmtree(folder / manifest["base"])
    else:
        (folder / "manifest.json").write_text(content)
    fresh = make_fake_assistant(news_corpus)  # a new process: nothing cached in memory
    assert not fresh.ask(QUESTION).abstained
    assert fresh.retriever.keeper.rebuilds == 1
    assert fresh.ingest().unchanged == 5
    again = make_fake_assistant(news_corpus)
    assert again.retriever.index.size == again.store.chunks.count() and again.retriever.keeper.rebuilds == 0


def test_a_file_in_place_of_the_lexical_index_folder_is_replaced(
        make_fake_assistant: Any, stored: tuple[Path, Path]) -> None:
    news_corpus, _ = stored
    assistant = make_fake_assistant(news_corpus)
    folder = assistant.retriever.path
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    fresh = make_fake_assistant(news_corpus)
    assert not fresh.ask(QUESTION).abstained
    assert (folder / "manifest.json").is_file()


PANICS = 1  # the page of the seed-sized store whose damage made Chroma's Rust core panic (BaseException)


def garble(store: Path, page: int = PANICS) -> None:
    """Overwrite one 4 kB page of the store's SQLite file (past its first 8 bytes) with junk, and drop
    this process's cached client of it, as a new process would start."""
    from assistant.core.settings import Settings
    from assistant.index.damage import forget_client

    sqlite = store / "chroma" / "chroma.sqlite3"
    data = bytearray(sqlite.read_bytes())
    start = page * 4096 + 8
    data[start:(page + 1) * 4096] = bytes((i * 13) % 256 for i in range(start, (page + 1) * 4096))
    sqlite.write_bytes(bytes(data))
    forget_client(Settings.from_env(env={}, store_dir=store))


@pytest.mark.parametrize("page", [0, PANICS, 19, 46])
def test_a_garbled_chroma_store_is_one_line_naming_its_folder_and_how_to_rebuild(
        fake_cli: Any, stored: tuple[Path, Path], page: int) -> None:
    news_corpus, store = stored
    garble(store, page)
    failed = 0
    for argv in (["status"], ["ask", QUESTION], ["ingest"]):
        result = fake_cli("--corpus", news_corpus, "--store", store, *argv)  # a traceback would raise here
        lines = result.stderr.strip().splitlines()
        if result.returncode == 0:
            continue  # damage in a page this command does not read
        failed += 1
        assert result.returncode == 2 and len(lines) == 1, (argv, result.stderr)
        assert lines[0] == f"error: the store at {store / 'chroma'} is unreadable ({lines[0].split('(', 1)[1]}"
        assert lines[0].endswith("rebuild it with `assistant ingest --rebuild` (which moves the damaged folder "
                                 "aside)")
    assert failed or page not in (0, PANICS)


def test_rebuild_moves_a_garbled_chroma_store_aside_and_starts_over(
        fake_cli: Any, stored: tuple[Path, Path]) -> None:
    news_corpus, store = stored
    garble(store)
    result = fake_cli("--corpus", news_corpus, "--store", store, "ingest", "--rebuild")
    assert result.returncode == 0, result.stderr
    assert "5 added" in result.stdout
    aside = [p for p in store.iterdir() if p.name.startswith("chroma.unreadable-")]
    assert len(aside) == 1 and (aside[0] / "chroma.sqlite3").exists(), "the damaged store is kept, not deleted"
    assert "moved" in result.stderr and aside[0].name in result.stderr
    assert fake_cli("--corpus", news_corpus, "--store", store, "ask", QUESTION).returncode == 0


def test_a_panicking_store_is_raised_as_a_store_error_not_a_base_exception(
        make_fake_assistant: Any, stored: tuple[Path, Path]) -> None:
    news_corpus, store = stored
    garble(store)
    with pytest.raises(StoreError, match="is unreadable"):
        make_fake_assistant(news_corpus).ask(QUESTION)




# --- item 10: more ids than one SQLite statement takes ------------------------------------------------
@pytest.mark.slow
def test_a_store_of_more_than_33_thousand_chunks_opens_answers_and_ingests(tmp_path: Path) -> None:
    """Chroma refused one `get(ids=[...])` of every chunk id above about 32,760 ("too many SQL variables"),
    which the lexical index's reload did. The store is written through the product's own store code with
    the fake embedder; its records carry the current annotation version, so no ingest re-reads them."""
    from fakes import HashEmbedding

    from assistant.api import Assistant
    from assistant.core.documents import Article
    from assistant.core.settings import Settings
    from assistant.ingest.annotate import ANNOTATION_VERSION
    from assistant.ingest.chunking import chunk_article

    settings = Settings.from_env(env={}, corpus_dir=tmp_path / "corpus", store_dir=tmp_path / "store",
                                 chunk_size=20, chunk_overlap=0)
    embed = HashEmbedding()
    store = Assistant(settings, embed_model=embed).store
    chunks_total = 0
    for first in range(0, 1000, 100):
        articles = [Article(id=f"a{n:04d}.txt", title=f"Dispatch {n}", date="2024-01-02", text=" ".join(
            f"Crew {n} loaded crate {k} at berth {k % 9} of the port." for k in range(36)))
            for n in range(first, first + 100)]
        cut = [(a, chunk_article(a, 20, 0)) for a in articles]
        chunks = [c for _, cs in cut for c in cs]
        store.add_chunks(chunks, embed.get_text_embedding_batch([c.embed_text for c in chunks]))
        store.upsert_articles([(a, len(cs)) for a, cs in cut], annotation=ANNOTATION_VERSION)
        chunks_total += len(chunks)
    assert chunks_total > 33_000

    built = Assistant(settings, embed_model=embed)
    built.retriever.refresh()  # builds and saves the lexical index
    reopened = Assistant(settings, embed_model=embed)  # loads it
    calls: list[int] = []
    for name in ("_chunks", "_articles", "_sentences"):
        setattr(reopened.store, name, IdsCounted(getattr(reopened.store, name), calls))
    answer = reopened.ask("What did crew 517 load at berth 4?")
    assert any(c.source == "a0517.txt" for c in answer.citations), answer.text
    (tmp_path / "new.txt").write_text("Harbour Pilot Retires\n\nThe harbour pilot retired on Friday.\n")
    report = reopened.ingest(paths=[tmp_path / "new.txt"])
    assert (report.added, report.removed) == (1, 0) and report.chunks_total == chunks_total + 1
    assert calls and max(calls) <= 2000, "no call passes more than a page of ids"
    assert reopened.retriever.keeper.rebuilds == 0, "the ingest re-read one article, not every chunk"


class IdsCounted:
    """A collection that records how many ids each call passes (Chroma's SQLite refuses ~32,760)."""

    def __init__(self, inner: Any, calls: list[int]) -> None:
        self.inner, self.calls = inner, calls

    def __getattr__(self, attr: str) -> Any:
        method = getattr(self.inner, attr)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(len(kwargs.get("ids") or ()))
            return method(*args, **kwargs)

        return call if callable(method) else method
