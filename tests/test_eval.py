"""`assistant eval`: question-set loaders, conversation replay, and the real command end to end.

The end-to-end tests run the CLI as a subprocess over the seed corpus in a private
store, then open the report in Debian's headless chromium with every non-file
request blocked, to prove the report needs no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.matching import short_matches
from assistant.evaluation.metrics import METRICS
from assistant.evaluation.questions import (
    UNRESOLVED,
    QuestionSetError,
    load_questions,
    parse_records,
    resolve_titles,
)
from assistant.evaluation.report import render
from assistant.evaluation.runner import run_questions

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "questions.jsonl"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")  # Debian's package; never downloaded
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# --- loaders -------------------------------------------------------------------------------------

def test_jsonl_yaml_and_csv_sets_load_the_same_questions(tmp_path: Path) -> None:
    rec = {"id": "q1", "question": "How many?", "answers": ["five", "5"], "sources": ["a.txt", "b.txt"],
           "answerable": True, "history": ["first?", "second?"], "type": "followup", "all_answers": False}
    null = {"id": "q2", "question": "Unknowable?", "answers": [], "sources": [], "answerable": False,
            "type": "unanswerable"}
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(r) for r in (rec, null)) + "\n")
    (tmp_path / "s.yaml").write_text(
        "- id: q1\n  question: How many?\n  answers: [five, '5']\n  sources: [a.txt, b.txt]\n"
        "  history:\n    - first?\n    - second?\n  type: followup\n"
        "- id: q2\n  question: Unknowable?\n  answerable: false\n  type: unanswerable\n")
    (tmp_path / "s.csv").write_text(
        "id,question,answers,sources,answerable,history,type,all_answers\n"
        "q1,How many?,five|5,a.txt|b.txt,true,first?|second?,followup,false\n"
        "q2,Unknowable?,,,false,,unanswerable,\n")
    sets = [load_questions(tmp_path / name) for name in ("s.jsonl", "s.yaml", "s.csv")]
    assert sets[0] == sets[1] == sets[2]
    q1, q2 = sets[0]
    assert q1.answers == ["five", "5"] and q1.history == ["first?", "second?"] and q1.answerable
    assert not q2.answerable and q2.answers == [] and q2.type == "unanswerable"


def test_gold_short_answer_loads_from_every_format_and_only_on_answerable_questions(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text(json.dumps({"id": "a", "question": "When?", "answers": ["2009"],
                                                  "short": " 2009 "}) + "\n"
                                      + json.dumps({"id": "b", "question": "Why?", "answers": ["x"]}) + "\n")
    (tmp_path / "s.yaml").write_text("- id: a\n  question: When?\n  answers: ['2009']\n  short: 2009\n"
                                     "- id: b\n  question: Why?\n  answers: [x]\n")
    (tmp_path / "s.csv").write_text("id,question,answers,short\na,When?,2009,2009\nb,Why?,x,\n")
    sets = [load_questions(tmp_path / name) for name in ("s.jsonl", "s.yaml", "s.csv")]
    assert sets[0] == sets[1] == sets[2]
    assert [q.short for q in sets[0]] == ["2009", None]
    assert sets[0][0].to_dict()["short"] == "2009" and "short" not in sets[0][1].to_dict()
    with pytest.raises(QuestionSetError, match="unanswerable question has no 'short'"):
        parse_records([{"id": "x", "question": "What?", "answerable": False, "short": "x"}])
    with pytest.raises(QuestionSetError, match="'short' must be a string"):
        parse_records([{"id": "x", "question": "What?", "answers": ["a"], "short": ["a"]}])


def test_every_factoid_of_the_project_sets_has_a_short_gold_that_its_answers_accept() -> None:
    for path in (QUESTIONS, ROOT / "tests" / "questions_multihop_facts.jsonl"):
        for q in load_questions(path):
            if q.short:
                assert q.answerable and any(short_matches(q.short, gold) for gold in q.answers), (path, q.id)


def project_set_texts() -> dict[Path, dict[str, str]]:
    """Each project question set with the raw text of the articles its gold ids name."""
    seed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("*.txt")}
    fixture = ROOT / "tests" / "data" / "multihop_facts" / "articles.jsonl"
    facts = {f"{fixture.name}#{n}": json.loads(line)["body"]
             for n, line in enumerate(fixture.read_text(encoding="utf-8").splitlines(), 1)}
    return {QUESTIONS: seed, ROOT / "tests" / "questions_heldout.jsonl": seed,
            ROOT / "tests" / "questions_multihop_facts.jsonl": facts}


def test_gold_answers_are_written_in_their_gold_articles() -> None:
    for path, texts in project_set_texts().items():
        for q in load_questions(path):
            assert all(s in texts for s in q.sources), (path.name, q.id, q.sources)
            if not q.answerable:
                continue
            golds = [g for g in q.answers if g not in ("Yes", "No")]
            found = [g for g in golds if any(g in texts[s] for s in q.sources)]
            assert found == golds if q.all_answers else (found or not golds), (path.name, q.id, golds)
            assert q.short is None or any(q.short in texts[s] for s in q.sources), (path.name, q.id, q.short)


def test_a_set_with_an_answerable_question_without_answers_is_refused() -> None:
    with pytest.raises(QuestionSetError, match="lists no 'answers'"):
        parse_records([{"id": "x", "question": "What?", "answerable": True}])
    with pytest.raises(QuestionSetError, match="duplicate question id"):
        parse_records([{"id": "x", "question": "A?", "answers": ["a"]},
                       {"id": "x", "question": "B?", "answers": ["b"]}])


def test_multihop_queries_map_titles_to_article_ids_and_null_queries_to_declining() -> None:
    records = [
        {"qid": 7, "query": "Who ...?", "answer": "Sam Bankman-Fried", "question_type": "inference_query",
         "evidence_list": [{"title": "'Massive intel failure by Mossad': Hamas' attack", "fact": "..."},
                           {"title": "The FTX trial is bigger than Sam Bankman-Fried", "fact": "..."},
                           {"title": "The FTX trial is bigger than Sam Bankman-Fried", "fact": "another fact"}]},
        {"qid": 8, "query": "Did ...?", "answer": "Yes", "question_type": "comparison_query",
         "evidence_list": [{"title": "A title not in the corpus"}]},
        {"qid": 9, "query": "What ...?", "answer": "Insufficient information.", "question_type": "null_query",
         "evidence_list": []},
    ]
    store_records = {  # what Store.article_records() gives for facts_corpus.jsonl (titles HTML-unescaped)
        "facts_corpus.jsonl#1": {"title": "The FTX trial is bigger than  Sam Bankman-Fried"},
        "facts_corpus.jsonl#2": {"title": "&#039;Massive intel failure by Mossad&#039;: Hamas&#039; attack"},
        "facts_corpus.jsonl#3": {"title": "Something else"},
    }
    q7, q8, q9 = parse_records(records)
    missing = resolve_titles([q7, q8, q9], store_records)
    assert (q7.id, q7.type, q7.answers, q7.answerable) == ("mh7", "inference", ["Sam Bankman-Fried"], True)
    assert q7.sources == ["facts_corpus.jsonl#2", "facts_corpus.jsonl#1"]  # evidence order, duplicates once
    assert q8.sources == [UNRESOLVED + "A title not in the corpus"] and missing == ["A title not in the corpus"]
    assert (q9.type, q9.answerable, q9.answers, q9.sources) == ("null", False, [], [])


# --- conversation replay with a stand-in assistant -----------------------------------------------

class FakeAnswer:
    def __init__(self, text: str) -> None:
        self.text = text

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "abstained": False, "citations": [], "retrieved": ["a.txt"]}


class FakeAssistant:
    """Records every ask; replies "reply to <question>"; fails on questions containing 'boom'."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, str]], dict[str, Any]]] = []

    def ask(self, question: str, history: list[dict[str, str]] | None = None, **options: Any) -> FakeAnswer:
        self.calls.append((question, list(history or []), options))
        if "boom" in question:
            raise RuntimeError("answering broke")
        return FakeAnswer(f"reply to {question}")

    def article(self, source: str) -> dict[str, Any]:
        return {"text": "x"}


