"""Issue 13, the chat app and its edges: sign-in that slows guessing and warns of weak passwords, the
/article endpoint's unstated fields, a moved store keeping its lexical index (item 11). Fast tier."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant.core.settings import Settings
from assistant.ui.app import password_warning
from assistant.ui.login import FIRST_DELAY, MAX_DELAY, Login, weakness


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def attempts(login: Login, tries: list[tuple[str, str]]) -> list[bool]:
    async def run() -> list[bool]:
        return [await login.check(user, password) for user, password in tries]

    return asyncio.run(run())


def test_each_failed_sign_in_makes_the_next_attempt_wait_longer_and_a_success_resets_it() -> None:
    clock = FakeClock()
    login = Login("reader", "a-long-enough-secret", clock=clock, sleep=clock.sleep)
    results = attempts(login, [("reader", "guess1"), ("reader", "guess2"), ("reader", "guess3"),
                               ("reader", "a-long-enough-secret"), ("reader", "guess4")])
    assert results == [False, False, False, True, False]
    assert clock.slept == [FIRST_DELAY, 2 * FIRST_DELAY, 4 * FIRST_DELAY], "no wait before the first attempt"
    assert login.failures == 1 and login.delay() == FIRST_DELAY


def test_gradio_awaits_the_sign_in_check_as_a_coroutine_function() -> None:
    """Gradio calls `auth` without awaiting unless it is a coroutine function: a coroutine object it did not
    await would be truthy, a successful sign-in for any password."""
    import inspect

    assert inspect.iscoroutinefunction(Login("reader", "a-long-enough-secret").check)


def test_the_wait_after_failures_is_capped() -> None:
    clock = FakeClock()
    login = Login("reader", "a-long-enough-secret", clock=clock, sleep=clock.sleep)
    attempts(login, [("reader", "x")] * 12)
    assert max(clock.slept) == MAX_DELAY


def test_a_wrong_user_with_the_right_password_is_refused() -> None:
    clock = FakeClock()
    assert attempts(Login("reader", "pw-long-enough!", clock=clock, sleep=clock.sleep),
                    [("admin", "pw-long-enough!")]) == [False]


@pytest.mark.parametrize(("password", "why"), [
    ("password", "common password"), ("reader", "user name"), ("short1!", "has 7 characters"),
    ("aaaaaaaaaaaaaaaa", "repeats one or two characters"), ("correct horse battery", None),
])
def test_weak_passwords_are_named_with_the_reason(password: str, why: str | None) -> None:
    found = weakness("reader", password)
    assert (found is None) if why is None else (why in found)


def test_serving_off_loopback_behind_a_weak_password_warns_and_on_loopback_does_not() -> None:
    off = Settings.from_env(env={}, host="0.0.0.0", auth="reader:secret")
    warning = password_warning(off, ("reader", "secret"))
    assert warning and warning.startswith("the password is weak (it is a common password") and "0.0.0.0:7860" in warning
    assert password_warning(Settings.from_env(env={}), ("reader", "secret")) is None
    assert password_warning(off, ("reader", "correct horse battery")) is None


def test_the_article_endpoint_returns_null_for_every_field_an_article_does_not_state(news_assistant: Any) -> None:
    from assistant.ui.handlers import Handlers

    found = Handlers(news_assistant).api_article("library_reading_room.txt")
    assert {"title", "date", "publisher", "url", "author", "file"} <= set(found)
    assert (found["date"], found["url"], found["author"]) == (None, None, None)
    assert found["file"] == "library_reading_room.txt"


def test_a_moved_store_keeps_its_lexical_index_and_leaves_no_stale_copy(
        make_fake_assistant: Any, news_corpus: Path, tmp_path: Path) -> None:
    first = make_fake_assistant(news_corpus, store_dir=tmp_path / "here")
    first.ingest()
    index = first.retriever.path
    assert (index / "manifest.json").is_file() and str(tmp_path) not in index.name
    shutil.copytree(tmp_path / "here", tmp_path / "there")
    old_style = tmp_path / "there" / "lexical" / "0123456789-news.json"  # named by a hash of the old path
    old_style.write_text("{}")
    moved = make_fake_assistant(news_corpus, store_dir=tmp_path / "there")
    assert moved.retriever.index.size == first.retriever.index.size
    assert moved.retriever.keeper.rebuilds == 0, "loaded, not rebuilt"
    assert sorted(p.name for p in (tmp_path / "there" / "lexical").iterdir()) == [index.name]


# --- through a running app (slow: `python app.py`, the bundled model, gradio_client) ----------------------
ROOT = Path(__file__).resolve().parent.parent
AUTH = ("reader", "a long enough pass")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`python app.py --auth ...` on a copy of the seed corpus, with a small upload budget."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from processes import stop

    base = tmp_path_factory.mktemp("hardened-app")
    shutil.copytree(ROOT / "corpus", base / "corpus")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")} | {
        "ASSISTANT_CORPUS_DIR": str(base / "corpus"), "ASSISTANT_STORE_DIR": str(base / "store"),
        "ASSISTANT_MAX_UPLOAD_TOKENS": "3000"}
    log = (base / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--auth", ":".join(AUTH)], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, (base / "server.log").read_text()
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        yield {"url": url, "log": base / "server.log"}
    finally:
        stop(proc)
        log.close()


def connect(app: dict[str, Any]) -> Any:
    from gradio_client import Client

    return Client(app["url"], auth=AUTH, verbose=False)


@pytest.mark.slow
def test_ask_endpoint_says_no_article_matches_a_filter_instead_of_an_internal_error(app: dict[str, Any]) -> None:
    from gradio_client.exceptions import AppError

    c = connect(app)
    with pytest.raises(AppError) as err:
        c.predict("Who is Yehia Rasool?", [], None, "2030-01-01", None, None, api_name="/ask")
    assert str(err.value) == "no article matches the filters (since 2030-01-01 leaves 0 of 5 articles); " \
                             "widen or remove them"
    with pytest.raises(AppError, match=r"publisher 'Nobody Weekly' leaves 0 of 5 articles"):
        c.predict("Who is Yehia Rasool?", [], None, None, None, ["Nobody Weekly"], api_name="/ask")


@pytest.mark.slow
def test_article_endpoint_returns_null_for_unstated_fields(app: dict[str, Any]) -> None:
    article = connect(app).predict("000_f19390a96d0bfcc2.txt", api_name="/article")
    assert {"title", "date", "publisher", "url", "author", "file"} <= set(article)
    assert article["url"] is None


@pytest.mark.slow
def test_upload_endpoint_ingests_the_good_lines_of_a_broken_jsonl_and_names_the_bad_one(
        app: dict[str, Any], tmp_path: Path) -> None:
    import json

    from gradio_client import handle_file

    feed = tmp_path / "feed.jsonl"
    good = {"title": "Harbour Pilot Retires", "body": "The harbour pilot of Port Quillan retired on Friday."}
    feed.write_text(json.dumps(good) + '\n{"title": "broken", "body": "cut\n', encoding="utf-8")
    report = connect(app).predict([handle_file(str(feed))], api_name="/upload")
    assert report["saved"] == [{"file": "feed.jsonl", "article": "uploads/feed.jsonl"}]
    assert report["problems"] == ["uploads/feed.jsonl: invalid JSON on line 2, column 29: Unterminated string "
                                  "starting at; skipped (the other lines were read)"]


@pytest.mark.slow
def test_upload_endpoint_refuses_an_upload_over_the_token_budget_at_once(app: dict[str, Any], tmp_path: Path) -> None:
    import time

    from gradio_client import handle_file

    big = tmp_path / "long.txt"
    big.write_text("Long Report\n\n" + " ".join(f"Crew {n} loaded crate {n} at the port." for n in range(2000)))
    started = time.perf_counter()
    report = connect(app).predict([handle_file(str(big))], api_name="/upload")
    assert time.perf_counter() - started < 30
    assert report["saved"] == [] and report["refused"][0].startswith("long.txt: refused, more than 3,000 tokens")


@pytest.mark.slow
def test_upload_endpoint_reports_progress_from_the_first_batch(app: dict[str, Any], tmp_path: Path) -> None:
    import time

    from gradio_client import handle_file

    story = tmp_path / "crews.txt"
    story.write_text("Port Crews Report\n\n" + " ".join(
        f"Crew {n} loaded crate {n} at berth {n % 9} of Port Quillan." for n in range(150)), encoding="utf-8")
    job = connect(app).submit([handle_file(str(story))], api_name="/upload")
    seen: list[tuple[int, int]] = []
    while not job.done():
        status = job.status()
        for unit in status.progress_data or []:
            if unit.index is not None and unit.length:
                seen.append((unit.index, unit.length))
        time.sleep(0.05)
    assert job.result()["saved"] == [{"file": "crews.txt", "article": "uploads/crews.txt"}]
    assert [done for done, total in seen if 0 < done < total], f"no progress seen before the end: {seen}"


@pytest.mark.slow
def test_sign_in_slows_down_after_a_wrong_password(app: dict[str, Any]) -> None:
    import time

    from gradio_client import Client

    with pytest.raises(ValueError):
        Client(app["url"], auth=("reader", "wrong guess"), verbose=False)
    started = time.perf_counter()
    with pytest.raises(ValueError):
        Client(app["url"], auth=("reader", "another guess"), verbose=False)
    assert time.perf_counter() - started >= 0.9, "the attempt after a failure waits"
    assert connect(app).predict("Who is Yehia Rasool?", [], api_name="/ask")["citations"]


@pytest.mark.slow
def test_ingest_and_ask_run_with_no_network_at_all(tmp_path: Path) -> None:
    """Offline by default: the real CLI, the bundled model and the embedded store, in a network namespace
    of its own (not even loopback is up), ingest and answer as they do anywhere."""
    import os
    import subprocess
    import sys

    unshare = shutil.which("unshare")
    isolate = [unshare, "--user", "--map-root-user", "--net"] if unshare else []
    if not isolate or subprocess.run([*isolate, "true"], capture_output=True).returncode != 0:
        pytest.skip("no network namespaces here")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")} | {
        "ASSISTANT_CORPUS_DIR": str(tmp_path / "corpus"), "ASSISTANT_STORE_DIR": str(tmp_path / "store")}
    cli = [*isolate, sys.executable, "-m", "assistant"]
    ingest = subprocess.run([*cli, "ingest"], env=env, capture_output=True, text=True, timeout=600)
    assert ingest.returncode == 0 and "5 added" in ingest.stdout, ingest.stderr
    ask = subprocess.run([*cli, "ask", "Who is Yehia Rasool?", "--json"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert ask.returncode == 0, ask.stderr
    assert '"citations": [' in ask.stdout and "Traceback" not in ask.stderr
