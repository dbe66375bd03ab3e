"""HTML for the chat app: answers, numbered source cards and whole articles.

Everything that comes from an article, a file name or the user goes through
`esc` (html.escape) before it reaches the page; nothing here builds markup from
unescaped text. Chat messages are also escaped for Markdown, so an article
that contains `<script>` or `*` shows exactly those characters. Copying is
therefore not left to the chat: the sources panel carries a "Copy answer with
sources" button whose text is the plain rendering of `terminal.plain_answer`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ..core.text import first_words
from .terminal import NO_DATE, NO_PUBLISHER, display_title, markdown_answer, plain_answer, source_field

CONTEXT_CHARS = 260  # characters of surrounding text shown on each side of a quote in a card
FULL_ARTICLE_CHARS = 60_000  # longer articles are shown as a window around the quote

EMPTY_SOURCES = "Sources of the latest answer appear here as numbered cards."
COPY_LABEL = "Copy answer with sources"
COPY_MARKDOWN_LABEL = "Copy as Markdown"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")
_ESCAPED_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")  # a citation marker after chat_text: \[2\]
QUOTE_TITLE_CHARS = 300  # a citation link's hover text: the quote, cut at this many characters

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
.src-tools { display: flex; justify-content: flex-end; gap: 0.4rem; margin: 0 0 0.5rem 0; }
.copy-answer { font-size: 0.85rem; padding: 0.25rem 0.7rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); }
.copy-answer:hover { border-color: var(--color-accent); }
.filter-line { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.filter-line.filter-bad { color: #b45309; }
.filter-chip { flex: none !important; border-radius: 999px !important; }
.lib-table { width: 100%; font-size: 0.85rem; border-collapse: collapse; }
.lib-table th, .lib-table td { text-align: left; padding: 0.2rem 0.35rem;
  border-bottom: 1px solid var(--border-color-primary); }
.lib-title { font-weight: 600; }
.src-for { font-size: 0.85rem; color: var(--body-text-color-subdued); margin: 0 0 0.45rem 0; }
.src-card.src-flash { outline: 3px solid var(--color-accent); outline-offset: 1px;
  box-shadow: 0 0 0 6px rgba(99, 102, 241, 0.18); }
#chat a[href^="#cite-"] { text-decoration: none; font-weight: 650; font-size: 0.85em; padding: 0 0.15rem;
  border-radius: 4px; color: var(--color-accent); }
#chat a[href^="#cite-"]:hover { background: var(--background-fill-secondary); text-decoration: underline; }
#filter-notice { align-items: center; }
#include-undated { background: none; border: none !important; box-shadow: none; padding: 0; }
.src-chips { display: none; }
/* A phone shows the panel right under the conversation: one "[n] Publisher" chip per card keeps every
   answer's sources within a screen of it; a tap opens that card in full (HEAD's script). */
@media (max-width: 600px) {
  .src-chips { display: flex; flex-wrap: wrap; gap: 0.4rem; margin: 0 0 0.6rem 0; }
  .src-chip { max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; cursor: pointer;
    font-size: 0.85rem; padding: 0.25rem 0.75rem; border-radius: 999px; color: var(--body-text-color);
    border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); }
  .src-chip[aria-expanded="true"] { border-color: var(--color-accent); font-weight: 650; }
  .src-chip-num { color: var(--color-accent); font-weight: 700; }
  #sources-panel .src-chips ~ .src-card { display: none; }
  #sources-panel .src-chips ~ .src-card.src-open { display: block; }
}
"""
# the answer whose sources the panel shows: its row in the chat (HEAD's script sets this rule's row number)
SELECTED_CSS = ("#chat .message-wrap > .message-row:nth-child(ROW) .bot.message "
                "{ box-shadow: 0 0 0 2px var(--color-accent); border-radius: 10px; }")

