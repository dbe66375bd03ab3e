"""`assistant chat`: a conversation in the terminal.

Fast: the loop over a stub assistant (follow-ups get the history, errors do not end the chat). Slow: the
real command in a pseudo-terminal over a store of the seed articles, two questions and a follow-up.
"""

from __future__ import annotations

import io
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.core.answers import Answer, Citation
from assistant.core.errors import AssistantError
from assistant.ui.terminal import PROMPT, chat

ROOT = Path(__file__).resolve().parent.parent


class StubAssistant:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, str]]]] = []

    def ask(self, question: str, history: list[dict[str, str]]) -> Answer:
        self.calls.append((question, list(history)))
        if question == "break":
            raise AssistantError("the store is unavailable")
        citation = Citation(number=1, source="a.txt", title="T", date=None, quote="Q.", start=0, end=2)
        return Answer(question=question, text=f"About {question} [1]", citations=[citation])


def test_chat_keeps_the_conversation_prints_sources_and_survives_an_error() -> None:
    stub, out = StubAssistant(), io.StringIO()
    lines = iter(["first?", "", "break", "follow?", "/new", "fresh?"])

    def read(prompt: str) -> str:
        assert prompt == PROMPT
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    assert chat(stub, read, out) == 0
    assert [q for q, _ in stub.calls] == ["first?", "break", "follow?", "fresh?"]
    assert stub.calls[2][1] == [{"role": "user", "content": "first?"},
                                {"role": "assistant", "content": "About first? [1]"}]  # the failed turn left out
    assert stub.calls[3][1] == []  # /new started over
    text = out.getvalue()
    assert "error: the store is unavailable" in text and "\nSources\n[1] T" in text
    assert "\033[" not in text  # no colours when the output is not a terminal


def read_until(fd: int, wanted: str, seen: list[str], timeout: float = 120.0) -> str:
    """Read the pseudo-terminal until `wanted` appears after what was read before; returns the new text."""
    start = len("".join(seen))
    deadline = time.monotonic() + timeout
    poller = select.poll()  # not select.select: after a long test run the pty's fd can be above 1024
    poller.register(fd, select.POLLIN)
    while wanted not in "".join(seen)[start:]:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {wanted!r} in: {''.join(seen)[start:]!r}")
        if poller.poll(1000):
            try:
                seen.append(os.read(fd, 65536).decode("utf-8", "replace"))
            except OSError:
                break
    return "".join(seen)[start:]


@pytest.mark.slow
def test_assistant_chat_in_a_pseudo_terminal_answers_two_questions_and_a_follow_up(
    tmp_path: Path, embed_model: Any
) -> None:
    from assistant.api import Assistant
    from assistant.core.settings import Settings

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    Assistant(Settings.from_env(env={}, corpus_dir=corpus, store_dir=tmp_path / "store"),
              embed_model=embed_model).ingest()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_") and k != "NO_COLOR"}
    env |= {"TERM": "xterm-256color", "ASSISTANT_EMBED_THREADS": "1"}
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "--corpus", str(corpus), "--store",
                             str(tmp_path / "store"), "chat"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=tmp_path, close_fds=True)
    os.close(slave)
    seen: list[str] = []
    try:
        read_until(master, PROMPT, seen)
        os.write(master, b"How many Kataib Hezbollah members were killed in the strikes south of Baghdad?\n")
        first = read_until(master, PROMPT, seen)
        os.write(master, b"What is Kataib Hezbollah?\n")
        read_until(master, PROMPT, seen)
        os.write(master, b"Since when has the US treated it as a terrorist group?\n")  # "it": the follow-up
        follow = read_until(master, PROMPT, seen)
        os.write(master, b"\x04")  # Ctrl+D
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert "eight" in first.lower() and "Sources" in first and "003_0de35cad8aa68667.txt" in first
    assert "\033[36m[1]\033[0m" in first  # coloured markers: the terminal takes colours
    assert "2009" in follow and "Sources" in follow
