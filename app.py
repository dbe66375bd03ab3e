"""Start the chat: `python app.py [--host H] [--port N] [--auth user:pass]`.

The same command as `assistant serve` (one parser: `assistant.ui.cli`). Settings come
from ASSISTANT_* variables (see `assistant settings`), with these flags on top. The
corpus and upload folders are synced into the store first, then the app serves on
http://127.0.0.1:7860 by default. Binding to any other address needs a password.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from assistant.ui.cli import main as cli_main

    return cli_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
