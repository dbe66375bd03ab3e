"""Every prompt file renders with its named variables, and only with them; per-engine overrides must keep
the same variables, and are what the model is sent."""

from __future__ import annotations

from typing import Any

import pytest
from fake_llm import ScriptedLLM

from assistant.answer.prompts import Prompts, available_prompts, fields_of, load_prompt, render_prompt
from assistant.core.errors import ConfigError


def test_every_prompt_renders_with_all_its_fields_filled() -> None:
    names = available_prompts()
    assert {"answer", "condense"} <= set(names)
    for name in names:
        fields = fields_of(load_prompt(name))
        assert fields, f"{name} has no variables"
        text = render_prompt(name, **{f: f"<{f}>" for f in fields})
        assert all(f"<{f}>" in text for f in fields)
        assert "{" not in text.replace("{{", "")


def test_missing_or_unknown_prompt_variable_fails_loudly() -> None:
    with pytest.raises(ConfigError, match="needs"):
        render_prompt("condense", question="q")
    with pytest.raises(ConfigError, match="has no field"):
        render_prompt("condense", question="q", history="h", extra="x")


# --- per-engine overrides ---------------------------------------------------------------------------

def test_override_with_other_fields_than_the_packaged_prompt_is_refused() -> None:
    with pytest.raises(ConfigError, match="prompt override 'condense' must use the fields history, question"):
        Prompts({"condense": "Rewrite {question} please"})
    with pytest.raises(ConfigError, match="it uses history, question, tone"):
        Prompts({"condense": "{history} {question} in a {tone} tone"})


def test_empty_override_or_one_for_an_unknown_prompt_is_refused() -> None:
    with pytest.raises(ConfigError, match="must be non-empty text"):
        Prompts({"answer": "  "})
    with pytest.raises(ConfigError, match="'nonsense' is not among the packaged prompts"):
        Prompts({"nonsense": "{question}"})


def test_an_override_is_what_the_llm_is_sent(make_fake_assistant: Any, news_assistant: Any) -> None:
    fields = sorted(fields_of(load_prompt("answer")))
    override = "HOUSE STYLE\n" + "\n".join(f"{f}: {{{f}}}" for f in fields)
    llm = ScriptedLLM(lambda prompt: "The articles don't say.")
    assistant = make_fake_assistant(news_assistant.settings.corpus_dir, store_dir=news_assistant.settings.store_dir,
                                    answerer="llm", llm=llm, prompts={"answer": override})
    assert assistant.ask("What burned at Northport harbour?").abstained
    assert llm.prompts and llm.prompts[0].startswith("HOUSE STYLE\n")
    assert "question: What burned at Northport harbour?" in llm.prompts[0]
    assert Prompts({"answer": override}).template("condense") == load_prompt("condense"), "others stay packaged"
