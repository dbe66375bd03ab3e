"""The package as users get it: the wheel holds every subpackage and the prompt files, and a fresh
virtualenv with only that wheel installed (no source tree importable) answers, evaluates and talks to an
OpenAI-compatible LLM over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fake_llm import openai_compatible_server, source_number

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ["assistant/prompts/__init__.py", "assistant/prompts/answer.txt", "assistant/prompts/condense.txt"]
SUBPACKAGES = ["assistant", "assistant.core", "assistant.ingest", "assistant.index", "assistant.answer",
               "assistant.ui", "assistant.evaluation"]
# never copied into the build: local state, caches, and build/ (setuptools reuses a stale build/lib)
NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".store",
                                    "eval-out", ".pytest_cache", ".ruff_cache", "node_modules", "tmp")
QUESTION = "How many Kataib Hezbollah members were killed south of Baghdad?"
EIGHT = "confirmed the death of eight of its members"


def source_packages() -> list[str]:
    """Every folder under assistant/ holding Python modules, as a dotted package name."""
    folders = {p.parent for p in (ROOT / "assistant").rglob("*.py") if "__pycache__" not in p.parts}
    return sorted(".".join(f.relative_to(ROOT).parts) for f in folders)


def test_pyproject_lists_every_package_and_the_prompts() -> None:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = set(tool["packages"])
    assert set(source_packages()) >= set(SUBPACKAGES)
    missing = sorted(set(source_packages()) - packages)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml, or the wheel lacks them"
    for package in source_packages():
        assert (ROOT / package.replace(".", "/") / "__init__.py").is_file(), f"{package} has no __init__.py"
    assert "assistant.prompts" in packages and tool["package-dir"]["assistant.prompts"] == "prompts"
    assert {p.name for p in (ROOT / "prompts").glob("*.txt")} >= {"answer.txt", "condense.txt"}
    assert tool["package-data"]["assistant.prompts"] == ["*.txt"]


@dataclass
class Installed:
    wheel: Path
    venv: Path
    work: Path  # cwd for the installed commands: nothing of the source tree in it
    install_seconds: float

    def env(self, **more: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("ASSISTANT_")}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return env | more

    def run(self, *args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in args], cwd=self.work, env=self.env(**env), capture_output=True,
                              text=True, timeout=timeout)


def _say(config: pytest.Config, line: str) -> None:
    """Show a line in pytest's own output, past output capture (the install time is worth seeing)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("package")
    src, dist = tmp / "src", tmp / "dist"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCE)  # build from a clean copy: no stale build/, no writes here
    t0 = time.perf_counter()
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout}\n{built.stderr}"
    build_seconds = time.perf_counter() - t0
    (wheel,) = dist.glob("news_assistant-*.whl")

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    work = tmp / "work"
    work.mkdir()
    t0 = time.perf_counter()
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"{wheel}[llm]"],
                         cwd=work, capture_output=True, text=True, timeout=3600)
    install_seconds = time.perf_counter() - t0
    assert pip.returncode == 0, f"pip install {wheel.name}[llm] failed:\n{pip.stdout}\n{pip.stderr}"
    _say(pytestconfig, f"\ntest_package: wheel built in {build_seconds:.0f} s; "
                       f"fresh venv: pip install '{wheel.name}[llm]' took {install_seconds:.0f} s")
    shutil.copytree(ROOT / "corpus", work / "corpus")
    shutil.copy(ROOT / "tests" / "questions.jsonl", work / "questions.jsonl")
    yield Installed(wheel, venv, work, install_seconds)


@pytest.mark.slow
def test_wheel_holds_every_subpackage_and_the_prompts(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "assistant").rglob("*.py")
               if "__pycache__" not in p.parts}
    for package in SUBPACKAGES:
        assert package.replace(".", "/") + "/__init__.py" in names, package
    assert sorted(modules - names) == []
    assert sorted(set(PROMPTS) - names) == []
    assert not any(n.startswith(("tests/", "prompts/", "corpus/")) for n in names)
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "assistant = assistant.ui.cli:main" in zipfile.ZipFile(installed.wheel).read(entry_points).decode()


