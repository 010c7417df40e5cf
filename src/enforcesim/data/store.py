"""Build the DuckDB store from the raw files, atomically, and read tables back.

The store is written only by a build, and a build writes over a file only when it is an
enforcesim store or lies at the default location: a path given with ``--db`` (or
``$ENFORCESIM_DB``) that holds any other file, a folder, a user's own DuckDB database or a
store that cannot be opened is refused and left as it was. Reading never builds anything
except the default store when it is missing or out of date."""

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
from .paths import DB_ENV, DB_NAME, default_db_path, manifest_path, raw_dir

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


def _inspect(db: Path, want_digest: str) -> tuple[str, str]:
    """What is at ``db``, without changing it: ('missing' | 'folder' | 'not-duckdb' |
    'damaged' | 'foreign' | 'stale' | 'current', detail)."""
    if not db.exists():
        return "missing", ""
    if db.is_dir():
        return "folder", ""
    try:
        with open(db, "rb") as f:
            head = f.read(12)
    except OSError as exc:
        return "damaged", exc.strerror or type(exc).__name__
    # Every DuckDB file carries "DUCK" at byte 8; checking it first means duckdb never
    # gets to open (or try an extension on) a file of some other kind.
    if head[8:12] != b"DUCK":
        return "not-duckdb", ""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        return "damaged", (str(exc).strip().splitlines() or [""])[0]
    try:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if "build_info" not in tables:
            return "foreign", ""
        row = con.execute(
            "SELECT schema_version, manifest_digest FROM build_info LIMIT 1"
        ).fetchone()
    except duckdb.Error as exc:
        return "damaged", (str(exc).strip().splitlines() or [""])[0]
    finally:
        con.close()
    current = (
        row is not None
        and row[0] == SCHEMA_VERSION
        and row[1] == want_digest
        and set(TABLES) <= tables
    )
    return ("current" if current else "stale"), ""


def _chosen(db_path: str | os.PathLike | None) -> bool:
    """True when the user named the location (``--db`` or ``$ENFORCESIM_DB``)."""
    return db_path is not None or bool(os.environ.get(DB_ENV))


def _refusal(db: Path, state: str, detail: str) -> DataError:
    """The error for a path that holds something other than a usable store."""
    if state == "folder":
        return DataError(
            f"is a folder; give the store's file path, e.g. --db {db / DB_NAME}", file=str(db)
        )
    if state == "not-duckdb":
        what = "is not an enforcesim store (not a DuckDB file)"
    elif state == "foreign":
        what = "is a DuckDB database but not an enforcesim store (no build_info table)"
    else:
        return DataError(
            f"cannot be opened as a DuckDB database ({detail}); it was left as it is. If it "
            f"is a damaged enforcesim store, delete it and run `enforcesim data build --db {db}`",
            file=str(db),
        )
    return DataError(
        f"{what}; it was left as it is. Give --db a new file name (a build creates it) or an "
        "existing store",
        file=str(db),
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
    state, detail = _inspect(db, want)
    if state == "current" and not force:
        return db
    if state == "folder" or (_chosen(db_path) and state in ("not-duckdb", "foreign", "damaged")):
        raise _refusal(db, state, detail)
    verify(raw_path, entries)

    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from ..outdir import reason

        raise DataError(f"cannot create the store's folder ({reason(exc)})", file=str(db)) from None
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
    except OSError as exc:
        from ..outdir import reason

        raise DataError(f"cannot write the store ({reason(exc)})", file=str(db)) from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return db


def connect(db_path: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the store. Only the default store is built here (when it
    is missing or out of date); a store named by ``db_path`` or ``$ENFORCESIM_DB`` must
    have been built by ``enforcesim data build``."""
    db = Path(db_path) if db_path is not None else default_db_path()
    state, detail = _inspect(db, digest(read_manifest(manifest_path(raw_dir()))))
    if state in ("folder", "not-duckdb", "foreign") or (state == "damaged" and _chosen(db_path)):
        raise _refusal(db, state, detail)
    if state == "damaged":
        raise DataError(
            f"the store cannot be read ({detail}); rebuild it with `enforcesim data build`",
            file=str(db),
        )
    if _chosen(db_path) and state != "current":
        flag = f" --db {db}" if db_path is not None else ""
        why = (
            "no store here"
            if state == "missing"
            else "built from other raw files or by another version of enforcesim"
        )
        raise DataError(f"{why}; build it with `enforcesim data build{flag}`", file=str(db))
    if state != "current":
        db = build(None)
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise DataError(f"the store cannot be read ({exc})", file=str(db)) from None


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
    except duckdb.Error as exc:
        flag = f" --db {db_path}" if db_path is not None else ""
        raise DataError(
            f"table {key} cannot be read ({(str(exc).strip().splitlines() or [''])[0]}); "
            f"rebuild the store with `enforcesim data build{flag} --force`",
            file=str(db_path or default_db_path()),
        ) from None
    finally:
        con.close()
