"""Token-aware chunks of whole sentences, with exact character offsets.

A chunk is a run of whole sentences of one article (a sentence longer than the
budget is cut at word boundaries). `text == article.text[start:end]` always holds;
only the embedded text carries a header with title, publisher and date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from ..core.dates import date_key
from ..core.documents import Article, Chunk, header_for
from ..core.text import count_tokens, sentence_spans

# no cl100k_base token is longer than 128 bytes, so a text of more than 128 * n characters
# has more than n tokens: long texts are judged without tokenizing them whole
_MAX_TOKEN_CHARS = 128


def _over(text: str, start: int, end: int, limit: int) -> bool:
    return end - start > limit * _MAX_TOKEN_CHARS or count_tokens(text[start:end]) > limit


def _fit(text: str, start: int, end: int, limit: int) -> int:
    """The largest cut <= end with text[start:cut] within `limit` tokens (at least one character).

    Grows the window geometrically, then bisects, so an enormous word costs time linear in its length."""
    good, step = start, max(limit, 16)
    bad = min(end, start + limit * _MAX_TOKEN_CHARS)
    while start + step < bad:
        if count_tokens(text[start:start + step]) > limit:
            bad = start + step
            break
        good, step = start + step, step * 2
    else:
        if count_tokens(text[start:bad]) <= limit:
            return bad
    while bad - good > 1:
        mid = (good + bad) // 2
        if count_tokens(text[start:mid]) <= limit:
            good = mid
        else:
            bad = mid
    return max(good, start + 1)


def _split_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut one over-long sentence at word boundaries into pieces of at most `limit` tokens
    (a single word longer than that is cut between characters)."""
    piece_start: int | None = None
    last_end = start
    for m in re.finditer(r"\S+", text[start:end]):
        ws, we = m.start() + start, m.end() + start
        if piece_start is None:
            piece_start = ws
        if last_end > piece_start:
            if not _over(text, piece_start, we, limit):
                last_end = we
                continue
            yield piece_start, last_end
            piece_start = ws
        while _over(text, piece_start, we, limit):  # one enormous "word": cut it by characters
            cut = _fit(text, piece_start, we, limit)
            yield piece_start, cut
            piece_start = cut
        last_end = we
    if piece_start is not None and last_end > piece_start:
        yield piece_start, last_end


def chunk_article(article: Article, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `chunk_size` tokens, repeating up to
    `chunk_overlap` tokens of trailing sentences at the start of the next chunk."""
    text = article.text
    units: list[tuple[int, int, int]] = []  # start, end, tokens
    for s, e in sentence_spans(text):
        n = count_tokens(text[s:e])
        if n <= chunk_size:
            units.append((s, e, n))
        else:
            units.extend((a, b, count_tokens(text[a:b])) for a, b in _split_long(text, s, e, chunk_size))
    groups: list[list[tuple[int, int, int]]] = []
    current: list[tuple[int, int, int]] = []
    fresh = 0  # units in `current` not carried over from the previous chunk
    for unit in units:
        span_tokens = count_tokens(text[current[0][0]:unit[1]]) if current else unit[2]
        if current and span_tokens > chunk_size:
            groups.append(current)
            carried: list[tuple[int, int, int]] = []
            for prev in reversed(current):
                if sum(u[2] for u in carried) + prev[2] > chunk_overlap or len(carried) + 1 >= len(current):
                    break
                carried.insert(0, prev)
            while carried and count_tokens(text[carried[0][0]:unit[1]]) > chunk_size:
                carried.pop(0)
            current, fresh = carried, 0
        current.append(unit)
        fresh += 1
    if current and fresh:
        groups.append(current)
    header = header_for(article.title, article.publisher, article.date)
    content_hash = article.content_hash
    base = {
        "article_id": article.id,
        "title": article.title or "",
        "date": article.date or "",
        "date_key": date_key(article.date),
        "publisher": article.publisher or "",
        "content_hash": content_hash,
    }
    chunks = []
    for seq, group in enumerate(groups):
        start, end = group[0][0], group[-1][1]
        chunks.append(
            Chunk(
                id=f"{article.id}::{content_hash[:12]}::{seq}",
                article_id=article.id,
                seq=seq,
                start=start,
                end=end,
                text=text[start:end],
                header=header,
                metadata=base | {"seq": seq, "start": start, "end": end},
            )
        )
    return chunks


def bound_article(article: Article, max_tokens: int) -> Article | None:
    """The article with its story text cut after the last whole sentence within `max_tokens` tokens (a
    first sentence longer than that is cut at a word boundary); None when it fits. Costs tokenizing at
    most about `max_tokens` tokens of it, however long it is, so a 5 MB file is judged as fast as a short
    one."""
    text, used, end = article.text, 0, 0
    for s, e in sentence_spans(text):
        remaining = max_tokens - used
        n = remaining + 1 if e - s > remaining * _MAX_TOKEN_CHARS else count_tokens(text[s:e])
        if n > remaining:
            end = end or _word_cut(text, s, e, remaining)
            return replace(article, text=text[:end].rstrip())
        used, end = used + n, e
    return None


def _word_cut(text: str, start: int, end: int, limit: int) -> int:
    """The end of the last whole word of text[start:end] within `limit` tokens (else `limit` tokens)."""
    cut = _fit(text, start, end, limit)
    space = text.rfind(" ", start, cut + 1)
    return space if space > start else cut
