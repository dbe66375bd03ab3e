"""The lexical index (issue 10): bm25s base plus a delta, filters over its columns, files that survive
damage, and keeping in step with the store's change log across processes. Fast tier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.index.lexical import ChunkRow, LexicalFiles, LexicalIndex
from assistant.index.lexical_sync import LexicalKeeper


def row(cid: str, text: str, article: str, publisher: str = "Wire", day: int = 20240102) -> ChunkRow:
    return ChunkRow.from_store(cid, text, {"article_id": article, "publisher": publisher, "date_key": day,
                                           "start": 0, "end": len(text), "content_hash": f"h-{article}"})


ROWS = [
    row("a::0", "The harbour crane collapsed on Monday, injuring two dock workers.", "a"),
    row("b::0", "City council approved the new harbour budget after a long debate.", "b", "Gazette", 20240301),
    row("c::0", "A storm closed the mountain pass for three days.", "c", "Gazette", 0),
    row("d::0", "Farmers reported a record apple harvest this autumn.", "d", "Wire", 20231105),
]


def test_a_chunk_added_to_the_delta_ranks_as_it_would_in_a_rebuilt_index() -> None:
    new = row("e::0", "A second harbour crane collapsed near the dock on Friday.", "e")
    grown = LexicalIndex.build(ROWS)
    grown.replace_articles(["e"], [new])
    rebuilt = LexicalIndex.build([*ROWS, new])
    query = "harbour crane collapsed"
    assert [f.chunk_id for f in grown.top(query, 5)] == [f.chunk_id for f in rebuilt.top(query, 5)]
    assert grown.idf("crane") == pytest.approx(rebuilt.idf("crane"))
    assert grown.size == rebuilt.size == 5


def test_replacing_an_article_removes_its_old_chunks_from_the_base_and_the_delta() -> None:
    index = LexicalIndex.build(ROWS)
    index.replace_articles(["a"], [row("a::1", "The harbour crane was repaired.", "a")])
    assert [f.chunk_id for f in index.top("crane", 5)] == ["a::1"]
    index.replace_articles(["a"], [])
    assert index.top("crane", 5) == [] and index.size == 3


def test_filters_apply_to_the_columns_of_base_and_delta_alike() -> None:
    index = LexicalIndex.build(ROWS)
    index.replace_articles(["e"], [row("e::0", "Harbour pilots went on strike.", "e", "Gazette", 0)])
    query = "harbour"

    def ids(where: dict[str, Any]) -> set[str]:
        return {f.chunk_id for f in index.top(query, 10, where)}

    assert ids({"publisher": {"$in": ["Gazette"]}}) == {"b::0", "e::0"}
    assert ids({"$and": [{"date_key": {"$gte": 20240201}}, {"date_key": {"$gt": 0}}]}) == {"b::0"}
    undated_too = {"$or": [{"date_key": {"$gte": 20240201}}, {"date_key": 0}]}
    assert ids(undated_too) == {"b::0", "e::0"}
    assert ids({"article_id": {"$in": ["a"]}}) == {"a::0"}
    assert ids({"publisher": {"$in": ["Nobody"]}}) == set()


def test_the_index_passes_exactly_the_chunks_filters_allow_including_undated_ones_when_asked() -> None:
    from assistant.answer.query import Filters

    index = LexicalIndex.build(ROWS)
    index.replace_articles(["e"], [row("e::0", "Harbour pilots went on strike.", "e", "Gazette", 0)])
    every = "harbour crane council budget storm pass farmers apple pilots strike"
    metas = {f.chunk_id: {"article_id": f.article_id, "publisher": f.publisher, "date_key": f.date_key}
             for f in index.top(every, 10)}
    assert len(metas) == 5
    for filters in (Filters(since="2024-02-01"), Filters(since="2024-02-01", include_undated=True),
                    Filters(until="2024-01-31", include_undated=True),
                    Filters(publishers=("Gazette",), since="2024-01-01", until="2024-12-31", include_undated=True)):
        passed = {f.chunk_id for f in index.top(every, 10, filters.where())}  # base rows and the delta row alike
        assert passed == {cid for cid, m in metas.items() if filters.allows(m)}, filters
    undated = Filters(since="2024-02-01", include_undated=True).where()
    assert {f.chunk_id for f in index.top(every, 10, undated)} == {"b::0", "c::0", "e::0"}


def test_a_saved_index_loads_memory_mapped_with_the_same_ranking(tmp_path: Path) -> None:
    index = LexicalIndex.build(ROWS, seq=7)
    index.replace_articles(["b"], [row("b::9", "Council budget for the harbour passed.", "b")])
    files = LexicalFiles(tmp_path / "lex")
    files.save(index, base_changed=True)
    loaded = files.load()
    assert loaded is not None and loaded.seq == 7 and loaded.size == index.size
    assert [(f.chunk_id, round(f.score, 5)) for f in loaded.top("harbour budget", 5)] == [
        (f.chunk_id, round(f.score, 5)) for f in index.top("harbour budget", 5)]
    index.replace_articles(["c"], [])
    files.save(index, base_changed=False)  # a delta-only save keeps the base folder
    names = sorted(p.name for p in (tmp_path / "lex").iterdir())
    assert len([n for n in names if n.startswith("base-")]) == 1 and len(
        [n for n in names if n.startswith("delta-")]) == 1


@pytest.mark.parametrize("damage", ["manifest", "columns", "delta"])
def test_a_damaged_saved_index_loads_as_none(tmp_path: Path, damage: str) -> None:
    files = LexicalFiles(tmp_path / "lex")
    files.save(LexicalIndex.build(ROWS), base_changed=True)
    manifest = json.loads(files.manifest.read_text())
    if damage == "manifest":
        files.manifest.write_text("{not json")
    elif damage == "columns":
        (files.folder / manifest["base"] / "start.npy").write_bytes(b"\x93NUMPY garbage")
    else:
        (files.folder / manifest["delta"]).write_text('{"rows": [{"id": 1}], "dead": []}')
    assert files.load() is None


def test_the_delta_is_compacted_once_it_outgrows_its_share(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.index import lexical

    monkeypatch.setattr(lexical, "COMPACT_MIN", 2)
    index = LexicalIndex.build(ROWS)
    index.replace_articles(["x"], [row("x::0", "One more story.", "x")])
    assert not index.needs_compaction()
    index.replace_articles(["y", "z"], [row("y::0", "Two more.", "y"), row("z::0", "Three more.", "z")])
    assert index.needs_compaction()


# --- keeping in step with the store ------------------------------------------------------------------------
def ingest_file(assistant: Any, folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")
    assistant.ingest(paths=[folder / name])


def test_a_second_process_applies_another_ones_ingest_by_rereading_only_that_article(
        make_fake_assistant: Any, news_corpus: Path, tmp_path: Path) -> None:
    writer = make_fake_assistant(news_corpus)
    writer.ingest()
    reader = make_fake_assistant(news_corpus)
    keeper = reader.retriever.keeper
    assert keeper.current().size == writer.store.chunks.count() and keeper.rebuilds == 0
    read: list[list[str]] = []
    original = reader.store.chunk_texts_of
    reader.store.chunk_texts_of = lambda ids: read.append(list(ids)) or original(ids)
    ingest_file(writer, tmp_path, "volcano.txt", "A volcano erupted near the harbour on Monday.\n")
    index = keeper.refresh()
    assert [f.article_id for f in index.top("volcano erupted", 3)][:1] == [
        next(a["id"] for a in writer.articles() if a["id"].endswith("volcano.txt"))]
    assert len(read) == 1 and len(read[0]) == 1 and keeper.rebuilds == 0
    assert index.size == writer.store.chunks.count()


def test_a_change_announced_and_never_finished_is_read_again_at_the_next_change(
        make_fake_assistant: Any, news_corpus: Path, tmp_path: Path) -> None:
    """A writer killed mid-change left its announcement unfinished: a reader applies what got stored and,
    once a later writer finishes, what the store then holds."""
    writer = make_fake_assistant(news_corpus)
    writer.ingest()
    reader = make_fake_assistant(news_corpus)
    keeper = reader.retriever.keeper
    keeper.current()
    victim = writer.articles()[0]["id"]
    with writer.store.writer_lease():
        pass  # a finished change of nothing, so the stamp has moved at least once
    writer.store.announce([victim])  # the killed writer: announced, deleted the chunks, never finished
    writer.store.delete_chunks([cid for cid, _, _ in writer.store.chunks_of([victim])])
    index = keeper.refresh()
    assert victim not in {f.article_id for f in index.top("the", 100)}
    assert index.seq == writer.store.last_change() - 1  # still to be read again
    writer.ingest()  # the re-run writes it back and finishes every change
    index = keeper.refresh()
    assert index.seq == writer.store.last_change()
    assert index.size == writer.store.chunks.count() and keeper.rebuilds == 0


def test_a_store_rebuilt_by_another_process_makes_the_reader_rebuild(
        make_fake_assistant: Any, news_corpus: Path) -> None:
    writer = make_fake_assistant(news_corpus)
    writer.ingest()
    reader = make_fake_assistant(news_corpus)
    keeper = reader.retriever.keeper
    keeper.current()
    writer.ingest(rebuild=True)
    assert keeper.refresh().size == writer.store.chunks.count() and keeper.rebuilds == 1


def test_the_reader_checks_the_store_at_most_once_per_interval(make_fake_assistant: Any, news_corpus: Path) -> None:
    assistant = make_fake_assistant(news_corpus)
    assistant.ingest()
    now = [100.0]
    keeper = LexicalKeeper(assistant.store, check_seconds=1.0, monotonic=lambda: now[0])
    keeper.current()
    checks = []
    original = assistant.store.change_stamp
    assistant.store.change_stamp = lambda: checks.append(1) or original()
    for _ in range(5):
        keeper.current()
    assert checks == []
    now[0] += 1.5
    keeper.current()
    assert checks == [1]
