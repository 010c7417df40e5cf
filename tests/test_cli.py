"""The command line end to end: a run writes the contract's files atomically; `show` reads
them; the shared contract checker finds no problem."""

from __future__ import annotations

import json
import subprocess

import pyarrow.parquet as pq
import pytest

import enforcesim
from builders import EXE, ROOT, run_exe
from enforcesim.results import DAILY_COLUMNS, METRICS

SMALL = """
[scenario]
name = "cli-small"
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
[targets]
book_ins_per_day = 19.0
"""


def test_run_writes_summary_and_daily(tmp_path, write_toml):
    scen = write_toml(SMALL)
    r = run_exe("run", str(scen), "--out", str(tmp_path / "o"), "--workers", "2")
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["contract"] == 1 and summary["scenario"] == "cli-small"
    assert summary["replicates"] == 3 and summary["seed"] == 4
    assert set(summary["metrics"]) == set(METRICS)
    assert summary["targets"]["book_ins_per_day"]["target"] == 19.0
    assert "process noise only" in summary["interval"]["kind"]
    table = pq.read_table(tmp_path / "o" / "daily.parquet")
    # the contract's columns first, in order; later columns are extensions (issue 6)
    assert table.column_names[: len(DAILY_COLUMNS)] == DAILY_COLUMNS and table.num_rows == 3 * 30
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # the two files tell the same story: each flow's daily counts, summed over the 30 days of
    # a replicate, give that replicate's rate; the summary's mean is their mean over the 3
    daily = table.to_pandas()
    assert sorted(daily["replicate"].unique()) == [0, 1, 2] and set(daily["day"]) == set(range(30))
    per_replicate = daily.groupby("replicate").sum() / 30
    for flow in ("book_ins", "admitted", "turned_away", "removals", "releases"):
        mean = summary["metrics"][f"{flow}_per_day"]["mean"]
        assert mean == pytest.approx(per_replicate[flow].mean(), rel=1e-12), flow
    met = (per_replicate["book_ins"] >= 19.0).mean()
    assert summary["targets"]["book_ins_per_day"]["probability_met"] == met
    shown = run_exe("show", str(tmp_path / "o"))
    assert shown.returncode == 0
    # `show` prints the summary's numbers, not others: mean, 2.5% and 97.5% to 3 decimals
    row = next(ln for ln in shown.stdout.splitlines() if " book_ins_per_day " in ln)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    b = summary["metrics"]["book_ins_per_day"]
    assert cells[:4] == ["book_ins_per_day", *(f"{b[k]:.3f}" for k in ("mean", "lo", "hi"))]
    assert "process noise only" in shown.stdout


def test_seed_and_replicates_options_override_the_file(tmp_path, write_toml):
    scen = write_toml(SMALL)
    r = run_exe(
        "run", str(scen), "--out", str(tmp_path / "o"), "--seed", "9", "--replicates", "2", "-q"
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["seed"] == 9 and summary["replicates"] == 2
    # the numbers are those of that seed and replicate count, not the file's
    api = enforcesim.run(scen, seed=9, replicates=2, workers=1).summary_dict()
    assert summary["metrics"] == json.loads(json.dumps(api["metrics"]))
    assert (
        summary["metrics"] != json.loads(json.dumps(enforcesim.run(scen).summary_dict()))["metrics"]
    )


def test_a_failed_write_leaves_the_previous_results_untouched(tmp_path, write_toml, monkeypatch):
    scen = write_toml(SMALL)
    out = tmp_path / "o"
    enforcesim.run(scen, workers=1).write(out)
    before = (out / "summary.json").read_text()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("enforcesim.results.pq.write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        enforcesim.run(scen, seed=5, workers=1).write(out)
    assert (out / "summary.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "s.toml"]
    monkeypatch.undo()
    fresh = tmp_path / "fresh"
    with pytest.raises(OSError):
        monkeypatch.setattr("enforcesim.results.pq.write_table", boom)
        enforcesim.run(scen, workers=1).write(fresh)
    assert not fresh.exists()


@pytest.mark.skipif(
    not (ROOT.parent / "shared" / "tools" / "check-contract").exists(),
    reason="../shared is not beside the checkout",
)
def test_shared_contract_checker_finds_no_problem():
    r = subprocess.run(
        [str(ROOT.parent / "shared" / "tools" / "check-contract"), str(EXE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "contract shape: 0 problem(s)" in r.stdout
