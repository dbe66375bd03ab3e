"""Bad input: each bad file gets one clear line naming it and the reason; the rest still ingests;
nothing already stored is lost; the exit status is non-zero only when nothing could be ingested
(or with --strict).

The CLI checks run in-process with the fake embedder (fast tier), and the corpus-full-of-bad-input
check once more as real `assistant ingest` processes, run as an unprivileged user so that a chmod 000
file is really unreadable (slow tier)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.core.errors import ArticleError
from assistant.ingest.reading import read_path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 8
LATIN1 = "Caf\u00e9 owners in S\u00e3o Paulo said prices rose again in March. Customers complained.\n"
NON_UTF8_NAME = os.fsdecode(b"caf\xe9 report.txt")  # a name with a byte that is not UTF-8


def cli_command() -> list[str]:
    exe = Path(sys.executable).with_name("assistant")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant"]


def cli_env(corpus: Path, store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return env | {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_STORE_DIR": str(store)}


def unprivileged_prefix() -> list[str]:
    """Run as an unprivileged user (uid 65534 in a user namespace) so that a chmod 000 file really
    cannot be read; the tests run as root, which reads anything. Empty if that is not possible."""
    unshare = shutil.which("unshare")
    if not unshare or os.geteuid() != 0:
        return []
    prefix = [unshare, "--user", "--map-user=65534", "--map-group=65534"]
    probe = subprocess.run(prefix + ["true"], capture_output=True)
    return prefix if probe.returncode == 0 else []


def ingest(corpus: Path, store: Path, *args: str, prefix: list[str] | None = None):
    return subprocess.run(
        (prefix or []) + cli_command() + ["ingest", "--json", *args],
        env=cli_env(corpus, store), capture_output=True, text=True, timeout=600,
    )


def messages(stderr: str) -> list[str]:
    """stderr lines other than the progress bar (which redraws itself with carriage returns)."""
    lines = (line.strip() for line in re.split(r"[\r\n]", stderr))
    return [line for line in lines if line and not line.startswith("embedding")]


def stored(store: Path) -> dict[str, dict]:
    """article id -> {"hash", "chunks"} read from Chroma in a fresh process (so this process, which
    never opens the store, cannot hold a stale view of what other processes wrote)."""
    code = (
        "import json, sys, chromadb\n"
        "from chromadb.config import Settings\n"
        "c = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))\n"
        "a = c.get_collection('news_articles', embedding_function=None).get(include=['metadatas'])\n"
        "k = c.get_collection('news_chunks', embedding_function=None).get(include=['metadatas'])\n"
        "out = {i: {'hash': m['content_hash'], 'chunks': sorted(cid for cid, km in zip(k['ids'], k['metadatas'])"
        " if km['article_id'] == i)} for i, m in zip(a['ids'], a['metadatas']) if i != '__store__'}\n"
        "print(json.dumps(out))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(store / "chroma")], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def stored_here(store: Path) -> dict[str, dict]:
    """The same as `stored`, read in this process (for stores this process writes itself)."""
    import chromadb
    from chromadb.config import Settings

    c = chromadb.PersistentClient(path=str(store / "chroma"), settings=Settings(anonymized_telemetry=False))
    a = c.get_collection("news_articles", embedding_function=None).get(include=["metadatas"])
    k = c.get_collection("news_chunks", embedding_function=None).get(include=["metadatas"])
    return {i: {"hash": m["content_hash"],
                "chunks": sorted(cid for cid, km in zip(k["ids"], k["metadatas"]) if km["article_id"] == i)}
            for i, m in zip(a["ids"], a["metadatas"]) if i != "__store__"}


@contextmanager
def fifo_unblocker(fifo: Path) -> Iterator[None]:
    """While active, anyone who opens `fifo` to read gets end-of-file instead of waiting for ever for
    a writer: a reader that wrongly opens a named pipe then fails its test instead of hanging it."""
    stop = threading.Event()

    def serve() -> None:
        while not stop.wait(0.2):
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # ENXIO unless a reader waits
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def write_good(path: Path, sentence: str) -> None:
    path.write_text(f"{sentence} Officials confirmed it on Monday.\n", encoding="utf-8")


# --- one reader call per kind of bad file ----------------------------------------------------------

def make_bad_file(kind: str, folder: Path) -> Path:
    if kind == "empty":
        (path := folder / "empty.txt").write_bytes(b"")
    elif kind == "blank":
        (path := folder / "blank.md").write_text(" \n\t\n\n", encoding="utf-8")
    elif kind == "binary":
        (path := folder / "image.txt").write_bytes(PNG)
    elif kind == "control":
        (path := folder / "noise.txt").write_bytes(bytes(range(1, 32)) * 400)
    elif kind == "huge":
        path = folder / "huge.txt"
        line = b"A sentence of an article that goes on and on. " * 20 + b"\n"
        with path.open("wb") as f:
            for _ in range(50 * 10**6 // len(line) + 1):
                f.write(line)
    elif kind == "unsupported":
        (path := folder / "report.pdf").write_bytes(b"%PDF-1.7\n")
    elif kind == "dangling":
        (path := folder / "gone.txt").symlink_to(folder / "never-existed.txt")
    elif kind == "fifo":
        os.mkfifo(path := folder / "pipe.txt")
    elif kind == "bad-jsonl":
        (path := folder / "broken.jsonl").write_text('\n{"title": oops}\n', encoding="utf-8")  # (no good line)
    elif kind == "folder":
        (path := folder / "looks-like-a-file.txt").mkdir()
    else:
        raise AssertionError(kind)
    return path


READER_REASONS = {
    "empty": "empty file",
    "blank": "empty file",
    "binary": "binary file",
    "control": "binary file",
    "huge": "too large (50.0 MB; the limit is 10.0 MB)",
    "unsupported": "unsupported file type '.pdf'",
    "dangling": "broken symbolic link",
    "fifo": "not a regular file (a named pipe)",
    "bad-jsonl": "invalid JSON on line 2, column 11: Expecting value",
    "folder": "not a regular file (a folder)",
}


@pytest.mark.parametrize("kind", sorted(READER_REASONS))
def test_reader_refuses_bad_file_with_a_reason_naming_it(kind, tmp_path):
    path = make_bad_file(kind, tmp_path)
    with fifo_unblocker(tmp_path / "pipe.txt"), pytest.raises(ArticleError) as err:
        read_path(path, root=tmp_path, max_bytes=10 * 10**6)
    assert err.value.path == path.name
    assert READER_REASONS[kind] in err.value.reason
    assert str(err.value) == f"{path.name}: {err.value.reason}"
    assert "\n" not in str(err.value)


def test_latin1_file_is_read_with_a_note(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(LATIN1.encode("latin-1"))
    result = read_path(path, root=tmp_path)
    assert result.articles[0].text == LATIN1.strip()
    assert result.notices == ["latin1.txt: not valid UTF-8, read as Latin-1/Windows-1252"]


def test_utf16_file_with_byte_order_mark_is_text_not_binary(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes(LATIN1.encode("utf-16"))  # BOM + UTF-16: full of NUL bytes, yet text
    result = read_path(path, root=tmp_path)
    assert result.articles[0].text == LATIN1.strip()
    assert result.notices and "UTF-16" in result.notices[0]


# --- the CLI over a corpus full of bad input -------------------------------------------------------

@dataclass
class Ingester:
    """How a test runs `assistant ingest --json [args]` and reads the store back."""

    run: Callable[..., Any]  # (corpus, store, *args, unprivileged=False) -> returncode, stdout, stderr
    stored: Callable[[Path], dict[str, dict]]
    locks: bool  # whether a chmod 000 file is really unreadable to an unprivileged run


@pytest.fixture(params=["in-process", pytest.param("process", marks=pytest.mark.slow)])
def ingester(request: pytest.FixtureRequest) -> Ingester:
    """In-process with the fake embedder; or real processes with the bundled model, the unprivileged
    ones run as uid 65534 (the tests run as root, which reads anything)."""
    if request.param == "in-process":
        cli = request.getfixturevalue("fake_cli")

        def run_here(corpus: Path, store: Path, *args: str, unprivileged: bool = False) -> Any:
            return cli("--corpus", corpus, "--store", store, "ingest", "--json", *args)

        return Ingester(run_here, stored_here, locks=os.geteuid() != 0)
    as_nobody = unprivileged_prefix()

    def run_process(corpus: Path, store: Path, *args: str, unprivileged: bool = False) -> Any:
        return ingest(corpus, store, *args, prefix=as_nobody if unprivileged else None)

    return Ingester(run_process, stored, locks=bool(as_nobody) or os.geteuid() != 0)


def test_every_bad_file_gets_one_line_and_the_rest_ingests_without_losing_stored_articles(tmp_path, ingester):
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    corpus.mkdir()
    shutil.copy(SEED / "003_0de35cad8aa68667.txt", corpus)
    write_good(corpus / "kept.txt", "The ferry service resumed after the storm.")
    first = ingester.run(corpus, store)
    assert first.returncode == 0, first.stderr
    before = ingester.stored(store)
    assert sorted(before) == ["003_0de35cad8aa68667.txt", "kept.txt"]

    outside = tmp_path / "outside-secret.txt"
    write_good(outside, "This file lives outside the corpus folder.")
    expected_problems = {
        "kept.txt": "empty file",  # a stored article whose file became unusable: kept as stored
        "empty.txt": "empty file",
        "image.txt": "binary file",
        "huge.txt": "too large (50.0 MB; the limit is 10.0 MB)",
        "report.pdf": "unsupported file type '.pdf'",
        "gone.txt": "broken symbolic link",
        "escape.txt": "symlink points outside the corpus folder",
        "pipe.txt": "not a regular file (a named pipe)",
        "broken.jsonl": "invalid JSON on line 2, column 11",
    }
    (corpus / "kept.txt").write_bytes(b"")
    for kind in ("empty", "binary", "huge", "unsupported", "dangling", "fifo", "bad-jsonl"):
        make_bad_file(kind, corpus)
    (corpus / "escape.txt").symlink_to(outside)
    if ingester.locks:  # really unreadable for an unprivileged user
        write_good(corpus / "locked.txt", "Nobody may read this file.")
        (corpus / "locked.txt").chmod(0)
        expected_problems["locked.txt"] = "cannot read: Permission denied"
    # files that must ingest: a Latin-1 file (with a note) and odd but valid names
    (corpus / "latin1.txt").write_bytes(LATIN1.encode("latin-1"))
    good_names = ["a file with spaces.txt", "ünïcödé – 記事.txt", NON_UTF8_NAME]
    for n, name in enumerate(good_names):
        write_good(corpus / name, f"Odd name number {n} still holds a story.")

    with fifo_unblocker(corpus / "pipe.txt"):
        result = ingester.run(corpus, store, unprivileged=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    lines = messages(result.stderr)

    for name, reason in expected_problems.items():
        naming = [line for line in lines if f" {name}: " in f" {line}"]
        assert len(naming) == 1, f"{name}: expected one line, got {naming} in {lines}"
        assert naming[0] == f"skipped: {name}: {naming[0].split(': ', 2)[2]}"
        assert reason in naming[0]
    shown_name = "caf\\xe9 report.txt"
    assert sorted(lines) == sorted(
        [line for line in lines if line.startswith("skipped: ")]
        + ["note: latin1.txt: not valid UTF-8, read as Latin-1/Windows-1252",
           f"note: {shown_name}: file name is not valid UTF-8; stored under the name shown"]
    ), "no other output on stderr than one line per bad file and the two notes"
    assert len([line for line in lines if line.startswith("skipped: ")]) == len(expected_problems)
    assert not any("Traceback" in line for line in lines)

    assert (report["added"], report["updated"], report["removed"], report["unchanged"]) == (4, 0, 0, 1)
    assert report["articles_total"] == 6
    after = ingester.stored(store)
    assert sorted(after) == sorted(["003_0de35cad8aa68667.txt", "kept.txt", "latin1.txt",
                                    "a file with spaces.txt", "ünïcödé – 記事.txt", shown_name])
    for aid, entry in before.items():  # nothing stored before is lost or changed
        assert after[aid] == entry

    with fifo_unblocker(corpus / "pipe.txt"):
        strict = ingester.run(corpus, store, "--strict", unprivileged=True)
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["unchanged"] == 5  # all but kept.txt, still unreadable
    assert ingester.stored(store) == after


def test_exit_status_is_nonzero_when_nothing_could_be_ingested(tmp_path, fake_cli):
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    corpus.mkdir()
    make_bad_file("empty", corpus)
    make_bad_file("unsupported", corpus)
    result = fake_cli("--corpus", corpus, "--store", store, "ingest", "--json")
    assert result.returncode == 1
    assert sorted(messages(result.stderr)) == [
        "skipped: empty.txt: empty file",
        "skipped: report.pdf: unsupported file type '.pdf'; supported: .htm, .html, .json, .jsonl, .markdown, "
        ".md, .txt",
    ]
    assert json.loads(result.stdout)["articles_total"] == 0


def test_missing_corpus_folder_is_reported_and_removes_nothing(tmp_path, make_fake_assistant):
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    corpus.mkdir()
    write_good(corpus / "one.txt", "A single short story was filed.")
    assistant = make_fake_assistant(corpus, store_dir=store)
    assert assistant.ingest().articles_total == 1
    shutil.rmtree(corpus)  # e.g. an unmounted drive or a mistyped ASSISTANT_CORPUS_DIR
    report = assistant.ingest()
    assert report.problems == [f"{corpus}: no such file or folder"]
    assert (report.removed, report.articles_total) == (0, 1)
