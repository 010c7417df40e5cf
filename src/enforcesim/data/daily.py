"""Daily populations: ``facility_daily`` and ``national_daily`` built inside DuckDB.

Two sources, each labelled on every row:

* ``uwchr_headcount`` -- UWCHR's per-facility daily headcount rebuilt from ICE's FOIA
  placement records (2022-ICFO-09022), pipe-delimited, 2011-10-01 to 2024-01-04 (earlier
  dates are incomplete and are dropped);
* ``ddp`` -- the Deportation Data Project's facility-day files, FY2023-FY2024 and FY2025
  (same columns), with both a midnight count (ICE's ADP definition) and a 24-hour count
  (anyone present that day). Days after 30 Sep 2025 (the end of the period the project may
  use) are refused.

Where both cover a day, the DDP midnight count is marked ``preferred`` because it uses the
definition ICE's published ADP uses; the other rows stay in the table for comparison.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .errors import DataError

HEADCOUNT = "uwchr-ice-detain/inc_headcount_fy12-24ytd.csv.gz"
DDP_FILES = (
    "ddp-facility-daily/facilities-daily-population-fy23-fy24.parquet",
    "ddp-facility-daily/facilities-daily-population-fy25.parquet",
)
DDP = DDP_FILES[0]  # the first file (kept for callers that name one file)
LAST_DAY = "2025-09-30"  # nothing after FY2025 may be used
HEADCOUNT_COMPLETE_FROM = "2011-10-01"

_HEADCOUNT_COLUMNS = {"detention_facility_code", "n", "date"}
_DDP_COLUMNS = {"detention_facility_code", "date", "n_detained", "n_detained_at_midnight"}


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_columns(con: duckdb.DuckDBPyConnection, relation: str, need: set[str], rel: str):
    try:
        cols = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    except duckdb.Error as exc:
        raise DataError(f"cannot read file ({_first_line(exc)})", file=rel) from exc
    missing = need - cols
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(sorted(missing))} (found: {', '.join(sorted(cols))})",
            file=rel,
        )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def headcount_relation(raw: Path) -> str:
    path = raw / HEADCOUNT
    return (
        f"read_csv({_sql_str(str(path))}, delim='|', header=true, "
        "columns={'detention_facility_code': 'VARCHAR', 'n': 'INTEGER', 'date': 'DATE'})"
    )


def ddp_relation(raw: Path, rel: str = DDP) -> str:
    return f"read_parquet({_sql_str(str(raw / rel))})"


def _check_ddp_files(con: duckdb.DuckDBPyConnection, raw: Path) -> str:
    """Check each DDP file (columns, dates up to LAST_DAY, no day in two files); return the
    earliest date as a SQL literal."""
    spans = []
    for rel in DDP_FILES:
        rel_sql = ddp_relation(raw, rel)
        _check_columns(con, rel_sql, _DDP_COLUMNS, rel)
        try:
            lo, hi = con.execute(
                f"SELECT min(date::DATE), max(date::DATE) FROM {rel_sql}"
            ).fetchone()
        except duckdb.Error as exc:
            raise DataError(f"cannot read file ({_first_line(exc)})", file=rel) from exc
        if lo is None:
            raise DataError("no rows", file=rel)
        if str(hi) > LAST_DAY:
            raise DataError(f"has days up to {hi}, after {LAST_DAY} (end of FY2025)", file=rel)
        for other, olo, ohi in spans:
            if lo <= ohi and olo <= hi:
                raise DataError(f"dates {lo}..{hi} overlap {other} ({olo}..{ohi})", file=rel)
        spans.append((rel, lo, hi))
    return _sql_str(str(min(s[1] for s in spans)))


def create_tables(con: duckdb.DuckDBPyConnection, raw: Path) -> None:
    hc = headcount_relation(raw)
    _check_columns(con, hc, _HEADCOUNT_COLUMNS, HEADCOUNT)
    start = _check_ddp_files(con, raw)

    try:
        con.execute(
            f"""
            CREATE TABLE facility_daily AS
            SELECT detention_facility_code AS facility_code,
                   date,
                   n AS population,
                   CAST(NULL AS INTEGER) AS population_24h,
                   'uwchr_headcount' AS source,
                   date < DATE {start} AS preferred,
                   {_sql_str(HEADCOUNT)} AS source_file,
                   CAST(NULL AS VARCHAR) AS source_sheet
            FROM {hc}
            WHERE date >= DATE {_sql_str(HEADCOUNT_COMPLETE_FROM)}
            """
        )
    except duckdb.Error as exc:
        raise DataError(f"cannot parse ({_first_line(exc)})", file=HEADCOUNT) from exc
    for rel in DDP_FILES:
        try:
            con.execute(
                f"""
                INSERT INTO facility_daily
                SELECT detention_facility_code, date::DATE, n_detained_at_midnight, n_detained,
                       'ddp', true, {_sql_str(rel)}, NULL
                FROM {ddp_relation(raw, rel)}
                """
            )
        except duckdb.Error as exc:
            raise DataError(f"cannot parse ({_first_line(exc)})", file=rel) from exc

    con.execute(
        """
        CREATE TABLE national_daily AS
        WITH per_source AS (
            SELECT date, 'uwchr_headcount' AS source, 'daily headcount (FOIA placements)'
                       AS count_basis,
                   sum(population) AS population, count(*) AS n_facilities, bool_or(preferred)
                       AS preferred, any_value(source_file) AS source_file
            FROM facility_daily WHERE source = 'uwchr_headcount' GROUP BY date
            UNION ALL
            SELECT date, 'ddp_midnight', 'midnight', sum(population),
                   count(*) FILTER (WHERE population > 0), true, any_value(source_file)
            FROM facility_daily WHERE source = 'ddp' GROUP BY date
            UNION ALL
            SELECT date, 'ddp_24h', '24-hour', sum(population_24h),
                   count(*) FILTER (WHERE population_24h > 0), false, any_value(source_file)
            FROM facility_daily WHERE source = 'ddp' GROUP BY date
        )
        SELECT date,
               CAST(CASE WHEN month(date) >= 10 THEN year(date) + 1 ELSE year(date) END
                    AS INTEGER) AS fiscal_year,
               source, count_basis, CAST(population AS BIGINT) AS population,
               CAST(n_facilities AS INTEGER) AS n_facilities, preferred,
               source_file, CAST(NULL AS VARCHAR) AS source_sheet
        FROM per_source
        ORDER BY date, source
        """
    )
    con.execute(
        "CREATE TABLE facility_daily_sorted AS SELECT * FROM facility_daily "
        "ORDER BY facility_code, date, source"
    )
    con.execute("DROP TABLE facility_daily")
    con.execute("ALTER TABLE facility_daily_sorted RENAME TO facility_daily")
