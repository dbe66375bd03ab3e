"""Citation links in chat messages and the sources panel's heading (fast: strings only)."""

from __future__ import annotations

import re
from html import unescape

from assistant.ui import cards as render


def test_each_citation_marker_links_to_its_card_of_that_answer_with_the_quote_as_hover_text() -> None:
    bubble = render.chat_answer("Five died [1] and two fled [2].", False, turn=3,
                                quotes={1: 'Five "men" <b>died</b>\n in C:\\ port.', 2: "Two fled."})
    assert re.findall(r"\]\(#cite-(\d+)-(\d+)", bubble) == [("3", "1"), ("3", "2")]
    assert '(#cite-3-1 "Five &quot;men&quot; &lt;b&gt;died&lt;/b&gt; in C: port.")' in bubble  # one line, escaped
    assert "[\\[2\\]](#cite-3-2 \"Two fled.\")" in bubble


def test_without_a_turn_markers_stay_literal_and_long_quotes_are_cut() -> None:
    assert "#cite" not in render.chat_answer("Five died [1].", False)
    long = "word " * 200
    bubble = render.chat_answer("Five died [1].", False, turn=0, quotes={1: long})
    title = re.search(r'#cite-0-1 "([^"]*)"', bubble)
    assert title and len(title[1]) <= render.QUOTE_TITLE_CHARS and title[1].endswith("…")


def test_marker_without_a_quote_links_without_hover_text_and_abstentions_link_nothing() -> None:
    assert "[\\[4\\]](#cite-0-4)" in render.chat_answer("See [4].", False, turn=0, quotes={})
    assert "#cite" not in render.chat_answer("The articles don't say. [1]", True, turn=0, quotes={1: "x"})


def test_short_answer_is_bold_whatever_its_case_in_the_text() -> None:
    bubble = render.chat_answer("eight — Iraq says eight died. [1]", False, "Eight")
    assert bubble.startswith("**eight**")


def test_panel_says_which_answer_its_cards_belong_to() -> None:
    html = render.sources_panel({"text": "x", "citations": []}, {}, turn=1, question="Who <is> he?")
    assert 'data-turn="1"' in html and "Sources of answer 2: “Who &lt;is&gt; he?”" in html
    assert "src-for" not in render.sources_panel({"text": "x", "citations": []}, {})


def test_copy_as_markdown_lists_the_numbered_sources_with_their_quotes() -> None:
    answer = {"text": "Five died. [1]", "citations": [
        {"number": 1, "source": "a.txt", "title": "Port <fire>", "date": "2023-11-22", "quote": "Five died."}]}
    html = render.sources_panel(answer, {"a.txt": None})
    payload = re.search(r'class="copy-answer copy-markdown" data-copy="([^"]*)"', html)
    assert payload and unescape(payload[1]) == (
        "Five died. [1]\n\n**Sources**\n\n1. **Port <fire>** — publisher not stated · 2023-11-22 · `a.txt`\n"
        "   > Five died.")


def test_each_card_has_a_chip_naming_its_publisher_or_else_the_start_of_its_title() -> None:
    answer = {"text": "Five died [1] and two fled [2].", "citations": [
        {"number": 1, "source": "a.txt", "title": "Port fire", "publisher": "Coastal <Herald>", "quote": "Five died."},
        {"number": 2, "source": "b.txt", "title": "A very long headline about a harbour fire and what followed",
         "quote": "Two fled."}]}
    html = render.sources_panel(answer, {"a.txt": None, "b.txt": None})
    chips = re.findall(r'<button type="button" class="src-chip" data-card="([^"]+)"[^>]*>(.*?)</button>', html)
    assert [(target, unescape(re.sub(r"<[^>]+>", "", label))) for target, label in chips] == [
        ("source-1", "[1] Coastal <Herald>"), ("source-2", "[2] A very long headline about a…")]
    assert all(f'id="{target}"' in html for target, _ in chips)  # each chip opens its own card
    assert html.index("src-chips") < html.index("src-card")  # the chips come first: the cards follow them
    assert "src-chip" not in render.sources_panel({"text": "The articles don't say.", "abstained": True}, {})
