"""Build the DuckDB store from the raw files, atomically, and read tables back."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import border, daily, facilities, ice_fy2025, ice_workbooks, series
from .errors import DataError
from .manifest import digest, read_manifest, verify
from .paths import default_db_path, manifest_path, raw_dir

SCHEMA_VERSION = 2

TABLES = (
    "fiscal_years",
    "monthly",
    "national_daily",
    "facilities",
    "facility_daily",
    "border_encounters",
    "monthly_rates",
    "book_outs",
    "facility_type_monthly",
    "bond_monthly",
    "atd_snapshot",
    "headcounts",
)

_DATE_COLUMNS = {
    "fiscal_years": ("data_through",),
    "monthly": ("month",),
    "facilities": ("first_use", "last_use", "first_seen_daily", "last_seen_daily"),
    "border_encounters": ("month",),
    "book_outs": ("month",),
    "facility_type_monthly": ("month",),
    "bond_monthly": ("month",),
    "atd_snapshot": ("as_of",),
    "headcounts": ("date",),
}


def _write_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    dates = set(_DATE_COLUMNS.get(name, ()))
    con.register("_frame", frame)

    def expr(c: str) -> str:
        if c in dates:
            return f'CAST("{c}" AS DATE) AS "{c}"'
        if c == "source_sheet" or (frame[c].dtype == object and frame[c].isna().all()):
            return f'CAST("{c}" AS VARCHAR) AS "{c}"'
        return f'"{c}"'

    select = ", ".join(expr(c) for c in frame.columns)
    con.execute(f"CREATE TABLE {name} AS SELECT {select} FROM _frame")
    con.unregister("_frame")


def _current(db: Path, want_digest: str) -> bool:
    """True if ``db`` is a complete store built from exactly these raw files."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return False
    try:
        row = con.execute(
            "SELECT schema_version, manifest_digest FROM build_info LIMIT 1"
        ).fetchone()
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    except duckdb.Error:
        return False
    finally:
        con.close()
    return (
        row is not None
        and row[0] == SCHEMA_VERSION
        and row[1] == want_digest
        and set(TABLES) <= tables
    )


def _populate(con: duckdb.DuckDBPyConnection, raw: Path, entries) -> None:
    paths = [e.path for e in entries]
    workbooks = [p for p in paths if p.startswith(ice_workbooks.SOURCE_FOLDER + "/")]
    fiscal_years, monthly = ice_workbooks.parse_all(raw, workbooks)
    _write_frame(con, "fiscal_years", fiscal_years)
    _write_frame(con, "monthly", monthly)
    series.create_table(con)
    for name, frame in ice_fy2025.parse_all(raw, workbooks).items():
        _write_frame(con, name, frame)
    daily.create_tables(con, raw)
    _write_frame(con, "facilities", facilities.build(raw, con))
    _write_frame(con, "border_encounters", border.parse(raw))
    manifest = pd.DataFrame([e.__dict__ for e in entries])
    _write_frame(con, "manifest", manifest)


def build(
    db_path: str | os.PathLike | None = None,
    force: bool = False,
    raw: str | os.PathLike | None = None,
) -> Path:
    """Build the store (if missing, stale or ``force``) and return its path.

    The new database is written under a temporary name in the same folder and moved over the
    old one with :func:`os.replace`, so a failed build leaves any existing store untouched.
    """
    db = Path(db_path) if db_path is not None else default_db_path()
    raw_path = Path(raw) if raw is not None else raw_dir()
    entries = read_manifest(manifest_path(raw_path))
    want = digest(entries)
    if not force and db.exists() and _current(db, want):
        return db
    verify(raw_path, entries)

    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        con = duckdb.connect(str(tmp))
        try:
            _populate(con, raw_path, entries)
            con.execute(
                "CREATE TABLE build_info AS SELECT ? AS schema_version, ? AS manifest_digest, "
                "? AS built_at, ? AS build_seconds",
                [
                    SCHEMA_VERSION,
                    want,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    time.perf_counter() - started,
                ],
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db)
    except duckdb.Error as exc:
        raise DataError(f"building the store failed: {exc}", file=str(db)) from exc
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return db


def connect(db_path: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the store, building it first if needed."""
    db = build(db_path)
    return duckdb.connect(str(db), read_only=True)


def table(name: str, db_path: str | os.PathLike | None = None) -> pd.DataFrame:
    """One table as a DataFrame (``name`` may use dashes: ``fiscal-years``)."""
    key = name.replace("-", "_")
    if key not in TABLES:
        raise DataError(f"unknown table {name!r}; known: {', '.join(TABLES)}")
    con = connect(db_path)
    try:
        order = {
            "fiscal_years": "fiscal_year",
            "monthly": "month",
            "national_daily": "date, source",
            "facilities": "code",
            "facility_daily": "facility_code, date, source",
            "border_encounters": "dataset, region, agency, month",
            "monthly_rates": "month",
            "book_outs": "month, reason, criminality",
            "facility_type_monthly": "month, facility_type",
            "bond_monthly": "month",
            "atd_snapshot": "as_of, breakdown, aor, category",
            "headcounts": "date, population_group, stay_band",
        }[key]
        return con.execute(f"SELECT * FROM {key} ORDER BY {order}").df()
    finally:
        con.close()
