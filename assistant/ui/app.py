"""The browser chat: a Gradio Blocks app over one shared `Assistant`.

`serve(settings)` (behind `assistant serve` and `python app.py`) refuses to bind beyond
loopback without a password, syncs the corpus with visible progress, then serves. One `Assistant` per process:
the embedding model and the store load once and every session shares them.
Answering runs on Gradio's queue: at most `settings.concurrency_limit`
questions (browser and API together) are answered at once; the rest wait.

Endpoints for programs (gradio_client):
    /ask      (question, history) -> Answer.to_dict()
    /article  (source) -> {"id", "text", "title", "date", "source", "file", ...}
    /upload   (files) -> {"saved", "refused", "summary", "problems", "notices"}

Gradio itself is imported only when the app is built, after `prepare_offline()`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from ..core.errors import AssistantError, ConfigError
from ..core.offline import prepare_offline
from . import cards as render
from .progress import ProgressBar, print_report
from .uploads import UPLOAD_EXTENSIONS, add_uploads

if TYPE_CHECKING:
    import gradio as gr

    from ..api import Assistant
    from ..core.settings import Settings

log = logging.getLogger("assistant.chat")

EXAMPLES = [
    "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?",
    "Since when has the US designated Kataib Hezbollah a terrorist organization?",
    "Who is Yehia Rasool?",
]
ANSWER_GROUP = "answer"  # the browser chat and /ask share one concurrency limit
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def iso_date_option(value: str | None, name: str) -> str | None:
    """'' -> None; YYYY-MM-DD -> itself; anything else -> ConfigError naming the field."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if not _ISO_DATE.match(value):
            raise ValueError
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ConfigError(f"{name}: expected a date like 2024-01-31, got {value!r}") from None


def answer_options(since: str | None, until: str | None, publishers: list[str] | None,
                   answerer: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "since": iso_date_option(since, "since"),
        "until": iso_date_option(until, "until"),
    }
    if options["since"] and options["until"] and options["since"] > options["until"]:
        raise ConfigError(f"since ({options['since']}) is after until ({options['until']})")
    if publishers:
        options["publishers"] = list(publishers)
    if answerer:
        options["answerer"] = answerer
    return {k: v for k, v in options.items() if v is not None}


