"""The browser chat: a Gradio Blocks app over one shared `Assistant`.

`serve(settings)` (behind `assistant serve` and `python app.py`) refuses to bind beyond
loopback without a password, syncs the corpus and uploads folders with visible progress, then
serves. One `Assistant` per process: the embedding model and the store load once and every
session shares them. Answering runs on Gradio's queue: at most `settings.concurrency_limit`
questions (browser and API together) are answered at once; the rest wait.

The parts: `layout` (the components), `handlers` (what each event and endpoint does), `cards`
(the HTML), `uploads` (saving and ingesting uploaded files); `build_app` here wires them.

Endpoints for programs (gradio_client):
    /ask      (question, history, k, since, until, publishers, answerer, include_undated) -> Answer.to_dict()
    /article  (source) -> {"id", "text", "title", "date", "publisher", "file", ...}
    /upload   (files) -> {"saved": [{"file", "article"}], "refused", "summary", "problems", "notices"}
    /library  (query) -> [{"id", "title", "publisher", "date", "origin"}, ...] (every word of query matched)

Gradio itself is imported only when the app is built, after `prepare_offline()`.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any

from ..core.errors import AssistantError, ConfigError, MissingExtraError
from ..core.offline import prepare_offline
from . import cards as render
from .login import Login, weakness
from .progress import ProgressBar, print_report

if TYPE_CHECKING:
    import gradio as gr

    from ..api import Assistant
    from ..core.settings import Settings

log = logging.getLogger("assistant.chat")

SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while another waits (Python's default: 0.005)
ANSWER_GROUP = "answer"  # the browser chat and /ask share one concurrency limit
INGEST_GROUP = "ingest"  # one upload at a time, page and /upload together


# --- checks at the edge ---------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """`user:password` -> (user, password); None when unset."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ConfigError("auth must look like user:password (both parts non-empty)")
    return user, password


def check_bind(settings: Settings) -> tuple[str, str] | None:
    """The credentials to require, or ConfigError when binding off loopback without any."""
    credentials = parse_auth(settings.auth)
    if credentials is None and not is_loopback(settings.host):
        raise ConfigError(
            f"refusing to serve on {settings.host} without a password: anyone who can reach it could use "
            "the assistant; pass --auth user:pass (or set ASSISTANT_AUTH), or bind to 127.0.0.1"
        )
    return credentials


def password_warning(settings: Settings, credentials: tuple[str, str] | None) -> str | None:
    """One line when the app is reachable beyond loopback behind a password that is easy to guess."""
    if credentials is None or is_loopback(settings.host):
        return None
    why = weakness(*credentials)
    return (f"the password is weak ({why}), and {settings.host}:{settings.port} can be reached from other "
            "machines; sign-in slows down after each failure, but choose a longer one") if why else None


