"""Thumbs up/down in the chat become lines that `assistant eval` reads as a question set (fast)."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.core.settings import Settings
from assistant.evaluation.questions import load_questions
from assistant.ui.handlers import feedback_record

CITED = {"text": "Eight were killed. [1]", "abstained": False, "short": {"text": "eight"},
         "citations": [{"number": 1, "source": "003.txt"}, {"number": 2, "source": "003.txt"}]}
DECLINED = {"text": "The articles don't say.", "abstained": True, "citations": []}


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_a_vote_records_the_question_its_context_the_answer_and_the_verdict() -> None:
    turns = [{"question": "Who is Kataib Hezbollah?", "answer": DECLINED},
             {"question": "How many were killed?", "answer": CITED}]
    record = feedback_record(turns, liked=False)
    assert record | {"id": None} == {
        "id": None, "feedback": "down", "question": "How many were killed?", "history": ["Who is Kataib Hezbollah?"],
        "answer": "Eight were killed. [1]", "short": "eight", "abstained": False, "sources": ["003.txt"]}
    assert record["id"].startswith("fb-") and record["id"] == feedback_record(turns, liked=True)["id"]


def test_eval_reads_the_feedback_file_as_a_question_set(tmp_path: Path) -> None:
    up = feedback_record([{"question": "How many were killed?", "answer": CITED}], liked=True)
    down = feedback_record([{"question": "Who won?", "answer": CITED | {"text": "Nobody. [1]"}}], liked=False)
    up_declined = feedback_record([{"question": "Pizza dough?", "answer": DECLINED}], liked=True)
    down_declined = feedback_record([{"question": "When did it start?", "answer": DECLINED}], liked=False)
    fixed = down_declined | {"id": "fb-fixed", "answers": ["2019"]}  # someone wrote the right answer in
    questions = {q.question: q for q in load_questions(write(tmp_path / "feedback.jsonl",
                                                           [up, down, up_declined, down_declined, fixed]))}
    assert set(questions) == {"How many were killed?", "Who won?", "Pizza dough?", "When did it start?"}
    good = questions["How many were killed?"]
    assert (good.answerable, good.answers, good.short, good.sources, good.type) == (
        True, ["eight"], "eight", ["003.txt"], "feedback-up")
    assert not questions["Who won?"].answerable and questions["Who won?"].type == "feedback-down"
    assert not questions["Pizza dough?"].answerable
    assert questions["When did it start?"].answers == ["2019"]  # the down-voted decline only once fixed


def test_the_feedback_file_defaults_to_the_store_folder(tmp_path: Path) -> None:
    assert Settings.from_env(env={}, store_dir=tmp_path).feedback == tmp_path / "feedback.jsonl"
    chosen = Settings.from_env(env={"ASSISTANT_FEEDBACK_FILE": str(tmp_path / "f.jsonl")})
    assert chosen.feedback == tmp_path / "f.jsonl"