# Our one script, two delegated handlers: opening "the whole article" scrolls its box to the marked
# quote; a "Copy answer with sources" button copies its data-copy text (clipboard API, else execCommand).
HEAD = """<script>
document.addEventListener("toggle", function (event) {
  var box = event.target;
  if (!box.open || !box.classList || !box.classList.contains("src-article")) return;
  var text = box.querySelector(".article-text"), mark = text && text.querySelector("mark");
  if (mark) text.scrollTop += mark.getBoundingClientRect().top - text.getBoundingClientRect().top - 48;
}, true);
document.addEventListener("click", function (event) {
  var button = event.target && event.target.closest && event.target.closest(".copy-answer");
  if (!button) return;
  var text = button.getAttribute("data-copy") || "", label = button.getAttribute("data-label") || "";
  function done(ok) {
    button.textContent = ok ? "Copied" : "Copy failed: select the text instead";
    setTimeout(function () { button.textContent = label; }, 1600);
  }
  function fallback() {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
  } else {
    fallback();
  }
}, true);
// At phone width the cards are collapsed to chips (CSS): a tap on chip n opens card n, another closes it.
function assistantOpenCard(card, open) {
  card.classList.toggle("src-open", open);
  var chip = document.querySelector('#sources-panel .src-chip[data-card="' + card.id + '"]');
  if (chip) chip.setAttribute("aria-expanded", open ? "true" : "false");
}
document.addEventListener("click", function (event) {
  var chip = event.target && event.target.closest && event.target.closest(".src-chip");
  if (!chip) return;
  var card = document.querySelector("#sources-panel #" + chip.getAttribute("data-card"));
  if (card) assistantOpenCard(card, !card.classList.contains("src-open"));
}, true);
// An [n] of answer T is a link to #cite-T-n. The click still reaches the chat, whose select event
// puts answer T's cards in the panel; once the panel says it shows answer T, card n is scrolled to
// and outlined.
function assistantPanelTurn() {
  var head = document.querySelector("#sources-panel .src-for");
  return head ? Number(head.getAttribute("data-turn")) : -1;
}
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest && event.target.closest('a[href^="#cite-"]');
  if (!link) return;
  event.preventDefault();
  var m = /^#cite-(\\d+)-(\\d+)$/.exec(link.getAttribute("href") || "");
  if (!m) return;
  var turn = Number(m[1]), number = m[2], tries = 0;
  (function flash() {
    var card = assistantPanelTurn() === turn && document.querySelector("#sources-panel #source-" + number);
    if (!card) { if (++tries < 100) setTimeout(flash, 100); return; }
    document.querySelectorAll("#sources-panel .src-flash").forEach(function (c) { c.classList.remove("src-flash"); });
    assistantOpenCard(card, true);  // a collapsed card (phone width) opens to be shown
    card.classList.add("src-flash");
    card.scrollIntoView({block: "center", behavior: "smooth"});
  })();
}, true);
// Mark, in the chat, the answer whose sources the panel shows (a style rule: it survives re-renders).
setInterval(function () {
  var style = document.getElementById("assistant-selected-answer");
  if (!style) {
    style = document.createElement("style");
    style.id = "assistant-selected-answer";
    document.head.appendChild(style);
  }
  var turn = assistantPanelTurn();
  var rule = turn < 0 ? "" : SELECTED_RULE.replace("ROW", String(2 * turn + 2));
  if (style.textContent !== rule) style.textContent = rule;
}, 250);
</script>"""
HEAD = HEAD.replace("SELECTED_RULE", repr(SELECTED_CSS))


def esc(value: Any) -> str:
    """HTML-escape anything (quotes too); None becomes ''."""
    return html.escape("" if value is None else str(value), quote=True)


def chat_text(text: str) -> str:
    """Text for a Chatbot message: Markdown specials and HTML both neutralised, so it shows literally."""
    return esc(_MD_SPECIAL.sub(r"\\\1", text or ""))


def cite_links(escaped: str, turn: int | None, quotes: Mapping[int, str] | None = None) -> str:
    """Each escaped `\\[n\\]` of a chat message becomes a Markdown link to card n of answer `turn`
    (`#cite-TURN-N`, which HEAD's script follows), titled with the quote so hovering shows it. A
    Markdown link rather than raw HTML: the chat sanitises HTML, and links survive it."""
    if turn is None:
        return escaped
    quotes = quotes or {}

    def link(m: re.Match[str]) -> str:
        number = int(m[1])
        quote = " ".join(str(quotes.get(number) or "").split())
        quote = quote if len(quote) <= QUOTE_TITLE_CHARS else quote[:QUOTE_TITLE_CHARS - 1].rstrip() + "…"
        title = f' "{esc(quote).replace(chr(92), "")}"' if quote else ""
        return f"[\\[{number}\\]](#cite-{turn}-{number}{title})"

    return _ESCAPED_MARKER.sub(link, escaped)


