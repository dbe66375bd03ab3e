"""The docs that are generated from code (cog) match the code: the README's Settings table and
command list, and docs/cli.md (every command's --help)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.ui.cli import main

ROOT = Path(__file__).resolve().parent.parent
COGGED = ["README.md", "docs/cli.md"]
FIX = f"the docs are out of date: run `cog -r {' '.join(COGGED)}` and commit the result"


def test_generated_docs_match_the_code() -> None:
    # an odd terminal width and forced colour must not change the generated help
    env = {**os.environ, "COLUMNS": "37", "FORCE_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--diff", f"--check-fail-msg={FIX}", *COGGED],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    if proc.returncode != 0:
        pytest.fail(f"{FIX}\n{proc.stdout}{proc.stderr}", pytrace=False)


def test_settings_command_prints_the_readme_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["settings"]) == 0
    printed = capsys.readouterr().out
    assert printed == Settings.markdown_table()
    assert printed in (ROOT / "README.md").read_text(encoding="utf-8")
    assert printed.count("\n| `ASSISTANT_") == len(Settings.documentation())


def test_every_command_has_a_help_section_in_docs_cli() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("", " ingest", " status", " ask", " eval", " serve", " settings"):
        assert f"$ assistant{command} --help\nusage: assistant{command} " in text, command
