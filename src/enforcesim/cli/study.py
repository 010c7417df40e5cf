"""`enforcesim compare | sweep | sensitivity | report`: thin commands over the study API.

The main CLI mounts them with `register(app)`. Bad input (a missing file, a bad --vary, a
folder holding another study) prints one line per problem to stderr and exits with code 2,
without a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..errors import ScenarioError, StudyError
from ..outdir import OutDirError, replacing
from ..outdir import check as check_out
from .cluster import ClusterOpt
from .options import SetOpt
from .tables import Format, FormatOpt, Grid, note_console, print_grid, write_records

err_console = Console(stderr=True)


def _console(form: Format = Format.table) -> Console:
    # stdout for tables; stderr for the notes around csv or json (tables.py).
    return note_console(form)


def _overrides(sets: list[str] | None, where: str) -> dict:
    from ..scenario.overrides import parse_sets

    try:
        return parse_sets(sets or [], where)
    except ScenarioError as exc:
        _fail([str(p) for p in exc.problems])
    return {}


def _fail(lines: list[str], code: int = 2) -> None:
    sys.stderr.write("\n".join(lines).rstrip("\n") + "\n")
    raise typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except ScenarioError as exc:
        _fail([str(p) for p in exc.problems])
    except StudyError as exc:
        _fail(exc.problems)
    except OutDirError as exc:
        _fail([str(exc)], exc.code)
    except OSError as exc:
        _fail([f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": ")], 1)


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=quiet or not err_console.is_terminal,
    )


def _check_common(seed: int | None, replicates: int | None, workers: int | None) -> None:
    from .options import option_problems

    bad = option_problems(seed, replicates, workers)
    if bad:
        _fail(bad)


def _check_metrics(metrics: list[str] | None) -> None:
    from ..results import METRICS

    bad = [m for m in metrics or [] if m not in METRICS]
    if bad:
        _fail([f"--metric {m}: not a metric; valid: {', '.join(METRICS)}" for m in bad])


def _iv(mean: float | None, lo: float | None, hi: float | None, metric: str) -> str:
    from ..analyses.common import fmt

    if mean is None:
        return "-"
    return f"{fmt(mean, metric)} [{fmt(lo, metric)}, {fmt(hi, metric)}]"


def _nn(v: object) -> float | None:
    import math

    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


SeedOpt = Annotated[int | None, typer.Option(help="Seed for every run (default: the file's).")]
RepsOpt = Annotated[int | None, typer.Option(help="Replicates per run (default: the file's).")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(help="Worker threads (default: all cores). Results do not depend on it."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")]


def compare_cmd(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario files (TOML); the first is the baseline.")
    ],
    out: Annotated[
        Path | None, typer.Option(help="Folder for the tables, each run's results and report.html.")
    ] = None,
    seed: SeedOpt = None,
    replicates: RepsOpt = None,
    workers: WorkersOpt = None,
    metric: Annotated[
        list[str] | None, typer.Option(help="Metric to show (repeatable; default: all).")
    ] = None,
    quiet: QuietOpt = False,
    sets: SetOpt = None,
    form: FormatOpt = Format.table,
    cluster: ClusterOpt = None,
) -> None:
    """Compare scenarios on common random numbers, with paired differences from the first.
    --set applies to every scenario compared."""
    from ..analyses.common import fmt, unit
    from ..analyses.compare import compare
    from ..reports.headline import central_value, compare_notes
    from .cluster import executor_for

    _check_common(seed, replicates, workers)
    _check_metrics(metric)
    overrides = _overrides(sets, "command line")
    with _user_errors():
        if out is not None:
            check_out(out, "compare", inputs=scenarios)
        with executor_for(cluster, workers) as executor, _progress(quiet) as progress:
            task = progress.add_task("scenarios", total=len(scenarios))
            cmp = compare(
                scenarios,
                seed=seed,
                replicates=replicates,
                workers=workers,
                on_scenario_done=lambda _i, _label: progress.advance(task),
                overrides=overrides,
                executor=executor,
            )
        if out is not None:
            from ..reports.render import render

            with replacing(out, "compare", inputs=scenarios) as tmp:
                cmp.write(tmp)
                report = out / render(tmp).name
    table, diffs = cmp.table(), cmp.differences()
    shown = metric or cmp.metrics()
    if form is not Format.table:
        from .tables import COMPARE_COLUMNS, compare_records

        write_records(compare_records(table, diffs, shown), form, COMPARE_COLUMNS)
    if quiet:
        return
    console = _console(form)
    summaries = [r.summary_dict() for r in cmp.results]
    n = len(cmp.labels)
    t = Grid(
        title=f"{len(cmp.labels)} scenarios, {cmp.replicates} replicates each, seed "
        f"{cmp.seed} (common random numbers); mean [2.5 %, 97.5 %]"
        + ("; central run below" if any("central" in s for s in summaries) else ""),
        headers=["metric", *cmp.labels]
        + [f"{lab} - {cmp.labels[0]}\nmean (95 % CI)" for lab in cmp.labels[1:]]
        + ["unit"],
        right=set(range(1, 2 * n)),
    )
    for m in shown:
        cells = []
        for lab, s in zip(cmp.labels, summaries, strict=True):
            r = table[(table.metric == m) & (table.scenario == lab)].iloc[0]
            central = central_value(s, m)
            cells.append(
                _iv(_nn(r["mean"]), _nn(r["lo"]), _nn(r["hi"]), m)
                + ("" if central is None else f"\ncentral run {fmt(central, m)}")
            )
        for lab in cmp.labels[1:]:
            r = diffs[(diffs.metric == m) & (diffs.scenario == lab)].iloc[0]
            d = _nn(r["diff_mean"])
            cells.append(
                "-"
                if d is None
                else f"{'+' if d > 0 else ''}{fmt(d, m)} ({fmt(_nn(r['diff_ci_lo']), m)}, "
                f"{fmt(_nn(r['diff_ci_hi']), m)})"
            )
        t.rows.append([m, *cells, unit(m)])
    if form is Format.table:
        print_grid(console, t)
    for note in cmp.notes:
        console.print(f"note: {note}")
    for line in compare_notes(cmp.labels, summaries):
        console.print(line, markup=False, highlight=False)
    if out is not None:
        console.print(f"Results in {out}/ (comparison.csv, differences.csv, runs/, {report.name})")


def _parse_targets(items: list[str] | None) -> dict[str, float]:
    from ..results import METRICS

    targets, bad = {}, []
    for item in items or []:
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in METRICS:
            bad.append(
                f"--target {item!r}: {name!r} is not a metric; give METRIC=VALUE with "
                f"a metric among {', '.join(METRICS)}"
            )
            continue
        try:
            targets[name] = float(value)
        except ValueError:
            bad.append(f"--target {item!r}: {value!r} is not a number (METRIC=VALUE)")
    if bad:
        _fail(bad)
    return targets


def sweep_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    vary: Annotated[
        list[str],
        typer.Option(
            help="PATH=START:STOP:STEP (STOP included when on the grid) or PATH=V1,V2,... "
            "(repeatable; the grid is every combination)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Folder of the sweep: a rerun there resumes it.")],
    target: Annotated[
        list[str] | None,
        typer.Option(
            help="METRIC=VALUE: a target for the feasibility map (repeatable; adds to or "
            "overrides the file's [targets])."
        ),
    ] = None,
    seed: SeedOpt = None,
    replicates: RepsOpt = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
    sets: SetOpt = None,
    form: FormatOpt = Format.table,
    cluster: Annotated[
        str | None,
        typer.Option(
            envvar="ENFORCESIM_CLUSTER",
            help="Run the points on the Dask cluster at this address (tcp://HOST:PORT, "
            "see `enforcesim cluster local`); the numbers are the same as locally.",
        ),
    ] = None,
) -> None:
    """Run a grid of scenario values; feasibility maps and cost surfaces. Resumable.
    --set applies to every grid point."""
    from ..analyses.sweep import parse_vary, sweep
    from .cluster import executor_for

    _check_common(seed, replicates, workers)
    targets = _parse_targets(target)
    overrides = _overrides(sets, str(scenario))
    with _user_errors():
        check_out(out, "sweep", inputs=[scenario])
        axes = []
        problems = []
        for spec in vary:
            try:
                axes.append(parse_vary(spec))
            except StudyError as exc:
                problems += exc.problems
        if problems:
            raise StudyError(problems)
        try:
            with executor_for(cluster, workers) as executor, _progress(quiet) as progress:
                task = progress.add_task("grid points", total=None)

                def done(i: int, total: int, _skipped: bool) -> None:
                    progress.update(task, completed=i, total=total)

                result = sweep(
                    scenario,
                    axes,
                    out,
                    seed=seed,
                    replicates=replicates,
                    workers=workers,
                    targets=targets,
                    on_point=done,
                    overrides=overrides,
                    executor=executor,
                    on_progress=lambda ev: progress.update(task, description=ev.describe()),
                )
        except KeyboardInterrupt:
            _fail(
                [
                    f"interrupted; finished grid points are kept in {out}/points/: run the "
                    "same command again to resume"
                ],
                130,
            )
        from ..reports.render import render

        report = render(out)
    tab = result.table()
    if form is not Format.table:
        ordered = tab.sort_values("point")
        write_records(ordered.to_dict("records"), form, list(ordered.columns))
    if quiet:
        return
    console = _console(form)
    from ..analyses.sweep import read_sweep

    man = read_sweep(out)["manifest"]
    paths = [a.path for a in axes]
    keys = [k for k in ("removals_per_day", "detained", "cost_per_removal") if f"{k}_mean" in tab]
    t = Grid(
        title=f"sweep of {man['scenario']}: {len(tab)} points ({len(result.ran)} run now, "
        f"{len(result.skipped)} already done), {man['replicates']} replicates each",
        headers=paths
        + [f"{k}\nmean [2.5 %, 97.5 %]" for k in keys]
        + [f"P({tg} >= {man['targets'][tg]:,g})" for tg in man["targets"]],
        right=set(range(len(paths) + len(keys) + len(man["targets"]))),
        keys=len(paths),
    )
    for r in tab.sort_values("point").to_dict("records"):
        t.rows.append(
            [
                *(f"{r[p]:,}" for p in paths),
                *(_iv(_nn(r[f"{k}_mean"]), _nn(r[f"{k}_lo"]), _nn(r[f"{k}_hi"]), k) for k in keys),
                *(f"{r[f'p_{tg}']:.0%}" for tg in man["targets"]),
            ]
        )
    if form is Format.table:
        print_grid(console, t)
    console.print(f"Results in {out}/ (manifest.json, points/, grid.csv, {report.name}, figures/)")


def sensitivity_cmd(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario file with an uncertainty section (TOML).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for indices, samples and report.html.")],
    metric: Annotated[
        list[str] | None,
        typer.Option(
            help="Output to analyse (repeatable; default: cost_per_removal, removals_per_day)."
        ),
    ] = None,
    n: Annotated[
        int,
        typer.Option(
            "--n", help="SALib base sample size N (a power of 2); runs = N x (inputs + 2)."
        ),
    ] = 32,
    replicates: Annotated[int, typer.Option(help="Replicates averaged per run.")] = 1,
    seed: SeedOpt = None,
    resamples: Annotated[
        int, typer.Option(help="Bootstrap resamples for the confidence intervals.")
    ] = 200,
    noise_seeds: Annotated[
        int,
        typer.Option(
            help="Runs of the nominal point (every input at its median), one per seed, for "
            "the noise floor: indices below it cannot be told from process noise (0: none)."
        ),
    ] = 8,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
    sets: SetOpt = None,
    form: FormatOpt = Format.table,
    cluster: ClusterOpt = None,
) -> None:
    """Sobol indices (SALib) of outputs to the scenario's uncertain inputs, with the noise
    floor of common random numbers."""
    from ..analyses.sensitivity import DEFAULT_METRICS, sensitivity
    from .cluster import executor_for

    _check_common(seed, replicates, workers)
    _check_metrics(metric)
    overrides = _overrides(sets, str(scenario))
    with _user_errors():
        check_out(out, "sensitivity", inputs=[scenario])
        with executor_for(cluster, workers) as executor, _progress(quiet) as progress:
            task = progress.add_task("runs", total=None)
            result = sensitivity(
                scenario,
                metrics=metric or DEFAULT_METRICS,
                n=n,
                replicates=replicates,
                seed=seed,
                resamples=resamples,
                workers=workers,
                on_run=lambda i, total: progress.update(task, completed=i, total=total),
                overrides=overrides,
                executor=executor,
                noise_seeds=noise_seeds,
            )
        from ..reports.render import render

        with replacing(out, "sensitivity", inputs=[scenario]) as tmp:
            result.write(tmp)
            report = out / render(tmp).name
    if form is not Format.table:
        idx = result.indices
        write_records(idx.to_dict("records"), form, list(idx.columns))
    if quiet:
        return
    console = _console(form)
    t = Grid(
        title=f"Sobol indices of {result.scenario.name}: N = {result.n}, "
        f"{len(result.samples)} runs, seed {result.seed}; ± = 95 % bootstrap CI",
        headers=["metric", "input", "S1", "ST"] + (["ST > noise floor"] if result.noise else []),
        right={2, 3},
        keys=2,
    )
    above = None
    if result.noise is not None:
        from ..analyses.noise_floor import above_floor

        above = above_floor(result.indices, result.noise.table).tolist()
    for i, r in enumerate(result.indices.itertuples()):
        t.rows.append(
            [r.metric, r.input, f"{r.S1:.2f} ± {r.S1_conf:.2f}", f"{r.ST:.2f} ± {r.ST_conf:.2f}"]
            + ([] if above is None else ["yes" if above[i] else "no"])
        )
    if form is Format.table:
        print_grid(console, t)
    if result.noise is not None:
        console.print(result.noise.line())
    for note in result.notes:
        console.print(f"note: {note}")
    extra = "noise.csv, " if result.noise is not None else ""
    console.print(f"Results in {out}/ (indices.csv, samples.csv, {extra}{report.name}, figures/)")


def report_cmd(
    folder: Annotated[
        Path,
        typer.Argument(help="A result folder (`run --out`) or a compare/sweep/sensitivity folder."),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Folder for report.html and figures/ (default: FOLDER).")
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(help="The scenario file, when FOLDER has no copy and it has moved."),
    ] = None,
    start_date: Annotated[
        str | None,
        typer.Option(
            help="Calendar date of day 0 (YYYY-MM-DD), to draw ICE's series beside the model "
            "(default: the scenario's 'Day 0 = ...' comment)."
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report (and PNG figures) of a result or study folder."""
    from ..reports.write import write_report

    with _user_errors():
        path = write_report(folder, out, scenario=scenario, start=start_date)
    _console().print(f"Report: {path} (figures in {path.parent / 'figures'}/)")