def chat_answer(text: str, abstained: bool, short: str | None = None, turn: int | None = None,
                quotes: Mapping[int, str] | None = None) -> str:
    """An answer bubble; an abstention is marked so it cannot be mistaken for an answer. A short answer
    that leads the text is bold; a briefing's or timeline's "- " lines are a list (everything else stays
    literal). With `turn`, every `[n]` links to its source card (`cite_links`)."""
    if abstained:
        quoted = "\n".join("> " + line for line in chat_text(text).splitlines() or [""])
        return "**⚠ Not in the articles**\n\n" + quoted
    lines = []
    for line in text.splitlines():
        if line.startswith("- "):
            lines.append("- " + chat_text(line[2:]))
        elif short and line[:len(short)].lower() == short.lower():  # "eight — …" leads with "Eight"
            lines.append(f"**{chat_text(line[:len(short)])}**{chat_text(line[len(short):])}")
        else:
            lines.append(chat_text(line))
    return cite_links("\n".join(lines), turn, quotes)


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


def source_card(citation: Mapping[str, Any], article: Mapping[str, Any] | None) -> str:
    """One numbered card: title (the headline, else the article's first words), publisher, date, the
    article's file name, the quote in context, and the whole article."""
    number = citation.get("number")
    source = citation.get("source") or ""
    title = display_title(citation, article)
    publisher = source_field(citation, article, "publisher") or NO_PUBLISHER
    date = source_field(citation, article, "date") or NO_DATE
    quote = citation.get("quote") or ""
    start, end = int(citation.get("start") or 0), int(citation.get("end") or 0)
    text = (article or {}).get("text")
    meta = f"{esc(publisher)} · {esc(date)} · <code>{esc(source)}</code>"
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


CHIP_CHARS = 28  # a chip names the publisher, else the start of the title, cut at this many characters


def source_chips(citations: Sequence[Mapping[str, Any]], articles: Mapping[str, Mapping[str, Any] | None]) -> str:
    """One "[n] Publisher" chip per card (the title's start when no publisher is stated), shown only at phone
    width (CSS), where the cards stay collapsed until their chip is tapped: so the sources of an answer fit
    within a screen below it."""
    chips = []
    for c in citations:
        number, article = c.get("number"), articles.get(c.get("source") or "")
        name = source_field(c, article, "publisher") or first_words(display_title(c, article), CHIP_CHARS)
        chips.append(f'<button type="button" class="src-chip" data-card="source-{esc(number)}" aria-expanded="false">'
                     f'<span class="src-chip-num">[{esc(number)}]</span> {esc(name)}</button>')
    return f'<div class="src-chips">{"".join(chips)}</div>'


def copy_button(answer: Mapping[str, Any], articles: Mapping[str, Mapping[str, Any] | None]) -> str:
    """Buttons that copy the answer with its numbered sources, as plain text and as Markdown (see HEAD's
    handler)."""
    buttons = [(plain_answer(answer, articles), COPY_LABEL, "copy-answer"),
               (markdown_answer(answer, articles), COPY_MARKDOWN_LABEL, "copy-answer copy-markdown")]
    return '<div class="src-tools">' + "".join(
        f'<button type="button" class="{kind}" data-copy="{esc(text)}" data-label="{esc(label)}">{esc(label)}</button>'
        for text, label, kind in buttons) + "</div>"


def panel_head(turn: int | None, question: str | None) -> str:
    """Which answer the cards below belong to; HEAD's script reads data-turn to mark that answer in the
    chat and to find card n when an `[n]` of that answer is clicked."""
    if turn is None:
        return ""
    asked = f": “{esc(question)}”" if question else ""
    return f'<div class="src-for" data-turn="{int(turn)}">Sources of answer {int(turn) + 1}{asked}</div>'


def sources_panel(answer: Mapping[str, Any], articles: Mapping[str, Mapping[str, Any] | None],
                  turn: int | None = None, question: str | None = None) -> str:
    """Which answer (`turn`, counted from 0, and its `question`), a copy button, then cards for the
    answer's citations (after their phone-width chips, `source_chips`), or a distinct notice when it
    abstained."""
    head, copy = panel_head(turn, question), copy_button(answer, articles)
    if answer.get("abstained"):
        return head + copy + (
            '<div class="abstain-notice"><div class="abstain-head">⚠ The articles don\'t answer this</div>'
            f"<div>{esc(answer.get('text'))}</div>"
            '<div class="src-empty">No sources: nothing in the articles supports an answer. '
            "Try rephrasing, widening the date range or removing the publisher filter.</div></div>"
        )
    citations: Sequence[Mapping[str, Any]] = answer.get("citations") or []
    if not citations:
        return head + copy + placeholder("This answer cites no sources.")
    cards = "".join(source_card(c, articles.get(c.get("source") or "")) for c in citations)
    return head + source_chips(citations, articles) + copy + cards


