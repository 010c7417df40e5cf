"""The study tools (issue 8): compare on common random numbers, resumable sweeps, Sobol
sensitivity, HTML reports and the scenario library. Small scenarios, few replicates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import enforcesim
from builders import ROOT, SCENARIOS, SMALL_SCENARIO, invoke_study
from enforcesim.analyses.sensitivity import sensitivity
from enforcesim.reports.parts import start_date
from enforcesim.study import StudyError, compare, parse_vary, read_sweep, render, sweep
from enforcesim.tomlfile import value_comments

LIBRARY = sorted((SCENARIOS / "library").glob("*.toml"))


@pytest.fixture
def small(write_toml) -> Path:
    return write_toml(SMALL_SCENARIO, "small.toml")


@pytest.fixture
def variant(write_toml):
    """variant(name, **{old: new}): SMALL_SCENARIO named `name`, with each `old` text replaced."""

    def write(name: str, **repl: str) -> Path:
        text = SMALL_SCENARIO.replace('name = "small"', f'name = "{name}"')
        for old, new in repl.items():
            text = text.replace(old, new)
        return write_toml(text, f"{name}.toml")

    return write


# --- compare ------------------------------------------------------------------------------------


def test_a_scenario_against_itself_differs_by_exactly_zero(small):
    cmp = compare([small, small], workers=1)
    assert cmp.labels == ["small", "small-small"]
    d = cmp.differences()
    assert set(d["metric"]) == set(cmp.metrics())
    values = d[["diff_mean", "diff_lo", "diff_hi", "diff_ci_lo", "diff_ci_hi"]].to_numpy(float)
    assert np.all((values == 0) | np.isnan(values))
    assert (d["pairs"] == 4).all()


def test_differences_pair_replicate_i_with_replicate_i(small, tmp_path, variant):
    more = variant("more-beds", **{"beds = 260": "beds = 400"})
    cmp = compare([small, more], replicates=5, workers=1)
    a = cmp.results[0].replicate_metrics()["detained"].to_numpy()
    b = cmp.results[1].replicate_metrics()["detained"].to_numpy()
    row = cmp.differences().set_index("metric").loc["detained"]
    assert row["diff_mean"] == pytest.approx(np.mean(b - a))
    assert row["diff_lo"] == pytest.approx(np.quantile(b - a, 0.025))
    assert row["diff_ci_lo"] <= row["diff_mean"] <= row["diff_ci_hi"]
    # common random numbers: the same arrivals in both, so book-ins are identical
    assert cmp.differences().set_index("metric").loc["book_ins_per_day", "diff_mean"] == 0
    # more beds turn fewer people away, in every replicate
    ta = cmp.paired("turned_away_per_day", 1)
    assert (ta <= 0).all() and ta.sum() < 0


def test_compare_seeds_every_scenario_like_the_baseline(small, tmp_path, variant):
    other = variant("other-seed", **{"seed = 7": "seed = 99", "replicates = 4": "replicates = 2"})
    cmp = compare([small, other], workers=1)
    assert cmp.seed == 7 and cmp.replicates == 4
    assert len(cmp.results[1].replicate_metrics()) == 4
    assert cmp.notes and "seed 7" in cmp.notes[0]


def test_compare_command_prints_and_writes_a_report(small, tmp_path, variant):
    more = variant("more-beds", **{"beds = 260": "beds = 400"})
    out = tmp_path / "cmp"
    r = invoke_study(
        "compare", str(small), str(more), "--out", str(out), "--replicates", "3", "--workers", "1"
    )
    assert r.exit_code == 0, r.output
    assert "more-beds - small" in r.output and "turned_away_per_day" in r.output
    assert "process noise and parameter uncertainty" in r.output
    for name in (
        "comparison.csv",
        "differences.csv",
        "manifest.json",
        "report.html",
        "runs/small/summary.json",
        "runs/more-beds/daily.parquet",
        "runs/more-beds/scenario.toml",
    ):
        assert (out / name).exists(), name
    html = (out / "report.html").read_text()
    for heading in (
        "Scenarios compared",
        "Key metrics",
        "Differences from the baseline",
        "Detained population and beds",
        "Removals and releases over time",
        "Targets",
        "ICE&#39;s published statistics",
        "Assumptions and sources",
        "How to read the intervals",
        "Provenance",
    ):
        assert f">{heading}</h2>" in html, heading
    assert html.count('src="data:image/png;base64,') >= 4
    assert "http://" not in html and "https://" not in html  # no external assets
    # the files hold the comparison the API makes (same seed, same replicates)
    api = compare([small, more], replicates=3, workers=1)
    written = pd.read_csv(out / "differences.csv")
    assert list(written["metric"]) == list(api.differences()["metric"])
    cols = ["diff_mean", "diff_lo", "diff_hi", "diff_ci_lo", "diff_ci_hi"]
    np.testing.assert_allclose(
        written[cols].to_numpy(float), api.differences()[cols].to_numpy(float), rtol=1e-12
    )
    for label, res in zip(api.labels, api.results, strict=True):
        summary = json.loads((out / "runs" / label / "summary.json").read_text())
        assert summary["replicates"] == 3
        assert summary["metrics"] == json.loads(json.dumps(res.summary_dict()["metrics"]))


@pytest.mark.parametrize(
    "args, expected",
    [
        (["compare", "missing.toml"], "missing.toml: file not found"),
        (
            ["sweep", "SMALL", "--vary", "detention.beds", "--out", "OUT"],
            "--vary 'detention.beds': must be PATH=START:STOP:STEP",
        ),
        (
            ["sweep", "SMALL", "--vary", "detention.bedz=1,2", "--out", "OUT"],
            "detention.bedz: unknown key",
        ),
        (
            ["sweep", "SMALL", "--vary", "arrests.ice.rate_per_day=1,2", "--out", "OUT"],
            "there is no [arrests] section",
        ),
        (
            ["sweep", "SMALL", "--vary", "detention.when_full=1,2", "--out", "OUT"],
            "only numeric values can vary",
        ),
        (
            ["sweep", "SMALL", "--vary", "detention.beds=100:50:10", "--out", "OUT"],
            "STOP (50) must be >= START (100)",
        ),
        (
            ["sweep", "SMALL", "--vary", "detention.beds=-1,5", "--out", "OUT"],
            "detention.beds = -1: must be an integer >= 0",
        ),
        (["sensitivity", "SMALL", "--out", "OUT", "--n", "12"], "--n 12: must be a power of 2"),
        (["report", "OUT"], "not a folder"),
    ],
)
def test_bad_input_names_the_problem_and_exits_2(small, tmp_path, args, expected):
    args = [str(small) if a == "SMALL" else str(tmp_path / "o") if a == "OUT" else a for a in args]
    r = invoke_study(*args)
    assert r.exit_code == 2, r.output
    assert expected in r.output
    assert "Traceback" not in r.output


# --- sweep --------------------------------------------------------------------------------------


def test_parse_vary_ranges_include_stop_on_the_grid():
    assert parse_vary("detention.beds=40000:120000:40000").values == (40000, 80000, 120000)
    assert parse_vary("detention.beds=1:10:4").values == (1, 5, 9)
    assert parse_vary("costs.bed_day=0.1:0.3:0.1").values == (0.1, 0.2, 0.3)
    assert parse_vary("costs.bed_day=152, 158.5,180").values == (152, 158.5, 180)
    with pytest.raises(StudyError, match="STEP must be > 0"):
        parse_vary("detention.beds=1:10:0")
    with pytest.raises(StudyError, match="'x' is not a number"):
        parse_vary("detention.beds=1,x")


AXES = ["detention.beds=200:300:100", "book_ins.rate_per_day=25,35"]


def test_sweep_on_a_2x2_grid_maps_feasibility_and_costs(small, tmp_path, variant):
    out = tmp_path / "sw"
    res = sweep(
        small,
        [parse_vary(a) for a in AXES],
        out,
        replicates=3,
        workers=1,
        targets={"admitted_per_day": 26.0},
    )
    assert res.ran == [0, 1, 2, 3] and res.skipped == []
    table = res.table()
    assert list(table["detention.beds"]) == [200, 200, 300, 300]
    assert list(table["book_ins.rate_per_day"]) == [25, 35, 25, 35]
    assert {"p_removals_per_day", "p_admitted_per_day", "cost_per_removal_mean"} <= set(table)
    # the swept value replaces the file's; the bed count is the grid's
    point = json.loads((out / "points" / "00002.json").read_text())
    assert point["values"] == {"detention.beds": 300, "book_ins.rate_per_day": 25}
    # a point is the run of the file with those values (same seed and replicates), and the
    # probability of a target is the share of its replicates that meet it
    edited = variant("point-2", **{"beds = 260": "beds = 300", "= 30.0  #": "= 25.0  #"})
    direct = enforcesim.run(edited, replicates=3, workers=1).replicate_metrics()
    admitted = direct["admitted_per_day"].to_numpy()
    np.testing.assert_allclose(point["replicate_metrics"]["admitted_per_day"], admitted)
    assert table.loc[2, "p_admitted_per_day"] == np.mean(admitted >= 26.0)
    for i in range(4):
        got = json.loads((out / "points" / f"{i:05d}.json").read_text())["replicate_metrics"]
        p = np.mean(np.asarray(got["admitted_per_day"]) >= 26.0)
        assert table.loc[i, "p_admitted_per_day"] == p
    html = render(out).read_text()
    for heading in (
        "Grid",
        "Feasibility map",
        "Cost surfaces",
        "Results by grid point",
        "Assumptions and sources",
        "How to read the intervals",
    ):
        assert f">{heading}</h2>" in html, heading
    assert html.count('src="data:image/png;base64,') == 4  # 2 targets + 2 cost surfaces


class Interrupted(Exception):
    pass


def test_an_interrupted_sweep_resumes_and_equals_an_uninterrupted_one(small, tmp_path):
    axes = [parse_vary(a) for a in AXES]

    def stop_after_first(done: int, total: int, skipped: bool) -> None:
        if done == 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        sweep(small, axes, tmp_path / "a", replicates=2, workers=1, on_point=stop_after_first)
    assert [p.name for p in (tmp_path / "a" / "points").iterdir()] == ["00000.json"]
    resumed = sweep(small, axes, tmp_path / "a", replicates=2, workers=1)
    assert resumed.skipped == [0] and resumed.ran == [1, 2, 3]
    whole = sweep(small, axes, tmp_path / "b", replicates=2, workers=1)
    for i in range(4):
        name = f"{i:05d}.json"
        assert (tmp_path / "a" / "points" / name).read_text() == (
            tmp_path / "b" / "points" / name
        ).read_text()
    again = sweep(small, axes, tmp_path / "b", replicates=2, workers=1)
    assert again.ran == [] and again.skipped == [0, 1, 2, 3]
    assert whole.table().equals(read_sweep(tmp_path / "a")["table"])


def test_a_sweep_folder_refuses_another_grid_or_scenario(small, tmp_path, variant):
    out = tmp_path / "sw"
    sweep(small, [parse_vary("detention.beds=200,300")], out, replicates=2, workers=1)
    with pytest.raises(StudyError, match="holds a different sweep \\(grid differ"):
        sweep(small, [parse_vary("detention.beds=200,400")], out, replicates=2, workers=1)
    changed = variant("small", **{"removal_share = 0.6": "removal_share = 0.7"})
    with pytest.raises(StudyError, match="the scenario differ"):
        sweep(changed, [parse_vary("detention.beds=200,300")], out, replicates=2, workers=1)
    r = invoke_study("sweep", str(small), "--vary", "detention.beds=200,400", "--out", str(out))
    assert r.exit_code == 2 and "use a new --out folder" in r.output


# --- sensitivity --------------------------------------------------------------------------------

TOY = (
    SMALL_SCENARIO.split("[uncertainty]")[0]
    + """[uncertainty]
