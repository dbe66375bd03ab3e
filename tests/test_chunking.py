"""Chunks: token limits by tiktoken cl100k_base, whole-sentence overlap, exact character spans."""

from __future__ import annotations

import random
import string
import time
from pathlib import Path

import pytest
import tiktoken

from assistant.core.documents import Article, header_for
from assistant.core.text import sentence_spans
from assistant.ingest.chunking import chunk_article
from assistant.ingest.reading import read_path

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLES = [read_path(p).articles[0] for p in sorted((ROOT / "corpus").iterdir())]
ENC = tiktoken.get_encoding("cl100k_base")  # conftest pointed tiktoken at the bundled files


def tokens(text: str) -> int:
    return len(ENC.encode(text, disallowed_special=()))


def check_chunks(article: Article, chunk_size: int, chunk_overlap: int) -> list:
    """The invariants every chunking must keep; returns the chunks for further checks."""
    chunks = chunk_article(article, chunk_size, chunk_overlap)
    assert chunks, "an article with text gives at least one chunk"
    for seq, chunk in enumerate(chunks):
        assert tokens(chunk.text) <= chunk_size
        assert chunk.text == article.text[chunk.start:chunk.end]
        assert chunk.text == chunk.text.strip()
        assert (chunk.seq, chunk.metadata["seq"]) == (seq, seq)
        assert (chunk.metadata["start"], chunk.metadata["end"]) == (chunk.start, chunk.end)
        assert chunk.metadata["article_id"] == article.id
        assert chunk.metadata["content_hash"] == article.content_hash
    assert len({c.id for c in chunks}) == len(chunks)
    assert [c.start for c in chunks] == sorted({c.start for c in chunks}), "chunks advance through the text"
    # nothing is lost: every non-space character of the article lies in some chunk
    covered = [False] * len(article.text)
    for chunk in chunks:
        covered[chunk.start:chunk.end] = [True] * (chunk.end - chunk.start)
    lost = [i for i, ch in enumerate(article.text) if not ch.isspace() and not covered[i]]
    assert lost == []
    return chunks


@pytest.mark.parametrize("chunk_size,chunk_overlap", [(200, 40), (120, 60), (50, 10), (20, 0)])
@pytest.mark.parametrize("article", SEED_ARTICLES, ids=lambda a: a.id[:3])
def test_seed_chunks_stay_within_token_limit_with_exact_spans(article, chunk_size, chunk_overlap):
    check_chunks(article, chunk_size, chunk_overlap)


def test_chunks_are_whole_sentences_when_sentences_fit():
    for article in SEED_ARTICLES:
        spans = sentence_spans(article.text)
        starts, ends = {s for s, _ in spans}, {e for _, e in spans}
        for chunk in chunk_article(article, 200, 40):
            assert chunk.start in starts and chunk.end in ends


@pytest.mark.parametrize("chunk_overlap", [40, 80])
def test_overlap_repeats_whole_trailing_sentences_within_the_overlap_budget(chunk_overlap):
    repeated_somewhere = False
    for article in SEED_ARTICLES:
        spans = sentence_spans(article.text)
        starts = {s for s, _ in spans}
        chunks = check_chunks(article, 200, chunk_overlap)
        for prev, nxt in zip(chunks, chunks[1:], strict=False):
            assert nxt.start > prev.start
            if nxt.start < prev.end:  # the next chunk repeats the tail of the previous one
                repeated_somewhere = True
                shared = article.text[nxt.start:prev.end]
                assert nxt.start in starts, "overlap starts at a sentence start"
                assert sum(tokens(article.text[s:e]) for s, e in spans if nxt.start <= s and e <= prev.end) \
                    <= chunk_overlap
                assert shared.strip()
    assert repeated_somewhere, "the seed articles have sentences short enough to be repeated"


def test_overlap_smaller_than_every_sentence_repeats_nothing():
    shortest = min(tokens(a.text[s:e]) for a in SEED_ARTICLES for s, e in sentence_spans(a.text))
    for article in SEED_ARTICLES:
        chunks = check_chunks(article, 200, shortest - 1)
        for prev, nxt in zip(chunks, chunks[1:], strict=False):
            assert nxt.start >= prev.end, "a sentence is repeated whole or not at all"


def test_zero_overlap_means_chunks_do_not_share_text():
    for article in SEED_ARTICLES:
        chunks = check_chunks(article, 60, 0)
        for prev, nxt in zip(chunks, chunks[1:], strict=False):
            assert nxt.start >= prev.end


def test_more_overlap_gives_more_chunks_of_the_same_text():
    article = SEED_ARTICLES[0]
    assert len(chunk_article(article, 120, 0)) < len(chunk_article(article, 120, 100))


def test_one_enormous_sentence_is_cut_at_word_boundaries_within_the_limit():
    words = [f"word{i}" for i in range(6000)]
    article = Article(id="long.txt", text="A short opening sentence. " + " ".join(words) + ". A closing one.")
    chunks = check_chunks(article, 100, 20)
    assert len(chunks) > 30
    for chunk in chunks:
        # every piece begins and ends on a word boundary
        assert chunk.start == 0 or article.text[chunk.start - 1] == " "
        assert chunk.end == len(article.text) or article.text[chunk.end] == " " or article.text[chunk.end] == "."
    assert chunks[0].text.startswith("A short opening sentence.")
    assert chunks[-1].text.endswith("A closing one.")


def test_one_enormous_word_is_cut_by_characters_quickly():
    rng = random.Random(7)
    blob = "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(300_000))
    article = Article(id="blob.txt", text=f"Before the blob. {blob} After the blob.")
    started = time.perf_counter()
    chunks = check_chunks(article, 200, 40)
    elapsed = time.perf_counter() - started
    begin = article.text.index(blob)
    inside = [c for c in chunks if begin < c.start < begin + len(blob)]
    assert len(inside) > 100, "the word itself was cut into many pieces"
    # cutting used to re-tokenize the rest of the word for every piece: minutes for this input
    assert elapsed < 30, f"chunking a 300,000-character word took {elapsed:.1f} s"


def test_text_without_spaces_in_a_cjk_script_respects_the_limit():
    text = "据报道，" + "伊拉克政府谴责了美国的空袭行动并表示这是对主权的侵犯" * 60 + "。"
    check_chunks(Article(id="zh.txt", text=text), 50, 10)


def test_abbreviations_do_not_end_sentences():
    text = "U.S. officials met Dr. Smith on Jan. 5 at 10 a.m. in Washington. The talks ended."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "U.S. officials met Dr. Smith on Jan. 5 at 10 a.m. in Washington.",
        "The talks ended.",
    ]


def test_paragraph_break_ends_a_sentence_without_punctuation():
    text = "Headline-like line without a stop\n\nThe story begins here. It goes on."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Headline-like line without a stop", "The story begins here.", "It goes on.",
    ]


def test_header_carries_title_publisher_and_date_but_is_not_part_of_the_span():
    article = next(a for a in SEED_ARTICLES if a.date)
    chunk = chunk_article(article, 200, 40)[0]
    assert chunk.header == f"{article.title}\n{article.date}"
    assert chunk.embed_text == f"{chunk.header}\n\n{chunk.text}"
    assert article.title not in chunk.text


def test_absurdly_long_title_is_shortened_in_the_embedded_header_only():
    title = "Word " * 5000
    article = Article(id="t.txt", text="One sentence here.", title=title.strip())
    header = header_for(article.title, article.publisher, article.date)
    assert len(header) <= 300
    assert title.startswith(header)
    assert chunk_article(article, 200, 40)[0].metadata["title"] == article.title
