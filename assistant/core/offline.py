"""Everything that keeps a run offline, in one visible place.

Called once by every entry point (CLI, app, `Assistant.from_settings`) before
the heavy libraries are used. It only sets process environment defaults; a
value the user set explicitly is kept.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def bundled_tiktoken_cache() -> str | None:
    """llama-index-core ships the cl100k/o200k files; tiktoken would download them otherwise."""
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
    return str(path) if path.is_dir() else None


def prepare_offline() -> None:
    """Point tiktoken at bundled files and switch off telemetry, analytics and hub access."""
    cache = bundled_tiktoken_cache()
    if cache:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", cache)
    for key, value in {
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
