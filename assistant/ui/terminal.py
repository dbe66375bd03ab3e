"""Plain text of an answer and its numbered sources: what `assistant ask` and `assistant chat` print and
what the chat's "Copy answer with sources" button copies. No Markdown escapes, no HTML: the text as the answer says it.

Also the display title of a source (shared with the HTML cards): the headline, or the article's first
words when it has none, never a bare file name when there is text to show.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from ..core.answers import MARKER, Answer
from ..core.errors import AssistantError
from ..core.text import first_words

NO_PUBLISHER = "publisher not stated"
NO_DATE = "date not stated"


def display_title(citation: Mapping[str, Any], article: Mapping[str, Any] | None = None) -> str:
    """The headline; else the article's first words (the quote's when the article is gone); else its id."""
    title = str(citation.get("title") or (article or {}).get("title") or "").strip()
    if title:
        return title
    text = (article or {}).get("text")
    words = first_words(text if isinstance(text, str) and text.strip() else citation.get("quote"))
    return words or str(citation.get("source") or "untitled")


def source_field(citation: Mapping[str, Any], article: Mapping[str, Any] | None, key: str) -> Any:
    """A citation's field, or the article's when the citation lacks it."""
    value = citation.get(key)
    if not value and article:
        value = article.get(key)
    return value


def plain_answer(answer: Answer | Mapping[str, Any],
                 articles: Mapping[str, Mapping[str, Any] | None] | None = None,
                 *, offsets: bool = False, notes: bool = False) -> str:
    """The answer's text as it is, then its numbered sources: title, publisher · date · article id
    (with the quote's character offsets when `offsets`), and the quote. `notes` adds the answer's notes."""
    data = answer.to_dict() if isinstance(answer, Answer) else answer
    articles = articles or {}
    lines = [str(data.get("text") or "").strip()]
    citations: Sequence[Mapping[str, Any]] = data.get("citations") or []
    if citations:
        lines += ["", "Sources"]
    for c in citations:
        source = str(c.get("source") or "")
        article = articles.get(source)
        where = source + (f" {c.get('start')}:{c.get('end')}" if offsets else "")
        meta = " · ".join([str(source_field(c, article, "publisher") or NO_PUBLISHER),
                           str(source_field(c, article, "date") or NO_DATE), where])
        lines += [f"[{c.get('number')}] {display_title(c, article)}", f"    {meta}", f"    “{c.get('quote') or ''}”"]
    if notes and data.get("notes"):
        lines += [""] + [f"note: {n}" for n in data["notes"]]
    return "\n".join(lines).rstrip()


def markdown_answer(answer: Answer | Mapping[str, Any],
                    articles: Mapping[str, Mapping[str, Any] | None] | None = None) -> str:
    """The answer as Markdown for notes and chats: its text, then a numbered list of its sources (title in
    bold, publisher · date · article id, the quote as a block quote). The chat's "Copy as Markdown"."""
    data = answer.to_dict() if isinstance(answer, Answer) else answer
    articles = articles or {}
    lines = [str(data.get("text") or "").strip()]
    citations: Sequence[Mapping[str, Any]] = data.get("citations") or []
    if citations:
        lines += ["", "**Sources**", ""]
    for c in citations:
        article = articles.get(str(c.get("source") or ""))
        meta = " · ".join([str(source_field(c, article, "publisher") or NO_PUBLISHER),
                           str(source_field(c, article, "date") or NO_DATE), f"`{c.get('source') or ''}`"])
        lines += [f"{c.get('number')}. **{display_title(c, article)}** — {meta}", f"   > {c.get('quote') or ''}"]
    return "\n".join(lines).rstrip()


def answer_to_text(answer: Answer) -> str:
    """`assistant ask`'s output: the plain answer with quote offsets and notes."""
    return plain_answer(answer, offsets=True, notes=True)


# --- `assistant chat`: a conversation in the terminal ------------------------------------------------
CHAT_HELP = "Ask about the articles. /new starts over, /quit (or Ctrl+D) leaves."
PROMPT = "you> "


class Colours:
    """ANSI colours when the output is a terminal that takes them (not NO_COLOR, not TERM=dumb), else none."""

    def __init__(self, out: TextIO) -> None:
        wanted = out.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        self.marker, self.head, self.warn, self.dim, self.off = (
            ("\033[36m", "\033[1m", "\033[33m", "\033[2m", "\033[0m") if wanted else ("",) * 5)

    def answer(self, text: str) -> str:
        return MARKER.sub(lambda m: f"{self.marker}{m[0]}{self.off}", text)


def print_chat_answer(answer: Answer, out: TextIO, colours: Colours) -> None:
    """The answer (markers coloured, a decline in warning colour), then its numbered sources."""
    data = answer.to_dict()
    text, _, sources = plain_answer(data).partition("\n\nSources\n")
    if data.get("abstained"):
        out.write(f"{colours.warn}{text}{colours.off}\n")
    else:
        out.write(colours.answer(text) + "\n")
    if sources:
        out.write(f"\n{colours.head}Sources{colours.off}\n{colours.dim}{sources}{colours.off}\n")
    out.write("\n")
    out.flush()


def chat(assistant: Any, read: Callable[[str], str] = input, out: TextIO | None = None,
         options: Mapping[str, Any] | None = None) -> int:
    """Read questions until /quit or end of input; each is answered with the conversation so far (so
    follow-ups work) by one `assistant` loaded once, under the same `options` (the command's filters).
    A failed question prints one line and the chat goes on."""
    given = {k: v for k, v in (options or {}).items() if v}  # unset filters stay unset
    out = out or sys.stdout
    colours = Colours(out)
    out.write(f"{colours.dim}{CHAT_HELP}{colours.off}\n")
    out.flush()
    history: list[dict[str, str]] = []
    while True:
        try:
            question = read(PROMPT).strip()
        except EOFError:
            out.write("\n")
            return 0
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            history = []
            out.write(f"{colours.dim}New conversation.{colours.off}\n")
            continue
        if not question:
            continue
        try:
            answer = assistant.ask(question, history=history, **given)
        except AssistantError as exc:
            out.write(f"{colours.warn}error: {exc}{colours.off}\n")
            continue
        print_chat_answer(answer, out, colours)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