"book_ins.rate_per_day" = { dist = "uniform", low = 10.0, high = 40.0 }
"costs.bed_day" = { dist = "uniform", low = 100.0, high = 200.0 }
"""
)


def test_sobol_indices_of_a_toy_whose_answer_is_known(tmp_path, write_toml):
    """removals_per_day does not depend on the bed rate: with common random numbers its
    indices are 0 (tolerance 0.02), and the arrival rate carries nearly all the variance
    (S1 > 0.8). cost_per_removal depends on both. N = 16: 64 runs of 1 replicate."""
    path = write_toml(TOY, "toy.toml")
    sa = sensitivity(path, n=16, seed=3, workers=1)
    assert len(sa.samples) == 16 * (2 + 2)
    idx = sa.indices.set_index(["metric", "input"])
    removals = idx.loc["removals_per_day"]
    assert abs(removals.loc["costs.bed_day", "S1"]) < 0.02
    assert abs(removals.loc["costs.bed_day", "ST"]) < 0.02
    assert removals.loc["book_ins.rate_per_day", "S1"] > 0.8
    assert idx.loc[("cost_per_removal", "costs.bed_day"), "ST"] > 0.2
    assert (sa.indices["S1_conf"] >= 0).all()
    out = sa.write(tmp_path / "sa")
    again = sensitivity(path, n=16, seed=3, workers=2)
    assert again.indices.equals(sa.indices)  # fixed seed: the same whatever the workers
    html = render(out).read_text()
    for heading in ("Inputs", "Sobol indices", "Method", "Assumptions and sources"):
        assert f">{heading}</h2>" in html, heading
    assert html.count('src="data:image/png;base64,') == 1


def test_sensitivity_needs_uncertainty(small, tmp_path, variant):
    path = variant(
        "certain",
        **{'"costs.bed_day" = { dist = "uniform", low = 130.0, high = 225.0 }': ""},
    )
    with pytest.raises(StudyError, match="no \\[uncertainty\\] entries"):
        sensitivity(path, n=4)


# --- report -------------------------------------------------------------------------------------

RUN_HEADINGS = (
    "Summary",
    "Key metrics",
    "Targets",
    "Detained population and beds",
    "Removals and releases over time",
    "ICE&#39;s published statistics",
    "Assumptions and sources",
    "How to read the intervals",
    "Provenance",
)


def test_report_of_a_result_folder_has_every_section(small, tmp_path):
    out = tmp_path / "run"
    enforcesim.run(small, workers=1).write(out)
    r = invoke_study("report", str(out))
    assert r.exit_code == 0, r.output
    html = (out / "report.html").read_text()
    for heading in RUN_HEADINGS:
        assert f">{heading}</h2>" in html, heading
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3  # detained vs beds, flows, ICE's series beside the model
    assert {p.name for p in (out / "figures").iterdir()} == {
        "detained_vs_beds.png",
        "removals_releases.png",
        "ice_vs_model.png",
    }
    assert "process noise and parameter uncertainty" in html
    assert "USD per bed-day (ICE, 2024-25)" in html  # the file's comments are its sources


def test_report_without_uncertainty_says_process_noise_only(small, tmp_path, variant):
    path = variant(
        "certain",
        **{'"costs.bed_day" = { dist = "uniform", low = 130.0, high = 225.0 }': ""},
    )
    out = tmp_path / "run"
    enforcesim.run(path, workers=1).write(out)
    html = render(out, tmp_path / "rep").read_text()
    assert "<b>process noise only</b>" in html
    assert (tmp_path / "rep" / "figures" / "detained_vs_beds.png").exists()


def test_scenario_text_gives_the_calendar_and_the_assumptions():
    assert str(start_date("# Day 0 = 2024-10-01 (FY2025)").date()) == "2024-10-01"
    assert str(start_date("(day 0 = 1 Oct 2024, the first day)").date()) == "2024-10-01"
    assert start_date("no date here") is None
    rows = value_comments(SMALL_SCENARIO)
    assert rows[0] == ("(file header)", "", "A small test scenario. Day 0 = 2024-10-01.")
    assert ("book_ins.rate_per_day", "30.0", "persons/day (test value)") in rows


# --- the scenario library ---------------------------------------------------------------------


def test_the_library_has_the_scenarios_of_issue_8():
    names = {p.stem for p in LIBRARY}
    assert len(names) >= 8
    assert {
        "status-quo-fy2024",
        "goal-3000-no-buildout",
        "goal-3000-buildout-100k",
        "removals-1m-per-year",
        "more-flights",
        "expedited-removal-wide",
    } <= names


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_every_library_scenario_parses_runs_and_is_documented(path):
    sc = enforcesim.load_scenario(path)
    text = path.read_text()
    assert sc.targets.model_dump(exclude_none=True), "no [targets]"
    assert sc.uncertainty, "no [uncertainty]"
    assert start_date(text) is not None, "no 'Day 0 = YYYY-MM-DD' line"
    assert text.startswith("# Library: ")
    res = enforcesim.run(path, replicates=2, workers=2)
    assert len(res.replicate_metrics()) == 2
    summary = res.summary_dict()
    assert set(summary["targets"]) == set(sc.targets.model_dump(exclude_none=True))
    assert set(summary["parameters"]) == set(sc.uncertainty)
    assert "parameter uncertainty" in summary["interval"]["kind"]


def test_the_python_example_of_the_docs_runs(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "study-tools.md").read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(
        compile(
            block.replace('Path("scenarios/library")', f'Path("{ROOT / "scenarios" / "library"}")'),
            "doc",
            "exec",
        ),
        {},
    )
    out = tmp_path / "out" / "doc-example"
    # a scenario compared with itself differs by exactly 0, in the written file too
    written = pd.read_csv(out / "compare" / "differences.csv")
    assert (written["diff_mean"].fillna(0) == 0).all()
    swept = read_sweep(out / "sweep")["table"]
    assert list(swept["detention.beds"]) == [30000, 40000]
    html = (out / "sweep" / "report.html").read_text()
    assert ">Feasibility map</h2>" in html and ">Results by grid point</h2>" in html
