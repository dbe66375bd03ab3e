"""Evaluation: ask a question set through `Assistant`, score every answer, report.

Modules: `questions` (load JSONL/YAML/CSV/MultiHop-RAG sets), `matching` (answer
text against gold answers), `metrics` (pure scoring and aggregation), `runner`
(asks through the API), `report` and `svg` (offline HTML with inline SVG), `cli`
(the `assistant eval` command). Nothing heavy is imported here so that
`assistant --help` stays fast.
"""
