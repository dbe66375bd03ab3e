"""Questions that cannot be answered as asked get one clear message, never a traceback
(the five seed articles, with the fake embedder: none of this depends on the model)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.core.errors import EmptyStoreError, QuestionError


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01"])
def test_empty_question_is_refused_with_a_message(fake_seed_assistant: Any, question: str) -> None:
    with pytest.raises(QuestionError, match="empty"):
        fake_seed_assistant.ask(question)


def test_100_kb_question_is_refused_naming_the_limit(fake_seed_assistant: Any) -> None:
    with pytest.raises(QuestionError, match="too long .*102,400 characters; the limit is 2,000"):
        fake_seed_assistant.ask("w" * 102_400)


def test_question_in_arabic_script_gets_an_answer_or_a_plain_decline(fake_seed_assistant: Any) -> None:
    answer = fake_seed_assistant.ask("كم عدد القتلى في الغارات الأمريكية؟")
    assert isinstance(answer.text, str) and answer.text
    if answer.abstained:
        assert answer.citations == []
    for c in answer.citations:
        assert fake_seed_assistant.article(c.source)["text"][c.start:c.end] == c.quote


def test_question_before_anything_is_ingested_says_to_ingest(make_fake_assistant: Any, seed_copy: Path,
                                                               tmp_path: Path) -> None:
    empty = make_fake_assistant(seed_copy, store_dir=tmp_path / "empty-store")
    with pytest.raises(EmptyStoreError, match="assistant ingest"):
        empty.ask("What happened?")


def test_malformed_history_is_refused(fake_seed_assistant: Any) -> None:
    with pytest.raises(QuestionError, match="history"):
        fake_seed_assistant.ask("And then?", history=[{"speaker": "me", "text": "hi"}])


def test_cli_prints_one_line_errors_without_traceback(fake_cli: Any, tmp_path: Path) -> None:
    for question, expected in (("", "the question is empty"), ("What happened?", "nothing has been ingested")):
        result = fake_cli("--store", tmp_path / "never-ingested", "ask", question)
        assert result.returncode == 2
        assert expected in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_module_entry_point_process_prints_one_line_errors_without_traceback(tmp_path: Path) -> None:
    """The same through a real `python -m assistant` process (with the bundled model)."""
    env = {"ASSISTANT_STORE_DIR": str(tmp_path / "never-ingested"), "PATH": "/usr/bin:/bin"}
    for question, expected in (("", "the question is empty"), ("What happened?", "nothing has been ingested")):
        proc = subprocess.run([sys.executable, "-m", "assistant", "ask", question], capture_output=True,
                              text=True, env=env, timeout=120)
        assert proc.returncode == 2
        assert expected in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
