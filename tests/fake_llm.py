"""A scripted stand-in for a remote LLM (the one thing tests may fake).

`script(prompt) -> str` decides the reply, so a test can read the numbered
sources in the prompt and cite them right or wrong on purpose. Two forms:
`ScriptedLLM(script)`, a llama-index LLM handed to `Assistant` in-process, and
`openai_compatible_server(script)`, a real HTTP server speaking the OpenAI
chat-completions protocol, for code that only gets a base URL (another process).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


@dataclass
class OpenAIServer:
    url: str  # base URL for ASSISTANT_LLM_BASE_URL, ending in /v1
    requests: list[dict[str, Any]] = field(default_factory=list)  # the JSON bodies received, in order


@contextmanager
def openai_compatible_server(script: Callable[[str], str]) -> Iterator[OpenAIServer]:
    """Serve POST /v1/chat/completions on 127.0.0.1 (streamed or not), replying `script(last message)`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAICompatible)
    state = OpenAIServer(f"http://127.0.0.1:{server.server_address[1]}/v1")
    server.state = state  # type: ignore[attr-defined]
    server.script = script  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _OpenAICompatible(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.state.requests.append(body)  # type: ignore[attr-defined]
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        try:
            reply = self.server.script(body["messages"][-1]["content"])  # type: ignore[attr-defined]
        except Exception as exc:  # a failing script shows up in the client's error, not as a dropped connection
            self._json(500, {"error": {"message": f"scripted LLM failed: {exc!r}", "type": "server_error"}})
            return
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in reply.split(" "):
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "delta": {"role": "assistant", "content": word + " "},
                                      "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        self._json(200, {
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    def _json(self, status: int, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)
