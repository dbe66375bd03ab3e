"""HTML to story text with the standard library: scripts, styles and navigation dropped.

Text inside a block is one paragraph however the markup wraps its lines. Title, date,
publisher and author come from what the page declares: its <meta> tags, a JSON-LD
NewsArticle record, <time datetime>, its first <h1> (or <title>).

Linear in the size of the markup: an end tag with no open element of its name is ignored after one
counter lookup (a search of the open elements made thousands of unclosed <span>s plus stray </p>s
quadratic: 0.4 MB took 18.6 s), and each open element is closed once.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg", "button",
         "iframe", "template", "select", "figure", "figcaption", "object", "canvas", "dialog"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "tr",
          "blockquote", "pre", "main", "ul", "ol", "table", "time", "dd", "dt", "dl", "hr", "address",
          "td", "th", "caption", "details", "summary", "hgroup"}
_CONTENT = {"article", "main"}  # a <header> inside these is the story's own (headline, byline, date)
_META = {
    "og:title": "title", "twitter:title": "title", "dc.title": "title",
    "article:published_time": "date", "og:article:published_time": "date", "date": "date", "pubdate": "date",
    "datepublished": "date", "dc.date": "date", "dc.date.issued": "date", "parsely-pub-date": "date",
    "publish-date": "date", "publishdate": "date", "sailthru.date": "date",
    "og:site_name": "publisher", "application-name": "publisher",
    "author": "author", "article:author": "author", "dc.creator": "author", "parsely-author": "author",
    "og:url": "url",
}


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []  # open non-void elements, to close skipped regions reliably
        self.open = Counter[str]()  # how many of each name are on the stack
        self.skip_depth = 0
        self.content_depth = 0
        self.pre_depth = 0
        self.meta: dict[str, str | None] = {}
        self.in_title = False
        self.in_h1 = False
        self.h1_done = False
        self.title_text = ""
        self.h1_text = ""
        self.ld_json: list[str] | None = None
        self.ld_records: list[str] = []

    def _skipping(self, tag: str, a: dict[str, str]) -> bool:
        if tag == "header" and self.content_depth:
            return False
        return tag in _SKIP or "hidden" in a or a.get("aria-hidden") == "true"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in _META and a.get("content", "").strip() and not self.meta.get(_META[key]):
                self.meta[_META[key]] = a["content"].strip()
            return
        if tag == "time" and a.get("datetime") and not self.meta.get("date") and not self.skip_depth:
            self.meta["date"] = a["datetime"]
        if tag == "script" and a.get("type", "").lower() == "application/ld+json":
            self.ld_json = []
        if tag in _VOID:
            if tag in _BLOCK and not self.skip_depth:
                self.parts.append("\n")
            return
        self.stack.append(tag)
        self.open[tag] += 1
        if self.skip_depth or self._skipping(tag, a):
            self.skip_depth += 1
            return
        if tag in _CONTENT:
            self.content_depth += 1
        if tag == "pre":
            self.pre_depth += 1
        if tag == "title":
            self.in_title = True
        elif tag == "h1" and not self.h1_done:
            self.in_h1 = True
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.ld_json is not None:
            self.ld_records.append("".join(self.ld_json))
            self.ld_json = None
        if tag in _VOID or not self.open[tag]:
            return
        # close everything opened after `tag` too (browsers forgive unclosed <p>, <li>, ...)
        while self.stack:
            open_tag = self.stack.pop()
            self.open[open_tag] -= 1
            self._close(open_tag)
            if open_tag == tag:
                break

    def _close(self, tag: str) -> None:
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag in _CONTENT:
            self.content_depth -= 1
        if tag == "pre":
            self.pre_depth -= 1
        if tag == "title":
            self.in_title = False
        elif tag == "h1" and self.in_h1:
            self.in_h1 = False
            self.h1_done = bool(self.h1_text.strip())
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.ld_json is not None:
            self.ld_json.append(data)
            return
        if self.in_title:
            self.title_text += data
            return
        if self.skip_depth:
            return
        if self.in_h1:
            self.h1_text += data
        # inside a block, line breaks of the markup are spaces; only <pre> keeps them
        self.parts.append(data if self.pre_depth else re.sub(r"\s+", " ", data))


def _ld_fields(records: list[str]) -> dict[str, str | None]:
    """headline, datePublished, publisher and author of the first article-like JSON-LD record."""
    def walk(node: Any) -> Any:
        if isinstance(node, list):
            for item in node:
                yield from walk(item)
        elif isinstance(node, dict):
            yield node
            yield from walk(node.get("@graph", []))

    def name(value: Any) -> str | None:
        if isinstance(value, list):
            names = [n for n in (name(v) for v in value) if n]
            return ", ".join(names) or None
        if isinstance(value, dict):
            value = value.get("name")
        return value.strip() if isinstance(value, str) and value.strip() else None

    for raw in records:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        for node in walk(data):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.endswith("Article") for k in kinds):
                return {
                    "title": name(node.get("headline")),
                    "date": name(node.get("datePublished")),
                    "publisher": name(node.get("publisher")),
                    "author": name(node.get("author")),
                }
    return {}


def html_to_text(markup: str) -> tuple[str, dict[str, str | None]]:
    """Visible story text (one paragraph per line) and the metadata the page declares."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    meta = dict(parser.meta)
    for key, value in _ld_fields(parser.ld_records).items():
        if value and not meta.get(key):
            meta[key] = value
    title = " ".join(parser.h1_text.split()) or meta.get("title") or " ".join(parser.title_text.split())
    meta["title"] = title or None
    return "".join(parser.parts), meta
