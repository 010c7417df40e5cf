"""What a printed number covers: the central run beside every interval, the intervals'
percentiles and kind, one-sided parameter ranges, and the note for too few replicates."""

from __future__ import annotations

import copy
import json
import re

import pytest
from typer.testing import CliRunner

import enforcesim
from enforcesim.central import MIN_REPLICATES, parameter_ranges
from enforcesim.cli import app

# Stays are drawn from 3 to 5 days, and the file's value (5) is the top of that range: a
# one-sided range, under which every replicate's stays are at most the central run's.
UNCERTAIN = {
    "scenario": {"name": "one-sided", "days": 40, "warmup_days": 10, "seed": 2, "replicates": 10},
    "book_ins": {"rate_per_day": 40.0},
    "detention": {
        "beds": 400,
        "when_full": "release",
        "length_of_stay": {"dist": "exponential", "mean": 5.0},
        "removal_share": 0.5,
    },
    "costs": {"bed_day": 150.0},
    "uncertainty": {
        "detention.length_of_stay.mean": {"dist": "uniform", "low": 3.0, "high": 5.0},
        "costs.bed_day": {"dist": "triangular", "low": 100.0, "mode": 150.0, "high": 200.0},
    },
}


def _toml(d: dict) -> str:
    from enforcesim.tomlfile import dumps

    return dumps(d)


def _run_cli(tmp_path, data: dict, *extra: str):
    scen = tmp_path / "s.toml"
    scen.write_text(_toml(data))
    out = tmp_path / "o"
    r = CliRunner().invoke(app, ["run", str(scen), "--out", str(out), "--workers", "1", *extra])
    assert r.exit_code == 0, r.output
    return r.output, json.loads((out / "summary.json").read_text())


def test_the_central_run_is_the_scenario_without_its_draws():
    res = enforcesim.run(UNCERTAIN, workers=1)
    plain = copy.deepcopy(UNCERTAIN)
    del plain["uncertainty"]
    expected = enforcesim.run(plain, workers=1).summary_dict()
    central = res.summary_dict()["central"]
    assert central["metrics"] == {k: v["mean"] for k, v in expected["metrics"].items()}
    assert central["costs"] == {k: v["mean"] for k, v in expected["costs"]["metrics"].items()}
    # the full run's stays are drawn at or below the file's 5 days: its mean is shorter
    full = res.summary_dict()["metrics"]["length_of_stay_days"]["mean"]
    assert full < central["metrics"]["length_of_stay_days"]


def test_no_uncertainty_no_central_run():
    plain = copy.deepcopy(UNCERTAIN)
    del plain["uncertainty"]
    s = enforcesim.run(plain, workers=1).summary_dict()
    assert "central" not in s and "parameters" not in s["interval"]
    s = enforcesim.run(UNCERTAIN, workers=1, central=False).summary_dict()
    assert "central" not in s


def test_one_sided_ranges_are_detected():
    d = copy.deepcopy(UNCERTAIN)
    d["uncertainty"]["detention.removal_share"] = {"dist": "uniform", "low": 0.5, "high": 0.9}
    d["uncertainty"]["book_ins.rate_per_day"] = {"dist": "normal", "mean": 45.0, "sd": 2.0}
    ranges = {r.path: r for r in parameter_ranges(enforcesim.parse_scenario(d))}
    los = ranges["detention.length_of_stay.mean"]
    assert (los.central, los.low, los.high, los.one_sided) == (5.0, 3.0, 5.0, "upper")
    assert (los.centre_kind, los.centre) == ("midpoint", 4.0)
    assert ranges["detention.removal_share"].one_sided == "lower"
    bed = ranges["costs.bed_day"]
    assert bed.one_sided is None and (bed.centre_kind, bed.centre) == ("mode", 150.0)
    # normal: the range is its 2.5-97.5 % quantiles, 45 +- 1.96 x 2; the file's 40 is below
    rate = ranges["book_ins.rate_per_day"]
    assert rate.low == pytest.approx(45 - 1.959964 * 2, abs=1e-4)
    assert rate.high == pytest.approx(45 + 1.959964 * 2, abs=1e-4)
    assert rate.one_sided == "lower"


def test_a_run_with_uncertainty_prints_the_central_run_and_what_the_intervals_cover(tmp_path):
    output, s = _run_cli(tmp_path, UNCERTAIN)
    header = next(line for line in output.splitlines() if "metric" in line)
    assert re.search(r"mean\s*\S\s*central\s*\S\s*2\.5%", header)
    row = next(line for line in output.splitlines() if "length_of_stay_days" in line)
    central = s["central"]["metrics"]["length_of_stay_days"]
    assert f"{central:,.3f}" in row
    flat = " ".join(output.split())
    assert "Intervals: 2.5th-97.5th percentiles over 10 replicates; process noise and" in flat
    assert "Central run (column 'central')" in output
    assert "One-sided ranges" in flat
    assert "detention.length_of_stay.mean 5 (range 3-5, upper end)" in flat
    assert "costs.bed_day" not in flat.split("One-sided ranges")[1]
    assert "not a meaningful interval" not in flat
    # summary.json says the same
    assert s["interval"]["parameters"]["detention.length_of_stay.mean"]["one_sided"] == "upper"
    assert s["interval"]["one_sided"][0].startswith("detention.length_of_stay.mean")
    assert "central_run" in s["interval"] and "note" not in s["interval"]


@pytest.mark.parametrize("replicates", [1, 3])
def test_fewer_than_ten_replicates_say_the_interval_is_not_meaningful(tmp_path, replicates):
    assert replicates < MIN_REPLICATES
    output, s = _run_cli(tmp_path, UNCERTAIN, "--replicates", str(replicates))
    assert "not a meaningful interval" in s["interval"]["note"]
    assert "Note: only" in output and "not a meaningful interval" in " ".join(output.split())
    if replicates == 1:
        iv = s["metrics"]["detained"]
        assert iv["lo"] == iv["mean"] == iv["hi"]  # what the note is there for
        assert "equals the mean" in s["interval"]["note"]


def test_show_prints_the_same_notes_from_the_folder(tmp_path):
    output, _ = _run_cli(tmp_path, UNCERTAIN, "--replicates", "2")
    shown = CliRunner().invoke(app, ["show", str(tmp_path / "o")])
    assert shown.exit_code == 0
    for phrase in ("Central run", "One-sided ranges", "not a meaningful interval"):
        assert phrase in " ".join(shown.output.split()), phrase
