"""The flagship's published Sobol analysis (docs/data/flagship-sobol/) and the noise floor of
a Sobol analysis on common random numbers (analyses/noise_floor.py)."""

from __future__ import annotations

import hashlib
import json
import math
import tomllib

import numpy as np
import pandas as pd
import pytest

import enforcesim
from builders import ROOT, SMALL_SCENARIO, invoke_study
from enforcesim.analyses.noise_floor import floor_table, sample_variance
from enforcesim.analyses.sensitivity import noise_floor, sensitivity
from enforcesim.reports.flagship_results import MAIN
from enforcesim.reports.flagship_sobol import docs_block, markdown, read_published
from enforcesim.studies.flagship import FULL, LIBRARY, derived_file, read_input
from enforcesim.study import StudyError, render

# --- the published artefact ----------------------------------------------------------------------
#
# docs/data/flagship-sobol/ holds the N = 256 analysis of the main scenario; these tests fail
# when the scenario changes without a rerun (`PYTHONPATH=src python scripts/flagship_sobol.py
# --n 256`, or `--from` the folder of a finished `enforcesim sensitivity` run).


@pytest.fixture(scope="module")
def published():
    pub = read_published()
    assert pub is not None, "docs/data/flagship-sobol/summary.json is missing"
    return pub


def test_the_published_analysis_is_of_the_current_main_scenario(published):
    """If the main scenario changes, this fails until scripts/flagship_sobol.py is rerun."""
    text = derived_file(read_input(LIBRARY / f"{MAIN}.toml"), FULL.sobol_days, None)
    assert published.summary["scenario_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert (published.folder / "scenario.toml").read_text() == text
    assert published.summary["horizon_days"] == FULL.sobol_days


def test_the_published_analysis_is_at_n_256_or_more(published):
    s = published.summary
    assert not s.get("placeholder"), f"placeholder artefact: {s['placeholder']}"
    assert s["n"] >= 256
    assert s["runs"] == s["n"] * (len(s["inputs"]) + 2)
    assert s["replicates_per_point"] == 1
    assert s["wall_time_s"] > 0 and s["machine"] and s["date"]


def test_every_uncertain_input_and_the_noise_floor_are_published(published):
    main = tomllib.loads((LIBRARY / f"{MAIN}.toml").read_text())
    inputs = set(main["uncertainty"])
    assert inputs == set(published.summary["inputs"])
    metrics = published.summary["metrics"]
    for m in metrics:
        rows = published.indices[published.indices["metric"] == m]
        assert set(rows["input"]) == inputs, m
        assert rows[["S1", "S1_conf", "ST", "ST_conf"]].notna().all().all(), m
    noise = published.noise.set_index("metric")
    assert list(noise.index) == metrics
    assert (noise["seeds"] >= 2).all()
    assert set(published.summary["noise_floor"]) == set(metrics)
    assert len(published.summary["noise_seeds"]) == noise["seeds"].iloc[0]


def test_the_docs_table_is_rendered_from_the_published_analysis(published):
    """docs/flagship.md's table is `scripts/flagship_sobol.py --docs` of the folder."""
    docs = (ROOT / "docs" / "flagship.md").read_text()
    assert docs_block(docs) == markdown(published)


# --- the noise floor on a small scenario ---------------------------------------------------------
# SMALL_SCENARIO's only uncertain input is the bed-day rate: it changes cost per removal and
# nothing else, so on common random numbers every other metric is the same in every row.


@pytest.fixture(scope="module")
def small_with_noise(tmp_path_factory):
    path = tmp_path_factory.mktemp("noise") / "small.toml"
    path.write_text(SMALL_SCENARIO)
    sa = sensitivity(path, n=4, seed=5, workers=1, noise_seeds=3, metrics=METRICS)
    return path, sa


METRICS = ["cost_per_removal", "removals_per_day"]


def test_k_noise_seeds_are_k_runs_of_the_nominal_point(small_with_noise):
    path, sa = small_with_noise
    assert sa.noise is not None
    assert sa.noise.seeds == [5, 6, 7] and list(sa.noise.runs["seed"]) == [5, 6, 7]
    assert len(sa.samples) == 4 * (1 + 2)  # the noise runs are not in the Sobol sample
    # the nominal point is the median of uniform(130, 225)
    assert sa.noise.nominal == {"costs.bed_day": pytest.approx(177.5)}
    # each noise run is exactly a run of the nominal scenario with that seed
    raw = tomllib.loads(SMALL_SCENARIO)
    raw.pop("uncertainty")
    raw["costs"]["bed_day"] = 177.5
    runs = sa.noise.runs
    for seed, removals in zip(runs["seed"], runs["removals_per_day"], strict=True):
        res = enforcesim.run(enforcesim.parse_scenario(raw), seed=seed, replicates=1)
        assert res.replicate_metrics()["removals_per_day"].mean() == removals
    assert sa.noise.runs["removals_per_day"].nunique() > 1  # the seeds differ


def test_the_noise_runs_do_not_change_the_indices(small_with_noise):
    path, sa = small_with_noise
    plain = sensitivity(path, n=4, seed=5, workers=1, metrics=METRICS)
    assert plain.noise is None
    assert plain.indices.equals(sa.indices)
    assert plain.samples.equals(sa.samples)


def test_a_metric_no_input_changes_has_an_infinite_floor_and_says_so(small_with_noise, tmp_path):
    _, sa = small_with_noise
    table = sa.noise.table.set_index("metric")
    # removals do not depend on the bed-day rate: the same in every row, not across seeds
    assert table.loc["removals_per_day", "var_sample"] == 0
    assert table.loc["removals_per_day", "var_seeds"] > 0
    assert math.isinf(table.loc["removals_per_day", "noise_floor"])
    assert any("removals_per_day: no input changes it" in n for n in sa.notes)
    cost = table.loc["cost_per_removal"]
    assert cost["var_seeds"] == pytest.approx(np.var(sa.noise.runs["cost_per_removal"], ddof=1))
    assert cost["noise_floor"] == pytest.approx(cost["var_seeds"] / cost["var_sample"])
    out = sa.write(tmp_path / "sa")
    man = json.loads((out / "manifest.json").read_text())
    assert man["noise_seeds"] == [5, 6, 7]
    assert man["noise_floor"]["removals_per_day"] is None  # JSON has no infinity
    assert man["noise_floor"]["cost_per_removal"] == pytest.approx(cost["noise_floor"])
    assert pd.read_csv(out / "noise.csv").equals(sa.noise.table)
    html = render(out).read_text()
    assert ">Noise floor</h2>" in html and "run with 3 seeds (5, 6, 7)" in html


def test_a_floor_from_a_finished_sample_equals_the_one_run_with_it(small_with_noise):
    path, sa = small_with_noise
    again = noise_floor(path, sa.samples, metrics=METRICS, seed=5, noise_seeds=3, workers=1)
    assert again.table.equals(sa.noise.table)
    with pytest.raises(StudyError, match="--noise-seeds 1: must be 0"):
        noise_floor(path, sa.samples, metrics=METRICS, seed=5, noise_seeds=1)


def test_the_floor_divides_by_the_variance_the_indices_are_shares_of():
    """SALib normalises S1 and ST by the variance of the A and B rows (the first and last of
    each block of D + 2 rows), population form; the floor uses the same."""
    d = 2
    y = np.array([1.0, 50.0, 60.0, 3.0, 2.0, 70.0, 80.0, 6.0])  # 2 blocks of A, AB1, AB2, B
    assert sample_variance(y, d) == pytest.approx(np.var([1.0, 3.0, 2.0, 6.0]))
    samples = pd.DataFrame({"x": y, "m": y, "flat": 4.0})
    runs = pd.DataFrame({"seed": [0, 1, 2], "m": [1.0, 2.0, 3.0], "flat": [4.0, 4.0, 4.0]})
    table, notes = floor_table(runs, samples, ["m", "flat"], d)
    t = table.set_index("metric")
    assert t.loc["m", "noise_floor"] == pytest.approx(1.0 / np.var([1.0, 3.0, 2.0, 6.0]))
    assert t.loc["flat", "noise_floor"] == 0.0 and not notes  # no noise, nothing to mistake


def test_the_command_prints_the_floor_and_refuses_one_seed(tmp_path):
    scen = tmp_path / "small.toml"
    scen.write_text(SMALL_SCENARIO)
    r = invoke_study(
        "sensitivity", str(scen), "--out", str(tmp_path / "sa"), "--n", "2",
        "--workers", "1", "--noise-seeds", "2",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "noise floor (variance over 2 seeds" in r.output
    assert (tmp_path / "sa" / "noise.csv").exists()
    r = invoke_study(
        "sensitivity", str(scen), "--out", str(tmp_path / "sb"), "--n", "2", "--noise-seeds", "1"
    )
    assert r.exit_code == 2 and "--noise-seeds 1: must be 0" in r.output
    assert "Traceback" not in r.output