def test_history_is_replayed_with_the_assistants_own_replies_before_the_question() -> None:
    fake = FakeAssistant()
    qs = parse_records([{"id": "f", "question": "third?", "answers": ["reply"], "history": ["first?", "second?"]}])
    rows = run_questions(fake, qs, k=3, progress=False, warm_up=False)
    assert [c[0] for c in fake.calls] == ["first?", "second?", "third?"]
    assert fake.calls[2][1] == [
        {"role": "user", "content": "first?"}, {"role": "assistant", "content": "reply to first?"},
        {"role": "user", "content": "second?"}, {"role": "assistant", "content": "reply to second?"},
    ]
    assert all(c[2] == {"k": 3} for c in fake.calls)
    assert rows[0]["verdicts"]["correct"] and rows[0]["retrieved"] == ["a.txt"]


def test_a_question_that_raises_is_recorded_as_a_wrong_answer_and_the_run_goes_on() -> None:
    qs = parse_records([{"id": "a", "question": "boom?", "answers": ["x"]}, {"id": "b", "question": "ok?",
                                                                            "answers": ["reply"]}])
    rows = run_questions(FakeAssistant(), qs, progress=False, warm_up=False)
    assert "answering broke" in rows[0]["error"] and rows[0]["verdicts"]["correct"] is False
    assert rows[1]["error"] is None and rows[1]["verdicts"]["correct"]


