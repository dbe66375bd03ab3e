"""Evaluation: ask a question set through `Assistant`, score every answer, report.

Modules: `questions` (load JSONL/YAML/CSV/MultiHop-RAG sets), `metrics` (pure
scoring and aggregation), `runner` (asks through the API), `report` (offline HTML
with inline SVG), `cli` (the `assistant eval` command). Nothing heavy is imported
here so that `assistant --help` stays fast.
"""
