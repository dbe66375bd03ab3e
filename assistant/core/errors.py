"""The product's error hierarchy.

Library code raises these; only the edges (CLI, Gradio app) turn them into
messages. Every message is one line that names the thing and the reason.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: anything the user can act on."""


class ConfigError(AssistantError):
    """A setting is missing, malformed or inconsistent."""


class ArticleError(AssistantError):
    """One input file could not be read as an article (the rest still ingest)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreError(AssistantError):
    """The vector store cannot be opened or used."""


class StoreMismatchError(StoreError):
    """The store was built with a different embedding model: it must be rebuilt."""


class EmptyStoreError(StoreError):
    """Nothing has been ingested yet."""


class QuestionError(AssistantError):
    """The question itself is unusable (empty, too long, ...)."""


class FilterError(QuestionError):
    """The filters asked for (dates, publishers, articles) leave no article to answer from."""


class LLMError(AssistantError):
    """The configured language model failed or cannot be reached."""


class MissingExtraError(AssistantError):
    """An optional backend is not installed."""

    def __init__(self, what: str, extra: str) -> None:
        super().__init__(f"{what} is not installed: pip install 'news-assistant[{extra}]'")
