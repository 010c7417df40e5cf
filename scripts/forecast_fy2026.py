"""The dated FY2026 forecast: docs/forecast-fy2026.md, docs/data/forecast-fy2026.csv and
docs/data/forecast-fy2026.json, all generated here (do not edit them by hand).

    .venv/bin/python scripts/forecast_fy2026.py                 # 40 replicates
    .venv/bin/python scripts/forecast_fy2026.py --replicates 10 --oat-replicates 2

Runs `enforcesim forecast` (analyses/forecast.py) from 1 Oct 2025 to 30 Sep 2026 on the main
scenario and on the FY2025 status quo, and the main scenario's central run with one input at
a time at the ends of its range. Rerun it whenever either scenario changes:
tests/test_forecast.py fails while the committed CSV's SHA-256 differs from a scenario's.
Data: only what the scenarios hold (to 30 Sep 2025); nothing here reads later figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from enforcesim import __version__  # noqa: E402
from enforcesim.analyses.forecast import (  # noqa: E402
    Forecast,
    Input,
    one_at_a_time,
    run_forecast,
    uncertain_inputs,
)
from enforcesim.analyses.runs import load  # noqa: E402
from enforcesim.schema.paths import get_path  # noqa: E402

MAIN = "scenarios/library/goal-3000-buildout-100k.toml"
STATUS_QUO = "scenarios/status-quo-fy2025.toml"
FIRST, LAST = date(2025, 10, 1), date(2026, 9, 30)
DATA_THROUGH = "30 Sep 2025"
DOC = ROOT / "docs" / "forecast-fy2026.md"
CSV = ROOT / "docs" / "data" / "forecast-fy2026.csv"
JSON = ROOT / "docs" / "data" / "forecast-fy2026.json"

# Inputs tried one at a time beside the [uncertainty] parameters, when the main scenario has
# the value and does not already draw it. Ranges are assumptions, stated with their reason.
EXTRA_INPUTS = [
    Input(
        "detention.beds_schedule.0.beds",
        60000,  # an integer: beds are whole
        100000,
        "ASSUMPTION: the first step of the bed build-out, from about the 60,300 detained in "
        "Sep 2025 (ICE FY2025 workbook: 46,921 ICE + 13,396 CBP arrests) to all 100,000 at once",
    ),
    Input(
        "officers.headcount",
        5000,
        7000,
        "ASSUMPTION: about 6,000 deportation officers (2024-25; press), +-1,000",
    ),
]
# (series, heading) of the monthly tables
MAIN_SERIES = [
    ("ice_arrests", "ICE arrests/day"),
    ("ice_book_ins", "ICE-arrest book-ins/day"),
    ("cbp_book_ins", "CBP book-ins/day"),
    ("detained", "detained"),
    ("removals", "removals/day"),
    ("cost_total", "cost, $M/month"),
]
AGENCY_SERIES = [
    ("detained_ice", "detained, ICE arrests"),
    ("detained_cbp", "detained, CBP arrests"),
]
CONSTRAINT_TEXT = {
    "beds": "beds full at some time in the day",
    "seats": "a departure left full with people waiting",
    "officers": "officer-hours used up (arrest attempts foregone)",
    "pool": "an arrest pool empty (attempts foregone)",
}


def number(v: float, series: str = "") -> str:
    if pd.isna(v):
        return "-"
    if series.startswith("cost_"):
        return f"{v / 1e6:,.0f}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def cell(row: pd.Series, series: str) -> str:
    median, p10, p90 = (number(row[k], series) for k in ("median", "p10", "p90"))
    return f"{median} ({p10}-{p90})"


def monthly_table(fc: Forecast, columns: list[tuple[str, str]], value: str = "band") -> str:
    """Months down, series across: median (p10-p90), or one column of the table."""
    t = fc.table.set_index(["series", "month"])
    present = [(s, h) for s, h in columns if (s, fc.months[0]) in t.index]
    lines = ["| month | " + " | ".join(h for _, h in present) + " |"]
    lines.append("|---|" + "---:|" * len(present))
    for m in fc.months:
        cells = [
            cell(t.loc[(s, m)], s) if value == "band" else number(t.at[(s, m), value], s)
            for s, _ in present
        ]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fiscal_year_row(fc: Forecast, columns: list[tuple[str, str]]) -> dict[str, float]:
    """Each series' mean over the window's months, weighted by days (central run)."""
    t = fc.table
    out = {}
    for s, _ in columns:
        part = t[t["series"] == s]
        if len(part):
            w = part["days"] / part["days"].sum()
            total = s.startswith("cost_")
            out[s] = float(part["central"].sum() if total else (part["central"] * w).sum())
    return out


def binding_table(fc: Forecast) -> str:
    t = fc.table[fc.table["series"].str.startswith("binding_")]
    names = list(dict.fromkeys(t["series"]))
    lines = ["| month | " + " | ".join(n.removeprefix("binding_") for n in names) + " |"]
    lines.append("|---|" + "---:|" * len(names))
    idx = t.set_index(["series", "month"])
    for m in fc.months:
        cells = [f"{idx.at[(n, m), 'mean']:.0%} (c {idx.at[(n, m), 'central']:.0%})" for n in names]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def starting_point(main: Forecast, quo: Forecast) -> str:
    """The two scenarios' first month side by side: the status quo starts from ICE's
    population of 30 Sep 2025 and FY2025's last months' inflow, so a wide gap says the main
    scenario does not start where FY2025 ended."""
    first = main.months[0]
    a = main.table.set_index(["series", "month"])["central"]
    b = quo.table.set_index(["series", "month"])["central"]
    parts = [
        f"{label} {number(a.get((s, first), float('nan')))} against "
        f"{number(b.get((s, first), float('nan')))}"
        for s, label in (("detained", "detained"), ("ice_book_ins", "ICE-arrest book-ins/day"))
    ]
    return (
        f"Starting point, {first} (central runs, main scenario against the status quo, which "
        f"starts from ICE's population of 30 Sep 2025 and the Jun-Sep 2025 inflow): "
        f"{'; '.join(parts)}. A wide gap means the main scenario does not start where FY2025 "
        "ended; read its months with that in mind."
    )


def budget_lines(fc: Forecast) -> list[str]:
    window_days = (fc.last - fc.first).days + 1
    lines = []
    for b in fc.budgets:
        lines.append(f"- {b.describe()}.")
        for label, spent in (
            ("median", b.spent_in_window["median"]),
            ("central run", b.spent_in_window["central"]),
        ):
            if spent > 0:
                years = b.amount_usd / (spent / window_days * 365.25)
                lines.append(
                    f"  At the window's pace ({label}: ${spent / 1e9:,.2f}B over "
                    f"{window_days} days) it would last {years:,.1f} years from its start."
                )
    return lines or ["- The scenario has no [budget] section."]


def oat_table(oat: pd.DataFrame, inputs: list[Input], file_values: dict[str, float]) -> str:
    base = oat.iloc[0]
    lines = [
        "| input | file's value | range (low-high) | ICE-arrest book-ins/day: low / high | "
        "detained: low / high | range from |",
        "|---|---:|---:|---:|---:|---|",
        f"| (central run: every input at the file's value) | | | {number(base['ice_book_ins'])} "
        f"| {number(base['detained'])} | |",
    ]
    for i in inputs:
        rows = oat[oat["input"] == i.path].set_index("end")
        lines.append(
            f"| `{i.path}` | {number(file_values.get(i.path, float('nan')))} | "
            f"{number(i.low)}-{number(i.high)} | {number(rows.at['low', 'ice_book_ins'])} / "
            f"{number(rows.at['high', 'ice_book_ins'])} | {number(rows.at['low', 'detained'])} / "
            f"{number(rows.at['high', 'detained'])} | {i.why} |"
        )
    return "\n".join(lines)


def inputs_for(path: str) -> tuple[list[Input], dict[str, float]]:
    """The [uncertainty] parameters and the extra inputs the scenario has, with the file's
    values."""
    sc, _, _ = load(ROOT / path)
    data = sc.model_dump()
    inputs = uncertain_inputs(sc)
    drawn = {i.path for i in inputs}
    values: dict[str, float] = {}
    for i in [*inputs, *EXTRA_INPUTS]:
        try:
            value = get_path(data, i.path)
        except (KeyError, IndexError, ValueError, TypeError):
            continue
        if isinstance(value, int | float):
            values[i.path] = float(value)
    inputs += [i for i in EXTRA_INPUTS if i.path in values and i.path not in drawn]
    return inputs, values


def render(
    main: Forecast,
    quo: Forecast,
    oat: pd.DataFrame,
    inputs: list[Input],
    values: dict[str, float],
    args: argparse.Namespace,
    made: date,
) -> str:
    fy = fiscal_year_row(main, MAIN_SERIES)
    fy_quo = fiscal_year_row(quo, MAIN_SERIES)
    command = (
        f".venv/bin/python scripts/forecast_fy2026.py --replicates {args.replicates} "
        f"--oat-replicates {args.oat_replicates}"
    )
    summary_rows = "\n".join(
        f"| {h.replace('$M/month', '$M (the year)')} | {number(fy.get(s, float('nan')), s)} "
        f"| {number(fy_quo.get(s, float('nan')), s)} |"
        for s, h in MAIN_SERIES
    )
    missing = "".join(
        f"\n- {fc.scenario}: no `{s}` ({why})."
        for fc in (main, quo)
        for s, why in fc.missing.items()
    )
    return f"""# FY2026 forecast: 1 Oct 2025 - 30 Sep 2026

