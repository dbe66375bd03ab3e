"""The chat app as programs and people start it: `python app.py --port N`, used through gradio_client.

Real parts only: a real server process on a free loopback port, the bundled embedding
model, an embedded Chroma store in a tmp dir, gradio_client over HTTP.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from processes import free_port, stop

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.ui import cards as render
from assistant.ui.app import check_bind, is_loopback
from assistant.ui.handlers import answer_options, conversation_of
from assistant.ui.terminal import answer_to_text
from assistant.ui.uploads import safe_file_name, save_upload

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
AUTH = ("reader", "s3cret-pass")
UPLOAD_LIMIT_MB = 0.05  # the server under test refuses uploads over 50 kB

LIGHTHOUSE_ARTICLE = """Port Quillan Lighthouse Will Rise 83 Metres, Harbour Authority Says
Quillan Coast Gazette
March 3, 2024
The Zorbian Harbour Authority said on Tuesday that the new lighthouse at Port Quillan will be 83 metres tall.
Construction of the tower, paid for by a levy on visiting cruise ships, is expected to take two years.
The old lighthouse, built in 1911, will become a maritime museum run by the town council.
"""



def app_env(corpus: Path, store: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_STORE_DIR": str(store), "PYTHONUNBUFFERED": "1"}
    return env | more


def wait_for_page(url: str, proc: subprocess.Popen[Any], timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app.py exited with {proc.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"no page at {url} after {timeout:.0f} s")


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) by relative path: to prove a folder was not touched."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`python app.py --port N --auth user:pass` on a private copy of the corpus and a fresh store
    (uploads go to the default `<store>/uploads`)."""
    base = tmp_path_factory.mktemp("app")
    corpus = base / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)  # never the repo's own folder: uploads must not reach it
    port = free_port()
    log = (base / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--auth", ":".join(AUTH)],
        cwd=ROOT, env=app_env(corpus, base / "store", ASSISTANT_MAX_UPLOAD_MB=str(UPLOAD_LIMIT_MB)),
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_page(url, proc)
        yield {"url": url, "corpus": corpus, "uploads": base / "store" / "uploads", "log": base / "server.log",
               "proc": proc}
    finally:
        stop(proc)
        log.close()


def client(server: dict[str, Any]) -> Any:
    from gradio_client import Client

    return Client(server["url"], auth=AUTH, verbose=False)


def article_text(c: Any, source: str) -> str:
    return c.predict(source, api_name="/article")["text"]


def assert_quotes_exact(c: Any, answer: dict[str, Any]) -> None:
    texts: dict[str, str] = {}
    for cit in answer["citations"]:
        text = texts.setdefault(cit["source"], article_text(c, cit["source"]))
        assert text[cit["start"]:cit["end"]] == cit["quote"], cit
        assert f"[{cit['number']}]" in answer["text"]


# --- through the running app ------------------------------------------------------------------------
@pytest.mark.slow
def test_ask_endpoint_returns_cited_answer_whose_quotes_are_exact_article_text(server: dict[str, Any]) -> None:
    c = client(server)
    answer = c.predict(
        "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?", [], api_name="/ask"
    )
    assert not answer["abstained"]
    assert answer["citations"], answer
    assert "eight" in answer["text"].lower() or "8" in answer["text"]
    assert {"number", "source", "title", "date", "quote", "start", "end"} <= set(answer["citations"][0])
    assert_quotes_exact(c, answer)


@pytest.mark.slow
def test_the_app_offers_exactly_the_ask_article_library_and_upload_endpoints_with_named_parameters(
    server: dict[str, Any],
) -> None:
    api = client(server).view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/ask", "/article", "/library", "/upload"}
    assert [p["parameter_name"] for p in api["named_endpoints"]["/library"]["parameters"]] == ["query"]
    params = [p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]]
    assert params == ["question", "history", "k", "since", "until", "publishers", "answerer", "include_undated"]
    answer = client(server).predict(question="How many US troops are in Iraq?", publishers=["ICARO Media Group"],
                                    api_name="/ask")
    assert answer["citations"] and {c["source"] for c in answer["citations"]} == {"000_f19390a96d0bfcc2.txt"}