def test_report_escapes_question_and_answer_text() -> None:
    qs = parse_records([{"id": "x", "question": "<script>alert(1)</script>?", "answers": ["reply"]}])
    rows = run_questions(FakeAssistant(), qs, progress=False, warm_up=False)
    from assistant.evaluation.metrics import summary

    page = render(rows, summary(rows))
    assert "<script>" not in page and "&lt;script&gt;" in page


# --- the command in-process, with the fake embedder ------------------------------------------------

def test_eval_in_process_writes_results_summary_and_report(fake_cli: Any, seed_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = fake_cli("--store", tmp_path / "store", "eval", QUESTIONS, "--corpus", seed_copy, "--out", out,
                      "--limit", "6", "--today", "2024-03-10", "--no-progress")
    assert result.returncode == 0, result.stderr
    questions = load_questions(QUESTIONS)[:6]
    rows = read_results(out)
    assert [r["id"] for r in rows] == [q.id for q in questions]
    assert all(r["error"] is None for r in rows)
    summary = json.loads((out / "summary.json").read_text())
    assert set(METRICS) <= set(summary["overall"])
    assert summary["overall"]["quote_faithfulness"] == 1.0  # exact quotes do not depend on the model
    assert summary["run"]["today"] == "2024-03-10"
    assert "answer_accuracy" in result.stdout and (out / "report.html").exists()


def test_eval_floor_below_the_result_exits_1_naming_only_that_metric(fake_cli: Any, seed_copy: Path,
                                                                     tmp_path: Path) -> None:
    result = fake_cli("--store", tmp_path / "store", "eval", QUESTIONS, "--corpus", seed_copy, "--out",
                      tmp_path / "out", "--limit", "3", "--no-progress",
                      "--fail-under", "answer_accuracy=1.01", "--fail-under", "hit@10=0")
    assert result.returncode == 1
    failures = [line for line in result.stderr.splitlines() if line.startswith("FAIL")]
    assert len(failures) == 1 and "answer_accuracy" in failures[0]


# --- the real command ----------------------------------------------------------------------------

def run_eval(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_STORE_DIR": str(store), "ASSISTANT_CORPUS_DIR": str(ROOT / "corpus")}
    return subprocess.run([sys.executable, "-m", "assistant", "eval", *args, "--no-progress"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)


def read_results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    """The project's question set over the seed corpus, once for this module."""
    base = tmp_path_factory.mktemp("eval")
    proc = run_eval(str(QUESTIONS), "--out", str(base / "run1"), store=base / "store")
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield base / "run1", base / "store", proc.stdout


@pytest.fixture(scope="module")
def compare_run(first_run: tuple[Path, Path, str]) -> tuple[Path, subprocess.CompletedProcess[str], dict[str, str]]:
    """A second run of the first 10 questions against an edited copy of the first, failing a floor."""
    run1, store, _ = first_run
    earlier = run1.parent / "earlier"
    shutil.copytree(run1, earlier)
    rows = read_results(earlier)
    right = next(r for r in rows[:10] if r["verdicts"]["correct"])
    wrong = next((r for r in rows[:10] if not r["verdicts"]["correct"]), None)
    flipped = {"wrong_to_right": right["id"]}
    right["verdicts"]["correct"] = False  # was wrong earlier, is right now
    if wrong is not None:
        wrong["verdicts"]["correct"] = True
        flipped["right_to_wrong"] = wrong["id"]
    (earlier / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = run1.parent / "run2"
    proc = run_eval(str(QUESTIONS), "--limit", "10", "--out", str(out), "--compare", str(earlier),
                    "--fail-under", "answer_accuracy=1.01", "--fail-under", "hit@10=0", store=store)
    return out, proc, flipped


def open_report(path: Path, shot: Path) -> dict[str, Any]:
    """Counts of chart bars per SVG id, list items per flip list, and any request that left file://."""
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []

    def only_files(route: Route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    if not CHROMIUM:
        pytest.fail("chromium is missing: install Debian's chromium package (tests/run.sh does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.route("**/*", only_files)
            page.goto(path.resolve().as_uri())
            found = {sid: page.locator(f"svg#{sid} rect.bar").count() for sid in ("by-type", "latency", "compare")}
            found |= {lid: page.locator(f"ul#{lid} li").all_inner_texts()
                      for lid in ("right-to-wrong", "wrong-to-right")}
            page.screenshot(path=str(shot))
            if os.environ.get("EVAL_REPORT_SCREENSHOT"):  # to refresh docs/eval-report.png
                page.screenshot(path=os.environ["EVAL_REPORT_SCREENSHOT"])
        finally:
            browser.close()
    return found | {"blocked": blocked}


@pytest.mark.slow
def test_eval_writes_results_summary_and_report(first_run: tuple[Path, Path, str]) -> None:
    out, _, stdout = first_run
    questions = load_questions(QUESTIONS)
    rows = read_results(out)
    assert [r["id"] for r in rows] == [q.id for q in questions]
    for r in rows:
        assert {"id", "question", "type", "answer", "retrieved", "verdicts", "seconds"} <= set(r)
        assert {"text", "abstained", "citations"} <= set(r["answer"]) and r["error"] is None
    summary = json.loads((out / "summary.json").read_text())
    assert set(METRICS) <= set(summary["overall"])
    answerable = [r for r in rows if r["answerable"]]
    expected = sum(r["verdicts"]["answer_correct"] for r in answerable) / len(answerable)
    assert summary["overall"]["answer_accuracy"] == pytest.approx(expected)
    assert set(summary["by_type"]) == {q.type for q in questions}
    assert summary["overall"]["quote_faithfulness"] == 1.0  # anything less is a bug in citations
    assert "answer_accuracy" in stdout and (out / "report.html").exists()


@pytest.mark.slow
def test_report_opens_offline_and_shows_its_plots(first_run: tuple[Path, Path, str], tmp_path: Path) -> None:
    out, _, _ = first_run
    found = open_report(out / "report.html", tmp_path / "report.png")
    assert found["blocked"] == []
    assert found["by-type"] > 0 and found["latency"] > 0
    assert (tmp_path / "report.png").stat().st_size > 10_000


@pytest.mark.slow
def test_compare_report_shows_metric_changes_and_flipped_questions(compare_run: Any, tmp_path: Path) -> None:
    out, _, flipped = compare_run
    summary = json.loads((out / "summary.json").read_text())
    for key, qid in flipped.items():
        assert qid in [i["id"] for i in summary["compare"][key]]
    found = open_report(out / "report.html", tmp_path / "compare.png")
    assert found["blocked"] == [] and found["compare"] > 0
    for key, qid in flipped.items():
        assert any(text.startswith(qid) for text in found[key.replace("_", "-")])


@pytest.mark.slow
def test_fail_under_exits_1_and_names_only_the_metric_below_its_floor(compare_run: Any) -> None:
    _, proc, _ = compare_run
    assert proc.returncode == 1
    failures = [line for line in proc.stderr.splitlines() if line.startswith("FAIL")]
    assert len(failures) == 1 and "answer_accuracy" in failures[0]


def test_unknown_metric_in_fail_under_is_an_error_before_any_work(tmp_path: Path) -> None:
    proc = run_eval(str(QUESTIONS), "--fail-under", "accuracy=0.5", "--out", str(tmp_path), store=tmp_path)
    assert proc.returncode == 2 and "METRIC" in proc.stderr
    assert not (tmp_path / "results.jsonl").exists()
