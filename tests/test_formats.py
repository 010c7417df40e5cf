"""`--format csv|json` prints only data on stdout, with the numbers of the files written;
`run --csv` writes the daily tables as CSV too; summary.json and every daily Parquet column
carry units."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import enforcesim
from enforcesim.cli import app
from enforcesim.results import ARREST_METRICS, CASE_METRICS, METRICS

BASELINE = Path(__file__).resolve().parent / "baseline" / "scenarios"
SMALL = """
[scenario]
name = "fmt-small"
days = 30
replicates = 3
seed = 4
[book_ins]
rate_per_day = 20.0
[detention]
beds = 150
when_full = "release"
length_of_stay = { dist = "exponential", mean = 5.0 }
removal_share = 0.5
[costs]
bed_day = 100.0
[uncertainty]
"costs.bed_day" = { dist = "uniform", low = 90.0, high = 110.0 }
"""

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def scen(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SMALL)
    return path


@pytest.fixture
def ran(scen, tmp_path):
    out = tmp_path / "o"
    r = invoke("run", scen, "--out", out, "--workers", "1", "--format", "csv")
    assert r.exit_code == 0, r.output
    return r, json.loads((out / "summary.json").read_text())


def _same(value: str | float | None, number: float | None) -> bool:
    if number is None:
        return value in ("", None)
    return float(value) == number  # repr round-trips a float exactly


def test_run_csv_is_the_summary_and_nothing_else(ran):
    r, summary = ran
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    central = summary.get("central", {}).get("metrics")
    assert list(rows[0]) == [
        "metric",
        "mean",
        *(["central"] if central else []),
        "lo",
        "hi",
        "unit",
    ]
    assert [row["metric"] for row in rows] == list(summary["metrics"])
    for row in rows:
        m = summary["metrics"][row["metric"]]
        assert all(_same(row[k], m[k]) for k in ("mean", "lo", "hi")), row
        if central:
            assert _same(row["central"], central[row["metric"]]), row
        assert row["unit"] == METRICS[row["metric"]][0]
    assert "Results in" in r.stderr and "Results in" not in r.stdout
    assert "Intervals:" in r.stderr


def test_run_and_show_json_match_summary_json(scen, tmp_path):
    out = tmp_path / "o"
    r = invoke("run", scen, "--out", out, "--workers", "1", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    central = summary.get("central", {}).get("metrics")
    expected = [
        {
            "metric": k,
            "mean": v["mean"],
            **({"central": central[k]} if central else {}),
            "lo": v["lo"],
            "hi": v["hi"],
            "unit": summary["units"][k],
        }
        for k, v in summary["metrics"].items()
    ]
    assert json.loads(r.stdout) == expected
    shown = invoke("show", out, "--format", "json")
    assert shown.exit_code == 0 and json.loads(shown.stdout) == expected


def test_summary_json_has_a_unit_for_every_metric(ran):
    _, summary = ran
    assert summary["units"] == {m: METRICS[m][0] for m in summary["metrics"]}


def test_run_csv_option_writes_daily_tables_beside_parquet(scen, tmp_path):
    out = tmp_path / "o"
    r = invoke("run", scen, "--out", out, "--workers", "1", "-q", "--csv")
    assert r.exit_code == 0, r.output
    daily = pd.read_csv(out / "daily.csv")
    parquet = pq.read_table(out / "daily.parquet").to_pandas()
    assert list(daily.columns) == list(parquet.columns)
    pd.testing.assert_frame_equal(daily, parquet, check_dtype=False)


def test_compare_csv_and_json_match_the_written_tables(scen, tmp_path):
    other = tmp_path / "b.toml"
    other.write_text(SMALL.replace("fmt-small", "fmt-b").replace("beds = 150", "beds = 80"))
    out = tmp_path / "cmp"
    r = invoke("compare", scen, other, "--out", out, "--workers", "1", "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    table = pd.read_csv(out / "comparison.csv")
    diffs = pd.read_csv(out / "differences.csv")
    assert len(rows) == len(table)
    for row in rows:
        t = table[(table.metric == row["metric"]) & (table.scenario == row["scenario"])]
        assert t.shape[0] == 1
        for k in ("mean", "lo", "hi"):
            assert row[k] == "" if pd.isna(t[k].iloc[0]) else float(row[k]) == t[k].iloc[0]
        d = diffs[(diffs.metric == row["metric"]) & (diffs.scenario == row["scenario"])]
        if row["scenario"] == "fmt-small":
            assert d.empty and row["diff_mean"] == ""
        elif not pd.isna(d.diff_mean.iloc[0]):
            assert float(row["diff_mean"]) == pytest.approx(d.diff_mean.iloc[0], rel=1e-15)
    assert "Results in" in r.stderr
    j = invoke("compare", scen, other, "--workers", "1", "--format", "json", "-q")
    assert j.exit_code == 0, j.output
    records = json.loads(j.stdout)
    assert [(x["metric"], x["scenario"]) for x in records] == [
        (x["metric"], x["scenario"]) for x in rows
    ]


def test_sweep_json_is_grid_csv(scen, tmp_path):
    out = tmp_path / "sw"
    r = invoke(
        "sweep", scen, "--vary", "detention.beds=60,120", "--out", out, "--workers", "1",
        "--format", "json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    records = json.loads(r.stdout)
    grid = pd.read_csv(out / "grid.csv")
    assert [x["detention.beds"] for x in records] == grid["detention.beds"].tolist()
    assert [x["removals_per_day_mean"] for x in records] == pytest.approx(
        grid["removals_per_day_mean"].tolist(), rel=1e-15
    )


def test_sensitivity_csv_is_indices_csv(scen, tmp_path):
    out = tmp_path / "sa"
    r = invoke("sensitivity", scen, "--out", out, "--n", "4", "--workers", "1", "--format", "csv")
    assert r.exit_code == 0, r.output
    printed = pd.read_csv(io.StringIO(r.stdout))
    pd.testing.assert_frame_equal(printed, pd.read_csv(out / "indices.csv"))
    assert "Results in" in r.stderr


def test_data_show_json_matches_csv(store):
    db = store
    c = invoke("data", "show", "fiscal-years", "--format", "csv", "--db", db)
    assert c.exit_code == 0, c.output
    j = invoke("data", "show", "fiscal-years", "--format", "json", "--db", db)
    assert j.exit_code == 0, j.output
    rows = list(csv.DictReader(io.StringIO(c.stdout)))
    records = json.loads(j.stdout)
    assert len(records) == len(rows) > 0 and list(records[0]) == list(rows[0])
    for rec, row in zip(records, rows, strict=True):
        assert rec["fiscal_year"] == int(row["fiscal_year"])
        assert rec["adp"] == pytest.approx(float(row["adp"]), rel=1e-12)


def test_every_column_of_every_daily_parquet_table_has_a_unit(tmp_path):
    kinds = set()
    for path in sorted(BASELINE.glob("*.toml")):
        out = enforcesim.run(path, workers=1, replicates=1).write(tmp_path / path.stem)
        for p in out.glob("*.parquet"):
            kinds.add(p.stem)
            schema = pq.read_schema(p)
            for field in schema:
                assert field.metadata and field.metadata.get(b"unit"), (path.name, p.name, field)
            assert schema.pandas_metadata is not None  # pandas still reads its dtypes back
    # the baseline scenarios write every kind of daily table the model has
    assert kinds == {"daily", "daily_streams", "daily_arrests", "daily_officers", "daily_cases"}


def test_units_block_covers_the_arrest_and_case_metrics():
    res = enforcesim.run(BASELINE / "case-side.toml", workers=1, replicates=1)
    units = res.summary_dict()["units"]
    known = METRICS | ARREST_METRICS | CASE_METRICS
    assert units and all(units[m] == known[m][0] for m in res.summary_dict()["metrics"])
