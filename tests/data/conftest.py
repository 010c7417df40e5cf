"""One store per test session, built into a temporary folder from the vendored raw files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from enforcesim import data


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data.build(tmp_path_factory.mktemp("store") / "enforcesim.duckdb")


@pytest.fixture(scope="session")
def con(store: Path):
    connection = duckdb.connect(str(store), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def fiscal_years(store: Path):
    return data.table("fiscal_years", store).set_index("fiscal_year")


@pytest.fixture(scope="session")
def monthly(store: Path):
    return data.table("monthly", store)