**Forecast made with data to {DATA_THROUGH}; committed {made.isoformat()}; enforcesim
{__version__}, scenario `{MAIN}` SHA-256 `{main.scenario_sha256}`; status quo `{STATUS_QUO}`
SHA-256 `{quo.scenario_sha256}`.**

Generated by `scripts/forecast_fy2026.py` (do not edit by hand); the numbers are in
[data/forecast-fy2026.csv](data/forecast-fy2026.csv) (one row per scenario, series and month:
central, mean, p2_5, p10, median, p90, p97_5, with each scenario file's SHA-256) and
[data/forecast-fy2026.json](data/forecast-fy2026.json) (budgets, provenance, the
one-at-a-time runs). A test fails while a scenario's SHA-256 differs from the one here:
rerun the command after any change to either scenario.

    {command}
    # the same forecast for one scenario, by hand:
    .venv/bin/enforcesim forecast {MAIN} --from {FIRST} --to {LAST} --replicates {args.replicates}

## What the bands are

- Main scenario (`{main.scenario}`, day 0 = {main.start}): {main.band}.
- Status quo (`{quo.scenario}`, day 0 = {quo.start}): {quo.band}.
- Cells are median (10th-90th percentile) over replicates of each month's mean (costs: the
  month's total). The central run ("c", below) is the same seed and replicates with every
  `[uncertainty]` parameter at the file's value: process noise only.{missing}

## FY2026 at a glance (central run; mean over the year, cost: the year's total)

| series | main scenario | status quo FY2025 |
|---|---:|---:|
{summary_rows}

## Main scenario by month

{monthly_table(main, MAIN_SERIES)}

Central run:

{monthly_table(main, MAIN_SERIES, "central")}

Detained by arresting agency:

{monthly_table(main, AGENCY_SERIES)}

## What binds, by month (main scenario)

Share of replicates in which each constraint binds on an average day of the month (central
run in brackets): {"; ".join(f"{k}: {v}" for k, v in CONSTRAINT_TEXT.items())}.

{binding_table(main)}

## The $45B

{chr(10).join(budget_lines(main))}

## Status quo FY2025 by month (for comparison)

{monthly_table(quo, MAIN_SERIES + AGENCY_SERIES)}

## What the data cannot pin down: one input at a time

The main scenario's central run (no parameter draws, {args.oat_replicates} replicate(s), the
file's seed) with one input at the low and then the high end of its range (as
`--set PATH=VALUE` would), everything else at the file's values; FY2026 means (1 Oct 2025 -
30 Sep 2026). Inputs: every `[uncertainty]` parameter of the scenario, and
{", ".join(f"`{i.path}`" for i in EXTRA_INPUTS)} where the scenario has them.

