"""`enforcesim calibrate ...`: fit the model to the data store and back-test it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
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


@contextmanager
def _out_errors(out: Path) -> Iterator[None]:
    """A command's errors as one line: the output folder's policy (its own exit code), a disk
    fault writing --out (exit 1), bad input (exit 2)."""
    from ..outdir import OutDirError, reason

    try:
        yield
    except OutDirError as e:
        _fail(str(e), e.code)
    except OSError as e:
        _fail(f"--out {out}: cannot write ({reason(e)})", 1)
    except ValueError as e:
        _fail(str(e))


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
    from ..outdir import check, replacing
    from ..reports.calibration import calibrate

    t = _date(through, "--through")
    out = Path(out_dir)
    if bootstrap < 0 or bootstrap > 10000:
        _fail(f"--bootstrap {bootstrap}: must be in 0..10000")
    if dist not in ("gamma", "lognormal"):
        _fail(f"--dist {dist!r}: must be 'gamma' or 'lognormal'")
    if workers is not None and workers < 1:
        _fail(f"--workers = {workers}: must be >= 1")
    with _out_errors(out):
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
    from ..outdir import check, replacing
    from .tables import write_records

    t = _date(through, "--through")
    out = Path(out_dir)
    md = ["| horizon (months) | method | MAPE % | origins |", "|---|---|---|---|"]
    with _out_errors(out):
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
    if fmt is Format.table:
        typer.echo("\n".join(md))
    else:
        write_records(bt.table.to_dict("records"), fmt, list(bt.table.columns))


def _fit_through(value: str) -> int:
    """--fit-through YYYY-MM -> months of FY2025 in the fit window (Feb-Aug 2025: the quota
    step needs a month in the window, and at least one month must be left to score)."""
    import pandas as pd

    try:
        t = pd.Period(value, freq="M")
    except (ValueError, TypeError):
        _fail(f"--fit-through {value!r}: not a month (YYYY-MM)")
    k = (t.year - 2024) * 12 + t.month - 10 + 1
    if not 5 <= k <= 11:
        _fail(
            f"--fit-through {value}: must be a month from 2025-02 to 2025-08 (the fit window "
            "starts Oct 2024, needs data after the 21 Jan 2025 quota step and leaves at least "
            "one month of FY2025, which the store holds to Sep 2025, to score)"
        )
    return k


def _print_fy2025(r, fmt: Format) -> None:
    from .tables import Grid, print_grid, stdout_console, write_records

    if fmt is not Format.table:
        write_records(r.validation.to_dict("records"), fmt, list(r.validation.columns))
        return
    con = stdout_console()
    for title, df in (("Fitted scalars (95 %)", r.scalars), ("MAPE %", r.validation)):
        cols = [c for c in df.columns if c != "identifying_series"]
        numeric = {i for i, c in enumerate(cols) if df[c].dtype.kind == "f"}
        g = Grid(title, cols, right=numeric)
        for row in df[cols].itertuples(False):
            g.rows.append([f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
        print_grid(con, g)
    from ..reports.fy2025 import verdicts

    for line in verdicts(r):
        con.print(line, markup=False, highlight=False)


@app.command("fy2025")
def fy2025_cmd(
    out_dir: str = typer.Option("out/fy2025", "--out", help="Folder for the CSVs and report."),
    fit_through: str = typer.Option(
        "2025-05", help="Last month (YYYY-MM) of the fit window; the rest of FY2025 is scored."
    ),
    fmt: FormatOpt = Format.table,
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print nothing but errors."),
) -> None:
    """Fit the six FY2025 scalars and the stays on Oct 2024 - FIT_THROUGH, freeze, score the
    rest of FY2025 against persistence and a linear trend, refit on the whole year, and
    move the inputs the data cannot identify (docs/recalibration-fy2025.md)."""
    from ..analyses.calibration.fy2025 import run_fy2025
    from ..outdir import check, replacing
    from ..reports.fy2025 import write

    k = _fit_through(fit_through)
    out = Path(out_dir)
    with _out_errors(out):
        check(out, "calibrate fy2025")
        r = run_fy2025(k)
        with replacing(out, "calibrate fy2025") as tmp:
            names = write(r, tmp)
    if not quiet:
        _print_fy2025(r, fmt)
        if fmt is Format.table:
            typer.echo(f"wrote {', '.join(str(out / n) for n in names)}")


@app.command("backtest-fy2025")
def backtest_fy2025_cmd(
    out_dir: str = typer.Option("out/backtest-fy2025", "--out", help="Folder for the tables."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Rolling origins through FY2025 (Feb-Jun 2025): the detention model given book-ins and
    the event model at 3 and 6 months against persistence and a linear trend."""
    from ..analyses.calibration.backtest import run_fy2025_backtest
    from ..outdir import check, replacing
    from ..reports.fy2025 import markdown_table
    from .tables import write_records

    out = Path(out_dir)
    with _out_errors(out):
        check(out, "calibrate backtest-fy2025")
        per, summary = run_fy2025_backtest()
        md = markdown_table(summary, 1)
        with replacing(out, "calibrate backtest-fy2025") as tmp:
            per.to_csv(tmp / "per_origin.csv", index=False)
            summary.to_csv(tmp / "summary.csv", index=False)
            (tmp / "summary.md").write_text(md + "\n")
    if fmt is Format.table:
        typer.echo(md)
    else:
        write_records(summary.to_dict("records"), fmt, list(summary.columns))
