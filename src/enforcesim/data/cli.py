"""``enforcesim data ...``: build the real-data store and show its tables."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .errors import DataError

app = typer.Typer(
    help="Build the real-data store (DuckDB) from the vendored public files and show its tables.",
    no_args_is_help=True,
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
    from . import store

    started = time.perf_counter()
    try:
        path = store.build(db, force=force)
    except DataError as exc:
        raise _fail(exc) from None
    typer.echo(f"store: {path} ({time.perf_counter() - started:.1f} s)")


@app.command()
def show(
    table: Annotated[TableName, typer.Argument(help="Which table.")],
    fmt: Annotated[Format, typer.Option("--format", help="csv or a Rich table.")] = Format.table,
    db: DbOption = None,
    limit: Annotated[
        int | None,
        typer.Option(help="Show at most this many rows (default: all for csv, 200 for table)."),
    ] = None,
) -> None:
    """Print one table of the store (building the store first if needed)."""
    from . import store

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
    from rich.console import Console
    from rich.table import Table

    out = Table(title=f"{table.value} ({total} rows)")
    for col in frame.columns:
        numeric = frame[col].dtype.kind in "iuf"
        out.add_column(col, justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        out.add_row(*(_cell(v) for v in row))
    cells = [[str(c) for c in frame.columns]] + [
        [_cell(v) for v in r] for r in frame.itertuples(index=False)
    ]
    needed = sum(max(len(row[i]) for row in cells) + 3 for i in range(len(frame.columns))) + 1
    console = Console()
    console = Console(width=max(console.width, needed))
    console.print(out)
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
