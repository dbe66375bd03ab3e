"""The chat page's components, laid out; `app.build_app` wires them to `handlers.Handlers`.

Call `page(...)` inside a `gr.Blocks` context. Imported only when the app is built, after
`prepare_offline()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.offline import prepare_offline
from . import cards as render
from .uploads import UPLOAD_EXTENSIONS

prepare_offline()
import gradio as gr  # noqa: E402 - after the offline switches

if TYPE_CHECKING:
    from ..core.settings import Settings

EXAMPLES = [
    "How many Kataib Hezbollah members were killed in the strikes south of Baghdad?",
    "Since when has the US designated Kataib Hezbollah a terrorist organization?",
    "Who is Yehia Rasool?",
]
INTRO = ("## News assistant\nAnswers come only from the articles; every claim carries a numbered source. "
         "Ask a follow-up to continue the conversation.")


@dataclass
class Page:
    """Every component an event reads or writes."""

    turns: Any
    status: Any
    chatbot: Any
    question: Any
    send: Any
    new_chat: Any
    since: Any
    until: Any
    chosen: Any
    answerer: Any
    files: Any
    add: Any
    upload_report: Any
    sources: Any
    since_chip: Any  # the active filters, removable, next to the question box
    until_chip: Any
    publishers_chip: Any
    filter_line: Any
    include_undated: Any  # beside the filter line while a date filter leaves undated articles out
    saved: Any  # gr.BrowserState: this conversation and earlier ones, kept across refreshes
    past: Any
    reopen: Any
    forget: Any
    regenerate: Any
    examples: Any  # questions drawn from the corpus; a click sends one
    library_search: Any
    library_list: Any
    library_pick: Any
    library_open: Any
    library_remove: Any
    library_report: Any
    api_files: Any  # hidden: the /upload endpoint's input (files need a File component to arrive)
    api_report: Any
    api_trigger: Any


def page(settings: Settings, status_html: str, publishers: list[str], examples: list[str] | None = None) -> Page:
    """The page: the conversation on the left, the sources panel on the right; below them example
    questions (`examples`, drawn from the corpus; the fixed EXAMPLES when None), filters, uploads, library."""
    parts: dict[str, Any] = {"turns": gr.State([]), "saved": gr.BrowserState(
        {"current": [], "past": []}, storage_key="news-assistant-conversations")}
    gr.Markdown(INTRO)
    parts["status"] = gr.HTML(status_html, elem_id="status-line")
    # The sources column comes straight after the conversation, and examples, filters and uploads after
    # both: on a phone, where the columns stack, an answer's sources are then just below it.
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=380):
            parts |= _conversation(settings)
        with gr.Column(scale=2, min_width=320):
            gr.Markdown("### Sources", elem_id="sources-title")
            parts["sources"] = gr.HTML(render.placeholder(render.EMPTY_SOURCES), elem_id="sources-panel")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=380):
            questions = EXAMPLES if examples is None else examples
            parts["examples"] = gr.Dataset(components=[parts["question"]], samples=[[q] for q in questions],
                                           label="Try asking", elem_id="examples", visible=bool(questions))
            with gr.Accordion("Filters and answerer", open=False, elem_id="filters-box"):
                parts |= _filters(settings, publishers)
            with gr.Accordion("Add articles", open=False):
                parts |= _uploads(settings)
            with gr.Accordion("Library", open=False, elem_id="library-box"):
                parts |= _library()
            with gr.Accordion("Earlier conversations", open=False, elem_id="history-box"):
                parts |= _history()
        gr.Column(scale=2, min_width=320)
    parts["api_files"] = gr.File(file_count="multiple", type="filepath", visible=False)
    parts["api_report"] = gr.JSON(visible=False)
    parts["api_trigger"] = gr.Button(visible=False)
    return Page(**parts)


def _conversation(settings: Settings) -> dict[str, Any]:
    # Gradio's own copy buttons are off: they copy the Markdown-escaped message (`U\.S\.`, `\[1\]`);
    # the sources panel's "Copy answer with sources" button copies clean text instead.
    chatbot = gr.Chatbot(
        label="Conversation", elem_id="chat", height=460, sanitize_html=True,
        render_markdown=True, latex_delimiters=[], buttons=[],
        feedback_options=("Like", "Dislike"), allow_tags=False, layout="bubble",
        placeholder="Ask about the news articles. Click an answer to see its sources again.",
    )
    with gr.Row():
        question = gr.Textbox(
            placeholder="Ask a question about the articles…", show_label=False, lines=1,
            max_lines=4, scale=5, elem_id="question", autofocus=True,
            max_length=settings.max_question_chars,
        )
        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-button")
    with gr.Row(elem_id="filter-chips"):
        chips = [gr.Button(visible=False, size="sm", elem_id=f"{name}-chip", elem_classes="filter-chip")
                 for name in ("since", "until", "publishers")]
        regenerate = gr.Button("Regenerate", size="sm", elem_id="regenerate-button", scale=0, min_width=110)
        new_chat = gr.Button("New conversation", size="sm", elem_id="clear-button", scale=0, min_width=160)
    # the offer to include undated articles sits beside the notice that says how many are left out
    with gr.Row(elem_id="filter-notice"):
        filter_line = gr.HTML("", elem_id="filter-line", scale=1)
        include_undated = gr.Checkbox(False, label="Include undated articles", visible=False, container=False,
                                      scale=0, min_width=200, elem_id="include-undated")
    return {"chatbot": chatbot, "question": question, "send": send, "new_chat": new_chat, "regenerate": regenerate,
            "since_chip": chips[0], "until_chip": chips[1], "publishers_chip": chips[2], "filter_line": filter_line,
            "include_undated": include_undated}


def _filters(settings: Settings, publishers: list[str]) -> dict[str, Any]:
    answerers = ["extractive"] + (["llm", "hybrid"] if settings.llm_configured else [])
    default_answerer = settings.answerer if settings.answerer in answerers else "extractive"
    with gr.Row():
        since = gr.Textbox(label="Since", placeholder="e.g. 2023-11-01, November 2023, last year", elem_id="since")
        until = gr.Textbox(label="Until", placeholder="e.g. 2023-11-30, 2024", elem_id="until")
    chosen = gr.Dropdown(choices=publishers, multiselect=True, value=[],
                         label="Publishers (none chosen = all)", elem_id="publishers")
    answerer = gr.Radio(
        answerers, value=default_answerer, label="Answerer", interactive=len(answerers) > 1,
        info=None if len(answerers) > 1 else "llm needs ASSISTANT_LLM_MODEL and an endpoint",
    )
    return {"since": since, "until": until, "chosen": chosen, "answerer": answerer}


def _uploads(settings: Settings) -> dict[str, Any]:
    files = gr.File(
        label=f"Articles ({', '.join(UPLOAD_EXTENSIONS)}; up to {settings.max_upload_mb:g} MB each)",
        file_count="multiple", file_types=list(UPLOAD_EXTENSIONS), type="filepath", elem_id="upload-files",
    )
    add = gr.Button("Add to the corpus", elem_id="upload-button")
    upload_report = gr.HTML(elem_id="upload-report")
    return {"files": files, "add": add, "upload_report": upload_report}


def _library() -> dict[str, Any]:
    search = gr.Textbox(placeholder="Search titles, publishers, dates…", show_label=False, elem_id="library-search")
    listing = gr.HTML(elem_id="library-list")
    with gr.Row():
        pick = gr.Dropdown(choices=[], value=None, label="Article", scale=3, elem_id="library-pick")
        opened = gr.Button("Open", size="sm", scale=1, elem_id="library-open")
        remove = gr.Button("Remove upload", size="sm", scale=1, variant="stop", elem_id="library-remove")
    report = gr.HTML(elem_id="library-report")
    return {"library_search": search, "library_list": listing, "library_pick": pick, "library_open": opened,
            "library_remove": remove, "library_report": report}


def _history() -> dict[str, Any]:
    past = gr.Dropdown(choices=[], value=None, label="Kept in this browser", elem_id="history-pick")
    with gr.Row():
        reopen = gr.Button("Reopen", size="sm", elem_id="history-reopen")
        forget = gr.Button("Delete", size="sm", variant="stop", elem_id="history-delete")
    return {"past": past, "reopen": reopen, "forget": forget}
