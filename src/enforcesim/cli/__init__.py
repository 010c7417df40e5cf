"""Command line: a thin layer over the Python API (`enforcesim.api`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import __version__
from ..errors import ScenarioError
from ..web.cli import serve
from .against_ice import register as register_against_ice
from .calibrate import app as calibrate_app
from .cluster import app as cluster_app
from .data import app as data_app
from .forecast import register as register_forecast
from .options import SetOpt
from .study import register as register_study_commands
from .tables import Format, FormatOpt

app = typer.Typer(
    help="enforcesim: simulate the immigration detention and removal pipeline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts name sections as [targets]: not Rich markup
)
app.add_typer(data_app, name="data", help="The data store of ICE's published statistics.")
app.add_typer(
    calibrate_app,
    name="calibrate",
    help="Fit the model to ICE's statistics and back-test its forecasts.",
)
app.add_typer(
    cluster_app, name="cluster", help="Start a Dask cluster for studies (docs/execution.md)."
)
register_study_commands(app)
register_against_ice(app)
register_forecast(app)
app.command()(serve)  # the web app; FastAPI is imported only when it starts
err_console = Console(stderr=True)
# Piped output has no terminal width; 80 columns would truncate the summary table.
console = Console() if sys.stdout.isatty() else Console(width=110)


def _fail(message: str, code: int = 2) -> None:
    # Plain text, one line per problem: no wrapping at the terminal width, no markup.
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        console.print(f"enforcesim {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """enforcesim: simulate the immigration detention and removal pipeline."""


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    out: Annotated[Path, typer.Option("--out", help="Result directory (written atomically).")],
    seed: Annotated[int | None, typer.Option(help="Override [scenario].seed.")] = None,
    replicates: Annotated[int | None, typer.Option(help="Override [scenario].replicates.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker threads (default: all cores). Results do not depend on it."),
    ] = None,
    validate: Annotated[
        bool, typer.Option(help="Check conservation invariants while running (slower).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")] = False,
    bottlenecks: Annotated[
        bool,
        typer.Option(
            "--bottlenecks",
            help="Attribute each target's shortfall to the constraints (runs "
            "the scenario 2^n times; on by default when the file has [bottlenecks]).",
        ),
    ] = False,
    sets: SetOpt = None,
    fmt: FormatOpt = Format.table,
    csv: Annotated[
        bool,
        typer.Option(
            "--csv", help="Also write each daily table as CSV (daily.csv, ...) beside the Parquet."
        ),
    ] = False,
) -> None:
    """Run a scenario and write summary.json and daily.parquet to --out."""
    from ..api import run as api_run
    from ..outdir import OutDirError, check
    from ..scenario.overrides import parse_sets
    from .options import option_problems

    bad = option_problems(seed, replicates, workers)
    if bad:
        _fail("\n".join(bad))
    try:
        check(out, "run", inputs=[scenario])
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=quiet or not err_console.is_terminal,
        ) as progress:
            overrides = parse_sets(sets or [], str(scenario))
            task = progress.add_task("replicates", total=None)

            def done(i: int) -> None:
                progress.update(task, completed=i + 1)

            results = api_run(
                scenario,
                seed=seed,
                replicates=replicates,
                workers=workers,
                validate=validate,
                on_replicate_done=done,
                bottlenecks=True if bottlenecks else None,
                overrides=overrides,
            )
        results.write(out, csv=csv)
    except ScenarioError as exc:
        _fail("\n".join(str(p) for p in exc.problems))
    except OutDirError as exc:
        _fail(str(exc), exc.code)
    except OSError as exc:
        from ..outdir import reason

        _fail(f"--out {out}: cannot write the results ({reason(exc)})", code=1)
    except KeyboardInterrupt:
        _fail(f"interrupted; nothing written to {out}", code=130)
    if not quiet or fmt is not Format.table:
        _print_summary(results.summary_dict(), out, fmt, notes=not quiet)


@app.command("validate")
def validate_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    seed: Annotated[int | None, typer.Option(help="Override [scenario].seed.")] = None,
    replicates: Annotated[int | None, typer.Option(help="Override [scenario].replicates.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker threads `run` would use (default: all cores).")
    ] = None,
    bottlenecks: Annotated[
        bool, typer.Option("--bottlenecks", help="Count the runs of `run --bottlenecks`.")
    ] = False,
    sets: SetOpt = None,
) -> None:
    """Check a scenario as `run` does and print an estimate of its work, without running it.

    Exit code 2 for a scenario `run` would refuse: a mistake in the file, or work or memory
    beyond the limits (docs: ENFORCESIM_MAX_EVENTS, ENFORCESIM_MAX_MEMORY)."""
    from ..analyses.workload import check_events, explain, run_workload
    from ..api import load
    from ..engine.runner import check_fits_in_memory, default_workers
    from ..scenario.fitted import describe, event_provenance
    from ..scenario.overrides import parse_sets
    from .options import option_problems

    bad = option_problems(seed, replicates, workers)
    if bad:
        _fail("\n".join(bad))
    try:
        overrides = parse_sets(sets or [], str(scenario))
        sc, _, source = load(scenario, seed=seed, replicates=replicates, overrides=overrides)
        n_workers = workers or default_workers()
        work = run_workload(sc, n_workers, True if bottlenecks else None)
        typer.echo("\n".join([f"{source}: valid", *explain(work)]))
        for line in describe(event_provenance(sc)):
            typer.echo(line)
        check_fits_in_memory(sc, n_workers, source)
        check_events(work, source)
    except ScenarioError as exc:
        _fail("\n".join(str(p) for p in exc.problems))
    typer.echo("within the limits: `enforcesim run` would accept it")


@app.command()
def show(
    result_dir: Annotated[Path, typer.Argument(help="A result directory written by `run`.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Print the summary of a finished run."""
    path = result_dir / "summary.json"
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        _fail(f"{path}: not found (is {result_dir} a result directory written by `run`?)")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _fail(f"{path}: not valid JSON: {exc}")
    except OSError as exc:
        _fail(f"{path}: cannot read ({exc.strerror or exc})")
    needed = ("scenario", "seed", "replicates", "metrics")
    if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict):
        _fail(f"{path}: not a summary written by `enforcesim run` (no metrics table)")
    missing = [k for k in needed if k not in summary]
    if missing:
        _fail(f"{path}: not a summary written by `enforcesim run` (no {', '.join(missing)})")
    _print_summary(summary, result_dir, fmt)
    _print_events(summary, fmt)


