"""What the chat page and the API endpoints do: one `Handlers` over the shared `Assistant`.

Page events: `respond` (stream an answer into the chat and its sources panel), `show_turn` (an
earlier answer's sources again), `clear`, `page_upload`, `refresh`. Endpoints for programs:
`api_ask` (/ask), `api_article` (/article), `api_upload` (/upload). Every failure reaches the
user as one line (a toast, a chat line, or gradio_client's AppError); unexpected ones are
logged with their traceback.

Imported only by `app.build_app` (and tests), so gradio loads after `prepare_offline()`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from ..core.answers import Answer
from ..core.dates import question_date_range
from ..core.errors import AssistantError, ConfigError
from ..core.offline import prepare_offline
from ..core.text import first_words
from . import cards as render
from .uploads import add_uploads

prepare_offline()
import gradio as gr  # noqa: E402 - after the offline switches

if TYPE_CHECKING:
    from ..api import Assistant

log = logging.getLogger("assistant.chat")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- inputs ----------------------------------------------------------------------------------------
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


def date_field(value: str | None, name: str, today: date) -> tuple[str | None, str | None]:
    """A page's date field read as the questions read dates (core.dates): "2023-11-22", "22 November 2023",
    "November 2023", "last year", "2023" -> (ISO date, what was understood). "since" takes the first day
    of the period named, "until" its last. ConfigError naming the field when nothing is recognised."""
    value = (value or "").strip()
    if not value:
        return None, None
    span = question_date_range(value, today) or question_date_range(f"in {value}", today)  # "2023": "in 2023"
    if span is None:
        raise ConfigError(f"{name}: expected a date like 2024-01-31, November 2023 or last year, got {value!r}")
    iso = span.start if name == "since" else span.end
    return iso, f"{name} {human_date(iso)}" + ("" if value == iso else f" (read “{value}”)")


def human_date(iso: str | None) -> str:
    """2023-11-22 -> 22 Nov 2023 (what the page shows; ISO stays in the API)."""
    return date.fromisoformat(iso).strftime("%-d %b %Y") if iso else "no date"


def answer_options(since: str | None, until: str | None, publishers: list[str] | None,
                   answerer: str | None, today: date | None = None, include_undated: bool = False) -> dict[str, Any]:
    """The filters and answerer as `Assistant.ask` options. With `today` (the page), dates may be phrases
    (`date_field`); without it (the /ask API), only YYYY-MM-DD. `include_undated` is passed only when a
    date limit is set: without one, undated articles pass anyway."""
    read = (lambda v, n: date_field(v, n, today)[0]) if today else iso_date_option
    options: dict[str, Any] = {
        "since": read(since, "since"),
        "until": read(until, "until"),
    }
    if options["since"] and options["until"] and options["since"] > options["until"]:
        raise ConfigError(f"since ({options['since']}) is after until ({options['until']})")
    if publishers:
        options["publishers"] = list(publishers)
    if answerer:
        options["answerer"] = answerer
    if include_undated and (options["since"] or options["until"]):
        options["include_undated"] = True
    return {k: v for k, v in options.items() if v is not None}


def matching(articles: list[dict[str, Any]], since: str | None, until: str | None,
             publishers: list[str] | None, include_undated: bool = False) -> tuple[int, int]:
    """(articles the filters keep, undated articles a date filter would leave out) as the store's filters
    decide: a date range keeps only dated articles inside it, and the undated ones too when
    `include_undated` (then they count among those kept)."""
    kept = undated = 0
    for a in articles:
        if publishers and a.get("publisher") not in publishers:
            continue
        day = a.get("date")
        if (since or until) and not day:
            undated += 1
            kept += int(include_undated)
        elif (not since or day >= since) and (not until or day <= until):
            kept += 1
    return kept, undated


def filter_summary(articles: list[dict[str, Any]], since: str | None, until: str | None,
                   publishers: list[str] | None, today: date,
                   include_undated: bool = False) -> tuple[list[str], str, int]:
    """(chip labels for the active filters, the line under them: "N of M articles match", what the date
    fields were read as, and how many undated articles a date filter leaves out, or takes in when
    `include_undated`; that number, for the page to offer "Include undated articles" only when it is not 0)."""
    try:
        start, said_start = date_field(since, "since", today)
        end, said_end = date_field(until, "until", today)
    except ConfigError as exc:
        return [], render.filter_line(str(exc), bad=True), 0
    chips = [said_start or "", said_end or "", ("publisher: " + " or ".join(publishers)) if publishers else ""]
    if not any(chips):
        return chips, "", 0
    kept, undated = matching(articles, start, end, publishers, include_undated)
    words = [f"{kept} of {len(articles)} articles match"]
    if undated:
        some = f"{undated} undated article{'s' * (undated != 1)}"
        words.append(f"{some} included despite the date filter" if include_undated
                     else f"{some} left out by the date filter")
    return chips, render.filter_line(" · ".join(words), bad=kept == 0), undated


EXAMPLE_COUNT = 3  # example questions on the first page


def example_questions(articles: list[dict[str, Any]]) -> list[str]:
    """Questions drawn from the corpus itself: a briefing on everything, then a summary of the newest
    headlines (an article without one gives none), so every example has an answer in this store."""
    if not articles:
        return []
    titled = [a["title"].strip() for a in articles if (a.get("title") or "").strip()]
    return (["What happened? Brief me."] + [f"Summarise: {t}" for t in titled])[:EXAMPLE_COUNT]


def search_library(articles: list[dict[str, Any]], query: str | None) -> list[dict[str, Any]]:
    """The articles whose title, publisher, date or id hold every word of `query` (case-insensitive)."""
    words = (query or "").lower().split()
    def text(a: dict[str, Any]) -> str:
        return " ".join(str(a.get(k) or "") for k in ("title", "publisher", "date", "id", "origin")).lower()
    return [a for a in articles if all(w in text(a) for w in words)]


def library_choices(articles: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(label, article id) for the library's picker: the title (or id) and where it came from."""
    return [(f"{a.get('title') or a['id']} ({render.ORIGINS.get(a['origin'], a['origin'])})", a["id"])
            for a in articles]