# --- the app ---------------------------------------------------------------------------------------
def build_app(assistant: Assistant) -> gr.Blocks:
    """The Blocks app; one `assistant` shared by every session and request."""
    prepare_offline()
    import gradio as gr

    from .handlers import Handlers, status_line
    from .layout import page

    h = Handlers(assistant)
    with gr.Blocks(title="News assistant", analytics_enabled=False) as demo:
        p = page(assistant.settings, status_line(assistant), h.publishers(), h.examples())
        private: dict[str, Any] = {"api_visibility": "private"}
        asking = ([p.question, p.turns, p.since, p.until, p.chosen, p.answerer, p.include_undated],
                  [p.question, p.chatbot, p.turns, p.sources])
        remember = (h.remember, [p.turns, p.saved], [p.saved])
        for trigger in (p.question.submit, p.send.click):
            trigger(h.respond, *asking, concurrency_id=ANSWER_GROUP, show_progress="minimal", **private).then(
                *remember, queue=False, **private)
        p.examples.click(lambda sample: sample[0], [p.examples], [p.question], queue=False, **private).then(
            h.respond, *asking, concurrency_id=ANSWER_GROUP, show_progress="minimal", **private).then(
            *remember, queue=False, **private)
        p.regenerate.click(h.regenerate, asking[0][1:], asking[1], concurrency_id=ANSWER_GROUP,
                           show_progress="minimal", **private).then(*remember, queue=False, **private)
        demo.load(h.restore, [p.saved], [p.chatbot, p.turns, p.sources, p.past], queue=False, **private)
        p.reopen.click(h.reopen, [p.past, p.turns, p.saved], [p.chatbot, p.turns, p.sources, p.saved, p.past],
                       queue=False, **private)
        p.forget.click(h.forget, [p.past, p.saved], [p.saved, p.past], queue=False, **private)
        library = [p.library_list, p.library_pick]
        for searching in (p.library_search.change, demo.load):
            searching(h.show_library, [p.library_search], library, queue=False, **private)
        p.library_open.click(h.open_article, [p.library_pick], [p.sources], queue=False, **private)
        p.library_remove.click(h.remove_article, [p.library_pick, p.library_search],
                               [p.library_report, *library, p.status, p.chosen], concurrency_limit=1,
                               concurrency_id=INGEST_GROUP, **private)
        p.chatbot.select(h.show_turn, [p.turns], [p.sources], queue=False, **private)
        p.chatbot.like(h.feedback, [p.turns], None, **private)  # queued: its toast needs the queue's channel
        for clearing in (p.new_chat.click, p.chatbot.clear):
            clearing(h.new_conversation, [p.turns, p.saved], [p.saved, p.past], queue=False, **private).then(
                h.clear, [p.since, p.until, p.chosen], [p.chatbot, p.turns, p.question, p.sources], **private)
        chips = [p.since_chip, p.until_chip, p.publishers_chip, p.filter_line, p.include_undated]
        filtering = [p.since, p.until, p.chosen, p.include_undated]
        # the box's .input (a user's tick), not .change: filters() itself updates the box's visibility
        for changed in (p.since.blur, p.since.submit, p.until.blur, p.until.submit, p.chosen.change,
                        p.include_undated.input):
            changed(h.filters, filtering, chips, queue=False, **private)
        for chip, field, empty in ((p.since_chip, p.since, ""), (p.until_chip, p.until, ""),
                                   (p.publishers_chip, p.chosen, [])):
            chip.click(lambda e=empty: e, None, [field], queue=False, **private).then(
                h.filters, filtering, chips, queue=False, **private)
        p.add.click(h.page_upload, [p.files], [p.files, p.upload_report, p.status, p.chosen], concurrency_limit=1,
                    concurrency_id=INGEST_GROUP, **private).then(h.show_library, [p.library_search], library,
                                                                 queue=False, **private)
        demo.load(h.refresh, None, [p.status, p.chosen], queue=False, **private)

        gr.api(h.api_ask, api_name="ask", concurrency_id=ANSWER_GROUP)
        gr.api(h.api_article, api_name="article")
        gr.api(h.api_library, api_name="library")
        p.api_trigger.click(h.api_upload, [p.api_files], [p.api_report], api_name="upload", concurrency_limit=1,
                            concurrency_id=INGEST_GROUP)
    return demo


