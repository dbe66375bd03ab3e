"""Entry point of the chat app: `python app.py [--host H] [--port N] [--auth user:pass]`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    try:
        from assistant.chat import main as chat_main
    except ImportError:  # the chat app is not built yet: sync and report instead
        from assistant.cli import main as cli_main

        code = cli_main(["ingest"])
        return code or cli_main(["status"])
    return chat_main(argv)


if __name__ == "__main__":
    sys.exit(main())
