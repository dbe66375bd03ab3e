"""Every third-party package the code imports is declared in pyproject.toml.

assistant/ imports: in `dependencies`, except imports inside a function guarded by
`except ImportError: raise MissingExtraError(what, "extra")`, which belong to that extra.
tests/ imports: in `dependencies` or the extras tests/run.sh installs (test, llm, mcp).
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")

ROOT = Path(__file__).resolve().parent.parent
TEST_EXTRAS = ("test", "llm", "mcp")  # what tests/run.sh installs


@dataclass(frozen=True)
class Import:
    module: str  # dotted name as written
    where: str  # file:line
    lazy: bool  # inside a function
    extra: str | None  # the extra named by a MissingExtraError raised when the import fails


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str]) -> set[str]:
    return {normalize(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r).group(1)) for r in requirements}


@cache
def declared() -> tuple[set[str], dict[str, set[str]]]:
    """(names in dependencies, names in each extra), normalized."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = {k: requirement_names(v) for k, v in project.get("optional-dependencies", {}).items()}
    return requirement_names(project.get("dependencies", [])), extras


def _missing_extra(handler: ast.ExceptHandler) -> str | None:
    """The extra of `raise MissingExtraError(what, "extra")` in an `except ImportError` handler."""
    caught = handler.type
    names = [caught] if not isinstance(caught, ast.Tuple) else list(caught.elts)
    if not any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names):
        return None
    for node in ast.walk(handler):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            args = node.exc.args
            if name == "MissingExtraError" and len(args) >= 2 and isinstance(args[1], ast.Constant):
                return str(args[1].value)
    return None


def imports_of(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(ROOT).as_posix()

    def visit(node: ast.AST, lazy: bool, extra: str | None) -> Iterator[Import]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module] if node.level == 0 and node.module else []
            else:
                modules = [alias.name for alias in node.names]
            for module in modules:
                yield Import(module, f"{where}:{node.lineno}", lazy, extra)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            lazy = True
        if isinstance(node, ast.Try):
            guard = next((e for h in node.handlers if (e := _missing_extra(h))), None)
            for child in node.body:
                yield from visit(child, lazy, guard or extra)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                yield from visit(child, lazy, extra)
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child, lazy, extra)

    yield from visit(tree, False, None)


def third_party(imports: Iterator[Import], local: set[str]) -> list[Import]:
    return [i for i in imports
            if (top := i.module.split(".")[0]) not in sys.stdlib_module_names and top not in local]


@cache
def _files_of(dist: str) -> tuple[str, ...]:
    return tuple(str(f) for f in (md.distribution(dist).files or []))


def distributions_of(module: str) -> set[str]:
    """The installed distributions providing `module`. For a namespace package shared by several
    (llama_index.*) the one holding the longest matching dotted prefix."""
    parts = module.split(".")
    candidates = _packages_distributions().get(parts[0], [])
    if len(set(candidates)) <= 1:
        return {normalize(d) for d in candidates}
    for n in range(len(parts), 0, -1):
        path = "/".join(parts[:n])
        owners = {normalize(d) for d in candidates
                  if any(f == path + ".py" or f.startswith(path + "/") for f in _files_of(d))}
        if owners and (n == len(parts) or len(owners) == 1):  # a shared folder (llama_index/llms) says nothing
            return owners
    return set()


@cache
def _packages_distributions() -> dict[str, list[str]]:
    return md.packages_distributions()


def problems(imports: list[Import], allowed: set[str], extras: dict[str, set[str]]) -> list[str]:
    found = []
    for imp in imports:
        dists = distributions_of(imp.module)
        if imp.lazy and imp.extra is not None:
            if imp.extra not in extras:
                found.append(f"{imp.where}: {imp.module} names the extra {imp.extra!r}, which pyproject lacks")
                continue
            ok = allowed | extras[imp.extra]
            # an optional backend need not be installed here: then its name must follow the module's
            dists = dists or {normalize(imp.module.replace(".", "-"))}
            if not dists & ok:
                found.append(f"{imp.where}: {imp.module} ({', '.join(sorted(dists))}) is not declared in "
                             f"the {imp.extra!r} extra (or dependencies)")
        elif not dists:
            found.append(f"{imp.where}: {imp.module} is not installed, so no distribution provides it: "
                         f"declare it in pyproject.toml's dependencies")
        elif not dists & allowed:
            found.append(f"{imp.where}: {imp.module} comes from {', '.join(sorted(dists))}, which is not in "
                         f"pyproject.toml's dependencies")
    return found


def test_the_package_declares_every_third_party_import() -> None:
    dependencies, extras = declared()
    imports = third_party((i for p in sorted((ROOT / "assistant").rglob("*.py")) for i in imports_of(p)),
                          local={"assistant"})
    assert {i.module.split(".")[0] for i in imports} >= {"chromadb", "numpy", "nltk", "yaml"}  # the scan works
    assert any(i.extra == "llm" for i in imports)  # and sees the guarded optional backends
    assert problems(imports, dependencies, extras) == []


def test_the_tests_import_only_what_run_sh_installs() -> None:
    dependencies, extras = declared()
    allowed = dependencies.union(*(extras[e] for e in TEST_EXTRAS))
    local = {"assistant"} | {p.stem for p in (ROOT / "tests").glob("*.py")}
    imports = third_party((i for p in sorted((ROOT / "tests").glob("*.py")) for i in imports_of(p)), local)
    assert problems([Import(i.module, i.where, i.lazy, None) for i in imports], allowed, extras) == []


def test_the_guard_is_recognised() -> None:
    source = ("def load():\n    try:\n        from some_backend.client import Client\n    except ImportError:\n"
              "        raise MissingExtraError('the client', 'fancy') from None\n")
    tree = ast.parse(source)
    handler = tree.body[0].body[0].handlers[0]  # type: ignore[attr-defined]
    assert _missing_extra(handler) == "fancy"
