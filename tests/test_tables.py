"""Tables for people never cut a number: at 60, 80 and 100 columns and piped, every number's
full text is printed and no cell ends in '…'; `--help` shows the bracketed section names its
help strings hold ([targets], [uncertainty], ...), which Rich markup would swallow."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from enforcesim.analyses.common import fmt
from enforcesim.cli import _fmt, app
from enforcesim.cli.tables import Grid, print_grid

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example.toml"
WIDTHS = [60, 80, 100, None]  # None: piped, no COLUMNS

runner = CliRunner()


def invoke(args: list[object], width: int | None):
    env = {"COLUMNS": str(width)} if width else {"COLUMNS": ""}
    return runner.invoke(app, [str(a) for a in args], env=env)


def assert_whole(text: str, numbers: list[str], width: int | None) -> None:
    assert "…" not in text and "..." not in text
    missing = [n for n in numbers if n not in text]
    assert not missing, (width, missing, text)
    if width is not None and "┃" in text:  # a table was printed: it fits
        assert max(len(line) for line in text.splitlines() if "│" in line) <= width


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("example") / "o"
    r = runner.invoke(
        app, ["run", str(EXAMPLE), "--out", str(out), "--replicates", "2", "--workers", "1", "-q"]
    )
    assert r.exit_code == 0, r.output
    return out, json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("width", WIDTHS)
def test_run_summary_shows_every_number_whole(example_run, width):
    out, summary = example_run
    r = invoke(["show", out], width)
    assert r.exit_code == 0, r.output
    numbers = [_fmt(m[k]) for m in summary["metrics"].values() for k in ("mean", "lo", "hi")]
    assert any("billion" in n for n in numbers)  # the widest cells are in the check
    assert_whole(r.stdout, numbers, width)
    for name in summary["metrics"]:
        assert name in r.stdout


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "c"
    other = ROOT / "scenarios" / "library" / "more-flights.toml"
    args = ["compare", EXAMPLE, other, "--replicates", "2", "--workers", "1"]
    r = runner.invoke(app, [str(a) for a in args] + ["--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    return args, pd.read_csv(out / "comparison.csv"), pd.read_csv(out / "differences.csv")


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_shows_every_number_whole(compared, width, tmp_path):
    args, table, diffs = compared
    shown = ["cost_total", "removals_per_day", "detained"]
    metric_args = [a for m in shown for a in ("--metric", m)]
    r = invoke(args + metric_args, width)
    assert r.exit_code == 0, r.output
    rows = table[table.metric.isin(shown)]
    numbers = [fmt(v, m) for m, v in zip(rows.metric, rows["mean"], strict=True)]
    numbers += [fmt(v, m) for m, v in zip(rows.metric, rows["hi"], strict=True)]
    d = diffs[diffs.metric.isin(shown)]
    numbers += [fmt(v, m) for m, v in zip(d.metric, d.diff_ci_hi, strict=True)]
    assert_whole(r.stdout, numbers, width)


@pytest.mark.parametrize("width", [60, 100, None])
def test_sweep_and_sensitivity_show_every_number_whole(width, tmp_path):
    small = tmp_path / "s.toml"
    small.write_text(EXAMPLE.read_text().replace("replicates = 20", "replicates = 1"))
    r = invoke(
        ["sweep", small, "--vary", "detention.beds=41500,1000000", "--out", tmp_path / "sw",
         "--workers", "1"],
        width,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    grid = pd.read_csv(tmp_path / "sw" / "grid.csv")
    numbers = [f"{b:,}" for b in grid["detention.beds"]]
    numbers += [fmt(v, "cost_per_removal") for v in grid["cost_per_removal_hi"]]
    assert_whole(r.stdout, numbers, width)
    r = invoke(
        ["sensitivity", small, "--out", tmp_path / "sa", "--n", "4", "--workers", "1"], width
    )
    assert r.exit_code == 0, r.output
    idx = pd.read_csv(tmp_path / "sa" / "indices.csv")
    numbers = [f"{s:.2f} ± {c:.2f}" for s, c in zip(idx.ST, idx.ST_conf, strict=True)]
    assert_whole(r.stdout, numbers + list(idx.input), width)


@pytest.mark.parametrize("width", [60, 80, None])
def test_data_show_shows_every_value_whole(width, store):
    r = invoke(["data", "show", "fiscal-years", "--db", store], width)
    assert r.exit_code == 0, r.output
    csv = invoke(["data", "show", "fiscal-years", "--format", "csv", "--db", store], 0)
    data = pd.read_csv(io.StringIO(csv.stdout))
    numbers = [f"{v:,.2f}" for v in data["adp"]] + [str(v) for v in data["source_file"]]
    assert_whole(r.stdout, numbers, width)


def test_a_grid_that_does_not_fit_is_stacked_and_one_that_fits_is_a_table():
    grid = Grid("t", ["metric", "mean", "unit"], [["cost_total", "4.25 billion", "USD"]], {1})
    narrow, wide = io.StringIO(), io.StringIO()
    print_grid(Console(width=20, file=narrow), grid)
    assert "  mean: 4.25 billion" in narrow.getvalue() and "┃" not in narrow.getvalue()
    print_grid(Console(width=60, file=wide), grid)
    assert "┃" in wide.getvalue() and "│ cost_total │ 4.25 billion │ USD  │" in wide.getvalue()


def _commands(group: Any, path: list[str]):
    yield path, group
    if hasattr(group, "commands"):  # a group (Typer carries its own copy of click)
        for name, cmd in group.commands.items():
            yield from _commands(cmd, [*path, name])


BRACKETED = re.compile(r"\[[a-z_][a-z_.]*\]")


def test_help_shows_the_bracketed_names_of_its_help_strings():
    root = typer.main.get_command(app)
    checked = 0
    for path, cmd in _commands(root, []):
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        wanted = {m for t in texts for m in BRACKETED.findall(t)}
        if not wanted:
            continue
        r = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
        assert r.exit_code == 0, r.output
        flat = " ".join(r.stdout.split())
        missing = [w for w in wanted if w not in flat]
        assert not missing, (path, missing)
        checked += 1
    assert checked >= 4  # run ([bottlenecks], [uncertainty]), sweep ([targets]), ...
