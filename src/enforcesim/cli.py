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
from rich.table import Table

from . import __version__
from .calibrate.cli import app as calibrate_app
from .data.cli import app as data_app
from .errors import ScenarioError
from .execution.cli import app as cluster_app
from .study.cli import register as register_study_commands

app = typer.Typer(
    help="enforcesim: simulate the immigration detention and removal pipeline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
) -> None:
    """Run a scenario and write summary.json and daily.parquet to --out."""
    from .api import run as api_run
    from .options import option_problems

    bad = option_problems(seed, replicates, workers)
    if bad:
        _fail("\n".join(bad))
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=quiet or not err_console.is_terminal,
        ) as progress:
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
            )
        results.write(out)
    except ScenarioError as exc:
        _fail("\n".join(str(p) for p in exc.problems))
    except OSError as exc:
        _fail(f"{out}: cannot write results: {exc}", code=1)
    if not quiet:
        _print_summary(results.summary_dict(), out)


@app.command()
def show(
    result_dir: Annotated[Path, typer.Argument(help="A result directory written by `run`.")],
) -> None:
    """Print the summary of a finished run."""
    path = result_dir / "summary.json"
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        _fail(f"{path}: not found (is {result_dir} a result directory written by `run`?)")
    except json.JSONDecodeError as exc:
        _fail(f"{path}: not valid JSON: {exc}")
    _print_summary(summary, result_dir)


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


def _print_summary(summary: dict, out: Path) -> None:
    from .results import ARREST_METRICS, CASE_METRICS, METRICS

    table = Table(
        title=f"{summary['scenario']}: {summary['replicates']} replicate(s), seed {summary['seed']}"
    )
    for col in ("metric", "mean", "2.5%", "97.5%", "unit"):
        table.add_column(
            col, justify="left" if col in ("metric", "unit") else "right", no_wrap=True
        )
    for name, m in summary["metrics"].items():
        unit = (METRICS | ARREST_METRICS | CASE_METRICS).get(name, ("", ""))[0]
        table.add_row(name, _fmt(m["mean"]), _fmt(m["lo"]), _fmt(m["hi"]), unit)
    console.print(table)
    for name, t in summary.get("targets", {}).items():
        console.print(
            f"target {name}: {_fmt(t['target'])}, achieved {_fmt(t['achieved'])}, "
            f"probability met {t['probability_met']:.2f}"
        )
    all_in = summary.get("costs", {}).get("metrics", {})
    if all_in:
        console.print(
            f"all-in cost {_fmt(all_in['cost_all_in_total']['mean'])} USD, per removal "
            f"{_fmt(all_in['cost_all_in_per_removal']['mean'])} (docs/costs.md)"
        )
    for name, t in summary.get("bottlenecks", {}).get("targets", {}).items():
        split = ", ".join(f"{c} {_fmt(v['mean'])}" for c, v in t["shapley"].items())
        short = t["shortfall_from_constraints"]["mean"]
        console.print(f"bottlenecks of {name}: shortfall {_fmt(short)} = {split} (Shapley)")
    kind = escape(summary.get("interval", {}).get("kind", ""))  # "[uncertainty]" is not markup
    console.print(f"Intervals: {kind}.")
    files = (
        ", ".join(sorted(p.name for p in out.iterdir() if p.suffix in (".json", ".parquet")))
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


if __name__ == "__main__":
    main()
