"""The store is written only by a build, and only over a store or at its default location:
`--db` on any other file, a user's own DuckDB database, a folder or a damaged store is
refused with exit 2 and one line, and the file stays byte for byte."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from enforcesim import data
from enforcesim.cli.data import app

runner = CliRunner()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(r, path: Path) -> str:
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output
    assert str(path) in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    return r.stderr


def damage(path: Path) -> None:
    """Zero a stretch of blocks after the header, as a bad copy or disk would."""
    b = bytearray(path.read_bytes())
    b[5000:400000] = bytes(395000)
    path.write_bytes(bytes(b))


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a database\n")
    return path


@pytest.fixture
def own_duckdb(tmp_path: Path) -> Path:
    path = tmp_path / "mine.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE fiscal_years AS SELECT 2024 AS fiscal_year")
    con.close()
    return path


@pytest.fixture
def damaged_store(store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "damaged.duckdb"
    shutil.copy(store, path)
    damage(path)
    return path


BUILD = ["build"]
SHOW = ["show", "fiscal-years", "--format", "csv"]


@pytest.mark.parametrize(
    "command", [BUILD, SHOW, [*BUILD, "--force"]], ids=["build", "show", "force"]
)
def test_a_file_that_is_not_a_database_is_refused_and_untouched(command, notes):
    before = sha(notes)
    err = refused(runner.invoke(app, [*command, "--db", str(notes)]), notes)
    assert "not an enforcesim store (not a DuckDB file)" in err
    assert sha(notes) == before
    assert sorted(p.name for p in notes.parent.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    "command", [BUILD, SHOW, [*BUILD, "--force"]], ids=["build", "show", "force"]
)
def test_a_users_own_duckdb_file_is_refused_and_untouched(command, own_duckdb):
    before = sha(own_duckdb)
    err = refused(runner.invoke(app, [*command, "--db", str(own_duckdb)]), own_duckdb)
    assert "a DuckDB database but not an enforcesim store" in err
    assert sha(own_duckdb) == before


@pytest.mark.parametrize("command", [BUILD, SHOW], ids=["build", "show"])
def test_a_folder_given_as_db_is_one_clear_line(command, tmp_path):
    err = refused(runner.invoke(app, [*command, "--db", str(tmp_path)]), tmp_path)
    assert "is a folder" in err and "enforcesim.duckdb" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [BUILD, SHOW], ids=["build", "show"])
def test_a_damaged_store_names_data_build_and_is_left_as_it_is(command, damaged_store):
    before = sha(damaged_store)
    err = refused(runner.invoke(app, [*command, "--db", str(damaged_store)]), damaged_store)
    assert "cannot be opened" in err and "enforcesim data build --db" in err
    assert sha(damaged_store) == before


def test_show_does_not_build_a_store_at_a_new_path(tmp_path):
    db = tmp_path / "new.duckdb"
    err = refused(runner.invoke(app, [*SHOW, "--db", str(db)]), db)
    assert f"enforcesim data build --db {db}" in err
    assert not db.exists()


def test_show_does_not_rebuild_a_stale_store(store, tmp_path):
    db = tmp_path / "stale.duckdb"
    shutil.copy(store, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE build_info SET manifest_digest = 'older raw files'")
    con.close()
    before = sha(db)
    err = refused(runner.invoke(app, [*SHOW, "--db", str(db)]), db)
    assert "built from other raw files" in err and "enforcesim data build --db" in err
    assert sha(db) == before
    # the build brings it up to date: it is a store, so it may be written over
    assert runner.invoke(app, [*BUILD, "--db", str(db)]).exit_code == 0
    assert runner.invoke(app, [*SHOW, "--db", str(db)]).exit_code == 0


def test_environment_variable_locations_are_protected_too(own_duckdb, monkeypatch):
    monkeypatch.setenv("ENFORCESIM_DB", str(own_duckdb))
    before = sha(own_duckdb)
    refused(runner.invoke(app, SHOW), own_duckdb)
    refused(runner.invoke(app, BUILD), own_duckdb)
    assert sha(own_duckdb) == before


def test_the_default_store_is_built_on_first_read_but_never_silently_rebuilt(
    store, tmp_path, monkeypatch
):
    default = tmp_path / "default" / "enforcesim.duckdb"
    monkeypatch.delenv("ENFORCESIM_DB", raising=False)
    monkeypatch.setattr("enforcesim.data.store.default_db_path", lambda: default)
    shutil.copytree(store.parent, default.parent)
    assert data.table("fiscal_years").shape[0] == 7  # FY2019-FY2025; a current store is only read
    damage(default)
    before = sha(default)
    r = runner.invoke(app, SHOW)
    err = refused(r, default)
    assert "rebuild it with `enforcesim data build`" in err
    assert sha(default) == before
    # `data build` may write over its own default location
    assert runner.invoke(app, BUILD).exit_code == 0
    assert runner.invoke(app, SHOW).exit_code == 0
    default.unlink()
    r = runner.invoke(app, SHOW)  # missing: built first, as docs/data.md says
    assert r.exit_code == 0, r.output
    assert default.exists()
