"""HTML for the chat app: answers, numbered source cards and whole articles.

Everything that comes from an article, a file name or the user goes through
`esc` (html.escape) before it reaches the page; nothing here builds markup from
unescaped text. Chat messages are also escaped for Markdown, so an article
that contains `<script>` or `*` shows exactly those characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

CONTEXT_CHARS = 260  # characters of surrounding text shown on each side of a quote in a card
FULL_ARTICLE_CHARS = 60_000  # longer articles are shown as a window around the quote

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")

CSS = """
#sources-panel, #upload-report { font-size: 0.95rem; }
.src-empty { color: var(--body-text-color-subdued); padding: 0.5rem 0.25rem; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 0.7rem 0.85rem;
  margin: 0 0 0.7rem 0; background: var(--background-fill-primary); }
.src-head { display: flex; gap: 0.55rem; align-items: baseline; }
.src-num { flex: none; display: inline-block; min-width: 1.6rem; text-align: center; border-radius: 999px;
  background: var(--color-accent); color: white; font-weight: 700; font-size: 0.85rem;
  padding: 0.05rem 0.4rem; }
.src-title { font-weight: 650; line-height: 1.3; }
.src-meta { color: var(--body-text-color-subdued); font-size: 0.83rem; margin: 0.25rem 0 0.45rem 0; }
.src-meta code { font-size: 0.8rem; }
.src-context { margin: 0; padding: 0.45rem 0.6rem; border-left: 3px solid var(--color-accent);
  background: var(--background-fill-secondary); white-space: pre-wrap; line-height: 1.45; }
.src-card mark, .article-text mark { background: #ffe58a; color: #1f1f1f; padding: 0 0.1rem;
  border-radius: 3px; }
.src-article { margin-top: 0.45rem; }
.src-article summary { cursor: pointer; color: var(--color-accent); font-size: 0.88rem; }
.article-text { white-space: pre-wrap; line-height: 1.5; max-height: 28rem; overflow-y: auto;
  padding: 0.5rem 0.6rem; margin-top: 0.35rem; border: 1px solid var(--border-color-primary);
  border-radius: 8px; }
