"""`enforcesim forecast SCENARIO --from DATE --to DATE`: run a scenario and print, per
calendar month of the window, each series' central run and band over replicates
(analyses/forecast.py); --out writes forecast.csv and forecast.json (budgets, provenance)."""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from .options import SetOpt
from .tables import Format, FormatOpt

COMMAND = "forecast"


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


def _date(text: str, option: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        _fail(f"{option} = {text!r}: not a date; give YYYY-MM-DD, e.g. 2025-10-01")
        raise  # unreachable: _fail exits


def _n(v: float, unit: str) -> str:
    if math.isnan(v):
        return "-"
    if unit == "share of days":
        return f"{v:.2f}"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f}m"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def _table_text(fc) -> str:
    lines = [
        "| series | month | unit | central | p10 | median | p90 | mean |",
        "|" + "---|" * 8,
    ]
    for r in fc.table.itertuples():
        u = r.unit
        lines.append(
            f"| {r.series} | {r.month} | {u} | {_n(r.central, u)} | {_n(r.p10, u)} "
            f"| {_n(r.median, u)} | {_n(r.p90, u)} | {_n(r.mean, u)} |"
        )
    return "\n".join(lines)


def forecast_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML) with start_date.")],
    first: Annotated[
        str, typer.Option("--from", help="First day of the window (YYYY-MM-DD), e.g. 2025-10-01.")
    ],
    last: Annotated[
        str, typer.Option("--to", help="Last day of the window (YYYY-MM-DD), e.g. 2026-09-30.")
    ],
    replicates: Annotated[int | None, typer.Option(help="Override [scenario].replicates.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override [scenario].seed.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker threads (default: all cores).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for forecast.csv and forecast.json."),
    ] = None,
    sets: SetOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Forecast by calendar month: run a scenario (and its central run) and give, per month of
    the window, ICE arrests and book-ins, CBP book-ins, detained (total and by arresting
    agency), removals, costs by component and how often each constraint binds: the central
    run, the median and the 10th-90th percentiles over replicates (2.5th-97.5th with 40 or
    more); and when each [budget] runs out. The window must lie in the run's reported dates."""
    from ..analyses.forecast import run_forecast
    from ..errors import ScenarioError
    from ..outdir import OutDirError, check, reason, replacing
    from ..scenario.overrides import describe, parse_sets
    from .options import option_problems
    from .tables import note_console, write_records

    bad = option_problems(seed, replicates, workers)
    if bad:
        _fail("\n".join(bad))
    window = _date(first, "--from"), _date(last, "--to")
    try:
        if out is not None:
            check(out, COMMAND, inputs=[scenario])
        overrides = parse_sets(sets or [], str(scenario))
        fc = run_forecast(
            scenario,
            *window,
            replicates=replicates,
            seed=seed,
            overrides=overrides,
            workers=workers,
        )
        if out is not None:
            with replacing(out, COMMAND, inputs=[scenario]) as tmp:
                fc.table.to_csv(tmp / "forecast.csv", index=False)
                meta = fc.provenance(describe(overrides) if overrides else {})
                (tmp / "forecast.json").write_text(json.dumps(meta, indent=2) + "\n")
    except ScenarioError as exc:
        _fail("\n".join(str(p) for p in exc.problems))
    except ValueError as exc:
        _fail(f"{scenario}: {exc}")
    except OutDirError as exc:
        _fail(str(exc), exc.code)
    except OSError as exc:
        _fail(f"--out {out}: cannot write the results ({reason(exc)})", code=1)
    except KeyboardInterrupt:
        _fail("interrupted; nothing written", code=130)
    console = note_console(fmt)
    if fmt is Format.table:
        typer.echo(_table_text(fc))
    else:
        write_records(fc.records(), fmt, list(fc.table.columns))
    notes = [fc.describe(), *(b.describe() for b in fc.budgets)]
    notes += [f"not given: {s} ({why})" for s, why in fc.missing.items()]
    for line in notes:
        console.print(line, markup=False, highlight=False)
    if out is not None:
        console.print(f"Results in {out}/ (forecast.csv, forecast.json)")


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(forecast_cmd)
