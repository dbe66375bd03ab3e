"""Ask every question through the public `Assistant` API and score it.

Conversations are replayed as a user would have them: each earlier question of
`history` is asked first, and the assistant's own replies are kept as the
conversation that the final question sees.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.errors import AssistantError, ConfigError, LLMError, MissingExtraError, StoreError
from .metrics import score
from .questions import Question

# failures that would repeat for every question: stop at once instead of scoring them all wrong
FATAL = (ConfigError, StoreError, LLMError, MissingExtraError)


def collection_for(corpus: str | Path) -> str:
    """A Chroma collection name of its own for an evaluation corpus (stable per resolved path)."""
    path = Path(corpus)
    slug = re.sub(r"[^A-Za-z0-9]+", "_", path.name).strip("_")[:40] or "corpus"
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    return f"eval_{slug}_{digest}"


class ArticleTexts(dict[str, "str | None"]):
    """Cleaned article texts fetched once each through `Assistant.article` (None: no such article)."""

    def __init__(self, assistant: Any) -> None:
        super().__init__()
        self.assistant = assistant

    def __missing__(self, source: str) -> str | None:
        try:
            text = self.assistant.article(source)["text"]
        except AssistantError:
            text = None
        self[source] = text
        return text

    def get(self, source: str, default: Any = None) -> str | None:  # type: ignore[override]
        return self[source]


def ask_one(
    assistant: Any, q: Question, options: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, float, str | None]:
    """(Answer.to_dict() or None, seconds for the final question, error) for one question."""
    history: list[dict[str, str]] = []
    for earlier in q.history:
        try:
            reply = assistant.ask(earlier, history=list(history), **options).text
        except FATAL:
            raise
        except Exception as exc:  # a failed turn still leaves the user question in the conversation
            reply = f"(error: {exc})"
        history += [{"role": "user", "content": earlier}, {"role": "assistant", "content": reply}]
    t0 = time.perf_counter()
    try:
        answer = assistant.ask(q.question, history=history, **options)
    except FATAL:
        raise
    except Exception as exc:  # recorded and scored as wrong, so one bad question does not hide the rest
        return None, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"
    return answer.to_dict(), time.perf_counter() - t0, None


def run_questions(
    assistant: Any,
    questions: Sequence[Question],
    k: int | None = None,
    answerer: str | None = None,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    warm_up: bool = True,
) -> list[dict[str, Any]]:
    """One result row per question (the lines of results.jsonl), in set order.

    With `warm_up`, one untimed question first loads the lazy parts (model, indexes), so that
    latency figures measure answering rather than start-up.
    """
    from tqdm import tqdm

    options = {name: value for name, value in (("k", k), ("answerer", answerer)) if value is not None}
    if warm_up and questions:
        try:
            assistant.ask(questions[0].question, **options)
        except FATAL:
            raise
        except Exception:  # the real run records it
            pass
    texts = ArticleTexts(assistant)
    rows = []
    bar = tqdm(questions, desc="questions", unit="q", file=sys.stderr, disable=not progress, leave=False)
    for q in bar:
        answer, seconds, error = ask_one(assistant, q, options)
        verdicts = score(q, answer, texts, seconds)
        row = result_row(q, answer, verdicts, seconds, error)
        rows.append(row)
        if on_result:
            on_result(row)
    bar.close()
    return rows


def result_row(q: Question, answer: dict[str, Any] | None, verdicts: dict[str, Any], seconds: float,
               error: str | None) -> dict[str, Any]:
    return {
        "id": q.id,
        "question": q.question,
        "type": q.type,
        "answerable": q.answerable,
        "history": q.history,
        "gold_answers": q.answers,
        "all_answers": q.all_answers,
        "gold_short": q.short,
        "gold_sources": q.sources,
        "answer": answer,
        "retrieved": list((answer or {}).get("retrieved") or []),
        "verdicts": verdicts,
        "seconds": round(seconds, 4),
        "error": error,
    }


def write_outputs(out: Path, results: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]) -> None:
    """results.jsonl and summary.json (report.html is written by `report`)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for row in results:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    (out / "summary.json").write_text(text, encoding="utf-8")


def read_outputs(out: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """An earlier run's results and summary, for --compare."""
    try:
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AssistantError(f"{out}: not an evaluation output folder ({exc})") from None
    return [json.loads(line) for line in lines if line.strip()], summary
