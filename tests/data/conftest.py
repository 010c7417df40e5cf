"""Tables of the session's store (the `store` fixture of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from enforcesim import data


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
