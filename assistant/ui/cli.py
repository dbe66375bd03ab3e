"""`assistant` command line: a thin layer over `Assistant`. Errors become one line here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from ..core.errors import AssistantError


def _settings(args: argparse.Namespace, **more: Any) -> Any:
    from ..core.offline import prepare_offline
    from ..core.settings import Settings

    prepare_offline()
    return Settings.from_env(
        corpus_dir=args.corpus, store_dir=args.store, chroma_url=args.chroma_url, collection=args.collection,
        **more,
    )


def _assistant(args: argparse.Namespace, **more: Any) -> Any:
    from ..api import Assistant

    return Assistant(_settings(args, **more))


def cmd_ingest(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    from .progress import ProgressBar, print_report

    bar = ProgressBar("embedding")
    try:
        report = assistant.ingest(paths=args.paths or None, rebuild=args.rebuild, progress=bar,
                                  allow_empty=args.allow_empty)
    finally:
        bar.close()
    print_report(report)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
    nothing = report.files_read == 0 and (report.problems or report.articles_total == 0)
    return 1 if nothing or (args.strict and report.problems) else 0


def cmd_status(args: argparse.Namespace) -> int:
    status = _assistant(args).status()
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        where = "server" if status["server"] else "store"
        print(f"articles: {status['articles']}\nchunks: {status['chunks']}\n"
              f"embedding model: {status['embedding_model']}\n{where}: {status['store']} "
              f"(collection {status['collection']})\nlast ingest: {status['last_ingest'] or 'never'}")
    return 0


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    """The filter options of `ask` and `chat` as `Assistant.ask` options."""
    return {"since": args.since, "until": args.until, "publishers": args.publisher or None,
            "include_undated": args.include_undated}


def cmd_ask(args: argparse.Namespace) -> int:
    from .terminal import answer_to_text

    assistant = _assistant(args, answerer=args.answerer)
    answer = assistant.ask(args.question, k=args.k, **_filters(args))
    print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False) if args.json else answer_to_text(answer))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from .terminal import chat

    try:
        import readline  # noqa: F401 - line editing and history for input(), where the platform has it
    except ImportError:
        pass
    return chat(_assistant(args, answerer=args.answerer), options=_filters(args))


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import serve

    return serve(_settings(args, host=args.host, port=args.port, auth=args.auth, mcp_server=args.mcp or None))


def cmd_settings(args: argparse.Namespace) -> int:
    from ..core.settings import Settings

    print(Settings.markdown_table(), end="")  # the README's Settings table, from the same rows
    return 0


def _add_filter_options(p: argparse.ArgumentParser) -> None:
    """The filters `ask` and `chat` share (one question or every question of the conversation)."""
    p.add_argument("--since", help="only articles dated on/after YYYY-MM-DD")
    p.add_argument("--until", help="only articles dated on/before YYYY-MM-DD")
    p.add_argument("--include-undated", action="store_true", help="with --since/--until, also articles that "
                   "state no date (left out otherwise)")
    p.add_argument("--publisher", action="append", help="only this publisher (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant", description="Questions over a folder of news articles, answered with exact citations. "
        "Settings come from ASSISTANT_* variables (`assistant settings`); these options override them.")
    parser.add_argument("--corpus", help="articles folder (ASSISTANT_CORPUS_DIR)")
    parser.add_argument("--store", help="store folder (ASSISTANT_STORE_DIR)")
    parser.add_argument("--chroma-url", help="Chroma server URL (ASSISTANT_CHROMA_URL)")
    parser.add_argument("--collection", help="collection name (ASSISTANT_COLLECTION)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="sync the corpus and uploads folders (or PATHs) into the store")
    p.add_argument("paths", nargs="*", help="files or folders to add, update, and (for a folder) remove deleted "
                   "articles of, instead of syncing everything")
    p.add_argument("--rebuild", action="store_true", help="drop the store and start over")
    p.add_argument("--allow-empty", action="store_true", help="remove stored articles even from a folder that "
                   "holds no article file or lost more than half of them (kept otherwise: an unmounted share "
                   "looks like that)")
    p.add_argument("--strict", action="store_true", help="exit non-zero if any file was skipped")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("status", help="what the store holds")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON (Answer.to_dict())")
    p.add_argument("--k", type=int, help="chunks to retrieve")
    _add_filter_options(p)
    p.add_argument("--source", action="append", dest="publisher", help=argparse.SUPPRESS)  # deprecated alias
    p.add_argument("--answerer", choices=["extractive", "llm", "hybrid"],
                   help="ASSISTANT_ANSWERER; llm and hybrid need a model")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal: follow-ups, sources under each answer")
    _add_filter_options(p)
    p.add_argument("--answerer", choices=["extractive", "llm", "hybrid"],
                   help="ASSISTANT_ANSWERER; llm and hybrid need a model")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="start the chat app (the same as `python app.py`)")
    p.add_argument("--host", help="address to bind (ASSISTANT_HOST; default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (ASSISTANT_PORT; default 7860)")
    p.add_argument("--auth", help="user:password required to use the app (ASSISTANT_AUTH; needed off loopback)")
    p.add_argument("--mcp", action="store_true", help="also offer ask, article and library as MCP tools at "
                   "/gradio_api/mcp/ (ASSISTANT_MCP_SERVER; needs the mcp extra)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("settings", help="list every ASSISTANT_* setting")
    p.set_defaults(func=cmd_settings)

    from ..evaluation.cli import add_eval_parser

    add_eval_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `assistant status | head`: the reader left; not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