ORIGINS = {"corpus": "corpus folder", "upload": "uploaded", "outside": "added by path"}


def library_list(articles: Sequence[Mapping[str, Any]], total: int, query: str = "",
                 shown: int | None = None) -> str:
    """The library: one row per article (title, publisher, date, where it came from), escaped; only the
    first `shown` matches are listed (a page of a large archive stays light), and the count says so."""
    if not articles:
        return placeholder(f"No article matches “{query}”." if query else "The store holds no articles.")
    listed = articles[:shown] if shown is not None else articles
    rows = "".join(
        f'<tr data-id="{esc(a["id"])}"><td class="lib-title">{esc(a.get("title") or a["id"])}</td>'
        f'<td>{esc(a.get("publisher") or NO_PUBLISHER)}</td><td>{esc(a.get("date") or NO_DATE)}</td>'
        f'<td>{esc(ORIGINS.get(a.get("origin") or "", a.get("origin")))}</td></tr>'
        for a in listed
    )
    count = f"{len(articles):,} of {total:,} articles" if len(articles) != total else f"{total:,} articles"
    if len(listed) < len(articles):
        count += f"; the newest {len(listed):,} are listed: search to find others"
    return (f'<div class="src-empty">{esc(count)}</div><table class="lib-table"><thead><tr><th>Title</th>'
            f"<th>Publisher</th><th>Date</th><th>From</th></tr></thead><tbody>{rows}</tbody></table>")


def article_view(article: Mapping[str, Any]) -> str:
    """A whole article opened from the library, for the sources panel."""
    title = article.get("title") or first_words(article.get("text")) or article.get("id")
    meta = (f"{esc(article.get('publisher') or NO_PUBLISHER)} · {esc(article.get('date') or NO_DATE)} · "
            f"<code>{esc(article.get('id'))}</code>")
    return (f'<div class="src-for">Opened from the library</div><div class="src-card lib-article">'
            f'<div class="src-head"><span class="src-title">{esc(title)}</span></div>'
            f'<div class="src-meta">{meta}</div><div class="article-text">{esc(article.get("text"))}</div></div>')


def filter_line(message: str, bad: bool = False) -> str:
    """The line under the filter chips ("3 of 5 articles match · …"), in warning colour when `bad`."""
    return f'<div class="filter-line{" filter-bad" * bad}">{esc(message)}</div>'


def error_panel(message: str) -> str:
    return f'<div class="error-notice">{esc(message)}</div>'


def upload_report(saved: Sequence[tuple[str, str]], refused: Sequence[str], summary: str | None,
                  problems: Sequence[str], notices: Sequence[str],
                  articles: Mapping[str, Mapping[str, Any] | None] | None = None) -> str:
    """What happened to each uploaded file ((file name, article id) for those added), escaped. With the
    stored `articles`, each added one is named as a reader knows it: “Title” (publisher, 23 Nov 2023), and
    the developer's `summary` (chunk counts) is left to the server log."""
    lines = []
    for original, article in saved:
        stored = (articles or {}).get(article)
        if stored is not None:
            title = stored.get("title") or first_words(stored.get("text")) or original
            about = ", ".join(x for x in (stored.get("publisher"), _day(stored.get("date"))) if x)
            lines.append(f'<li class="upload-ok">Added “{esc(title)}”{f" ({esc(about)})" if about else ""} '
                         f'from <code>{esc(original)}</code>: ask about it now.</li>')
        else:
            lines.append(f'<li class="upload-ok">added <code>{esc(original)}</code> as '
                         f'<code>{esc(article)}</code></li>')
    lines += [f'<li class="upload-bad">{esc(r)}</li>' for r in refused]
    lines += [f'<li class="upload-bad">not ingested: {esc(p)}</li>' for p in problems]
    lines += [f"<li>note: {esc(n)}</li>" for n in notices]
    out = f"<ul>{''.join(lines)}</ul>" if lines else ""
    if summary and articles is None:
        out += f'<div class="src-empty">{esc(summary)}</div>'
    return out or placeholder("No files.")


def _day(iso: str | None) -> str | None:
    """2023-11-23 -> 23 Nov 2023."""
    try:
        return date.fromisoformat(iso).strftime("%-d %b %Y") if iso else None
    except ValueError:
        return iso
