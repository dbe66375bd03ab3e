"""Language models for the `llm` answerer, imported lazily: none is needed offline.

Any llama-index LLM works (pass `llm=` to `Assistant`); from settings we build
an OpenAI-compatible client (vLLM, llama.cpp server, LM Studio...), Ollama, OpenAI, or a GGUF model run
in this process (`local`, see local_llm.py).
"""

from __future__ import annotations

from typing import Any

from ..core.errors import ConfigError, MissingExtraError
from ..core.settings import Settings


def load_llm(settings: Settings) -> Any:
    """The LLM the settings name. `local` needs no model name or endpoint: its model is a file."""
    provider = settings.llm_provider
    if provider == "local":
        from .local_llm import load_local_llm

        return load_local_llm(settings)
    if not settings.llm_model:
        raise ConfigError("the llm answerer needs a model: set ASSISTANT_LLM_MODEL (and ASSISTANT_LLM_BASE_URL)")
    if provider == "openai-like":
        if not settings.llm_base_url:
            raise ConfigError("the llm answerer needs ASSISTANT_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1")
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError:
            raise MissingExtraError("the OpenAI-compatible LLM client", "llm") from None
        return OpenAILike(
            model=settings.llm_model,
            api_base=settings.llm_base_url,
            api_key=settings.llm_api_key or "not-needed",
            is_chat_model=True,
            temperature=0.0,
            timeout=settings.llm_timeout,
            max_retries=0,
        )
    if provider == "ollama":
        try:
            from llama_index.llms.ollama import Ollama
        except ImportError:
            raise MissingExtraError("the Ollama LLM client", "ollama") from None
        return Ollama(model=settings.llm_model, base_url=settings.llm_base_url or "http://127.0.0.1:11434",
                      request_timeout=settings.llm_timeout, temperature=0.0)
    if provider == "openai":
        try:
            from llama_index.llms.openai import OpenAI
        except ImportError:
            raise MissingExtraError("the OpenAI LLM client", "llm") from None
        return OpenAI(model=settings.llm_model, api_key=settings.llm_api_key, api_base=settings.llm_base_url,
                      temperature=0.0, timeout=settings.llm_timeout, max_retries=0)
    raise ConfigError(f"unknown llm_provider {provider!r}: use openai-like, ollama, openai or local")


def endpoint_of(llm: Any, settings: Settings) -> str:
    """Where the model lives, for error messages: its endpoint URL, or a local model's file."""
    for attr in ("api_base", "base_url", "model_path"):
        value = getattr(llm, attr, None)
        if value:
            return str(value)
    return settings.llm_base_url or type(llm).__name__