{oat_table(oat, inputs, values)}

## Caveats

- {starting_point(main, quo)}
- Data only to {DATA_THROUGH}: every input is the scenario file's (dated and sourced
  there); nothing after FY2025 was used. The main scenario's policy inputs (the arrest goal,
  the bed build-out and its pace, officers) are assumptions, not observations.
- The bands cover process noise and the `[uncertainty]` ranges only: not the model's
  structure, policy changes after 30 Sep 2025, or inputs fixed in the file (the table above
  shows how far some of them move the forecast).
- The status quo holds the Jun-Sep 2025 inflow flat (a placeholder, not a forecast of
  arrests); it shows where FY2025's pace would lead, not what ICE will do.
- Costs are the model's all-in costs (docs/costs.md); the $45B's date assumes it pays every
  detention cost it is set to pay for in the scenario, and past the run's horizon it is
  projected at the last 30 days' pace.

## What would prove it wrong

ICE publishes its detention statistics monthly (the FY2026 detention workbook). Watch, each
month, against the main scenario's band above:

- **initial book-ins with arresting agency ICE, per day** (`ice_book_ins`), the series the
  arrest goal drives;
- **average daily population, ICE and CBP arrests** (`detained_ice`, `detained_cbp`,
  `detained`);
- **book-outs "Release to Remove", per day** (`removals`).

