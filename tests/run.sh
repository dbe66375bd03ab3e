#!/bin/sh
# Sets up everything the tests need on a fresh machine, then runs them.
# Usage: sh tests/run.sh [pytest args]
set -eu
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,llm]'
# a real headless browser for the page tests (Debian's chromium)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
      (apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null))
  else
    echo "tests/run.sh: chromium is missing; install Debian's chromium package" >&2
    exit 1
  fi
fi
.venv/bin/python -m ruff check assistant tests benchmarks app.py
.venv/bin/python -m pytest -q "$@"