@pytest.mark.slow
def test_follow_up_question_is_answered_from_the_conversation_history(server: dict[str, Any]) -> None:
    c = client(server)
    first = c.predict("What is Kataib Hezbollah?", [], api_name="/ask")
    assert first["citations"]
    history = [{"role": "user", "content": "What is Kataib Hezbollah?"},
               {"role": "assistant", "content": first["text"]}]
    follow = c.predict("Since when has the US treated it as a terrorist group?", history, api_name="/ask")
    assert "2009" in follow["text"], follow
    assert "001_d0b1d9f66b66a1cb.txt" in {cit["source"] for cit in follow["citations"]}
    assert_quotes_exact(c, follow)


@pytest.mark.slow
def test_ask_endpoint_applies_date_range_and_publisher_filters(server: dict[str, Any]) -> None:
    c = client(server)
    dated = c.predict("How many Kataib Hezbollah members were killed in the strikes south of Baghdad?", [],
                      None, "2023-11-01", "2023-11-30", api_name="/ask")
    assert dated["citations"] and {cit["source"] for cit in dated["citations"]} == {"003_0de35cad8aa68667.txt"}
    outside = c.predict("Who is Yehia Rasool?", [], None, "2023-11-01", "2023-11-30", api_name="/ask")
    assert outside["abstained"] and not outside["citations"]  # only the dated article is in range
    undated_too = c.predict("Who is Yehia Rasool?", [], None, "2023-11-01", "2023-11-30", None, None, True,
                            api_name="/ask")  # include_undated, the last parameter
    assert not undated_too["abstained"] and "003_0de35cad8aa68667.txt" not in {
        cit["source"] for cit in undated_too["citations"]}
    icaro = c.predict("How many US troops are in Iraq?", [], None, None, None, ["ICARO Media Group"],
                      api_name="/ask")
    assert icaro["citations"] and {cit["source"] for cit in icaro["citations"]} == {"000_f19390a96d0bfcc2.txt"}


@pytest.mark.slow
def test_uploaded_article_is_answerable_at_once_and_saved_in_the_uploads_folder_not_the_corpus(
    server: dict[str, Any], tmp_path: Path
) -> None:
    from gradio_client import handle_file

    c = client(server)
    corpus_before = folder_bytes(server["corpus"])
    path = tmp_path / "port quillan <lighthouse>.txt"
    path.write_text(LIGHTHOUSE_ARTICLE, encoding="utf-8")
    report = c.predict([handle_file(str(path))], api_name="/upload")
    assert not report["refused"] and not report["problems"], report
    [saved] = report["saved"]
    article_id = saved["article"]
    assert article_id == "uploads/port_quillan_lighthouse.txt"  # sanitised: no spaces, no angle brackets
    assert (server["uploads"] / "port_quillan_lighthouse.txt").read_text(encoding="utf-8") == LIGHTHOUSE_ARTICLE
    assert folder_bytes(server["corpus"]) == corpus_before  # the corpus folder is untouched, byte for byte
    assert "1 added" in report["summary"]

    answer = c.predict("How tall will the new lighthouse at Port Quillan be?", [], api_name="/ask")
    assert "83" in answer["text"], answer
    assert article_id in {cit["source"] for cit in answer["citations"]}
    assert_quotes_exact(c, answer)
    cited = next(cit for cit in answer["citations"] if cit["source"] == article_id)
    assert cited["title"] == "Port Quillan Lighthouse Will Rise 83 Metres, Harbour Authority Says"
    assert c.predict(article_id, api_name="/article")["file"] == article_id

    # the seed articles are all still there and still answerable
    again = c.predict("Who is Yehia Rasool?", [], api_name="/ask")
    assert again["citations"] and not again["abstained"]


