"""Start the chat: `python app.py [--host H] [--port N] [--auth user:pass]`.

Settings come from ASSISTANT_* variables (see `assistant settings`), with these
flags on top. The corpus folder is synced into the store first (with a progress
bar when there is something to embed), then the app serves on
http://127.0.0.1:7860 by default. Binding to any other address needs a password.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from assistant.offline import prepare_offline

    prepare_offline()  # before gradio or any model library is imported
    from assistant.chat import main as chat_main

    return chat_main(argv)


if __name__ == "__main__":
    sys.exit(main())
