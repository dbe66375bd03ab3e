"""The one loader of prompt templates: package data (`prompts/*.txt`, installed as
`assistant.prompts`), read with importlib.resources, overridable per engine.

Templates use `{name}` fields. Rendering fails if a field is missing or an
unknown one is passed, so a template and its caller cannot drift apart.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from importlib import resources

from ..core.errors import ConfigError

PACKAGE = "assistant.prompts"


@cache
def load_prompt(name: str) -> str:
    """The packaged template `name` (e.g. "answer")."""
    try:
        return resources.files(PACKAGE).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError) as exc:
        raise ConfigError(f"prompt {name!r} is not among the packaged prompts ({exc})") from None


def available_prompts() -> list[str]:
    return sorted(p.name[:-4] for p in resources.files(PACKAGE).iterdir() if p.name.endswith(".txt"))


def fields_of(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def fill(name: str, template: str, values: Mapping[str, str]) -> str:
    """`template` with every field filled; ConfigError naming the prompt on a missing or unknown field."""
    wanted = fields_of(template)
    missing = wanted - values.keys()
    if missing:
        raise ConfigError(f"prompt {name!r} needs {', '.join(sorted(missing))}")
    extra = values.keys() - wanted
    if extra:
        raise ConfigError(f"prompt {name!r} has no field {', '.join(sorted(extra))}")
    return template.format(**values)


def render_prompt(name: str, **values: str) -> str:
    return fill(name, load_prompt(name), values)


class Prompts:
    """The templates one engine uses: the packaged ones, with per-instance overrides
    (`Assistant(settings, prompts={"answer": "...{sources}...{question}..."})`)."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self.overrides = dict(overrides or {})
        for name, template in self.overrides.items():
            if not isinstance(template, str) or not template.strip():
                raise ConfigError(f"prompt override {name!r} must be non-empty text")
            wanted, given = fields_of(load_prompt(name)), fields_of(template)
            if wanted != given:
                raise ConfigError(f"prompt override {name!r} must use the fields {', '.join(sorted(wanted))}; "
                                  f"it uses {', '.join(sorted(given)) or 'none'}")

    def template(self, name: str) -> str:
        return self.overrides.get(name) or load_prompt(name)

    def render(self, name: str, **values: str) -> str:
        return fill(name, self.template(name), values)