# --- answers ---------------------------------------------------------------------------------------
def articles_for(assistant: Assistant, answer: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    found: dict[str, dict[str, Any] | None] = {}
    for c in answer.get("citations") or []:
        source = c.get("source") or ""
        if source not in found:
            try:
                found[source] = assistant.article(source)
            except AssistantError:
                found[source] = None
    return found


def conversation_of(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The history the API expects, from the turns answered so far (failed turns left out)."""
    history: list[dict[str, str]] = []
    for t in turns:
        if t.get("answer") is not None:
            history += [{"role": "user", "content": t["question"]},
                        {"role": "assistant", "content": t["answer"]["text"]}]
    return history


def chat_messages(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    messages = []
    for t in turns:
        messages.append({"role": "user", "content": render.chat_text(t["question"])})
        if t.get("answer") is not None:
            content = render.chat_answer(t["answer"]["text"], bool(t["answer"].get("abstained")))
        elif t.get("error"):
            content = render.chat_error(t["error"])
        else:
            content = render.chat_text(t.get("partial") or "") + " …"
        messages.append({"role": "assistant", "content": content})
    return messages


def status_line(assistant: Assistant) -> str:
    try:
        s = assistant.status()
    except AssistantError as exc:
        return render.esc(f"store unavailable: {exc}")
    return render.esc(
        f"{s['articles']} articles · {s['chunks']} chunks · embedding model {s['embedding_model']} · "
        f"last ingest {s['last_ingest'] or 'never'}"
    )


def _fail(exc: BaseException) -> str:
    """One line for the user; the traceback of anything unexpected goes to the server log."""
    if isinstance(exc, AssistantError):
        return str(exc)
    log.error("unexpected error while answering", exc_info=exc)
    return f"internal error ({type(exc).__name__}: {exc}); see the server log"


# --- the app ---------------------------------------------------------------------------------------
def build_app(assistant: Assistant) -> gr.Blocks:
    """The Blocks app; one `assistant` shared by every session and request."""
    prepare_offline()
    import gradio as gr

    from ..core.answers import Answer

    settings = assistant.settings
    answerers = ["extractive"] + (["llm"] if settings.llm_configured else [])
    default_answerer = settings.answerer if settings.answerer in answerers else "extractive"

    def error(message: str) -> Exception:
        """A message for the user (toast in the page, AppError in gradio_client), without a traceback:
        unexpected failures are logged with theirs by `_fail`."""
        return gr.Error(message, print_exception=False)

    def publishers() -> list[str]:
        try:
            return assistant.publishers()
        except AssistantError:
            return []

    # ---- handlers ----
    def respond(message: str, turns: list[dict[str, Any]], since: str, until: str,
                chosen: list[str], answerer: str) -> Iterator[tuple[Any, ...]]:
        question = (message or "").strip()
        try:
            if not question:
                raise ConfigError("type a question first")
            options = answer_options(since, until, chosen, answerer)
        except AssistantError as exc:  # a toast; the chat and the typed question stay as they were
            gr.Warning(str(exc))
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        history = conversation_of(turns)
        turn: dict[str, Any] = {"question": question, "partial": ""}
        turns = [*turns, turn]
        yield "", chat_messages(turns), turns, render.placeholder("Searching the articles…")
        pieces: list[str] = []
        answer = None
        try:
            for item in assistant.stream(question, history=history, **options):
                if isinstance(item, Answer):
                    answer = item
                elif isinstance(item, str) and item:
                    pieces.append(item)
                    turn["partial"] = "".join(pieces)
                    yield gr.skip(), chat_messages(turns), gr.skip(), gr.skip()
            if answer is None:
                raise AssistantError("the answerer finished without an answer")
        except Exception as exc:  # the edge: every failure becomes one line in the chat
            turn["error"] = _fail(exc)
            yield gr.skip(), chat_messages(turns), turns, render.error_panel(turn["error"])
            return
        data = answer.to_dict()
        turn.pop("partial", None)
        turn["answer"] = data
        turn["sources"] = render.sources_panel(data, articles_for(assistant, data))
        yield gr.skip(), chat_messages(turns), turns, turn["sources"]

    def show_turn(turns, evt):  # annotations set below: `gr` is not a module global
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        if not turns:
            return gr.skip()
        turn = turns[min(int(index) // 2, len(turns) - 1)]
        if turn.get("sources"):
            return turn["sources"]
        return render.error_panel(turn["error"]) if turn.get("error") else gr.skip()

    show_turn.__annotations__ = {"turns": list, "evt": gr.SelectData}

    def clear() -> tuple[Any, ...]:
        return [], [], "", render.placeholder(EMPTY_SOURCES)

    def ui_upload(files: list[str] | None) -> tuple[Any, ...]:
        if not files:
            gr.Warning("Choose one or more files first.")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            result = add_uploads(assistant, [str(f) for f in files])
        except Exception as exc:
            return gr.skip(), render.error_panel(_fail(exc)), status_line(assistant), gr.skip()
        report = render.upload_report(
            [(s["file"], s["article"]) for s in result["saved"]], result["refused"], result["summary"],
            result["problems"], result["notices"],
        )
        return None, report, status_line(assistant), gr.update(choices=publishers())

    def refresh() -> tuple[Any, ...]:
        return status_line(assistant), gr.update(choices=publishers())

    # ---- API for programs ----
    def api_ask(question: str, history: list[dict[str, str]] | None = None, k: int | None = None,
                since: str | None = None, until: str | None = None, publishers: list[str] | None = None,
                answerer: str | None = None) -> dict[str, Any]:
        """Answer a question (history: [{"role": "user"|"assistant", "content": str}, ...]) with
        numbered citations; returns Answer.to_dict()."""
        try:
            options = answer_options(since, until, publishers, answerer)
            if k is not None:
                options["k"] = int(k)
            return assistant.ask(question, history=history or [], **options).to_dict()
        except Exception as exc:
            raise error(_fail(exc)) from None

    def api_article(source: str) -> dict[str, Any]:
        """The cleaned text and metadata of one article; a citation's quote is text[start:end]."""
        try:
            found = dict(assistant.article(source))
        except Exception as exc:
            raise error(_fail(exc)) from None
        # a "path" key would make gradio_client take the dict for a file to download
        found["file"] = found.pop("path", None)
        return found

    def api_upload(files: list[str] | None) -> dict[str, Any]:
        if not files:
            raise error("no files given")
        try:
            return add_uploads(assistant, [str(f) for f in files])
        except Exception as exc:
            raise error(_fail(exc)) from None

    # ---- layout ----
    with gr.Blocks(title="News assistant", analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.Markdown("## News assistant\nAnswers come only from the articles; every claim carries a "
                    "numbered source. Ask a follow-up to continue the conversation.")
        status = gr.HTML(status_line(assistant), elem_id="status-line")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                chatbot = gr.Chatbot(
                    label="Conversation", elem_id="chat", height=460, sanitize_html=True,
                    render_markdown=True, latex_delimiters=[], buttons=["copy", "copy_all"],
                    feedback_options=None, allow_tags=False, layout="bubble",
                    placeholder="Ask about the news articles. Click an answer to see its sources again.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question about the articles…", show_label=False, lines=1,
                        max_lines=4, scale=5, elem_id="question", autofocus=True,
                        max_length=settings.max_question_chars,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-button")
                with gr.Row():
                    new_chat = gr.Button("New conversation", size="sm", elem_id="clear-button")
                gr.Examples(EXAMPLES, inputs=[question], label="Examples")
                with gr.Accordion("Filters and answerer", open=False):
                    with gr.Row():
                        since = gr.Textbox(label="Since (YYYY-MM-DD)", placeholder="e.g. 2024-01-01",
                                           elem_id="since")
                        until = gr.Textbox(label="Until (YYYY-MM-DD)", placeholder="e.g. 2024-12-31",
                                           elem_id="until")
                    chosen = gr.Dropdown(choices=publishers(), multiselect=True, value=[],
                                         label="Publishers (none chosen = all)", elem_id="publishers")
                    answerer = gr.Radio(
                        answerers, value=default_answerer, label="Answerer", interactive=len(answerers) > 1,
                        info=None if len(answerers) > 1 else "llm needs ASSISTANT_LLM_MODEL and an endpoint",
                    )
                with gr.Accordion("Add articles", open=False):
                    files = gr.File(
                        label=f"Articles ({', '.join(UPLOAD_EXTENSIONS)}; "
                              f"up to {settings.max_upload_mb:g} MB each)",
                        file_count="multiple", file_types=list(UPLOAD_EXTENSIONS), type="filepath",
                        elem_id="upload-files",
                    )
                    add = gr.Button("Add to the corpus", elem_id="upload-button")
                    upload_report = gr.HTML(elem_id="upload-report")
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Sources")
                sources_html = gr.HTML(render.placeholder(EMPTY_SOURCES), elem_id="sources-panel")

        # hidden components behind the /upload endpoint (files need a File component to arrive)
        api_files = gr.File(file_count="multiple", type="filepath", visible=False)
        api_report = gr.JSON(visible=False)
        api_trigger = gr.Button(visible=False)

        ask_inputs = [question, turns, since, until, chosen, answerer]
        ask_outputs = [question, chatbot, turns, sources_html]
        for trigger in (question.submit, send.click):
            trigger(respond, ask_inputs, ask_outputs, api_visibility="private", concurrency_id=ANSWER_GROUP,
                    show_progress="minimal")
        chatbot.select(show_turn, [turns], [sources_html], api_visibility="private", queue=False)
        new_chat.click(clear, None, [chatbot, turns, question, sources_html], api_visibility="private",
                       queue=False)
        chatbot.clear(clear, None, [chatbot, turns, question, sources_html], api_visibility="private",
                      queue=False)
        add.click(ui_upload, [files], [files, upload_report, status, chosen], api_visibility="private",
                  concurrency_limit=1, concurrency_id="ingest")
        demo.load(refresh, None, [status, chosen], api_visibility="private", queue=False)

        gr.api(api_ask, api_name="ask", concurrency_id=ANSWER_GROUP)
        gr.api(api_article, api_name="article")
        api_trigger.click(api_upload, [api_files], [api_report], api_name="upload", concurrency_limit=1,
                          concurrency_id="ingest")
    return demo


EMPTY_SOURCES = "Sources of the latest answer appear here as numbered cards."


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
        server_name=settings.host, server_port=settings.port, auth=credentials,
        auth_message="News assistant: sign in with the user and password the server was started with.",
        max_file_size=cap, css=render.CSS, theme=theme, head=render.HEAD, footer_links=["api"], ssr_mode=False,
        enable_monitoring=False, mcp_server=False, pwa=False, run_history=False, share=False,
        show_error=False,
    )
    options.update(extra)
    return demo.launch(**options)


def sync_corpus(assistant: Assistant) -> None:
    """Bring the store up to date with the corpus folder, reporting on stderr."""
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
        check_bind(settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not port_free(settings.host, settings.port):
        print(f"error: {port_taken(settings)}", file=sys.stderr)
        return 1
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
    """Load the indexes and embed any sentence without a stored vector, in the background, so the
    first questions wait for nothing (questions asked meanwhile simply share the model's lock)."""
    try:
        embedded = assistant.warm_up()
        if embedded:
            log.info("warm-up: embedded %d sentences", embedded)
    except Exception as exc:  # the first question will report it properly
        log.debug("warm-up failed: %s", exc)