.src-warning { color: #b45309; font-size: 0.83rem; }
.abstain-notice { border: 1px dashed #b45309; background: rgba(245, 158, 11, 0.10); border-radius: 10px;
  padding: 0.7rem 0.85rem; }
.abstain-notice .abstain-head { font-weight: 700; color: #b45309; margin-bottom: 0.3rem; }
.error-notice { border: 1px solid #dc2626; background: rgba(220, 38, 38, 0.08); border-radius: 10px;
  padding: 0.7rem 0.85rem; }
.upload-ok { color: #15803d; } .upload-bad { color: #b91c1c; }
#status-line { color: var(--body-text-color-subdued); font-size: 0.88rem; }
"""

# Our one script: opening "the whole article" scrolls its box to the marked quote.
HEAD = """<script>
document.addEventListener("toggle", function (event) {
  var box = event.target;
  if (!box.open || !box.classList || !box.classList.contains("src-article")) return;
  var text = box.querySelector(".article-text"), mark = text && text.querySelector("mark");
  if (mark) text.scrollTop += mark.getBoundingClientRect().top - text.getBoundingClientRect().top - 48;
}, true);
</script>"""


def esc(value: Any) -> str:
    """HTML-escape anything (quotes too); None becomes ''."""
    return html.escape("" if value is None else str(value), quote=True)


def chat_text(text: str) -> str:
    """Text for a Chatbot message: Markdown specials and HTML both neutralised, so it shows literally."""
    return esc(_MD_SPECIAL.sub(r"\\\1", text or ""))


def chat_answer(text: str, abstained: bool) -> str:
    """An answer bubble; an abstention is marked so it cannot be mistaken for an answer."""
    if abstained:
        quoted = "\n".join("> " + line for line in chat_text(text).splitlines() or [""])
        return "**⚠ Not in the articles**\n\n" + quoted
    return chat_text(text)


def chat_error(message: str) -> str:
    return "**⚠ Could not answer:** " + chat_text(message)


def placeholder(message: str) -> str:
    return f'<div class="src-empty">{esc(message)}</div>'


def _snap_start(text: str, pos: int) -> int:
    """Move a window start forward to the next word boundary (unless at the beginning)."""
    if pos <= 0:
        return 0
    m = re.search(r"\s", text[pos:pos + 40])
    return pos + m.end() if m else pos


def _snap_end(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    cut = max(text.rfind(" ", pos - 40, pos), text.rfind("\n", pos - 40, pos))
    return cut if cut > 0 else pos


def marked(text: str, start: int, end: int, before: int | None = None, after: int | None = None) -> str:
    """text around [start:end] (all of it when before/after are None), escaped, the span in <mark>."""
    lo = 0 if before is None else _snap_start(text, start - before)
    hi = len(text) if after is None else _snap_end(text, end + after)
    lo, hi = min(lo, start), max(hi, end)
    head = ("…" if lo > 0 else "") + esc(text[lo:start])
    tail = esc(text[end:hi]) + ("…" if hi < len(text) else "")
    return f"{head}<mark>{esc(text[start:end])}</mark>{tail}"


def _field(citation: Mapping[str, Any], article: Mapping[str, Any] | None, key: str, article_key: str) -> Any:
    value = citation.get(key)
    if not value and article:
        value = article.get(article_key)
    return value


def source_card(citation: Mapping[str, Any], article: Mapping[str, Any] | None) -> str:
    """One numbered card: title, publisher, date, the quote in context, and the whole article."""
    number = citation.get("number")
    source = citation.get("source") or ""
    title = _field(citation, article, "title", "title") or source
    publisher = _field(citation, article, "publisher", "publisher") or "publisher not stated"
    date = _field(citation, article, "date", "date") or "date not stated"
    quote = citation.get("quote") or ""
    start, end = int(citation.get("start") or 0), int(citation.get("end") or 0)
    text = (article or {}).get("text")
    meta = f"{esc(publisher)} · {esc(date)}" + ("" if title == source else f" · <code>{esc(source)}</code>")
    if isinstance(text, str) and text[start:end] == quote and quote:
        context = marked(text, start, end, CONTEXT_CHARS, CONTEXT_CHARS)
        if len(text) > FULL_ARTICLE_CHARS:
            half = FULL_ARTICLE_CHARS // 2
            whole = marked(text, start, end, half, half)
        else:
            whole = marked(text, start, end)
        full = (
            '<details class="src-article"><summary>Open the whole article</summary>'
            f'<div class="article-text">{whole}</div></details>'
        )
    else:
        context = f"<mark>{esc(quote)}</mark>"
        full = ('<div class="src-warning">The article is no longer in the store (or has changed); '
                "only the quote is shown.</div>")
    return (
        f'<div class="src-card" data-source="{esc(source)}" id="source-{esc(number)}">'
        f'<div class="src-head"><span class="src-num">{esc(number)}</span>'
        f'<span class="src-title">{esc(title)}</span></div>'
        f'<div class="src-meta">{meta}</div>'
        f'<blockquote class="src-context">{context}</blockquote>{full}</div>'
    )


def sources_panel(answer: Mapping[str, Any], articles: Mapping[str, Mapping[str, Any] | None]) -> str:
    """Cards for an answer's citations, or a distinct notice when it abstained."""
    if answer.get("abstained"):
        return (
            '<div class="abstain-notice"><div class="abstain-head">⚠ The articles don\'t answer this</div>'
            f"<div>{esc(answer.get('text'))}</div>"
            '<div class="src-empty">No sources: nothing in the articles supports an answer. '
            "Try rephrasing, widening the date range or removing the publisher filter.</div></div>"
        )
    citations: Sequence[Mapping[str, Any]] = answer.get("citations") or []
    if not citations:
        return placeholder("This answer cites no sources.")
    cards = [source_card(c, articles.get(c.get("source") or "")) for c in citations]
    return "".join(cards)


def error_panel(message: str) -> str:
    return f'<div class="error-notice">{esc(message)}</div>'


def upload_report(saved: Sequence[tuple[str, str]], refused: Sequence[str], summary: str | None,
                  problems: Sequence[str], notices: Sequence[str]) -> str:
    """What happened to each uploaded file, escaped."""
    lines = []
    for original, name in saved:
        note = "" if original == name else f" (saved as <code>{esc(name)}</code>)"
        lines.append(f'<li class="upload-ok">added <code>{esc(original)}</code>{note}</li>')
    lines += [f'<li class="upload-bad">{esc(r)}</li>' for r in refused]
    lines += [f'<li class="upload-bad">not ingested: {esc(p)}</li>' for p in problems]
    lines += [f"<li>note: {esc(n)}</li>" for n in notices]
    out = f"<ul>{''.join(lines)}</ul>" if lines else ""
    if summary:
        out += f'<div class="src-empty">{esc(summary)}</div>'
    return out or placeholder("No files.")
