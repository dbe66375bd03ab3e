"""Issue 13, the ingest side: a big article batched across articles and stored batch by batch (item 2),
an emptied folder (item 9), files ingested from outside the corpus (item 10) and the smaller input
cases of item 11. Fast tier: the fake embedder and a real embedded Chroma in tmp dirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes import FIRE_2023, NEWS, HashEmbedding

from assistant.api import Assistant
from assistant.core.settings import Settings
from assistant.ingest.reading import read_path

SMALL = {f"a{n}.txt": f"Harbour Story Number {n} Is Here\n\nThe harbour opened pier {n} on Monday. "
         f"Crews painted crane {n} blue.\n" for n in range(5)}


def big_article(sentences: int) -> str:
    return "Big Report On Everything At The Port\n\n" + " ".join(
        f"Inspectors counted {n} containers on quay {n % 7} during the audit." for n in range(sentences)) + "\n"


def make(tmp_path: Path, corpus: Path, embed: Any = None, **settings: Any) -> Assistant:
    return Assistant(Settings.from_env(env={}, corpus_dir=corpus, store_dir=tmp_path / "store", **settings),
                     embed_model=embed or HashEmbedding())


def write_all(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


class BreaksOnBig(HashEmbedding):
    """Fails (as a kill would stop it) once asked to embed text of the big article after its first batch,
    and records the size of every engine call."""

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "_calls", [])

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self._calls.append(len(texts))
        if sum(1 for t in texts if "Inspectors counted" in t) and len(self._calls) > 3:
            raise RuntimeError("killed")
        return super()._get_text_embeddings(texts)


# --- item 2: batches across articles, each stored as it completes ----------------------------------
def test_articles_queued_before_a_big_one_are_stored_when_it_fails_midway(tmp_path: Path) -> None:
    corpus = write_all(tmp_path / "corpus", SMALL | {"z_big.txt": big_article(200)})
    embed = BreaksOnBig()
    assistant = make(tmp_path, corpus, embed)
    with pytest.raises(RuntimeError, match="killed"):
        assistant.ingest()
    assert set(assistant.store.article_records()) == set(SMALL), "the five before the big one are stored"
    report = make(tmp_path, corpus).ingest()  # the next run finishes the big one, and only it
    assert (report.added, report.unchanged) == (1, 5)
    big_chunks = report.chunks_total - len(SMALL)
    assert 0 < report.chunks_embedded < big_chunks, "the chunks the failed run stored are not embedded again"


def test_progress_moves_from_the_first_batch_of_a_big_article(tmp_path: Path) -> None:
    corpus = write_all(tmp_path / "corpus", {"z_big.txt": big_article(300)})
    calls: list[tuple[int, int]] = []
    make(tmp_path, corpus).ingest(progress=lambda done, total, what: calls.append((done, total)))
    assert calls[0][0] == 0 and len(calls) >= 4, calls
    first_move = next(done for done, _ in calls if done > 0)
    assert first_move <= calls[-1][1] // 3, "the first batch is reported long before the article is done"
    assert calls[-1][0] == calls[-1][1], "ends at its total"
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- item 9: an empty or emptied folder --------------------------------------------------------------
def test_a_full_sync_of_an_emptied_corpus_folder_removes_nothing_and_exits_non_zero(
        fake_cli: Any, news_corpus: Path, tmp_path: Path) -> None:
    store = tmp_path / "cli-store"
    assert fake_cli("--corpus", news_corpus, "--store", store, "ingest").returncode == 0
    for f in news_corpus.iterdir():
        f.unlink()  # an unmounted share looks like this
    result = fake_cli("--corpus", news_corpus, "--store", store, "ingest", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["removed"], report["articles_total"]) == (0, 5)
    assert [p for p in report["problems"] if "holds no article files" in p and "--allow-empty" in p]
    forced = fake_cli("--corpus", news_corpus, "--store", store, "ingest", "--json", "--allow-empty")
    assert json.loads(forced.stdout)["removed"] == 5


def test_a_folder_that_lost_more_than_half_its_articles_keeps_them_and_says_so(
        make_fake_assistant: Any, news_corpus: Path) -> None:
    assistant = make_fake_assistant(news_corpus)
    assistant.ingest()
    for name in list(NEWS)[:3]:
        (news_corpus / name).unlink()
    held = assistant.ingest()
    assert held.removed == 0 and len(assistant.store.article_records()) == 5
    assert [p for p in held.problems if "has lost 3 of its 5 articles" in p]
    (news_corpus / list(NEWS)[3]).unlink()  # still more than half gone: still held
    assert assistant.ingest().removed == 0
    assert assistant.ingest(allow_empty=True).removed == 4


def test_losing_half_or_less_of_a_folder_removes_as_before(make_fake_assistant: Any, news_corpus: Path) -> None:
    assistant = make_fake_assistant(news_corpus)
    assistant.ingest()
    for name in list(NEWS)[:2]:
        (news_corpus / name).unlink()
    report = assistant.ingest()
    assert report.removed == 2 and not report.problems


# --- item 10: files named from outside the corpus -----------------------------------------------------
def test_a_file_ingested_from_outside_the_corpus_never_replaces_the_corpus_article_of_its_name(
        make_fake_assistant: Any, news_corpus: Path, tmp_path: Path) -> None:
    assistant = make_fake_assistant(news_corpus)
    assistant.ingest()
    other = write_all(tmp_path / "other", {FIRE_2023: "Other Story Of Another Place\n\nA ferry sank at dawn.\n"})
    report = assistant.ingest(paths=[other / FIRE_2023])
    assert (report.added, report.updated) == (1, 0)
    assert assistant.article(FIRE_2023)["text"].startswith("A fire destroyed three warehouses")
    assert assistant.article(f"../other/{FIRE_2023}")["text"] == "A ferry sank at dawn."
    again = assistant.ingest(paths=[other])  # the folder named gives its file the same id
    assert again.unchanged == 1 and len(assistant.store.article_records()) == 6


def test_a_full_sync_keeps_an_outside_article_while_its_file_exists_and_says_when_it_removes_it(
        make_fake_assistant: Any, news_corpus: Path, tmp_path: Path) -> None:
    assistant = make_fake_assistant(news_corpus)
    outside = write_all(tmp_path / "other", {"ferry.txt": "Ferry Sinks Off The Cape\n\nA ferry sank at dawn.\n"})
    assistant.ingest()
    assistant.ingest(paths=[outside / "ferry.txt"])
    kept = assistant.ingest()
    assert kept.removed == 0 and "../other/ferry.txt" in assistant.store.article_records()
    (outside / "ferry.txt").unlink()
    gone = assistant.ingest()
    assert gone.removed == 1
    assert "../other/ferry.txt: ingested by path from outside the corpus folder, and its file is gone; removed" \
        in gone.notices


# --- item 11: the smaller ones -------------------------------------------------------------------------
def test_a_file_name_with_a_newline_is_refused_in_one_escaped_line_and_never_becomes_an_id(
        fake_cli: Any, news_corpus: Path, tmp_path: Path) -> None:
    (news_corpus / "evil\nname.txt").write_text("A story. It has two sentences.\n", encoding="utf-8")
    result = fake_cli("--corpus", news_corpus, "--store", tmp_path / "s", "ingest", "--json")
    report = json.loads(result.stdout)
    assert report["added"] == 5
    assert [p for p in report["problems"] if p.startswith("evil\\nname.txt: file name contains a control character")]
    assert all("\n" not in line for line in report["problems"])
    skipped = [line for line in result.stderr.splitlines() if "evil" in line]
    assert len(skipped) == 1 and skipped[0].startswith("skipped: evil\\nname.txt: ")


def test_a_hidden_article_file_is_named_not_skipped_silently(make_fake_assistant: Any, news_corpus: Path) -> None:
    (news_corpus / ".draft.txt").write_text("A draft story. It is hidden.\n", encoding="utf-8")
    report = make_fake_assistant(news_corpus).ingest()
    assert ".draft.txt: hidden file (its name starts with a dot); not ingested" in report.notices
    assert report.added == 5


def test_utf16_without_a_byte_order_mark_is_read_as_text(tmp_path: Path) -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{codec}.txt"
        path.write_bytes(NEWS[FIRE_2023].encode(codec))
        result = read_path(path, root=tmp_path)
        assert result.articles[0].title == "Fire Destroys Three Warehouses At Northport Harbour"
        assert result.notices == [f"{codec}.txt: read as {codec.upper()} (no byte-order mark)"]


@pytest.mark.parametrize(("record", "reason"), [
    ({"title": "T", "body": 12345}, "body is not text (a number)"),
    ({"title": "T", "body": ["a", "b"]}, "body is not text (a list)"),
    ({"title": "T"}, "has no body text"),
])
def test_a_json_record_whose_body_is_not_text_says_so(tmp_path: Path, record: dict[str, Any], reason: str) -> None:
    from assistant.core.errors import ArticleError

    path = tmp_path / "one.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(ArticleError) as err:
        read_path(path, root=tmp_path)
    assert err.value.reason == reason


def test_a_broken_jsonl_line_skips_only_that_line_and_keeps_what_it_stored(
        make_fake_assistant: Any, tmp_path: Path) -> None:
    corpus = tmp_path / "feed"
    corpus.mkdir()
    lines = [json.dumps({"title": f"Story {n}", "body": f"The ferry number {n} sailed. It was late."})
             for n in range(1, 4)]
    (corpus / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assistant = make_fake_assistant(corpus)
    assert assistant.ingest().added == 3
    lines[1] = '{"title": "Story 2", "body": "cut'
    lines[2] = json.dumps({"title": "Story 3", "body": "The ferry number 3 sailed. It was early."})
    (corpus / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = assistant.ingest()
    assert (report.updated, report.removed, report.unchanged) == (1, 0, 1)
    assert report.problems == ["feed.jsonl: invalid JSON on line 2, column 30: Unterminated string starting at; "
                               "skipped (the other lines were read)"]
    assert set(assistant.store.article_records()) == {"feed.jsonl#1", "feed.jsonl#2", "feed.jsonl#3"}


# --- item 1: the work of one file is bounded ------------------------------------------------------------
def crafted_html(size: int) -> str:
    """Unclosed <span>s and stray </p>s: what made the HTML extractor quadratic."""
    unit = "<span>word word </p>"
    return "<html><body>" + unit * (size // len(unit)) + "</body></html>"


def test_crafted_html_is_read_in_linear_time() -> None:
    import time

    from assistant.ingest.html_text import html_to_text

    started = time.perf_counter()
    text, _ = html_to_text(crafted_html(1_000_000))  # quadratic took ~12 s here for 1 MB (18.6 s for 0.4 MB
    assert time.perf_counter() - started < 3.0       # on the attacker's machine); linear takes ~0.4 s
    assert text.count("word") == 2 * (1_000_000 // len("<span>word word </p>"))


def test_an_article_over_the_token_budget_is_cut_at_a_sentence_end() -> None:
    from assistant.core.documents import Article
    from assistant.core.text import count_tokens
    from assistant.ingest.chunking import bound_article

    article = Article(id="long.txt", text=" ".join(f"Sentence number {n} says a little more." for n in range(500)))
    cut = bound_article(article, 300)
    assert cut is not None and cut.text.endswith(".") and article.text.startswith(cut.text)
    assert 250 < count_tokens(cut.text) <= 300
    assert bound_article(Article(id="short.txt", text="One sentence. Two."), 300) is None


def test_a_huge_single_line_article_is_cut_at_a_word_quickly() -> None:
    import time

    from assistant.core.documents import Article
    from assistant.core.text import count_tokens
    from assistant.ingest.chunking import bound_article

    article = Article(id="line.txt", text="harbour crane ship " * 280_000)  # 5 MB, no sentence end
    started = time.perf_counter()
    cut = bound_article(article, 10_000)
    assert time.perf_counter() - started < 2.0
    assert cut is not None and count_tokens(cut.text) <= 10_000 and cut.text.endswith(("harbour", "crane", "ship"))


def test_ingest_cuts_an_article_to_the_budget_with_a_notice(tmp_path: Path) -> None:
    corpus = write_all(tmp_path / "corpus", {"z_big.txt": big_article(400)})
    assistant = make(tmp_path, corpus, max_article_tokens=500)
    report = assistant.ingest()
    assert [n for n in report.notices if n.startswith("z_big.txt: only its first 500 tokens of story text")]
    stored = assistant.article("z_big.txt")["text"]
    assert big_article(400).split("\n\n", 1)[1].startswith(stored) and len(stored) < 3000
    assert assistant.ingest().unchanged == 1, "the cut is the same every time: nothing re-embedded"


def test_an_upload_over_the_token_budget_is_refused_before_anything_is_saved(tmp_path: Path) -> None:
    from assistant.ui.uploads import add_uploads

    corpus = write_all(tmp_path / "corpus", SMALL)
    assistant = make(tmp_path, corpus, max_upload_tokens=2_000, max_article_tokens=1_500)
    assistant.ingest()
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"title": f"T{n}", "body": big_article(40)}) for n in range(5)) + "\n")
    result = add_uploads(assistant, [str(feed)])
    assert result["saved"] == [] and len(result["refused"]) == 1
    assert result["refused"][0].startswith("feed.jsonl: refused, more than 2,000 tokens of story text")
    assert not list(assistant.settings.uploads.glob("*.jsonl"))


def test_an_upload_reports_progress_from_its_first_batch(tmp_path: Path) -> None:
    from assistant.ui.uploads import add_uploads

    corpus = write_all(tmp_path / "corpus", SMALL)
    assistant = make(tmp_path, corpus)
    upload = tmp_path / "report.txt"
    upload.write_text(big_article(300), encoding="utf-8")
    calls: list[tuple[int, int, str]] = []
    result = add_uploads(assistant, [str(upload)], progress=lambda *call: calls.append(call))
    assert result["saved"] == [{"file": "report.txt", "article": "uploads/report.txt"}]
    moved = [c for c in calls if c[0] > 0]
    assert len(moved) >= 3 and moved[0][0] < moved[-1][0] == moved[-1][1]
    assert moved[0][2] == "uploads/report.txt"


# --- a kill while a large file is in progress (slow: a real `assistant ingest` process) -----------------
def ingest_process(corpus: Path, store: Path, *args: str, **popen: Any) -> Any:
    """`assistant ingest ARGS` as a process of its own (the bundled model), on this corpus and store."""
    import os
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("assistant")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_STORE_DIR": str(store)}
    return subprocess.Popen([*command, "ingest", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **popen)


def stored_ids(store: Path) -> set[str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(store / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    return set(client.get_collection("news_articles", embedding_function=None).get()["ids"]) - {"__store__"}


@pytest.mark.slow
def test_killing_an_ingest_in_the_middle_of_a_large_file_keeps_the_articles_before_it(tmp_path: Path) -> None:
    import os
    import re
    import signal
    import threading
    import time

    corpus, store = write_all(tmp_path / "corpus", SMALL | {"z_big.txt": big_article(300)}), tmp_path / "store"
    proc = ingest_process(corpus, store)
    err = bytearray()

    def read() -> None:
        while chunk := os.read(proc.stderr.fileno(), 4096):
            err.extend(chunk)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 600
    while not [1 for done, total in re.findall(rb"(\d+)/(\d+) \[", bytes(err)) if 0 < int(done) < int(total)]:
        assert proc.poll() is None, f"the ingest ended before a first batch was stored: {bytes(err)[-500:]!r}"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # the progress bar moved, the big file is not done
    assert proc.wait(timeout=60) == -signal.SIGKILL

    assert stored_ids(store) == set(SMALL), "the five articles before the big one are stored"
    rerun = ingest_process(corpus, store, "--json", text=True)
    out, errors = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, errors
    assert (json.loads(out)["added"], json.loads(out)["unchanged"]) == (1, 5)
