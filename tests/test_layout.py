"""The package layout holds: stages import only downward, and no module imports itself in a loop.

Stages, lowest first: core (shared types and utilities) < index (store, lexical index, embedding)
< ingest (reading, chunking, sync) < answer (query, retrieval, evidence, answerers, engine)
< api (`Assistant`, which wires the parts) < evaluation < ui (CLI, chat, terminal). Imports inside
functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
RANKS = {"core": 0, "prompts": 0, "index": 1, "ingest": 2, "answer": 3, "api": 4, "evaluation": 5, "ui": 6,
         "__init__": 7, "__main__": 7}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of the `assistant` modules a file imports (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        found |= {c for c in candidates if c in MODULES}
    return found - {name}


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}
GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_belongs_to_a_known_stage() -> None:
    unknown = sorted(m for m in MODULES if stage(m) not in RANKS)
    assert not unknown, f"modules outside the stage folders: {unknown}"


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{src} -> {dst}" for src, targets in graph.items() for dst in targets
                  if RANKS[stage(dst)] > RANKS[stage(src)])


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every back edge of a depth-first walk closes a cycle; each is reported with its path."""
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, set())):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_stage_imports_a_later_stage() -> None:
    upward = upward_imports(GRAPH)
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_module_imports_have_no_cycles() -> None:
    cycles = find_cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checks_catch_what_they_look_for() -> None:
    """Guards for the checker itself: lazy imports inside functions count, and a planted cycle or
    upward import is reported (the old `api` <-> `answering` pair would have been)."""
    assert "assistant.answer.engine" in GRAPH["assistant.api"]
    planted = {"assistant.api": {"assistant.answer.engine"}, "assistant.answer.engine": {"assistant.api"}}
    (cycle,) = find_cycles(planted)
    assert cycle[0] == cycle[-1] and set(cycle) == set(planted)
    assert upward_imports(planted) == ["assistant.answer.engine -> assistant.api"]
