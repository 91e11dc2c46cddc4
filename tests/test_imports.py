"""No stage imports a higher one: the import graph of flows/ and sources/ has no cycle.

Every import counts, those inside functions and `if TYPE_CHECKING:` blocks too: a lazy import hides a
cycle from Python, not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("flows", "sources")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module(p): p for package in PACKAGES for p in sorted((ROOT / package).glob("*.py"))}


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from flows import load` names a module; `from flows.load import fetch` a member.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name in known and name not in PACKAGES)
    return found


def graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) - {name} for name, path in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as the list of its modules (first repeated last), or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return visiting[visiting.index(node) :] + [node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(edges.get(node, ())):
            cycle = visit(target)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(edges):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


def test_the_import_graph_has_no_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "cycle d'imports : " + " → ".join(cycle or [])


def test_the_graph_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from flows.build import BuildReport\n"
        "def f():\n    from flows import load\n    import sources.local\n",
        encoding="utf-8",
    )
    known = {"flows.build", "flows.load", "sources.local"}
    assert _imports(source, known) == known


def test_a_cycle_is_found_and_named() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_stage_imports_prefect() -> None:
    """Prefect is where the flow is wired (and served, its server kept, alerted on); the stages are plain functions."""
    wired = {"flows.build", "flows.cli", "flows.serve", "flows.alerts", "flows.server"}
    # The watch's flow, and the Google tasks that it and the build's flow wire (retries declared).
    wired |= {"flows.watch", "flows.google_tasks"}
    for name, path in _modules().items():
        if name in wired:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            else:
                continue
            assert not any(m == "prefect" or m.startswith("prefect.") for m in modules), name