def feedback_record(turns: list[dict[str, Any]], liked: bool) -> dict[str, Any]:
    """The last of `turns` as a feedback line: its question, the questions before it (the follow-up's
    context), the answer, its short answer, cited articles, whether it declined, and the verdict."""
    turn, answer = turns[-1], turns[-1]["answer"]
    record = {
        "id": "fb-" + hashlib.sha256(f"{turn['question']}\n{answer.get('text')}".encode()).hexdigest()[:10],
        "feedback": "up" if liked else "down", "question": turn["question"],
        "history": [t["question"] for t in turns[:-1]], "answer": answer.get("text") or "",
        "short": (answer.get("short") or {}).get("text"), "abstained": bool(answer.get("abstained")),
        "sources": list(dict.fromkeys(c.get("source") for c in answer.get("citations") or [] if c.get("source"))),
    }
    return record


MAX_PAST = 20  # earlier conversations kept in the browser
# Library rows (and picker choices) sent to the page: a judgement, not a measurement; enough to browse,
# while an archive of 100,000 articles would otherwise ship every row to every page load.
LIBRARY_ROWS = 200


def history_of(saved: Any) -> dict[str, Any]:
    """The browser's copy as {"current": turns, "past": [turns, ...]}, whatever it held (old or foreign
    data is dropped rather than trusted)."""
    saved = saved if isinstance(saved, dict) else {}
    def valid(turns: Any) -> list[dict[str, Any]]:
        ok = isinstance(turns, list) and all(isinstance(t, dict) and isinstance(t.get("question"), str)
                                             for t in turns)
        return list(turns) if ok else []
    past = [valid(t) for t in saved.get("past") or [] if isinstance(saved.get("past"), list)]
    return {"current": valid(saved.get("current")), "past": [t for t in past if t]}


def stored_turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turns as the browser keeps them: answered ones, question and answer only (the HTML is rebuilt)."""
    return [{"question": t["question"], "answer": t["answer"]} for t in turns if t.get("answer") is not None]


def past_choices(saved: dict[str, Any]) -> list[tuple[str, int]]:
    """(label, index) of each earlier conversation: its first question and how many it asked."""
    return [(f"{turns[0]['question'][:70]} ({len(turns)} question{'s' * (len(turns) != 1)})", i)
            for i, turns in enumerate(saved["past"])]


def conversation_of(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The history the API expects, from the turns answered so far (failed turns left out)."""
    history: list[dict[str, str]] = []
    for t in turns:
        if t.get("answer") is not None:
            history += [{"role": "user", "content": t["question"]},
                        {"role": "assistant", "content": t["answer"]["text"]}]
    return history


