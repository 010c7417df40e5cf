"""`enforcesim against-ice SCENARIO`: run a scenario and print its months beside ICE's series
(analyses/against_ice.py); --out writes against_ice.csv, against_ice_mape.csv and
against_ice.png."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .options import SetOpt
from .tables import Format, FormatOpt

COMMAND = "against-ice"


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


def _n(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def _table_text(comp) -> str:
    head = (
        "| series | month | days | ICE | central | p10 | median | p90 | err central % "
        "| err median % |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in comp.table.itertuples():
        lines.append(
            f"| {r.series} | {r.month} | {r.days} | {_n(r.ice)} | {_n(r.central)} | {_n(r.p10)} "
            f"| {_n(r.median)} | {_n(r.p90)} | {r.error_central_pct:+.1f} | "
            f"{r.error_median_pct:+.1f} |"
        )
    return "\n".join(lines)


def _notes(comp) -> list[str]:
    lines = [comp.describe()]
    for r in comp.mape.itertuples():
        lines.append(
            f"MAPE {r.series} over {r.months} months: central {r.mape_central_pct:.1f} %, "
            f"median {r.mape_median_pct:.1f} %"
        )
    lines += [f"not compared: {s} ({why})" for s, why in comp.missing.items()]
    return lines


def against_ice_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML) with start_date.")],
    fiscal_year: Annotated[
        int, typer.Option("--fiscal-year", help="ICE's fiscal year to compare with.")
    ] = 2025,
    replicates: Annotated[int | None, typer.Option(help="Override [scenario].replicates.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override [scenario].seed.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker threads (default: all cores).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for against_ice.csv, against_ice_mape.csv, against_ice.png."
        ),
    ] = None,
    sets: SetOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Run a scenario and compare its months with ICE's series: ICE-arrest book-ins,
    detained (all, and by arresting agency where the model has streams for them) and
    removals out of detention, per month of the fiscal year the run's reported days cover;
    the central run, a 10th-90th percentile band over replicates, errors and MAPE."""
    from ..analyses.against_ice import run_against_ice
    from ..data import DataError
    from ..errors import ScenarioError
    from ..outdir import OutDirError, check, reason, replacing
    from ..scenario.overrides import parse_sets
    from .options import option_problems
    from .tables import note_console, write_records

    bad = option_problems(seed, replicates, workers)
    if bad:
        _fail("\n".join(bad))
    try:
        if out is not None:
            check(out, COMMAND, inputs=[scenario])
        overrides = parse_sets(sets or [], str(scenario))
        comp = run_against_ice(
            scenario,
            fiscal_year=fiscal_year,
            replicates=replicates,
            seed=seed,
            overrides=overrides,
            workers=workers,
        )
        if out is not None:
            from .. import __version__
            from ..reports.against_ice import figure, footer

            with replacing(out, COMMAND, inputs=[scenario]) as tmp:
                comp.table.to_csv(tmp / "against_ice.csv", index=False)
                comp.mape.to_csv(tmp / "against_ice_mape.csv", index=False)
                model = f"enforcesim {__version__}, {comp.replicates} replicates" + (
                    f", seed {seed}" if seed is not None else ", the file's seed"
                )
                figure(
                    comp,
                    tmp / "against_ice.png",
                    footer(comp, "against_ice.csv", str(scenario), model),
                )
    except ScenarioError as exc:
        _fail("\n".join(str(p) for p in exc.problems))
    except (DataError, ValueError) as exc:
        _fail(f"{scenario}: {exc}")
    except OutDirError as exc:
        _fail(str(exc), exc.code)
    except OSError as exc:
        _fail(f"--out {out}: cannot write the results ({reason(exc)})", code=1)
    except KeyboardInterrupt:
        _fail("interrupted; nothing written", code=130)
    console = note_console(fmt)
    if fmt is Format.table:
        typer.echo(_table_text(comp))
    else:
        write_records(comp.records(), fmt, list(comp.table.columns))
    for line in _notes(comp):
        console.print(line, markup=False, highlight=False)
    if out is not None:
        console.print(f"Results in {out}/ (against_ice.csv, against_ice_mape.csv, against_ice.png)")


def register(app: typer.Typer) -> None:
    app.command(COMMAND)(against_ice_cmd)