def flagship_cmd(
    out: Annotated[
        Path, typer.Option(help="Folder of the study: a rerun there resumes it.")
    ] = Path("out/flagship"),
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="A reduced run (2 replicates, 60 days, tiny sweep and Sobol) that "
            "checks the whole study in seconds; not for numbers.",
        ),
    ] = False,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
    cluster: ClusterOpt = None,
    sets: SetOpt = None,
) -> None:
    """The flagship study: the goals, what binds, costs, feasibility map, Sobol indices and
    the published estimates; writes OUT/report.html and prints the headline answers.
    --set changes every library scenario of the study (recorded in manifest.json)."""
    from ..reports.headline import QUICK_LABEL
    from ..studies.flagship import FULL, QUICK, headlines, run_flagship
    from .cluster import executor_for

    _check_common(None, None, workers)
    plan = QUICK if quick else FULL
    with _user_errors():
        check_out(out, "study flagship")
        overrides = _overrides(sets, "study flagship")
        try:
            with executor_for(cluster, workers) as executor, _progress(quiet) as progress:
                task = progress.add_task("flagship stages", total=None)
                study = run_flagship(
                    out,
                    plan=plan,
                    workers=workers,
                    executor=executor,
                    overrides=overrides,
                    on_stage=lambda name, i, total: progress.update(
                        task, completed=i, total=total, description=f"flagship: {name} done"
                    ),
                )
        except KeyboardInterrupt:
            _fail(
                [
                    f"interrupted; finished stages are kept in {out}/: run the same command "
                    "again to resume"
                ],
                130,
            )
        lines = headlines(out)
    if quiet:
        return
    console = _console()
    console.print(
        f"[bold]Flagship study[/bold] (plan '{plan.name}': {plan.replicates} "
        f"replicates per scenario; {len(study.ran)} stages run now, "
        f"{len(study.reused)} reused)" + (f" - {QUICK_LABEL}" if quick else "")
    )
    for i, line in enumerate(lines, 1):
        console.print(f"{i}. {line}", markup=False, highlight=False)
    console.print(f"Report: {out / 'report.html'} (figures in {out / 'figures'}/)")


study_app = typer.Typer(
    help="Studies that answer a question end to end (docs/flagship.md).",
    no_args_is_help=True,
    rich_markup_mode=None,  # help texts name sections as [targets]: not Rich markup
)
study_app.command("flagship")(flagship_cmd)


def register(app: typer.Typer) -> None:
    """Add the compare, sweep, sensitivity and report commands, and `study flagship`, to the
    main app."""
    commands: list[tuple[str, Callable[..., None]]] = [
        ("compare", compare_cmd),
        ("sweep", sweep_cmd),
        ("sensitivity", sensitivity_cmd),
        ("report", report_cmd),
    ]
    for name, fn in commands:
        app.command(name)(fn)
    app.add_typer(study_app, name="study")