def _print_events(summary: dict, fmt: Format) -> None:
    """The fitted scalars and the arrest events' expansion the run recorded (if any)."""
    from ..scenario.fitted import describe
    from .tables import note_console

    provenance = summary.get("provenance")
    console = note_console(fmt)
    for line in describe(provenance if isinstance(provenance, dict) else {}):
        console.print(escape(line), soft_wrap=True)


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.2f} billion"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.2f} million"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:,.3f}"


_RESULT_SUFFIXES = (".json", ".parquet", ".csv")


def _print_summary(
    summary: dict, out: Path, fmt: Format = Format.table, notes: bool = True
) -> None:
    from ..reports import headline
    from ..results import ARREST_METRICS, CASE_METRICS, METRICS
    from .tables import (
        note_console,
        print_grid,
        summary_columns,
        summary_grid,
        summary_records,
        write_records,
    )

    known = {name: u for name, (u, _) in (METRICS | ARREST_METRICS | CASE_METRICS).items()}
    units = known | summary.get("units", {})
    console = note_console(fmt)  # stderr when stdout holds csv or json
    if fmt is Format.table:
        print_grid(console, summary_grid(summary, units, _fmt))
    else:
        write_records(summary_records(summary, units), fmt, summary_columns(summary))
    if not notes:
        return
    for name, t in summary.get("targets", {}).items():
        console.print(
            f"target {name}: {_fmt(t['target'])}, achieved {_fmt(t['achieved'])}"
            f"{headline.beside_central(summary, name, _fmt)}, "
            f"probability met {t['probability_met']:.2f}"
        )
    all_in = summary.get("costs", {}).get("metrics", {})
    if all_in:
        console.print(
            f"all-in cost {_fmt(all_in['cost_all_in_total']['mean'])} USD"
            f"{headline.beside_central(summary, 'cost_all_in_total', _fmt, 'costs')}, per "
            f"removal {_fmt(all_in['cost_all_in_per_removal']['mean'])}"
            f"{headline.beside_central(summary, 'cost_all_in_per_removal', _fmt, 'costs')} "
            "(docs/costs.md)"
        )
    lines = headline.bottleneck_lines(summary.get("bottlenecks", {}), _fmt)
    lines += headline.interval_notes(summary)
    for line in lines:
        console.print(escape(line))  # "[uncertainty]" is not markup
    files = (
        ", ".join(sorted(p.name for p in out.iterdir() if p.suffix in _RESULT_SUFFIXES))
        if out.is_dir()
        else "summary.json, daily.parquet"
    )
    console.print(f"Results in {out}/ ({files})")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted; no results were written")
        sys.exit(130)
