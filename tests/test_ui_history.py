"""Conversations kept in the browser: what is stored, and what a damaged or foreign copy becomes (fast)."""

from __future__ import annotations

from typing import Any

from assistant.ui.handlers import MAX_PAST, Handlers, history_of, past_choices, stored_turns

ANSWER = {"text": "Five died. [1]", "abstained": False, "citations": []}


def turn(question: str, **extra: Any) -> dict[str, Any]:
    return {"question": question, "answer": ANSWER, "sources": "<div>cards</div>", **extra}


def test_the_browser_keeps_answered_turns_without_their_html() -> None:
    turns = [turn("One?"), {"question": "Two?", "error": "store unavailable"}, {"question": "Three?", "partial": "x"}]
    assert stored_turns(turns) == [{"question": "One?", "answer": ANSWER}]


def test_a_damaged_or_foreign_copy_becomes_an_empty_history() -> None:
    assert history_of(None) == {"current": [], "past": []}
    assert history_of(["not", "a", "dict"]) == {"current": [], "past": []}
    assert history_of({"current": [{"no": "question"}], "past": "x"}) == {"current": [], "past": []}
    kept = {"current": [turn("A?")], "past": [[turn("B?")], [], [{"question": 3}]]}
    assert history_of(kept) == {"current": [turn("A?")], "past": [[turn("B?")]]}


def test_new_conversation_files_the_current_one_first_and_keeps_at_most_max_past() -> None:
    h = Handlers(assistant=None)  # type: ignore[arg-type]  # the history handlers never touch the store
    saved = {"current": [], "past": [[turn(f"Old {i}?")] for i in range(MAX_PAST)]}
    saved, _ = h.new_conversation([turn("Now?"), turn("Then?")], saved)
    assert saved["current"] == [] and len(saved["past"]) == MAX_PAST
    assert past_choices(saved)[0] == ("Now? (2 questions)", 0)
    saved, _ = h.forget(0, saved)
    assert past_choices(saved)[0] == ("Old 0? (1 question)", 0)
    unchanged, _ = h.new_conversation([], saved)
    assert unchanged["past"] == saved["past"]