# --- outputs ---------------------------------------------------------------------------------------
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


def chat_messages(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    messages = []
    for i, t in enumerate(turns):
        messages.append({"role": "user", "content": render.chat_text(t["question"])})
        if t.get("answer") is not None:
            answer = t["answer"]
            short = (answer.get("short") or {}).get("text")
            lead = short[:1].upper() + short[1:] if short else None  # as the answer's text writes it
            quotes = {int(c["number"]): c.get("quote") or "" for c in answer.get("citations") or []}
            content = render.chat_answer(answer["text"], bool(answer.get("abstained")), lead, i, quotes)
        elif t.get("error"):
            content = render.chat_error(t["error"])
        else:
            content = render.chat_text(t.get("partial") or "") + " …"
        messages.append({"role": "assistant", "content": content})
    return messages


def corpus_summary(articles: list[dict[str, Any]]) -> str:
    """What the store covers, in the reader's words: "5 articles, dated 22 Nov 2023 (4 undated), from
    ICARO Media Group (4 name no publisher)." No chunk counts, model ids or timestamps."""
    if not articles:
        return "No articles yet: add some under “Add articles”."
    dates = sorted(a["date"] for a in articles if a.get("date"))
    undated = len(articles) - len(dates)
    publishers = sorted({a["publisher"] for a in articles if a.get("publisher")})
    nameless = sum(1 for a in articles if not a.get("publisher"))
    words = f"{len(articles)} article{'s' * (len(articles) != 1)}"
    if dates:
        span = human_date(dates[0]) + ("" if dates[0] == dates[-1] else f" to {human_date(dates[-1])}")
        words += f", dated {span}" + (f" ({undated} undated)" if undated else "")
    else:
        words += ", none dated"
    if publishers:
        named = ", ".join(publishers[:4]) + (f" and {len(publishers) - 4} more" if len(publishers) > 4 else "")
        words += f", from {named}" + (f" ({nameless} name no publisher)" if nameless else "")
    return words + "."


def status_line(assistant: Assistant) -> str:
    try:
        return render.esc(corpus_summary(assistant.articles()))
    except AssistantError as exc:
        return render.esc(f"The articles cannot be read right now: {exc}")


def fail(exc: BaseException) -> str:
    """One line for the user; the traceback of anything unexpected goes to the server log."""
    if isinstance(exc, AssistantError):
        return str(exc)
    log.error("unexpected error while answering", exc_info=exc)
    return f"internal error ({type(exc).__name__}: {exc}); see the server log"


def error(message: str) -> Exception:
    """A message for the user (toast in the page, AppError in gradio_client), without a traceback:
    unexpected failures are logged with theirs by `fail`."""
    return gr.Error(message, print_exception=False)


def upload_progress(progress: gr.Progress) -> Any:
    """An ingest progress callback that moves Gradio's progress bar of the upload."""
    def report(done: int, total: int, what: str) -> None:
        progress((done, total), desc=f"Storing the upload: {done:,} of {total:,} texts embedded"
                 + (f" ({what[-40:]})" if what else ""), unit="texts")
    return report


# --- the handlers ----------------------------------------------------------------------------------
class Handlers:
    """Event handlers and API functions; one `assistant` shared by every session and request."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._first_words: tuple[Any, dict[str, str | None]] = (None, {})  # (store stamp, id -> first words)

    def publishers(self) -> list[str]:
        try:
            return self.assistant.publishers()
        except AssistantError:
            return []

    # ---- the page ----
    def respond(self, message: str, turns: list[dict[str, Any]], since: str, until: str,
                chosen: list[str], answerer: str, include_undated: bool = False) -> Iterator[tuple[Any, ...]]:
        """-> (question box, chat, turns, sources panel), streamed while the answer is written."""
        question = (message or "").strip()
        try:
            if not question:
                raise ConfigError("type a question first")
            options = answer_options(since, until, chosen, answerer, today=date.today(),
                                     include_undated=bool(include_undated))
        except AssistantError as exc:  # a toast; the chat and the typed question stay as they were
            gr.Warning(str(exc))
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        history = conversation_of(turns)
        turn: dict[str, Any] = {"question": question, "partial": ""}
        turns = [*turns, turn]
        yield "", chat_messages(turns), turns, render.placeholder("Searching the articles…")
        yield from self._answer_into(turn, turns, history, options)

    def _answer_into(self, turn: dict[str, Any], turns: list[dict[str, Any]], history: list[dict[str, str]],
                     options: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        pieces: list[str] = []
        answer = None
        try:
            for item in self.assistant.stream(turn["question"], history=history, **options):
                if isinstance(item, Answer):
                    answer = item
                elif isinstance(item, str) and item:
                    pieces.append(item)
                    turn["partial"] = "".join(pieces)
                    yield gr.skip(), chat_messages(turns), gr.skip(), gr.skip()
            if answer is None:
                raise AssistantError("the answerer finished without an answer")
        except Exception as exc:  # the edge: every failure becomes one line in the chat
            turn["error"] = fail(exc)
            yield gr.skip(), chat_messages(turns), turns, render.error_panel(turn["error"])
            return
        data = answer.to_dict()
        turn.pop("partial", None)
        turn["answer"] = data
        turn["sources"] = render.sources_panel(data, articles_for(self.assistant, data), turns.index(turn),
                                               turn["question"])
        yield gr.skip(), chat_messages(turns), turns, turn["sources"]

    def show_turn(self, turns: list[dict[str, Any]], evt: gr.SelectData) -> Any:
        """A click on a message shows the sources of its turn again."""
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        if not turns:
            return gr.skip()
        number = min(int(index) // 2, len(turns) - 1)
        return self.sources_of(turns, number) or gr.skip()

    def sources_of(self, turns: list[dict[str, Any]], number: int) -> str | None:
        """The sources panel of turn `number`: kept from when it was answered, else (a conversation
        restored from the browser keeps no HTML) rebuilt from its answer."""
        turn = turns[number]
        if turn.get("sources"):
            return str(turn["sources"])
        if turn.get("answer") is not None:
            data = turn["answer"]
            turn["sources"] = render.sources_panel(data, articles_for(self.assistant, data), number, turn["question"])
            return str(turn["sources"])
        return render.error_panel(turn["error"]) if turn.get("error") else None

    def feedback(self, turns: list[dict[str, Any]], evt: gr.LikeData) -> None:
        """A thumbs up or down on an answer: appended to the feedback file, which `assistant eval` reads
        as a question set (`feedback_record`)."""
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        number = int(index) // 2
        if not 0 <= number < len(turns) or turns[number].get("answer") is None or evt.liked not in (True, False):
            return
        record = feedback_record(turns[:number + 1], bool(evt.liked))
        path = self.assistant.settings.feedback
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise error(f"cannot save the feedback to {path}: {exc.strerror or exc}") from None
        gr.Info("Thanks: saved for the evaluation." if evt.liked else
                "Thanks: saved as a question to check in the evaluation.")

    # ---- history kept in the browser ----
    def remember(self, turns: list[dict[str, Any]], saved: dict[str, Any] | None) -> dict[str, Any]:
        """-> the browser's copy: this conversation (answered turns, without their HTML) and earlier ones."""
        saved = history_of(saved)
        saved["current"] = stored_turns(turns)
        return saved

    def restore(self, saved: dict[str, Any] | None) -> tuple[Any, ...]:
        """-> (chat, turns, sources panel, earlier conversations) from the browser's copy, at page load."""
        saved = history_of(saved)
        turns = saved["current"]
        panel = self.sources_of(turns, len(turns) - 1) if turns else None
        return (chat_messages(turns), turns, panel or render.placeholder(render.EMPTY_SOURCES),
                gr.update(choices=past_choices(saved), value=None))

    def new_conversation(self, turns: list[dict[str, Any]], saved: dict[str, Any] | None) -> tuple[Any, ...]:
        """-> (browser copy, earlier conversations): the conversation being left joins the earlier ones."""
        saved = history_of(saved)
        if stored_turns(turns):
            saved["past"] = [stored_turns(turns), *saved["past"]][:MAX_PAST]
        saved["current"] = []
        return saved, gr.update(choices=past_choices(saved), value=None)

    def reopen(self, pick: int | None, turns: list[dict[str, Any]], saved: dict[str, Any] | None) -> tuple[Any, ...]:
        """-> (chat, turns, sources panel, browser copy, earlier conversations): conversation `pick`
        becomes the current one; the current one (if any) joins the earlier ones."""
        saved = history_of(saved)
        if pick is None or not 0 <= int(pick) < len(saved["past"]):
            gr.Warning("Choose an earlier conversation first.")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        chosen = saved["past"].pop(int(pick))
        if stored_turns(turns):
            saved["past"].insert(0, stored_turns(turns))
        saved["current"] = chosen
        panel = self.sources_of(chosen, len(chosen) - 1) if chosen else None
        return (chat_messages(chosen), chosen, panel or render.placeholder(render.EMPTY_SOURCES), saved,
                gr.update(choices=past_choices(saved), value=None))

    def forget(self, pick: int | None, saved: dict[str, Any] | None) -> tuple[Any, ...]:
        """-> (browser copy, earlier conversations) without conversation `pick`."""
        saved = history_of(saved)
        if pick is None or not 0 <= int(pick) < len(saved["past"]):
            gr.Warning("Choose an earlier conversation first.")
            return gr.skip(), gr.skip()
        saved["past"].pop(int(pick))
        return saved, gr.update(choices=past_choices(saved), value=None)

    def regenerate(self, turns: list[dict[str, Any]], since: str, until: str, chosen: list[str],
                   answerer: str, include_undated: bool = False) -> Iterator[tuple[Any, ...]]:
        """The last question asked again (after the store or the filters changed): its turn is replaced."""
        if not turns:
            gr.Warning("Ask a question first.")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        yield from self.respond(turns[-1]["question"], turns[:-1], since, until, chosen, answerer, include_undated)

    def clear(self, since: str | None = None, until: str | None = None,
              chosen: list[str] | None = None) -> tuple[Any, ...]:
        """-> (chat, turns, question box, sources panel), all empty; says that filters on are kept."""
        if (since or "").strip() or (until or "").strip() or chosen:
            gr.Info("New conversation. The filters are kept: remove their chips under the question to drop them.")
        return [], [], "", render.placeholder(render.EMPTY_SOURCES)

    def filters(self, since: str | None, until: str | None, chosen: list[str] | None,
                include_undated: bool = False) -> tuple[Any, ...]:
        """-> (since chip, until chip, publisher chip, the line under them, the "Include undated articles"
        box): each active filter as a removable chip next to the question box, how many articles it
        leaves, and the box beside the line only while a date filter has undated articles to leave out."""
        try:
            articles = self.assistant.articles()
        except AssistantError as exc:
            return gr.skip(), gr.skip(), gr.skip(), render.filter_line(str(exc), bad=True), gr.skip()
        chips, line, undated = filter_summary(articles, since, until, chosen, date.today(), bool(include_undated))
        chips = chips or ["", "", ""]
        return (*(gr.update(value=f"{c}  ✕", visible=bool(c)) for c in chips), line,
                gr.update(visible=undated > 0))

    def page_upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        """-> (file picker, upload report, status line, publisher choices); the report area shows the upload's
        progress (texts embedded of all) from its first stored batch until it is done."""
        if not files:
            gr.Warning("Choose one or more files first.")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            progress(0, desc="Reading the upload…")
            result = add_uploads(self.assistant, [str(f) for f in files], upload_progress(progress))
        except Exception as exc:
            return gr.skip(), render.error_panel(fail(exc)), status_line(self.assistant), gr.skip()
        saved = [(s["file"], s["article"]) for s in result["saved"]]
        stored = {}
        for _, article in saved:
            try:
                stored[article] = self.assistant.article(article)
            except AssistantError:
                stored[article] = None
        report = render.upload_report(saved, result["refused"], result["summary"], result["problems"],
                                      result["notices"], stored)
        return None, report, status_line(self.assistant), gr.update(choices=self.publishers())

    def examples(self) -> list[str]:
        try:
            return example_questions(self.assistant.articles())
        except AssistantError:
            return []

    def show_library(self, query: str | None) -> tuple[Any, ...]:
        """-> (the library's list, its picker): the articles that match `query`."""
        try:
            articles = self.titled(self.assistant.articles())
            found = search_library(articles, query)
            shown = found[:LIBRARY_ROWS]
        except AssistantError as exc:
            return render.error_panel(str(exc)), gr.skip()
        return (render.library_list(found, len(articles), (query or "").strip(), LIBRARY_ROWS),
                gr.update(choices=library_choices(shown), value=None))

    def titled(self, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The articles, those without a headline titled by their first words (as their source cards
        are), never by a file name. Each such article's text is read once per change of the store, a
        page at a time, so page loads of a large archive after the first read none."""
        stamp = self.assistant.store.change_stamp()
        if stamp != self._first_words[0]:
            self._first_words = (stamp, {})
        known = self._first_words[1]
        untitled = [a["id"] for a in articles if not a.get("title") and a["id"] not in known]
        for first in range(0, len(untitled), LIBRARY_ROWS):
            texts = self.assistant.texts(untitled[first:first + LIBRARY_ROWS])
            known.update({aid: first_words(text) or None for aid, text in texts.items()})
        for a in articles:
            if not a.get("title"):
                a["title"] = known.get(a["id"])
        return articles

    def open_article(self, article_id: str | None) -> Any:
        """-> the sources panel showing the whole article picked in the library."""
        if not article_id:
            gr.Warning("Pick an article in the library first.")
            return gr.skip()
        try:
            return render.article_view(self.assistant.article(article_id))
        except AssistantError as exc:
            return render.error_panel(str(exc))

    def remove_article(self, article_id: str | None, query: str | None) -> tuple[Any, ...]:
        """-> (library report, list, picker, status line, publisher choices) after removing an upload from
        the store and the search index."""
        if not article_id:
            gr.Warning("Pick an uploaded article in the library first.")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            gone = self.assistant.remove_upload(article_id)
            said = (f"Removed “{gone.get('title') or article_id}” from the store and the search index; "
                    "questions no longer find it.")
            report = f'<div class="upload-ok">{render.esc(said)}</div>'
        except Exception as exc:
            report = render.error_panel(fail(exc))
        listing, picker = self.show_library(query)
        return report, listing, picker, status_line(self.assistant), gr.update(choices=self.publishers())

    def refresh(self) -> tuple[Any, ...]:
        return status_line(self.assistant), gr.update(choices=self.publishers())

    # ---- the API for programs ----
    def api_ask(self, question: str, history: list[dict[str, str]] | None = None, k: int | None = None,
                since: str | None = None, until: str | None = None, publishers: list[str] | None = None,
                answerer: str | None = None, include_undated: bool = False) -> dict[str, Any]:
        """Answer a question from the news articles with numbered citations ([n] in the text, each the exact
        sentence of an article), or decline ("The articles don't say."); returns Answer.to_dict().

        Args:
            question: the question, e.g. "Who is Yehia Rasool?"
            history: the conversation so far, [{"role": "user"|"assistant", "content": str}, ...], for follow-ups.
            k: how many passages to retrieve (default from the server's settings).
            since: only articles dated on or after this YYYY-MM-DD.
            until: only articles dated on or before this YYYY-MM-DD.
            publishers: only articles of these publishers.
            answerer: "extractive" (default), or "llm" or "hybrid" when the server has a model.
            include_undated: with since or until, also articles that state no date (left out otherwise).
        """
        try:
            options = answer_options(since, until, publishers, answerer, include_undated=bool(include_undated))
            if k is not None:
                options["k"] = int(k)
            return self.assistant.ask(question, history=history or [], **options).to_dict()
        except Exception as exc:
            raise error(fail(exc)) from None

    def api_article(self, source: str) -> dict[str, Any]:
        """The cleaned text and metadata of one article; a citation's quote is text[start:end].

        Args:
            source: the article id, as a citation's "source" or a library entry's "id" gives it.
        """
        try:
            found = dict(self.assistant.article(source))
        except Exception as exc:
            raise error(fail(exc)) from None
        # a "path" key would make gradio_client take the dict for a file to download
        found["file"] = found.pop("path", None)
        return found

    def api_library(self, query: str = "") -> list[dict[str, Any]]:
        """The stored articles whose title, publisher, date or id hold every word of the query (all when
        empty): id, title, publisher, date and origin ("corpus", "upload", "outside"); an id opens with /article.

        Args:
            query: words to look for, e.g. "ICARO 2023"; empty lists every article.
        """
        try:
            return search_library(self.titled(self.assistant.articles()), query)
        except Exception as exc:
            raise error(fail(exc)) from None

    def api_upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> dict[str, Any]:  # noqa: B008
        """Save and ingest uploaded files; gradio_client sees the progress in its job's status."""
        if not files:
            raise error("no files given")
        try:
            return add_uploads(self.assistant, [str(f) for f in files], upload_progress(progress))
        except Exception as exc:
            raise error(fail(exc)) from None
