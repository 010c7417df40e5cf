"""Tables on the terminal and for scripts: `--format table|csv|json`.

A table is printed whole or not at all: Rich cuts a cell that does not fit with '…', and a
cut number is a wrong number. So a table is printed as a table only when its natural width
(Rich's own measurement) fits the console; otherwise each row is printed as a few lines
("stacked"), which a narrow terminal may wrap but never cuts. Output to a pipe or a file
has no width: it gets the table at its natural width unless COLUMNS says otherwise.

csv and json are for scripts and spreadsheets: the same rows with unformatted numbers,
and nothing else on stdout (notes and progress go to stderr). json is a list of objects,
one per csv row, with null for a missing number.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

_UNLIMITED = 100_000  # "no width": wider than any table we print


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        help="table (for people), csv or json (for scripts: only the data on stdout, "
        "numbers unformatted; notes go to stderr).",
        case_sensitive=False,
    ),
]


def stdout_console() -> Console:
    """The terminal's width; COLUMNS where set; else (a pipe, a file) no width limit."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").strip().isdigit():
        return Console(soft_wrap=True)
    return Console(width=_UNLIMITED, soft_wrap=True)


def note_console(fmt: Format) -> Console:
    """Where the lines around a table go: stdout for a table, stderr when stdout holds data."""
    return stdout_console() if fmt is Format.table else Console(stderr=True, soft_wrap=True)


@dataclass
class Grid:
    """A table for people: formatted cells, the first `keys` columns name the row."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    right: set[int] = field(default_factory=set)  # right-justified (numeric) columns
    keys: int = 1
    line: Callable[[list[str]], str] | None = None  # one row as one line, when stacked

    def table(self) -> Table:
        t = Table(title=self.title)
        for i, h in enumerate(self.headers):
            t.add_column(h, justify="right" if i in self.right else "left", no_wrap=True)
        for row in self.rows:
            t.add_row(*row)
        return t

    def stacked(self) -> list[str]:
        """Each row as lines: 'metric: mean [lo - hi] unit', or its key then one line per
        column."""
        lines = [self.title]
        for row in self.rows:
            if self.line is not None:
                lines.append(self.line(row))
                continue
            heads = [_flat(h) for h in self.headers]
            lines.append(
                ", ".join(f"{h}: {c}" for h, c in zip(heads[: self.keys], row, strict=False))
            )
            lines += [
                f"  {h}: {c}"
                for h, c in zip(heads[self.keys :], row[self.keys :], strict=True)
                if c != ""
            ]
        return lines


def _flat(header: str) -> str:
    return " ".join(header.split())


def natural_width(console: Console, table: Table) -> int:
    """The width the table needs to show every cell whole (Rich's measurement)."""
    return Measurement.get(console, console.options.update_width(_UNLIMITED), table).maximum


def print_grid(console: Console, grid: Grid) -> None:
    """The grid as a table when it fits the console, else stacked; never a cut cell."""
    table = grid.table()
    if natural_width(console, table) <= console.width:
        console.print(table)
        return
    for text in grid.stacked():
        console.print(text, markup=False, highlight=False, soft_wrap=True)


def clean(value: Any) -> Any:
    """A value for csv/json: NaN and infinities are missing, numpy scalars plain Python."""
    import pandas as pd

    if value is None or isinstance(value, str):
        return value
    try:
        if pd.isna(value):  # NaN, NaT, pd.NA
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


def write_records(records: Sequence[dict[str, Any]], fmt: Format, columns: Sequence[str]) -> None:
    """csv (header and one line per record) or json (a list of objects) on stdout."""
    rows = [{c: clean(r.get(c)) for c in columns} for r in records]
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, indent=2, allow_nan=False) + "\n")
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: "" if v is None else v for c, v in row.items()})
    sys.stdout.flush()


# --- the tables of the commands -----------------------------------------------------------
def summary_columns(summary: dict[str, Any]) -> list[str]:
    """The columns of a summary's records: `central` only for a run that has a central run."""
    central = ["central"] if summary.get("central", {}).get("metrics") else []
    return ["metric", "mean", *central, "lo", "hi", "unit"]


def summary_records(summary: dict[str, Any], units: dict[str, str]) -> list[dict[str, Any]]:
    """One record per metric of a summary.json: mean, the central run's mean where there is
    one (parameters at the file's values), lo, hi and unit."""
    central = summary.get("central", {}).get("metrics")
    return [
        {
            "metric": name,
            "mean": m["mean"],
            **({"central": central.get(name)} if central else {}),
            "lo": m["lo"],
            "hi": m["hi"],
            "unit": units.get(name, ""),
        }
        for name, m in summary["metrics"].items()
    ]


def summary_grid(
    summary: dict[str, Any], units: dict[str, str], fmt: Callable[[float | None], str]
) -> Grid:
    has_central = "central" in summary_columns(summary)
    if has_central:
        headers = ["metric", "mean", "central", "2.5%", "97.5%", "unit"]
        line = lambda r: f"{r[0]}: {r[1]} [{r[3]} - {r[4]}] {r[5]} (central run {r[2]})"  # noqa: E731
    else:
        headers = ["metric", "mean", "2.5%", "97.5%", "unit"]
        line = lambda r: f"{r[0]}: {r[1]} [{r[2]} - {r[3]}] {r[4]}".rstrip()  # noqa: E731
    grid = Grid(
        title=f"{summary['scenario']}: {summary['replicates']} replicate(s), "
        f"seed {summary['seed']}",
        headers=headers,
        right=set(range(1, len(headers) - 1)),
        line=line,
    )
    for rec in summary_records(summary, units):
        mid = [fmt(rec["central"])] if has_central else []
        grid.rows.append(
            [rec["metric"], fmt(rec["mean"]), *mid, fmt(rec["lo"]), fmt(rec["hi"]), rec["unit"]]
        )
    return grid


COMPARE_COLUMNS = [
    "metric",
    "scenario",
    "mean",
    "lo",
    "hi",
    "diff_mean",
    "diff_lo",
    "diff_hi",
    "diff_ci_lo",
    "diff_ci_hi",
    "diff_pct",
    "unit",
]


def compare_records(table: Any, diffs: Any, metrics: Sequence[str]) -> list[dict[str, Any]]:
    """One record per metric and scenario (comparison.csv's), with the paired difference
    from the baseline (differences.csv's; empty for the baseline itself)."""
    by_key = {(r["metric"], r["scenario"]): r for r in diffs.to_dict("records")}
    records = []
    for m in metrics:
        for r in table[table.metric == m].to_dict("records"):
            d = by_key.get((m, r["scenario"]), {})
            records.append({**r, **{c: d.get(c) for c in COMPARE_COLUMNS if c.startswith("diff")}})
    return records
