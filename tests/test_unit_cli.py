"""The `assistant` command, in-process (`assistant.ui.cli.main`) with the fake embedder: each subcommand's
output and exit status, and errors as one line `error: ...` with exit status 2."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fakes import LIBRARY, NEWS, STATED

from assistant.core.settings import Settings


def one_error_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def ingested(fake_cli: Any, news_corpus: Path, tmp_path: Path) -> list[str]:
    """Global options of a store holding the synthetic corpus."""
    options = ["--corpus", str(news_corpus), "--store", str(tmp_path / "store")]
    assert fake_cli(*options, "ingest").returncode == 0
    return options


def test_ingest_prints_the_summary_and_adds_every_article(fake_cli: Any, news_corpus: Path, tmp_path: Path) -> None:
    result = fake_cli("--corpus", news_corpus, "--store", tmp_path / "store", "ingest")
    assert result.returncode == 0
    assert result.stdout.strip().startswith(f"{len(NEWS)} added, 0 updated, 0 removed, 0 unchanged")
    again = fake_cli("--corpus", news_corpus, "--store", tmp_path / "store", "ingest", "--json")
    report = json.loads(again.stdout)
    assert (report["added"], report["unchanged"], report["chunks_embedded"]) == (0, len(NEWS), 0)
    assert report["articles_total"] == len(NEWS) and report["summary"].startswith("0 added")


def test_status_json_describes_the_store(fake_cli: Any, ingested: list[str], fake_embed: Any, tmp_path: Path) -> None:
    result = fake_cli(*ingested, "status", "--json")
    assert result.returncode == 0
    status = json.loads(result.stdout)
    assert status["articles"] == len(NEWS) and status["chunks"] >= len(NEWS)
    assert status["embedding_model"] == fake_embed.model_name
    assert Path(status["store"]) == tmp_path / "store" / "chroma" and status["server"] is False
    assert status["last_ingest"]


def test_status_text_names_the_counts_and_the_last_ingest(fake_cli: Any, ingested: list[str]) -> None:
    text = fake_cli(*ingested, "status").stdout
    assert f"articles: {len(NEWS)}" in text and "last ingest: never" not in text


def test_ask_json_returns_an_answer_with_exact_quotes(fake_cli: Any, ingested: list[str], news_corpus: Path) -> None:
    result = fake_cli(*ingested, "ask", "How big is the budget of Mayor Elena Brandt?", "--json")
    assert result.returncode == 0
    answer = json.loads(result.stdout)
    assert not answer["abstained"] and answer["citations"]
    from assistant.ingest.reading import read_path

    for c in answer["citations"]:
        assert read_path(news_corpus / c["source"]).articles[0].text[c["start"]:c["end"]] == c["quote"]


def test_ask_text_shows_the_answer_then_each_source_with_its_quote(fake_cli: Any, ingested: list[str]) -> None:
    question = "How many workers were injured in the fire at Northport harbour?"
    answer = json.loads(fake_cli(*ingested, "ask", question, "--json").stdout)
    result = fake_cli(*ingested, "ask", question)
    assert result.returncode == 0 and answer["citations"]
    assert result.stdout.startswith(answer["text"])
    sources = result.stdout[len(answer["text"]):]
    for c in answer["citations"]:
        title, publisher, day = STATED[c["source"]]
        block = sources[sources.index(f"[{c['number']}] "):]
        for part in (title, publisher, day, c["source"], c["quote"]):
            assert part in block.split(f"[{c['number'] + 1}] ")[0], part


def test_ask_options_filter_by_publisher_and_date(fake_cli: Any, ingested: list[str]) -> None:
    question = "How many workers were injured in the fire at Northport harbour?"
    by_publisher = json.loads(fake_cli(*ingested, "ask", question, "--json", "--publisher", "Town Crier").stdout)
    assert set(by_publisher["retrieved"]) == {n for n, (_, p, _) in STATED.items() if p == "Town Crier"}
    dated = json.loads(fake_cli(*ingested, "ask", question, "--json", "--since", "2024-01-01", "--k", "2").stdout)
    assert dated["retrieved"] and all(STATED[n][2] >= "2024-01-01" for n in dated["retrieved"] if STATED[n][2])
    assert all(STATED[n][2] for n in dated["retrieved"]), "undated articles fail a --since limit"


LIBRARY_QUESTION = "When does the new reading room at the city library open?"


def test_ask_include_undated_lets_the_undated_article_through_a_date_limit(fake_cli: Any, ingested: list[str]) -> None:
    limited = json.loads(fake_cli(*ingested, "ask", LIBRARY_QUESTION, "--json", "--since", "2024-01-01").stdout)
    assert LIBRARY not in limited["retrieved"]
    wide = json.loads(fake_cli(*ingested, "ask", LIBRARY_QUESTION, "--json", "--since", "2024-01-01",
                               "--include-undated").stdout)
    assert LIBRARY in wide["retrieved"] and all(not STATED[n][2] or STATED[n][2] >= "2024-01-01"
                                                for n in wide["retrieved"])


def test_chat_applies_its_filters_to_every_question(fake_cli: Any, ingested: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def chat_sources(*options: str) -> str:
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{LIBRARY_QUESTION}\n"))
        result = fake_cli(*ingested, "chat", *options)
        assert result.returncode == 0, result
        return result.stdout

    limited = chat_sources("--since", "2024-01-01")
    assert "The articles don't say" in limited and LIBRARY not in limited
    wide = chat_sources("--since", "2024-01-01", "--include-undated")
    assert "reading room on Monday. [1]" in wide and f"date not stated · {LIBRARY}" in wide


def test_settings_lists_every_variable_with_its_default(fake_cli: Any) -> None:
    result = fake_cli("settings")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for name, default, _ in Settings.documentation():
        line = next((line for line in lines if line.lstrip("|` ").startswith(name)), None)
        assert line is not None, f"{name} is not listed"
        assert default in line


@pytest.mark.parametrize("question,message", [
    ("", "the question is empty"),
    ("What happened?", "nothing has been ingested"),
])
def test_ask_errors_are_one_line(fake_cli: Any, tmp_path: Path, question: str, message: str) -> None:
    line = one_error_line(fake_cli("--store", tmp_path / "never-ingested", "ask", question))
    assert message in line


def test_bad_filter_date_is_one_line_naming_the_option(fake_cli: Any, ingested: list[str]) -> None:
    line = one_error_line(fake_cli(*ingested, "ask", "What happened?", "--until", "next week"))
    assert "until must be a date" in line and "'next week'" in line


def test_malformed_setting_variable_is_one_line_naming_it(fake_cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "lots")
    line = one_error_line(fake_cli("--store", tmp_path / "store", "status"))
    assert "ASSISTANT_TOP_K" in line and "'lots'" in line


def test_llm_answerer_without_a_model_is_one_line_saying_what_to_set(fake_cli: Any, ingested: list[str]) -> None:
    line = one_error_line(fake_cli(*ingested, "ask", "What happened?", "--answerer", "llm"))
    assert "ASSISTANT_LLM_MODEL" in line


def test_ingest_of_a_missing_path_fails_without_removing_anything(fake_cli: Any, ingested: list[str],
                                                                  tmp_path: Path) -> None:
    result = fake_cli(*ingested, "ingest", str(tmp_path / "nowhere.txt"))
    assert result.returncode == 1
    assert "nowhere.txt: no such file or folder" in result.stderr
    assert json.loads(fake_cli(*ingested, "status", "--json").stdout)["articles"] == len(NEWS)


def test_strict_ingest_exits_1_when_a_file_is_skipped(fake_cli: Any, ingested: list[str], news_corpus: Path) -> None:
    (news_corpus / "notes.pdf").write_bytes(b"%PDF-1.7\n")
    assert fake_cli(*ingested, "ingest").returncode == 0
    strict = fake_cli(*ingested, "ingest", "--strict")
    assert strict.returncode == 1 and "skipped: notes.pdf: unsupported file type '.pdf'" in strict.stderr
