"""Sentence vectors with the fake embedder, which counts what it embeds: each sentence is embedded once
for every instance sharing a store, and vectors follow article changes (the slow tier repeats the
store checks with the real model in test_sentence_vectors.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes import FIRE_2023, HashEmbedding

from assistant.core.text import sentence_spans
from assistant.index.sentence_vectors import SentenceVectors

QUESTION = "How big is the budget of Mayor Elena Brandt?"


def stored_hashes(assistant: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for _, aid, content_hash in assistant.store.sentence_index():
        out.setdefault(aid, set()).add(content_hash)
    return out


def sentence_count(assistant: Any) -> int:
    return sum(len(sentence_spans(assistant.article(aid)["text"])) for aid in assistant.store.article_records())


def strip_annotations(store: Any) -> None:
    """A store as ingested before sentences were embedded at ingest: no sentence rows, no annotation version."""
    store.delete_sentences([sid for sid, _, _ in store.sentence_index()])
    ids = list(store.article_records())
    store.articles.update(ids=ids, metadatas=[{"annotation": None}] * len(ids))


def test_ingest_embeds_every_sentence_once_for_all_instances(make_fake_assistant: Any, news_corpus: Path) -> None:
    model = HashEmbedding()
    first = make_fake_assistant(news_corpus, embed_model=model)
    report = first.ingest()
    total = sentence_count(first)
    assert model.texts_embedded == report.chunks_embedded + total
    assert first.store.sentences.count() == total
    embedded = model.texts_embedded
    assert first.warm_up() == 0
    second = make_fake_assistant(news_corpus, embed_model=model)
    assert second.warm_up() == 0
    second.ask(QUESTION)
    assert model.texts_embedded == embedded, "stored sentence vectors were embedded again"


def test_answering_writes_its_sentence_vectors_for_the_next_asker(make_fake_assistant: Any, news_corpus: Path) -> None:
    """On a store not yet upgraded to sentences embedded at ingest, the answerer embeds and shares them."""
    model = HashEmbedding()
    assistant = make_fake_assistant(news_corpus, embed_model=model)
    assistant.ingest()
    strip_annotations(assistant.store)
    assert assistant.store.sentences.count() == 0
    before = model.texts_embedded
    assert not assistant.ask(QUESTION).abstained
    written = assistant.store.sentences.count()
    assert written > 0 and model.texts_embedded - before == written
    other = make_fake_assistant(news_corpus, embed_model=model)
    before = model.texts_embedded
    other.ask(QUESTION)
    assert model.texts_embedded == before, "a second asker re-embedded stored sentences"
    assert assistant.store.sentences.count() == written


def test_changed_article_drops_its_old_sentence_vectors(make_fake_assistant: Any, news_corpus: Path) -> None:
    assistant = make_fake_assistant(news_corpus)
    assistant.ingest()
    assistant.warm_up()
    path = news_corpus / FIRE_2023
    path.write_text(path.read_text() + "\nA new closing sentence was added to this article today.\n")
    assistant.ingest()
    records = assistant.store.article_records()
    for aid, seen in stored_hashes(assistant).items():
        assert seen == {records[aid]["content_hash"]}, f"{aid} keeps vectors of an old version"
    path.unlink()
    assistant.ingest()
    assert FIRE_2023 not in stored_hashes(assistant)


def test_vectors_without_a_store_are_cached_in_memory() -> None:
    model = HashEmbedding()
    cache = SentenceVectors(model, store=None)

    class Span:
        def __init__(self, start: int, text: str) -> None:
            self.article_id, self.start, self.end, self.text, self.meta = "a.txt", start, start + len(text), text, {}

    spans = [Span(0, "The harbour reopened."), Span(22, "Ferries ran again.")]
    first = cache.vectors(spans)
    assert first.shape == (2, model.dim) and model.texts_embedded == 2
    again = cache.vectors(list(reversed(spans)))
    assert model.texts_embedded == 2
    assert (again[0] == first[1]).all() and (again[1] == first[0]).all()
