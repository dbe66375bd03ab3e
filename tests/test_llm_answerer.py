"""The `llm` answerer: citations are checked after generation, whatever the model wrote."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fake_llm import OpenAIServer, ScriptedLLM, openai_compatible_server, source_number

from assistant.api import Assistant
from assistant.core.answers import markers_in
from assistant.core.errors import LLMError

EIGHT = "confirmed the death of eight of its members"


def llm_assistant(seed: Any, llm: Any, **settings: Any) -> Assistant:
    """An assistant sharing the seed store and model, answering with `llm`."""
    settings_ = seed.settings.replace(**{"answerer": "llm", **settings})
    clone = Assistant(settings_, embed_model=seed.embed_model, llm=llm)
    clone._store, clone._retriever = seed.store, seed.retriever
    return clone


def test_invalid_source_numbers_are_dropped_and_noted(fake_seed_assistant: Any) -> None:
    def script(prompt: str) -> str:
        n = source_number(prompt, EIGHT)
        return f"Kataib Hezbollah confirmed the death of eight of its members in the airstrikes [{n}][42]."

    answer = llm_assistant(fake_seed_assistant, ScriptedLLM(script)).ask("How many Kataib Hezbollah members died?")
    assert not answer.abstained
    assert markers_in(answer.text) == [1] and len(answer.citations) == 1
    c = answer.citations[0]
    assert c.source == "003_0de35cad8aa68667.txt" and EIGHT in c.quote
    assert fake_seed_assistant.article(c.source)["text"][c.start:c.end] == c.quote
    assert any("[42]" in note for note in answer.notes)


def test_sentence_its_source_does_not_support_is_dropped_and_flagged(fake_seed_assistant: Any) -> None:
    def script(prompt: str) -> str:
        n = source_number(prompt, EIGHT)
        return (f"Kataib Hezbollah confirmed the death of eight of its members [{n}]. "
                f"The strikes also killed 300 civilians in Tehran [{n}].")

    answer = llm_assistant(fake_seed_assistant, ScriptedLLM(script)).ask("How many Kataib Hezbollah members died?")
    assert "300" not in answer.text and "Tehran" not in answer.text
    assert any("unsupported" in note and "300 civilians" in note for note in answer.notes)
    assert len(answer.citations) == 1


def test_wrong_figure_with_a_real_citation_is_not_accepted(fake_seed_assistant: Any) -> None:
    def script(prompt: str) -> str:
        return f"Kataib Hezbollah confirmed the death of nine of its members [{source_number(prompt, EIGHT)}]."

    answer = llm_assistant(fake_seed_assistant, ScriptedLLM(script)).ask("How many Kataib Hezbollah members died?")
    assert answer.abstained and answer.citations == []


def test_model_saying_the_articles_dont_say_is_an_abstention(fake_seed_assistant: Any) -> None:
    llm = ScriptedLLM(lambda p: "The articles don't say.")
    answer = llm_assistant(fake_seed_assistant, llm).ask("Who won the cup?")
    assert answer.abstained and answer.citations == []


def test_follow_up_is_condensed_by_the_model_before_retrieval(fake_seed_assistant: Any) -> None:
    def script(prompt: str) -> str:
        if "Standalone question" in prompt:
            return "Since when has the US designated Kataib Hezbollah a terrorist organization?"
        return f"The US has designated it a terrorist organization since 2009 [{source_number(prompt, 'since 2009')}]."

    llm = ScriptedLLM(script)
    history = [{"role": "user", "content": "What is Kataib Hezbollah?"}, {"role": "assistant", "content": "A militia."}]
    answer = llm_assistant(fake_seed_assistant, llm).ask("Since when has the US treated it as a terrorist group?",
                                                    history=history)
    assert "Kataib Hezbollah" in answer.search_query
    assert "2009" in answer.text and answer.citations[0].source == "001_d0b1d9f66b66a1cb.txt"
    assert "What is Kataib Hezbollah?" in llm.prompts[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_endpoint_gives_an_error_naming_it(fake_seed_assistant: Any) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    assistant = llm_assistant(fake_seed_assistant, None, llm_base_url=url, llm_model="any", llm_timeout=5.0)
    with pytest.raises(LLMError, match=f"the LLM at {url}.* failed"):
        assistant.ask("How many Kataib Hezbollah members died?")


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    def script(prompt: str) -> str:
        return f"Eight Kataib Hezbollah members were killed [{source_number(prompt, EIGHT)}]."

    with openai_compatible_server(script) as server:
        yield server


def test_openai_compatible_endpoint_over_http_streams_a_checked_answer(
    fake_seed_assistant: Any, openai_server: OpenAIServer
) -> None:
    assistant = llm_assistant(fake_seed_assistant, None, llm_base_url=openai_server.url, llm_model="local-model")
    *pieces, answer = list(assistant.stream("How many Kataib Hezbollah members were killed south of Baghdad?"))
    assert pieces and "".join(pieces) == answer.text  # streamed as checked, sentence by sentence
    assert answer.answerer == "llm" and not answer.abstained
    assert answer.citations[0].source == "003_0de35cad8aa68667.txt"
    assert openai_server.requests[0]["model"] == "local-model"
