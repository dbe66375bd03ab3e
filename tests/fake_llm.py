"""A scripted stand-in for a remote LLM (the one thing tests may fake).

`script(prompt) -> str` decides the reply, so a test can read the numbered
sources in the prompt and cite them right or wrong on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata
from pydantic import PrivateAttr


class ScriptedLLM(CustomLLM):
    _script: Any = PrivateAttr()
    prompts: list[str] = []

    def __init__(self, script: Callable[[str], str]) -> None:
        super().__init__()
        self._script = script
        self.prompts = []

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=self._script(prompt))

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        self.prompts.append(prompt)
        text = self._script(prompt)
        sofar = ""
        for piece in re.findall(r"\S+\s*", text):
            sofar += piece
            yield CompletionResponse(text=sofar, delta=piece)


def source_number(prompt: str, phrase: str) -> int:
    """The [n] of the numbered source whose text contains `phrase`."""
    blocks = re.split(r"\n(?=\[\d+\] )", prompt)
    for block in blocks:
        m = re.match(r"\[(\d+)\] ", block)
        if m and phrase in block:
            return int(m.group(1))
    raise AssertionError(f"no source contains {phrase!r}")