@pytest.mark.slow
def test_upload_with_a_taken_name_keeps_both_files_and_refuses_bad_types_and_sizes(
    server: dict[str, Any], tmp_path: Path
) -> None:
    from gradio_client import handle_file

    c = client(server)
    seed = "004_9d055321525b4e51.txt"
    corpus_before = folder_bytes(server["corpus"])
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    clash = tmp_path / "first" / seed  # a seed article's name: an upload, not a replacement of the seed
    clash.write_text("Harbour Notes\nQuillan Coast Gazette\nThe ferry to Port Quillan now leaves at 07:40 "
                     "every weekday, the operator said.\n", encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 not an article")
    big = tmp_path / "huge.txt"
    big.write_text("Huge story.\n" + "word " * 20_000, encoding="utf-8")  # ~100 kB > the 50 kB limit
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"\x00\x01binary")
    report = c.predict([handle_file(str(p)) for p in (clash, pdf, big, blank)], api_name="/upload")

    [saved] = report["saved"]
    assert saved == {"file": seed, "article": f"uploads/{seed}"}
    refused = " ".join(report["refused"])
    assert "report.pdf: refused, unsupported file type '.pdf'" in refused
    assert "huge.txt: refused, too large" in refused and "0.05 MB" in refused
    assert report["problems"] == ["uploads/blank.txt: binary file (contains NUL bytes), not text"]
    for name in ("report.pdf", "huge.txt", "blank.txt"):
        assert not (server["uploads"] / name).exists()  # refused or unreadable files are not kept

    # a different file under the same name never overwrites the first upload
    other = tmp_path / "second" / seed
    other.write_text("Harbour Notes\nQuillan Coast Gazette\nThe Port Quillan fish market moves to the old "
                     "customs house in May, the council said.\n", encoding="utf-8")
    second = c.predict([handle_file(str(other))], api_name="/upload")
    assert second["saved"] == [{"file": seed, "article": "uploads/004_9d055321525b4e51-2.txt"}]
    assert (server["uploads"] / seed).read_bytes() == clash.read_bytes()
    assert folder_bytes(server["corpus"]) == corpus_before  # the seed article was never overwritten
    # the original article is still what answers its own question
    answer = c.predict("Who is Yehia Rasool?", [], api_name="/ask")
    assert answer["citations"] and {cit["source"] for cit in answer["citations"]} <= set(corpus_before)
    assert_quotes_exact(c, answer)


@pytest.mark.slow
def test_api_errors_come_back_as_one_line_messages_not_tracebacks(server: dict[str, Any]) -> None:
    from gradio_client.exceptions import AppError

    c = client(server)
    cases = [
        (("   ", []), "question is empty"),
        (("Who is Yehia Rasool?", [{"speaker": "me"}]), "history must be a list"),
    ]
    for args, expected in cases:
        with pytest.raises(AppError) as err:
            c.predict(*args, api_name="/ask")
        assert expected in str(err.value) and "Traceback" not in str(err.value)
    with pytest.raises(AppError, match="since: expected a date like 2024-01-31"):
        c.predict("Who is Yehia Rasool?", [], None, "last week", api_name="/ask")
    with pytest.raises(AppError, match="no article"):
        c.predict("nope.txt", api_name="/article")


@pytest.mark.slow
def test_twenty_simultaneous_questions_are_all_answered_each_with_its_own_citations(
    server: dict[str, Any],
) -> None:
    from gradio_client import Client

    questions = [
        "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?",
        "Since when has the US designated Kataib Hezbollah a terrorist organization?",
        "Who is Yehia Rasool?",
        "How many US troops are deployed in Iraq?",
        "Where was the attack on the Kataib Hezbollah drone experts launched from?",
    ]
    reference_client = client(server)
    expected = {q: reference_client.predict(q, [], api_name="/ask") for q in questions}
    for q, answer in expected.items():
        assert answer["citations"], (q, answer)

    asked = [questions[i % len(questions)] for i in range(20)]
    results: list[Any] = [None] * len(asked)
    start = threading.Barrier(len(asked))

    def worker(i: int) -> None:
        try:
            c = Client(server["url"], auth=AUTH, verbose=False)
            start.wait()
            results[i] = c.predict(asked[i], [], api_name="/ask")
        except Exception as exc:  # recorded and asserted on below
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(asked))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)

    errors = [r for r in results if not isinstance(r, dict)]
    assert not errors, errors
    for q, answer in zip(asked, results):
        assert answer["question"] == q
        assert answer["text"] == expected[q]["text"]
        got = [(c["source"], c["start"], c["end"]) for c in answer["citations"]]
        assert got == [(c["source"], c["start"], c["end"]) for c in expected[q]["citations"]]


