"""Prompt templates live as files in `prompts/`; this is the one loader.

Templates use `{name}` fields. Rendering fails if a field is missing or an
unknown one is passed, so a template and its caller cannot drift apart.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from .errors import ConfigError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load_prompt(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"prompt {name!r} not found at {path}: {exc.strerror}") from None


def fields_of(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def render_prompt(name: str, **values: str) -> str:
    template = load_prompt(name)
    wanted = fields_of(template)
    missing = wanted - values.keys()
    if missing:
        raise ConfigError(f"prompt {name!r} needs {', '.join(sorted(missing))}")
    extra = values.keys() - wanted
    if extra:
        raise ConfigError(f"prompt {name!r} has no field {', '.join(sorted(extra))}")
    return template.format(**values)


def available_prompts() -> list[str]:
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.txt"))
