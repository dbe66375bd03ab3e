"""HTML to story text with the standard library: scripts, styles and navigation dropped."""

from __future__ import annotations

import html
from html.parser import HTMLParser

_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg", "button",
         "iframe", "template", "select", "figure", "figcaption"}
_BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "tr",
          "blockquote", "pre", "main", "ul", "ol", "table", "time"}
_META = {
    "og:title": "title", "twitter:title": "title",
    "article:published_time": "date", "date": "date", "pubdate": "date", "datepublished": "date",
    "og:site_name": "source", "author": "author", "article:author": "author", "og:url": "url",
}


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.meta: dict[str, str | None] = {}
        self.in_title = False
        self.in_h1 = False
        self.title_text = ""
        self.h1_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in _META and a.get("content") and not self.meta.get(_META[key]):
                self.meta[_META[key]] = html.unescape(a["content"]).strip()
            return
        if tag == "time" and a.get("datetime") and not self.meta.get("date"):
            self.meta["date"] = a["datetime"]
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "h1":
            self.in_h1 = True
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1
        elif tag == "title":
            self.in_title = False
        elif tag == "h1":
            self.in_h1 = False
            self.parts.append("\n")
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_text += data
            return
        if self.skip_depth:
            return
        if self.in_h1:
            self.h1_text += data
        self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, dict[str, str | None]]:
    """Visible story text (one paragraph per line) and the metadata the page declares."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    meta = dict(parser.meta)
    title = " ".join(parser.h1_text.split()) or meta.get("title") or " ".join(parser.title_text.split())
    meta["title"] = title or None
    return "".join(parser.parts), meta
