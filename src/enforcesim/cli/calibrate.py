"""`enforcesim calibrate ...`: fit the model to the data store and back-test it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .cluster import ClusterOpt
from .tables import Format, FormatOpt

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..execution.executors import Executor

app = typer.Typer(
    help="Calibrate stays to ICE's statistics and back-test forecasts.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # help texts are plain text, brackets included
)

# The days a fit may end on: the store holds Oct 2018 - Sep 2024 and a fit needs 12 months.
FIRST, LAST = "2019-09-30", "2024-09-30"


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code=code)


def _refit_executor(cluster: str | None, workers: int | None) -> AbstractContextManager[Executor]:
    """Where the bootstrap's refits run: the cluster, or `workers` local processes (one: a
    thread of this process). The refits hold the GIL, so threads would not run in parallel."""
    from .cluster import executor_for

    workers = workers or 1
    return executor_for(cluster, workers, processes=workers > 1)


def _progress(quiet: bool) -> Progress:
    from rich.console import Console
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )


def _date(value: str, name: str) -> str:
    import pandas as pd

    try:
        t = pd.Timestamp(value)
    except (ValueError, TypeError):
        _fail(f"{name} {value!r}: not a date (YYYY-MM-DD)")
    if not pd.Timestamp(FIRST) <= t <= pd.Timestamp(LAST):
        _fail(
            f"{name} {value}: must be between {FIRST} and {LAST} (the store "
            "holds Oct 2018 - Sep 2024 and a fit needs 12 months)"
        )
    return str(t.date())


@app.command("run")
def run_cmd(
    through: str = typer.Option("2024-09-30", help="Last day of data the fit may use."),
    out_dir: str = typer.Option("out/calibration", "--out", help="Folder for scenario and report."),
    bootstrap: int = typer.Option(100, help="Block-bootstrap refits for the intervals."),
    seed: int = typer.Option(0, help="Seed of the bootstrap."),
    streams: bool = typer.Option(
        True,
        "--streams/--single-stream",
        help="Named ICE/CBP book-in streams (default) or one stream.",
    ),
    dist: str = typer.Option("gamma", help="Stay distribution: gamma or lognormal."),
    workers: int | None = typer.Option(
        None,
        help="Local worker processes for the bootstrap's refits (default 1: this process). "
        "Results do not depend on it.",
    ),
    cluster: ClusterOpt = None,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
) -> None:
    """Fit stays, write the calibrated scenario TOML and a fit report into OUT."""
    from ..outdir import OutDirError, check, reason, replacing
    from ..reports.calibration import calibrate

    t = _date(through, "--through")
    out = Path(out_dir)
    if bootstrap < 0 or bootstrap > 10000:
        _fail(f"--bootstrap {bootstrap}: must be in 0..10000")
    if dist not in ("gamma", "lognormal"):
        _fail(f"--dist {dist!r}: must be 'gamma' or 'lognormal'")
    if workers is not None and workers < 1:
        _fail(f"--workers = {workers}: must be >= 1")
    try:
        check(out, "calibrate run")
        with (
            _refit_executor(cluster, workers) as executor,
            _progress(quiet) as progress,
            replacing(out, "calibrate run") as tmp,
        ):
            task = progress.add_task("fitting", total=None)
            r = calibrate(
                t,
                tmp,
                bootstrap=bootstrap,
                seed=seed,
                streams=streams,
                dist=dist,
                executor=executor,
                on_progress=lambda ev: progress.update(
                    task,
                    description=f"bootstrap refits: {ev.describe()}"
                    if ev.remaining
                    else "fits by fiscal year, in-sample check, report",
                ),
            )
    except KeyboardInterrupt:
        _fail(f"interrupted; nothing was written to {out}", 130)
    except OutDirError as e:
        _fail(str(e), e.code)
    except OSError as e:
        _fail(f"--out {out}: cannot write ({reason(e)})", 1)
    except ValueError as e:
        _fail(str(e))
    typer.echo(
        f"wrote {out / r['scenario']}, {out / 'report.md'}, {out / 'report.json'}, "
        f"{out / 'fit.png'}, {out / 'stays.png'}, {out / 'in_sample.png'}"
    )
    ins = r["in_sample"]
    typer.echo(
        f"in-sample MAPE of monthly ADP (engine, seed {ins['seed']}, "
        f"{ins['replicates']} replicates): all {ins['all']['mape_pct']:.2f} %, "
        f"ICE {ins['ice']['mape_pct']:.2f} %, CBP {ins['cbp']['mape_pct']:.2f} %"
    )


@app.command("backtest")
def backtest_cmd(
    out_dir: str = typer.Option("out/backtest", "--out", help="Folder for the table."),
    through: str = typer.Option("2024-09-30", help="Last day of data used."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Rolling-origin back-test: MAPE of monthly ADP at 3, 6, 12 months vs baselines."""
    from ..analyses.calibration.backtest import mape_table, run_backtest
    from ..outdir import OutDirError, check, reason, replacing
    from .tables import write_records

    t = _date(through, "--through")
    out = Path(out_dir)
    md = ["| horizon (months) | method | MAPE % | origins |", "|---|---|---|---|"]
    try:
        check(out, "calibrate backtest")
        bt = run_backtest(t)
        md += [
            f"| {r.horizon_months} | {r.method} | {r.mape_pct:.1f} | {r.origins} |"
            for r in bt.table.itertuples()
        ]
        with replacing(out, "calibrate backtest") as tmp:
            bt.forecasts.to_csv(tmp / "forecasts.csv", index=False)
            bt.table.to_csv(tmp / "table.csv", index=False)
            nc = mape_table(bt.forecasts, exclude_covid=True)
            nc.to_csv(tmp / "table_no_covid.csv", index=False)
            (tmp / "table.md").write_text("\n".join(md) + "\n")
    except OutDirError as e:
        _fail(str(e), e.code)
    except OSError as e:
        _fail(f"--out {out}: cannot write ({reason(e)})", 1)
    except ValueError as e:
        _fail(str(e))
    if fmt is Format.table:
        typer.echo("\n".join(md))
    else:
        write_records(bt.table.to_dict("records"), fmt, list(bt.table.columns))