@pytest.mark.slow
def test_the_app_requires_the_password_it_was_started_with(server: dict[str, Any]) -> None:
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises different types across versions
        Client(server["url"], verbose=False).predict("Who is Yehia Rasool?", [], api_name="/ask")
    with pytest.raises(ValueError):
        Client(server["url"], auth=("reader", "wrong"), verbose=False)


@pytest.mark.slow
def test_app_refuses_to_bind_beyond_loopback_without_a_password(tmp_path: Path) -> None:
    env = app_env(tmp_path / "corpus", tmp_path / "store")
    for cmd in ([sys.executable, "app.py", "--host", "0.0.0.0", "--port", str(free_port())],
                [sys.executable, "-m", "assistant", "serve", "--host", "0.0.0.0"]):
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "refusing to serve on 0.0.0.0 without a password" in lines[0]
        assert "--auth user:pass" in lines[0] and "ASSISTANT_AUTH" in lines[0]
    assert not (tmp_path / "store").exists()  # refused before touching anything


@pytest.mark.slow
def test_app_reports_a_port_in_use_in_one_line_before_syncing(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, capture_output=True,
                              env=app_env(tmp_path / "corpus", tmp_path / "store"), text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: port {port} on 127.0.0.1 is in use; choose another with --port N " \
                                  "(or ASSISTANT_PORT)"
    assert not (tmp_path / "store").exists()


# --- uploads with a real Assistant, without a server ------------------------------------------------
@pytest.mark.slow
def test_upload_leaves_the_corpus_folder_unchanged_and_survives_a_full_sync_and_a_restart(
    tmp_path: Path, embed_model: Any
) -> None:
    from assistant.api import Assistant
    from assistant.ui.uploads import add_uploads

    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)  # a private copy: the test needs exactly the five seed articles
    before = folder_bytes(corpus)
    settings = Settings.from_env(env={}, corpus_dir=corpus, store_dir=tmp_path / "store")
    assistant = Assistant(settings, embed_model=embed_model)
    assistant.ingest()
    upload = tmp_path / "incoming" / "Port Quillan.txt"
    upload.parent.mkdir()
    upload.write_text(LIGHTHOUSE_ARTICLE, encoding="utf-8")

    report = add_uploads(assistant, [str(upload)])
    assert report["saved"] == [{"file": "Port Quillan.txt", "article": "uploads/Port_Quillan.txt"}], report
    assert (settings.uploads / "Port_Quillan.txt").read_text(encoding="utf-8") == LIGHTHOUSE_ARTICLE
    assert folder_bytes(corpus) == before  # not one byte of the corpus folder changed
    question = "How tall will the new lighthouse at Port Quillan be?"

    def cites_the_upload(a: Any) -> bool:
        answer = a.ask(question)
        return "83" in answer.text and "uploads/Port_Quillan.txt" in {c.source for c in answer.citations}

    assert cites_the_upload(assistant)
    assert assistant.article("uploads/Port_Quillan.txt")["path"] == "uploads/Port_Quillan.txt"
    # the same upload again is recognised, not saved twice
    assert add_uploads(assistant, [str(upload)])["saved"] == report["saved"]
    assert sorted(p.name for p in settings.uploads.iterdir()) == ["Port_Quillan.txt"]

    # a full sync (what the app runs at start) keeps it: it reads the uploads folder too
    synced = assistant.ingest()
    assert synced.removed == 0 and synced.added == 0
    assert assistant.status()["articles"] == 6 and cites_the_upload(assistant)
    # a restart over the same store, and one over a brand-new store, both find it again
    restarted = Assistant(settings, embed_model=embed_model)
    assert restarted.ingest().removed == 0 and cites_the_upload(restarted)
    fresh = Assistant(settings.replace(store_dir=tmp_path / "store2", upload_dir=settings.uploads),
                      embed_model=embed_model)
    assert fresh.ingest().added == 6 and cites_the_upload(fresh)
    assert folder_bytes(corpus) == before and len(before) == 5


