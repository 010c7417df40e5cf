"""Fixtures shared by every test module; plain builders are in builders.py and the checks
against queueing theory in theory_checks.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from enforcesim import data


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[..., Path]:
    """write_toml(text, name="s.toml") writes a scenario file into the test's temporary
    folder and returns its path."""

    def write(text: str, name: str = "s.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One statistics store per test session, built into a temporary folder from the
    vendored raw files (as `enforcesim data build --db PATH` builds it)."""
    return data.build(tmp_path_factory.mktemp("store") / "enforcesim.duckdb")
