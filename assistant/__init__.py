"""News assistant: questions over news articles, answered with exact citations.

Import is cheap: the public names load their modules on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Assistant", "Answer", "Citation", "Settings"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import Assistant
    from .core.answers import Answer, Citation
    from .core.settings import Settings


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from .api import Assistant

        return Assistant
    if name in ("Answer", "Citation"):
        from .core import answers

        return getattr(answers, name)
    if name == "Settings":
        from .core.settings import Settings

        return Settings
    raise AttributeError(name)
