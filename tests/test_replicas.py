"""Replicas on one store (issue 10): the writer lease refuses a second writer with one line (fast, an
embedded Chroma collection), and an article ingested through one replica of a real `chroma run`
server is answered, cited, through another already-running replica within 10 s (slow tier)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import stop
from test_chroma_server import SEED, chroma_server, cli  # noqa: F401 - chroma_server is a fixture

from assistant.index import replicas
from assistant.index.replicas import WriterBusyError, WriterLease

NEW_ARTICLE = """Glacier institute names a new chief
Replica Test Wire

Zorvath Quillane is the chief glaciologist of the Norrland Ice Institute, the institute said on Friday.
Quillane has measured the retreat of the Storglaciaren glacier for eleven years.
"""

# Replica B: a long-running process that answers one question per line of stdin with one JSON line.
REPLICA = """
import json, sys
from assistant import Assistant
a = Assistant.from_settings()
a.warm_up()
print("ready", flush=True)
for line in sys.stdin:
    ans = a.ask(line.strip())
    print(json.dumps({"text": ans.text, "sources": [c.source for c in ans.citations],
                      "quotes": [c.quote for c in ans.citations]}), flush=True)
"""


@pytest.fixture
def control(tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(tmp_path / "db"), settings=ChromaSettings(anonymized_telemetry=False))
    return client.get_or_create_collection("news_control", embedding_function=None)


def test_a_second_writer_is_refused_with_one_line_until_the_first_finishes(control):
    first, second = WriterLease(control, "the test store"), WriterLease(control, "the test store")
    with first:
        with pytest.raises(WriterBusyError) as refused:
            second.acquire()
        message = str(refused.value)
        assert "\n" not in message and "another replica" in message and f"pid {os.getpid()}" in message
        assert replicas.read_stamp(control) == ""  # nothing changed yet
    stamp = replicas.read_stamp(control)
    assert stamp, "leaving the lease tells the other replicas the store changed"
    with second:
        assert second.holder()["owner"] == second.owner
    assert replicas.read_stamp(control) != stamp
    assert second.holder() == {}


def test_an_expired_lease_or_a_dead_holder_does_not_block_the_store(control):
    now = [1000.0]
    crashed = WriterLease(control, "s", clock=lambda: now[0])
    crashed.acquire()
    crashed._stop.set()  # killed mid-ingest: never renewed, never released
    now[0] += replicas.LEASE_SECONDS + 1
    late = WriterLease(control, "s", clock=lambda: now[0])
    late.acquire()
    assert late.holder()["owner"] == late.owner
    late.release()

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ghost = WriterLease(control, "s")
    record = ghost._record() | {"pid": int(dead.stdout)}
    control.add(ids=[replicas.LEASE_ID], embeddings=[[1.0]], metadatas=[record])
    taker = WriterLease(control, "s")
    taker.acquire()
    assert taker.holder()["owner"] == taker.owner
    taker.release()


@pytest.mark.slow
def test_an_ingest_through_one_replica_is_answered_by_another_within_10_s(chroma_server, tmp_path):  # noqa: F811
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED, corpus)
    base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    base |= {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_CHROMA_URL": chroma_server}
    env_a = base | {"ASSISTANT_STORE_DIR": str(tmp_path / "store-a")}
    env_b = base | {"ASSISTANT_STORE_DIR": str(tmp_path / "store-b")}
    first = cli(["ingest", "--json"], env_a)
    assert first.returncode == 0, first.stderr

    replica = subprocess.Popen([sys.executable, "-c", REPLICA], env=env_b, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert replica.stdout.readline().strip() == "ready"

        def ask(question: str) -> dict:
            replica.stdin.write(question + "\n")
            replica.stdin.flush()
            return json.loads(replica.stdout.readline())

        question = "Who is Zorvath Quillane?"
        assert "new.txt" not in ask(question)["sources"]  # B has loaded its indexes before the ingest

        (corpus / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        second = cli(["ingest", "--json"], env_a)  # replica A: another process
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout)["added"] == 1
        ingested = time.monotonic()
        while True:
            answer = ask(question)
            if "new.txt" in answer["sources"]:
                break
            assert time.monotonic() - ingested < 10, f"replica B still answers without the new article: {answer}"
            time.sleep(0.5)
        assert time.monotonic() - ingested < 10
        assert any("chief glaciologist" in q for q in answer["quotes"]), answer
    finally:
        replica.stdin.close()
        stop(replica)


@pytest.mark.slow
def test_two_replicas_ingesting_at_once_leave_one_consistent_store(chroma_server, tmp_path):  # noqa: F811
    base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    base |= {"ASSISTANT_CORPUS_DIR": str(SEED), "ASSISTANT_CHROMA_URL": chroma_server}
    exe = Path(sys.executable).with_name("assistant")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant"]
    procs = [subprocess.Popen(command + ["ingest", "--json"], env=base | {"ASSISTANT_STORE_DIR": str(tmp_path / n)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in ("a", "b")]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert any(rc == 0 for rc, _, _ in results), results
    for rc, _, err in results:
        if rc != 0:  # the loser says why in one line, and wrote nothing
            errors = [line for line in err.splitlines() if line.startswith("error:")]
            assert len(errors) == 1 and "another replica" in errors[0] and "one writer at a time" in errors[0], err
    again = cli(["ingest", "--json"], base | {"ASSISTANT_STORE_DIR": str(tmp_path / "c")})
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["unchanged"], report["chunks_embedded"], report["articles_total"]) == (5, 0, 5)


def test_a_rebuild_by_another_replica_is_followed_not_failed(tmp_path):
    from assistant.core.settings import Settings
    from assistant.index.store import Store

    settings = Settings.from_env(corpus_dir=str(tmp_path / "corpus"), store_dir=str(tmp_path / "store"))
    reader, rebuilder = Store(settings, "m", 2), Store(settings, "m", 2)
    rebuilder.chunks.upsert(ids=["a::1::0"], embeddings=[[1.0, 0.0]], metadatas=[{"article_id": "a"}])
    before = reader.change_stamp()
    assert before[0] == 1
    with rebuilder.writer_lease():
        rebuilder.reset()  # `ingest --rebuild` elsewhere: the collections the reader holds are dropped
    after = reader.change_stamp()
    assert after[0] == 0 and after != before