def launch(demo: gr.Blocks, settings: Settings, **extra: Any) -> Any:
    """Queue and launch `demo` with the settings' address, password and limits."""
    import gradio as gr

    credentials = check_bind(settings)
    theme = gr.themes.Soft(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
    demo.queue(default_concurrency_limit=settings.concurrency_limit)
    # Gradio's own hard cap keeps huge uploads off the disk; the clear per-file message comes from
    # add_uploads, which applies the exact settings.max_upload_mb limit.
    cap = int(max(settings.max_upload_mb * 2, settings.max_upload_mb + 1) * 1e6)
    options: dict[str, Any] = dict(
        server_name=settings.host, server_port=settings.port, auth=Login(*credentials).check if credentials else None,
        auth_message="News assistant: sign in with the user and password the server was started with.",
        max_file_size=cap, css=render.CSS, theme=theme, head=render.HEAD, footer_links=["api"], ssr_mode=False,
        enable_monitoring=False, mcp_server=mcp_enabled(settings), pwa=False, run_history=False, share=False,
        show_error=False,
    )
    options.update(extra)
    return demo.launch(**options)


def mcp_enabled(settings: Settings) -> bool:
    """Whether to serve MCP; MissingExtraError naming the extra when it is asked for and `mcp` is missing."""
    if not settings.mcp_server:
        return False
    try:
        import mcp  # noqa: F401 - Gradio's MCP server needs it
    except ImportError:
        raise MissingExtraError("the MCP server (mcp)", "mcp") from None
    return True


def sync_corpus(assistant: Assistant) -> None:
    """Bring the store up to date with the corpus and uploads folders, reporting on stderr."""
    bar = ProgressBar("embedding corpus", leave=True)
    print(f"syncing {assistant.settings.corpus_dir} …", file=sys.stderr, flush=True)
    try:
        report = assistant.ingest(progress=bar)
    finally:
        bar.close()
    print_report(report)
    print(f"corpus: {report.summary()}", file=sys.stderr, flush=True)


def serve(settings: Settings) -> int:
    """Check the address, sync the corpus, serve until interrupted. Returns an exit code."""
    prepare_offline()
    try:
        credentials = check_bind(settings)
        mcp_enabled(settings)  # a missing extra is said before the corpus syncs
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if warning := password_warning(settings, credentials):
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    if not port_free(settings.host, settings.port):
        print(f"error: {port_taken(settings)}", file=sys.stderr)
        return 1
    # Hand the GIL over after 1 ms instead of 5: while an upload's Python work (parsing 5 MB of HTML, spaCy)
    # runs, every question waits for the GIL each time it comes back from C (Chroma, the embedder). During a
    # 5 MB HTML upload /ask's p95 was 6.1x its idle value at 5 ms and 1.8x at 1 ms (benchmarks/upload_load.py).
    sys.setswitchinterval(SWITCH_INTERVAL)
    # gradio takes seconds to import: let it load while the corpus syncs
    warm = threading.Thread(target=_import_gradio, name="import-gradio", daemon=True)
    warm.start()
    from ..api import Assistant

    assistant = Assistant(settings)
    try:
        sync_corpus(assistant)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warm.join()
    demo = build_app(assistant)
    threading.Thread(target=_warm_up, args=(assistant,), name="warm-up", daemon=True).start()
    try:
        launch(demo, settings, quiet=True, prevent_thread_lock=True)
    except OSError as exc:
        reason = port_taken(settings) if "port" in str(exc).lower() else str(exc)
        print(f"error: cannot serve on {settings.host}:{settings.port}: {reason}", file=sys.stderr)
        return 1
    where = f"http://{settings.host}:{settings.port}"
    print(f"serving the chat on {where} (at most {settings.concurrency_limit} answers at once; "
          f"Ctrl+C stops)", file=sys.stderr, flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
    return 0


def port_free(host: str, port: int) -> bool:
    """Whether `port` can be bound on `host` now (as the server will: with SO_REUSEADDR)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return True  # let the server report the unusable address itself
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError:
            return False
    return True


def port_taken(settings: Settings) -> str:
    return (f"port {settings.port} on {settings.host} is in use; "
            "choose another with --port N (or ASSISTANT_PORT)")


def _import_gradio() -> None:
    try:
        import gradio  # noqa: F401
    except Exception:  # reported again, with its traceback, by the real import
        pass


def _warm_up(assistant: Assistant) -> None:
    """Load the lexical index in the background, so the first question waits for nothing. No sentence
    needs embedding here: the start-up sync has just embedded (or re-annotated) every sentence, so
    `Assistant.warm_up()` would only scan every stored sentence id to find none missing."""
    try:
        assistant.retriever.refresh()
    except Exception as exc:  # the first question will report it properly
        log.debug("warm-up failed: %s", exc)
