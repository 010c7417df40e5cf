"""What import-linter cannot check (pyproject.toml holds the layers and the no-cycles contract,
which `make test` runs as `lint-imports`): no module uses another module's private names, no
source file is longer than MAX_LINES, and the commands start without the heavy libraries they
do not use. Read from the source with `ast`, and from `python -X importtime`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from builders import ROOT

SRC = ROOT / "src"
MAX_LINES = 800
# Private names still shared while another change moves their code; each entry goes when the
# import does (the test below fails for an entry that no longer happens).
KNOWN_PRIVATE: set[tuple[str, str, str]] = set()
# Files over MAX_LINES that are being split; each entry goes when its file is short enough.
KNOWN_LONG: set[str] = set()
# Libraries that `enforcesim --help` (and `import enforcesim`) must not load: each costs
# tens to hundreds of milliseconds of start-up and none is needed to print help. (pydantic is
# not here: Typer itself loads it to render a command's options.)
HEAVY = (
    "numpy",
    "pandas",
    "numba",
    "pyarrow",
    "duckdb",
    "matplotlib",
    "scipy",
    "SALib",
    "dask",
    "distributed",
    "jinja2",
)


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _private_uses(path: Path) -> set[tuple[str, str, str]]:
    """(module, other enforcesim module, private name) for each `from other import _x` and
    each `other._x` where `other` names an imported enforcesim module; nested imports too."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    found = set()
    modules: dict[str, str] = {}  # local name -> enforcesim module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("enforcesim"):
                continue
            for alias in node.names:
                if _is_module(f"{target}.{alias.name}"):
                    modules[alias.asname or alias.name] = f"{target}.{alias.name}"
                elif _private(alias.name) and target != name:
                    found.add((name, target, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("enforcesim") and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
        ):
            found.add((name, modules[node.value.id], node.attr))
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


SOURCES = sorted((SRC / "enforcesim").rglob("*.py"))


def test_no_module_uses_another_modules_private_names():
    used = set().union(*(_private_uses(p) for p in SOURCES))
    assert used - KNOWN_PRIVATE == set()
    assert KNOWN_PRIVATE - used == set(), "no longer imported: remove it from KNOWN_PRIVATE"


def test_private_names_are_found_in_imports_and_attributes(tmp_path, monkeypatch):
    # the check above would pass vacuously if _private_uses found nothing
    pkg = tmp_path / "enforcesim" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("_hidden = 1\n")
    (pkg / "high.py").write_text(
        "from .low import _hidden\nfrom . import low\n\ndef f():\n    return low._hidden\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    assert _private_uses(pkg / "high.py") == {
        ("enforcesim.pkg.high", "enforcesim.pkg.low", "_hidden")
    }
    assert _private_uses(pkg / "low.py") == set()


def test_no_source_file_is_longer_than_the_limit():
    lengths = {str(p.relative_to(SRC)): len(p.read_text().splitlines()) for p in SOURCES}
    long = {f for f, n in lengths.items() if n > MAX_LINES}
    assert long - KNOWN_LONG == set(), f"over {MAX_LINES} lines: split them"
    assert KNOWN_LONG - long == set(), "short enough now: remove it from KNOWN_LONG"


def _loaded(args: list[str]) -> set[str]:
    """Top-level packages a fresh interpreter imports to run `python args` (-X importtime)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "typer" in names or args[:1] == ["-c"]  # the output was read
    return names


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["validate", "--help"],
        ["sweep", "--help"],
        ["study", "flagship", "--help"],
        ["data", "--help"],
        ["calibrate", "run", "--help"],
        ["cluster", "local", "--help"],
    ],
    ids=" ".join,
)
def test_help_loads_no_heavy_library(command):
    assert _loaded(["-m", "enforcesim.cli", *command]) & set(HEAVY) == set()


def test_import_enforcesim_loads_no_heavy_library():
    assert _loaded(["-c", "import enforcesim"]) & set(HEAVY) == set()


def test_the_public_names_load_on_first_use():
    import enforcesim
    from enforcesim.analyses.runs import run
    from enforcesim.scenario import parse_scenario

    assert enforcesim.run is run
    assert enforcesim.parse_scenario is parse_scenario
    assert set(enforcesim.__all__) <= set(dir(enforcesim))
    with pytest.raises(AttributeError, match="no_such_name"):
        enforcesim.no_such_name  # noqa: B018