A month outside its 10th-90th band is expected one time in five; several months in a row on
the same side mean the forecast is wrong (most likely the arrest rate or the stays). When
FY2026 data are in the store, `enforcesim against-ice {MAIN} --fiscal-year 2026` sets the
model's months beside ICE's.
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--replicates", type=int, default=40, help="replicates of each forecast")
    parser.add_argument(
        "--oat-replicates", type=int, default=4, help="replicates of each one-at-a-time run"
    )
    parser.add_argument("--workers", type=int, default=None, help="threads (default: all cores)")
    args = parser.parse_args()
    os.chdir(ROOT)  # the scenario paths as written in the artefact, relative to the repository
    t0 = time.monotonic()
    made = date.today()
    forecasts = []
    for path in (MAIN, STATUS_QUO):
        print(f"forecast {path}, {args.replicates} replicates ...", flush=True)
        forecasts.append(
            run_forecast(path, FIRST, LAST, replicates=args.replicates, workers=args.workers)
        )
    main_fc, quo_fc = forecasts
    inputs, values = inputs_for(MAIN)
    print(
        f"one at a time: {len(inputs)} inputs x 2 ends, {args.oat_replicates} replicates",
        flush=True,
    )
    oat = one_at_a_time(
        MAIN, inputs, FIRST, LAST, replicates=args.oat_replicates, workers=args.workers
    )
    table = pd.concat(
        [
            fc.table.assign(scenario_file=path, scenario_sha256=fc.scenario_sha256)
            for path, fc in zip((MAIN, STATUS_QUO), forecasts, strict=True)
        ],
        ignore_index=True,
    )
    first = ["scenario_file", "scenario_sha256"]
    table = table[first + [c for c in table.columns if c not in first]]
    CSV.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(CSV, index=False, float_format="%.6g")
    meta = {
        "made": made.isoformat(),
        "data_through": "2025-09-30",
        "command": f"scripts/forecast_fy2026.py --replicates {args.replicates} "
        f"--oat-replicates {args.oat_replicates}",
        "forecasts": {
            path: fc.provenance() for path, fc in zip((MAIN, STATUS_QUO), forecasts, strict=True)
        },
        "one_at_a_time": {
            "scenario_file": MAIN,
            "replicates": args.oat_replicates,
            "inputs": [
                {
                    "path": i.path,
                    "low": i.low,
                    "high": i.high,
                    "file_value": values.get(i.path),
                    "why": i.why,
                }
                for i in inputs
            ],
            "runs": json.loads(oat.to_json(orient="records")),
        },
    }
    JSON.write_text(json.dumps(meta, indent=2) + "\n")
    DOC.write_text(render(main_fc, quo_fc, oat, inputs, values, args, made))
    print(
        f"wrote {DOC.relative_to(ROOT)}, {CSV.relative_to(ROOT)}, {JSON.relative_to(ROOT)} "
        f"in {time.monotonic() - t0:,.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