@pytest.mark.slow
def test_installed_package_is_the_wheel_not_the_source_tree(installed: Installed) -> None:
    probe = ("import assistant, importlib.metadata as m, importlib.resources as r, json; "
             "d = m.distribution('news-assistant'); "
             "print(json.dumps([assistant.__file__, d.read_text('direct_url.json'), "
             "r.files('assistant.prompts').joinpath('answer.txt').is_file()]))")
    proc = installed.run(installed.venv / "bin" / "python", "-c", probe)
    assert proc.returncode == 0, proc.stderr
    location, direct_url, prompt_found = json.loads(proc.stdout)
    assert Path(location).is_relative_to(installed.venv) and not Path(location).is_relative_to(ROOT)
    assert prompt_found
    assert '"editable": true' not in (direct_url or "")


@pytest.mark.slow
def test_installed_assistant_passes_the_eval(installed: Installed) -> None:
    env = {"ASSISTANT_CORPUS_DIR": str(installed.work / "corpus"),
           "ASSISTANT_STORE_DIR": str(installed.work / "eval-store")}
    proc = installed.run(installed.venv / "bin" / "assistant", "eval", "questions.jsonl", "--out", "eval-out",
                         "--no-progress", **env)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    overall = json.loads((installed.work / "eval-out" / "summary.json").read_text())["overall"]
    assert overall["answer_accuracy"] >= 0.84, overall  # the own set's gate in tests/run.sh
    assert overall["quote_faithfulness"] == 1.0, overall


@pytest.mark.slow
def test_installed_assistant_answers_with_an_openai_compatible_llm(installed: Installed) -> None:
    env = {"ASSISTANT_CORPUS_DIR": str(installed.work / "corpus"),
           "ASSISTANT_STORE_DIR": str(installed.work / "llm-store")}
    assistant = installed.venv / "bin" / "assistant"
    ingest = installed.run(assistant, "ingest", **env)
    assert ingest.returncode == 0, f"{ingest.stdout}\n{ingest.stderr}"

    def script(prompt: str) -> str:
        return f"Kataib Hezbollah confirmed the death of eight of its members [{source_number(prompt, EIGHT)}]."

    with openai_compatible_server(script) as server:
        proc = installed.run(assistant, "ask", "--answerer", "llm", "--json", QUESTION,
                             ASSISTANT_LLM_BASE_URL=server.url, ASSISTANT_LLM_MODEL="scripted",
                             ASSISTANT_LLM_TIMEOUT="60", **env)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert server.requests and server.requests[0]["model"] == "scripted"
    answer: dict[str, Any] = json.loads(proc.stdout)
    assert answer["answerer"] == "llm" and not answer["abstained"], answer
    (citation,) = answer["citations"]
    assert citation["source"] == "003_0de35cad8aa68667.txt" and EIGHT in citation["quote"]
    # the quote is the exact span of the stored article (read back through the installed package's API)
    check = ("import json, sys; from assistant import Assistant; c = json.loads(sys.argv[1]); "
             "print(Assistant.from_settings().article(c['source'])['text'][c['start']:c['end']] == c['quote'])")
    exact = installed.run(installed.venv / "bin" / "python", "-c", check, json.dumps(citation), **env)
    assert exact.returncode == 0, exact.stderr
    assert exact.stdout.strip() == "True", citation
    assert citation["quote"] in (installed.work / "corpus" / citation["source"]).read_text(encoding="utf-8")


def test_answering_from_the_command_line_imports_neither_llama_index_nor_gradio() -> None:
    """llama-index takes longer to import (1.3 s) than a whole answer, gradio 2.5 s: `assistant ask` must
    answer within about 2 s of launch (benchmarks/cli_ask.py), so neither is on its path."""
    code = ("import sys\n"
            "import assistant.ui.cli, assistant.api, assistant.answer.engine\n"
            "import assistant.answer.briefing, assistant.ingest.sync, assistant.index.embedding\n"
            "import assistant.index.store, assistant.answer.retrieval\n"
            "print(sorted(m for m in ('llama_index.core', 'gradio') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
