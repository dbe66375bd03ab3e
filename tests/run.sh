#!/bin/sh
# Sets up everything the tests need on a fresh machine, then runs them.
# Usage: sh tests/run.sh [pytest args]
set -eu
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,llm,mcp,local]'  # local: the real-model slow tests
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
# eval_gate [--corpus PATH] SET FLOOR...: evaluate a question set on a fresh store and fail under floors; the
# articles are corpus/ (read only) unless --corpus names the folder or file the set is written over
eval_gate() {
  corpus=""
  if [ "$1" = "--corpus" ]; then corpus=$2; shift 2; fi
  set_file=$1; shift
  gate=$(mktemp -d)
  floors=""
  for f in "$@"; do floors="$floors --fail-under $f"; done
  # shellcheck disable=SC2086
  ASSISTANT_STORE_DIR="$gate/store" .venv/bin/assistant eval "$set_file" ${corpus:+--corpus "$corpus"} \
    --out "$gate/out" --no-progress $floors
  rm -rf "$gate"
}
# regression gate: the project's own question set (99: q01-q47, the calibration set, and k01-k52, every answer
# kind with short golds, 12 on-topic unanswerable, 5 "who said that"). Issue 9's targets are its floors for
# shorts, quotes and refusals (short accuracy >= 0.95, every short inside its quote, every quote exact,
# abstention precision and recall >= 0.9); the other floors sit just under what the engine measures
# (measured: answer_accuracy 0.901 (81 answerable), accuracy_all 0.909 (99), hit@1 0.938, hit@5 1.000,
# mrr@10 0.963, recall@5 0.998, citation precision/recall 0.975/0.954, quote faithfulness 1.000, abstention
# precision/recall 1.000/0.944 (18 unanswerable), short_accuracy 0.964 (55 short golds), short_precision 0.964,
# short_in_quote 1.000; each other floor lets about one question slip)
eval_gate tests/questions.jsonl answer_accuracy=0.88 accuracy_all=0.89 hit@1=0.92 hit@5=0.98 mrr@10=0.95 \
  recall@5=0.98 citation_precision=0.95 citation_recall=0.93 quote_faithfulness=1.0 \
  abstention_precision=0.94 abstention_recall=0.9 short_accuracy=0.95 short_precision=0.95 short_in_quote=1.0
# MultiHop-RAG fixture gate: 36 questions over 15 facts-corpus articles (tests/data/multihop_facts), same way
# (measured: answer_accuracy 0.800 (30 answerable), accuracy_all 0.806 (36), hit@1 0.933, hit@5 1.000,
# mrr@10 0.961, recall@5 0.983, citation precision/recall 0.938/0.856, quote faithfulness 1.000,
# abstention precision/recall 0.714/0.833 (6 unanswerable; 5 of 7 declines right), short_accuracy 0.800
# (20 short golds), short_precision 0.889, short_in_quote 1.000; each floor lets about one question slip)
eval_gate --corpus tests/data/multihop_facts/articles.jsonl tests/questions_multihop_facts.jsonl \
  answer_accuracy=0.76 accuracy_all=0.77 hit@1=0.89 hit@5=0.96 mrr@10=0.93 recall@5=0.95 \
  citation_precision=0.9 citation_recall=0.82 quote_faithfulness=1.0 abstention_precision=0.6 \
  abstention_recall=0.66 short_accuracy=0.75 short_precision=0.83 short_in_quote=1.0
# held-out gate: the set written blind and never tuned on (30 questions; h19-h30 were added blind before the
# answer-engine work of issue 9), same way, fresh store; floors just under what the engine measures, untuned
# (measured: answer_accuracy 0.880 (25 answerable), accuracy_all 0.900 (30), hit@1 0.920, hit@5 1.000,
# mrr@10 0.953, recall@5 1.000, citation precision/recall 0.962/0.860, quote faithfulness 1.000, abstention
# precision/recall 0.625/1.000 (5 unanswerable, all declined; 3 answerable declined); each floor lets about
# one more question slip, quotes must stay exact)
eval_gate tests/questions_heldout.jsonl answer_accuracy=0.84 accuracy_all=0.86 hit@1=0.88 hit@5=0.96 \
  mrr@10=0.91 recall@5=0.96 citation_precision=0.92 citation_recall=0.82 quote_faithfulness=1.0 \
  abstention_precision=0.55 abstention_recall=0.8
