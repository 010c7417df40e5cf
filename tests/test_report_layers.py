"""How the study tools, the reports and the scenario-file helpers depend on each other: the
flagship study is an application of the public API (nothing in the core imports it), no
import cycles among these modules, no private name imported from another module, and the
low-level helpers import nothing above them. Read from the source with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from builders import ROOT

SRC = ROOT / "src"
AREA = ("enforcesim.study", "enforcesim.calibrate", "enforcesim.reports")
LOW_LEVEL = ("enforcesim.files", "enforcesim.tomlfile", "enforcesim.reports.html")


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names imported from it) for every import, nested ones included."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            found.append((target, names))
            # `from . import x` imports the module x
            found += [(f"{target}.{n}", []) for n in names if _is_module(f"{target}.{n}")]
    return found


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


GRAPH = {_module(p): _imports(p) for p in sorted((SRC / "enforcesim").rglob("*.py"))}


def _in(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_nothing_outside_the_study_tools_imports_the_flagship():
    offenders = [
        (m, t)
        for m, imports in GRAPH.items()
        for t, _ in imports
        if t.startswith("enforcesim.study.flagship") and not m.startswith("enforcesim.study")
    ]
    assert offenders == []


def test_no_import_cycles_among_the_study_tools_and_reports():
    nodes = {m for m in GRAPH if _in(m, AREA + LOW_LEVEL)}
    # a module's own packages are initialised before it runs: not an edge back
    edges = {
        m: {t for t, _ in GRAPH[m] if t in nodes and t != m and not m.startswith(t + ".")}
        for m in nodes
    }
    cycles = []
    for start in sorted(nodes):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in edges[node]:
                if nxt == start:
                    cycles.append(path + [start])
                elif nxt not in path and nxt > start:
                    stack.append((nxt, path + [nxt]))
    assert cycles == []


def test_no_private_name_is_imported_from_another_module():
    private = [
        (m, t, n)
        for m, imports in GRAPH.items()
        if _in(m, AREA + LOW_LEVEL)
        for t, names in imports
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert private == []


@pytest.mark.parametrize("module", LOW_LEVEL)
def test_the_low_level_helpers_import_nothing_above_them(module):
    above = [t for t, _ in GRAPH[module] if _in(t, ("enforcesim.study", "enforcesim.calibrate"))]
    assert above == []
    assert not any(t.startswith(("enforcesim.results", "enforcesim.api")) for t, _ in GRAPH[module])