# --- the parts, without a server ---------------------------------------------------------------------
def test_only_loopback_addresses_may_be_served_without_a_password() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")
    with pytest.raises(ConfigError, match="without a password"):
        check_bind(Settings.from_env(env={}, host="0.0.0.0"))
    assert check_bind(Settings.from_env(env={}, host="0.0.0.0", auth="a:b")) == ("a", "b")
    assert check_bind(Settings.from_env(env={"ASSISTANT_AUTH": "u:p:q"}, host="10.1.2.3")) == ("u", "p:q")
    with pytest.raises(ConfigError, match="user:password"):
        check_bind(Settings.from_env(env={}, auth="nocolon"))


def test_upload_names_are_sanitised_to_plain_file_names() -> None:
    assert safe_file_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_file_name("C:\\Users\\me\\Story One.HTML") == "Story_One.html"
    assert safe_file_name(".hidden.md") == "hidden.md"
    assert safe_file_name("<script>.json") == "script.json"
    assert safe_file_name("Ünïcode näme.jsonl") == "Unicode_name.jsonl"
    assert safe_file_name("....txt") == "article.txt"


def test_saving_an_upload_never_overwrites_a_different_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("first")
    assert save_upload(tmp_path, "a.txt", b"first", set()) == ("a.txt", False)  # identical: reused
    assert save_upload(tmp_path, "a.txt", b"second", set()) == ("a-2.txt", True)
    assert save_upload(tmp_path, "a.txt", b"third", set()) == ("a-3.txt", True)
    assert save_upload(tmp_path, "b.txt", b"x", {"b.txt"}) == ("b-2.txt", True)  # id taken in the store
    assert (tmp_path / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-2.txt", "a-3.txt", "a.txt", "b-2.txt"]


def test_filters_are_checked_before_asking() -> None:
    assert answer_options(" 2024-01-01 ", "", ["ICARO Media Group"], "extractive") == {
        "since": "2024-01-01", "publishers": ["ICARO Media Group"], "answerer": "extractive"}
    for bad in ("2024-13-01", "01/02/2024", "yesterday"):
        with pytest.raises(ConfigError, match="since: expected a date"):
            answer_options(bad, None, None, None)
    with pytest.raises(ConfigError, match="is after until"):
        answer_options("2024-02-01", "2024-01-01", None, None)


def test_history_sent_with_a_follow_up_leaves_out_failed_turns() -> None:
    turns = [{"question": "q1", "answer": {"text": "a1 [1]"}}, {"question": "q2", "error": "boom"}]
    assert conversation_of(turns) == [{"role": "user", "content": "q1"},
                                      {"role": "assistant", "content": "a1 [1]"}]


def test_rendered_cards_escape_article_text_and_mark_the_quote() -> None:
    text = 'Intro <b>bold</b>. The <script>alert(1)</script> line is "quoted". Outro <img src=x onerror=y>.'
    start = text.index("The <script>")
    end = text.index('"quoted".') + len('"quoted".')
    answer = {"abstained": False, "text": "x [1]", "citations": [
        {"number": 1, "source": "evil<1>.txt", "title": "<i>T</i>", "date": None, "quote": text[start:end],
         "start": start, "end": end, "publisher": None}]}
    html = render.sources_panel(answer, {"evil<1>.txt": {"text": text, "title": "<i>T</i>"}})
    assert "<script>" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "<mark>The &lt;script&gt;alert(1)&lt;/script&gt; line is &quot;quoted&quot;.</mark>" in html
    assert "date not stated" in html and "publisher not stated" in html and "evil&lt;1&gt;.txt" in html
    assert "Open the whole article" in html


def test_card_without_a_headline_is_titled_by_the_articles_first_words_and_shows_its_file_name() -> None:
    body = ("The Iraqi government has vehemently condemned the US airstrikes conducted on Wednesday, "
            "targeting sites utilized by Iranian-backed groups within Iraq.")
    answer = {"abstained": False, "text": "x [1] [2]", "citations": [
        {"number": 1, "source": "001_d0b1d9f66b66a1cb.txt", "title": None, "date": "2023-11-22", "quote": "The",
         "start": 0, "end": 3, "publisher": "Wire"},
        {"number": 2, "source": "002_x.txt", "title": "A Headline", "date": None, "quote": "Hi.", "start": 0,
         "end": 3, "publisher": None}]}
    html = render.sources_panel(answer, {"001_d0b1d9f66b66a1cb.txt": {"text": body}, "002_x.txt": {"text": "Hi."}})
    titles = re.findall(r'<span class="src-title">(.*?)</span>', html)
    assert titles == ["The Iraqi government has vehemently condemned the US…", "A Headline"]
    assert "Wire · 2023-11-22 · <code>001_d0b1d9f66b66a1cb.txt</code>" in html  # the file name stays, small
    assert "publisher not stated · date not stated · <code>002_x.txt</code>" in html
    # an article no longer in the store is titled by its quote's first words, never by the bare file name
    gone = render.source_card({"number": 3, "source": "003_y.txt", "title": None, "quote": "Eight members died.",
                               "start": 0, "end": 19}, None)
    assert '<span class="src-title">Eight members died.</span>' in gone and "<code>003_y.txt</code>" in gone


def test_copied_answer_is_the_plain_answer_text_then_its_numbered_sources() -> None:
    from assistant.core.answers import Answer, Citation
    from assistant.ui.terminal import plain_answer

    text = ("U.S. strikes hit Iran-Linked sites [1]. Officials said the *toll* was <b>eight</b> & rising [2].")
    article = "Officials said the toll was eight. " * 3
    answer = Answer(question="q", text=text, citations=[
        Citation(1, "003_0de35cad8aa68667.txt", "Iraq Condemns US Airstrikes", "2023-11-22",
                 "U.S. strikes hit Iran-Linked sites.", 0, 35, publisher="ICARO Media Group"),
        Citation(2, "uploads/notes.txt", None, None, "Officials said the toll was eight.", 0, 34)])
    copied = plain_answer(answer.to_dict(), {"uploads/notes.txt": {"text": article}})
    assert copied.startswith(text + "\n")  # the answer's sentences exactly as Answer.text has them
    assert "\\" not in copied and "&lt;" not in copied and "&amp;" not in copied
    assert "[1] Iraq Condemns US Airstrikes\n    ICARO Media Group · 2023-11-22 · 003_0de35cad8aa68667.txt\n" \
           "    “U.S. strikes hit Iran-Linked sites.”" in copied
    assert "[2] Officials said the toll was eight. Officials said the toll…\n" \
           "    publisher not stated · date not stated · uploads/notes.txt\n" \
           "    “Officials said the toll was eight.”" in copied
    # the page's copy button carries exactly that text (HTML-escaped in the attribute, nothing else)
    button = re.search(r'class="copy-answer" data-copy="([^"]*)"', render.sources_panel(
        answer.to_dict(), {"uploads/notes.txt": {"text": article}}))
    assert button and unescape(button[1]) == copied
    # the terminal shows the same text, plus where each quote sits and the answer's notes
    terminal = answer_to_text(Answer(question="q", text=text, citations=answer.citations, notes=["checked"]))
    assert terminal.startswith(text) and "003_0de35cad8aa68667.txt 0:35" in terminal
    assert terminal.endswith("note: checked")


def test_an_abstained_answer_renders_a_notice_and_no_cards() -> None:
    html = render.sources_panel({"abstained": True, "text": "The articles don't say.", "citations": []}, {})
    assert "abstain-notice" in html and "src-card" not in html
    assert render.chat_answer("The articles don't say.", True).startswith("**⚠ Not in the articles**")


def test_chat_text_shows_markup_and_markdown_literally() -> None:
    shown = render.chat_text("<img src=x onerror=alert(1)> *not bold* [1]")
    assert "<" not in shown and ">" not in shown
    assert shown == "&lt;img src=x onerror=alert\\(1\\)&gt; \\*not bold\\* \\[1\\]"


def test_chat_bolds_a_leading_short_answer_and_shows_a_briefing_as_a_list() -> None:
    bubble = render.chat_answer("The port police: Five were hurt, said the port police. [1]", False, "The port police")
    assert bubble.startswith("**The port police**:") and bubble.count("**") == 2
    briefing = render.chat_answer("The articles report:\n- “A*” (2023-01-02): One. [1]\n- “B” (date): Two. [2]", False)
    lines = briefing.splitlines()
    assert lines[1].startswith("- ") and lines[2].startswith("- ") and "\\*" in lines[1]
    assert "**" not in render.chat_answer("Plain quote. [1]", False)
