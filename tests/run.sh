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
# the docs generated from code (README's Settings table and command list, docs/cli.md) must match it
.venv/bin/cog --check --diff --check-fail-msg='the docs are out of date: run cog -r README.md docs/cli.md' \
  README.md docs/cli.md
.venv/bin/python -m pytest -q "$@"
# eval_gate SET FLOOR...: evaluate a question set on a fresh store (over corpus/, read only) and fail under floors
eval_gate() {
  set_file=$1; shift
  gate=$(mktemp -d)
  floors=""
  for f in "$@"; do floors="$floors --fail-under $f"; done
  # shellcheck disable=SC2086
  ASSISTANT_STORE_DIR="$gate/store" .venv/bin/assistant eval "$set_file" --out "$gate/out" --no-progress $floors
  rm -rf "$gate"
}
# regression gate: the project's own question set, floors just under what the product measures
# (measured: answer_accuracy 1.000, hit@1 0.927, mrr@10 0.957, citation precision/recall 0.980/0.933,
# quote faithfulness 1.000, abstention precision/recall 1.000/1.000; each floor lets about one question slip)
eval_gate tests/questions.jsonl answer_accuracy=0.97 accuracy_all=0.97 hit@1=0.89 hit@5=0.97 mrr@10=0.93 \
  recall@5=0.97 citation_precision=0.95 citation_recall=0.9 quote_faithfulness=1.0 \
  abstention_precision=0.85 abstention_recall=0.83
# held-out gate: the set written blind and never tuned on (30 questions; h19-h30 were added blind before the
# answer-engine work of issue 9), same way, fresh store; floors just under what today's engine measures
# (measured: answer_accuracy 0.880 (25 answerable), accuracy_all 0.800 (30), hit@1 0.880, hit@5 1.000,
# mrr@10 0.923, recall@5 1.000, citation precision/recall 0.979/0.900, quote faithfulness 1.000,
# abstention precision/recall 0.667/0.400 (5 unanswerable: on-topic questions whose fact the articles don't
# state are still answered); each floor lets about one more question slip, quotes must stay exact)
eval_gate tests/questions_heldout.jsonl answer_accuracy=0.84 accuracy_all=0.76 hit@1=0.84 hit@5=0.96 \
  mrr@10=0.88 recall@5=0.96 citation_precision=0.93 citation_recall=0.86 quote_faithfulness=1.0 \
  abstention_precision=0.5 abstention_recall=0.2
