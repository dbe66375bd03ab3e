"""Every prompt file renders with its named variables, and only with them."""

from __future__ import annotations

import pytest

from assistant.answer.prompts import available_prompts, fields_of, load_prompt, render_prompt
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
