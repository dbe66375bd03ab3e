"""ASSISTANT_CHROMA_URL: ingest and status against a real `chroma run` server on a free loopback port
(slow tier); an unreachable server is one clear error (fast tier, the CLI in-process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus"



def chroma_executable() -> str | None:
    here = Path(sys.executable).with_name("chroma")
    return str(here) if here.exists() else shutil.which("chroma")


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("assistant")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant"]
    return subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real Chroma server persisting under tmp_path; yields its URL, stops it afterwards."""
    exe = chroma_executable()
    if exe is None:
        pytest.skip("the chroma executable is not installed")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "chroma.log").open("wb")
    server = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server-db"), "--host", "127.0.0.1",
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, (tmp_path / "chroma.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "chroma server did not answer within 60 s"
            time.sleep(0.2)
        yield url
    finally:
        stop(server)
        log.close()


@pytest.mark.slow
def test_ingest_and_status_through_a_chroma_server(chroma_server, tmp_path):
    local_store = tmp_path / "local-store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_CORPUS_DIR": str(SEED), "ASSISTANT_STORE_DIR": str(local_store),
            "ASSISTANT_CHROMA_URL": chroma_server}

    first = cli(["ingest", "--json"], env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["added"], report["articles_total"]) == (5, 5)
    assert report["chunks_embedded"] == report["chunks_total"] > 0

    status = cli(["status", "--json"], env)
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["store"] == chroma_server
    assert info["server"] is True
    assert (info["articles"], info["chunks"]) == (5, report["chunks_total"])

    second = cli(["ingest", "--json"], env)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert (again["chunks_embedded"], again["unchanged"], again["chunks_total"]) == (0, 5, report["chunks_total"])

    # the chunks live in the server, not in the local store folder
    assert not (local_store / "chroma").exists()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(chroma_server.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
    chunks = client.get_collection("news_chunks", embedding_function=None)
    assert chunks.count() == report["chunks_total"]
    assert chunks.metadata["embedding_model"] == info["embedding_model"]


def test_unreachable_chroma_server_is_one_clear_error(tmp_path, fake_cli, monkeypatch):
    port = free_port()  # nothing listens there
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", f"http://127.0.0.1:{port}")
    result = fake_cli("--corpus", SEED, "--store", tmp_path / "store", "status")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and f"127.0.0.1:{port}" in lines[0]
    assert not (tmp_path / "store" / "chroma").exists(), "no embedded store is made instead"
