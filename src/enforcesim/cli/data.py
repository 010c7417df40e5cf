"""``enforcesim data ...``: build the real-data store and show its tables."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ..data.errors import DataError

app = typer.Typer(
    help="Build the real-data store (DuckDB) from the vendored public files and show its tables.",
    no_args_is_help=True,
    rich_markup_mode=None,  # help texts are plain text, brackets included
)


class TableName(StrEnum):
    fiscal_years = "fiscal-years"
    monthly = "monthly"
    national_daily = "national-daily"
    facilities = "facilities"
    facility_daily = "facility-daily"
    border_encounters = "border-encounters"
    monthly_rates = "monthly-rates"
    book_outs = "book-outs"
    facility_type_monthly = "facility-type-monthly"
    bond_monthly = "bond-monthly"
    atd_snapshot = "atd-snapshot"
    headcounts = "headcounts"


class Format(StrEnum):
    csv = "csv"
    table = "table"
    json = "json"


DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Store location (default: $ENFORCESIM_DB or data/store/)."),
]


def _fail(exc: DataError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@app.command()
def build(
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if up to date.")] = False,
) -> None:
    """Parse the raw files into the DuckDB store (does nothing if it is already current)."""
    from ..data import DataError, store

    started = time.perf_counter()
    try:
        path = store.build(db, force=force)
    except DataError as exc:
        raise _fail(exc) from None
    typer.echo(f"store: {path} ({time.perf_counter() - started:.1f} s)")


@app.command()
def show(
    table: Annotated[TableName, typer.Argument(help="Which table.")],
    fmt: Annotated[
        Format, typer.Option("--format", help="table, csv or json (a list of row objects).")
    ] = Format.table,
    db: DbOption = None,
    limit: Annotated[
        int | None,
        typer.Option(
            help="Show at most this many rows (default: all for csv/json, 200 for table)."
        ),
    ] = None,
) -> None:
    """Print one table of the store (building the default store first if it is missing or
    out of date; a store given with --db is only read)."""
    from ..data import DataError, store

    try:
        frame = store.table(table.value, db)
    except DataError as exc:
        raise _fail(exc) from None
    total = len(frame)
    if limit is None and fmt is Format.table:
        limit = 200
    if limit is not None and limit > 0:
        frame = frame.head(limit)
    if fmt is Format.csv:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    from .tables import Format as OutFormat
    from .tables import Grid, print_grid, stdout_console, write_records

    if fmt is Format.json:
        write_records(frame.to_dict("records"), OutFormat.json, list(frame.columns))
        return
    out = Grid(
        title=f"{table.value} ({total} rows)",
        headers=[str(c) for c in frame.columns],
        right={i for i, c in enumerate(frame.columns) if frame[c].dtype.kind in "iuf"},
        rows=[[_cell(v) for v in row] for row in frame.itertuples(index=False)],
    )
    console = stdout_console()
    print_grid(console, out)
    if len(frame) < total:
        console.print(f"... {total - len(frame)} more rows (use --limit 0 or --format csv)")


def _cell(value: object) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
