"""Sentence vectors are embedded once, at ingest, shared through the store, and follow article changes.

Slow tier: real embeddings of the seed corpus with the bundled model (the fast tier checks the same
with a counting fake embedder: test_unit_sentence_vectors.py and test_ingest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.core.text import sentence_spans

pytestmark = pytest.mark.slow


def _stored_hashes(assistant: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for _, aid, content_hash in assistant.store.sentence_index():
        out.setdefault(aid, set()).add(content_hash)
    return out


def test_ingest_embeds_every_sentence_once_for_all_instances(make_assistant: Any, corpus_dir: Path) -> None:
    first = make_assistant(corpus_dir)
    report = first.ingest()
    total = sum(len(sentence_spans(first.article(aid)["text"])) for aid in first.store.article_records())
    assert report.sentences_embedded == total
    assert first.store.sentences.count() == total
    assert first.warm_up() == 0
    second = make_assistant(corpus_dir)  # a new process on the same store would see the same
    assert second.warm_up() == 0


def test_answering_embeds_only_the_question(make_assistant: Any, corpus_dir: Path) -> None:
    assistant = make_assistant(corpus_dir)
    assistant.ingest()
    stored = assistant.store.sentences.count()
    answer = assistant.ask("Who is Iraq's national security adviser?")
    assert not answer.abstained
    assert assistant.sentence_vectors.embedded == 0
    other = make_assistant(corpus_dir)
    other.ask("How many Kataib Hezbollah members were killed south of Baghdad?")
    assert other.sentence_vectors.embedded == 0
    assert assistant.store.sentences.count() == stored


def test_changed_article_drops_its_old_sentence_vectors(make_assistant: Any, corpus_dir: Path) -> None:
    assistant = make_assistant(corpus_dir)
    assistant.ingest()
    assistant.warm_up()
    path = corpus_dir / "001_d0b1d9f66b66a1cb.txt"
    path.write_text(path.read_text() + "\nA new closing sentence was added to this article today.\n")
    assistant.ingest()
    hashes = _stored_hashes(assistant)
    records = assistant.store.article_records()
    for aid, seen in hashes.items():
        assert seen == {records[aid]["content_hash"]}, f"{aid} keeps vectors of an old version"
    path.unlink()
    assistant.ingest()
    assert "001_d0b1d9f66b66a1cb.txt" not in _stored_hashes(assistant)
