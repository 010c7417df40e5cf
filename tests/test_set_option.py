"""`--set PATH=VALUE` and `run(overrides=...)`: a value set on the command line is applied to
the file's values before validation, checked exactly like the file, named in the error as
`FILE: --set PATH`, and recorded in the provenance."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import enforcesim
from enforcesim.cli import app
from enforcesim.errors import ScenarioError
from enforcesim.scenario.overrides import apply, parse_set, parse_sets

SMALL = """
[scenario]
name = "set-small"
days = 30
replicates = 3
seed = 4
[book_ins]
rate_per_day = 20.0
schedule = [ { day = 10, rate_per_day = 25.0 } ]
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


@pytest.fixture
def scen(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SMALL)
    return path


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize(
    "spec, path, value",
    [
        ("detention.beds=80000", "detention.beds", 80000),
        ("costs.bed_day = 1.5", "costs.bed_day", 1.5),
        ('detention.when_full="wait"', "detention.when_full", "wait"),
        ("detention.when_full=wait", "detention.when_full", "wait"),
        ("detention.beds=unlimited", "detention.beds", "unlimited"),
        ("book_ins.schedule.0.rate_per_day=30", "book_ins.schedule.0.rate_per_day", 30),
        ("targets.removals_per_day=1e3", "targets.removals_per_day", 1000.0),
        ("x.y=[1, 2]", "x.y", [1, 2]),
        (
            'detention.length_of_stay={ dist = "exponential", mean = 3.0 }',
            "detention.length_of_stay",
            {"dist": "exponential", "mean": 3.0},
        ),
        ('uncertainty."costs.bed_day".high=120', 'uncertainty."costs.bed_day".high', 120),
    ],
)
def test_parse_set_reads_toml_values(spec, path, value):
    assert parse_set(spec) == (path, value)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("foo", "--set foo: give PATH=VALUE"),
        ("=3", "--set =3: give PATH=VALUE"),
        ("a..b=3", "is not a dotted key"),
        ("detention.beds=1x2", "is not a TOML value"),
        ("detention.beds=", "is not a TOML value"),
    ],
)
def test_parse_set_refuses_what_is_not_path_equals_value(spec, expected):
    with pytest.raises(ScenarioError) as exc:
        parse_sets([spec], "f.toml")
    assert str(exc.value).startswith("f.toml: --set ") and expected in str(exc.value)


def test_apply_sets_values_creates_tables_and_fixes_set_uncertain_values():
    raw = {"detention": {"beds": 1}, "uncertainty": {"detention.beds": {"dist": "uniform"}}}
    out = apply(raw, {"detention.beds": 5, "targets.removals_per_day": 9.0})
    assert out["detention"]["beds"] == 5 and out["targets"] == {"removals_per_day": 9.0}
    assert out["uncertainty"] == {}  # a set value is fixed, not drawn
    assert raw["detention"]["beds"] == 1 and "detention.beds" in raw["uncertainty"]


def test_api_run_applies_overrides_and_records_them(scen):
    plain = enforcesim.run(scen, workers=1)
    changed = enforcesim.run(
        scen, workers=1, overrides={"detention.beds": 10, "costs.bed_day": 200.0}
    )
    assert changed.scenario.detention.beds == 10 and changed.scenario.costs.bed_day == 200.0
    assert "costs.bed_day" not in changed.scenario.uncertainty
    s = changed.summary_dict()
    assert s["provenance"]["overrides"] == {"detention.beds": 10, "costs.bed_day": 200.0}
    assert "overrides" not in plain.summary_dict()["provenance"]
    assert (
        s["metrics"]["turned_away_per_day"]["mean"]
        > plain.summary_dict()["metrics"]["turned_away_per_day"]["mean"]
    )


def test_cli_run_set_is_applied_and_recorded_in_summary_json(scen, tmp_path):
    out = tmp_path / "o"
    r = invoke(
        "run", scen, "--out", out, "-q", "--workers", "1",
        "--set", "detention.beds=10", "--set", "detention.when_full=wait",
        "--set", "scenario.days=20",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["overrides"] == {
        "detention.beds": 10,
        "detention.when_full": "wait",
        "scenario.days": 20,
    }
    assert summary["metrics"]["waiting_for_bed"]["mean"] > 0  # "wait" queues
    assert summary["metrics"]["turned_away_per_day"]["mean"] == 0


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("detention.bedz=1", ": --set detention.bedz: unknown key; valid keys in [detention]"),
        ("detention.beds=-5", ": --set detention.beds = -5: must be"),
        ('detention.beds="many"', ': --set detention.beds = "many": must be'),
        ("detention.beds.x=1", ": --set detention.beds.x: detention.beds is a value"),
        ("book_ins.schedule.4.rate_per_day=1", "book_ins.schedule is an array of 1 item(s)"),
        ("nosuch.key=1", ": --set nosuch.key: nosuch: unknown section"),
    ],
)
def test_cli_run_bad_set_names_file_and_option_and_exits_2(scen, tmp_path, spec, expected):
    r = invoke("run", scen, "--out", tmp_path / "o", "-q", "--set", spec)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"{scen}") and expected in r.stderr, r.stderr
    assert "Traceback" not in r.output and not (tmp_path / "o").exists()


def test_cli_run_bad_syntax_exits_2(scen, tmp_path):
    r = invoke("run", scen, "--out", tmp_path / "o", "--set", "foo")
    assert r.exit_code == 2 and "--set foo: give PATH=VALUE" in r.stderr


def test_a_problem_the_file_does_not_have_says_it_comes_with_the_overrides(scen, tmp_path):
    # a shorter horizon puts the file's schedule (day 10) out of range: reported at the
    # schedule's key, with the --set that caused it
    r = invoke("run", scen, "--out", tmp_path / "o", "--set", "scenario.days=5")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"{scen}: book_ins.schedule")
    assert r.stderr.rstrip().endswith("(with --set scenario.days)"), r.stderr


def test_compare_applies_set_to_every_scenario_and_records_it(scen, tmp_path):
    other = tmp_path / "b.toml"
    other.write_text(SMALL.replace("set-small", "set-other").replace("beds = 150", "beds = 90"))
    out = tmp_path / "cmp"
    r = invoke(
        "compare", scen, other, "--out", out, "-q", "--workers", "1",
        "--set", "book_ins.rate_per_day=40",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == {"book_ins.rate_per_day": 40}
    for run in manifest["scenarios"]:
        s = json.loads((out / run["run"] / "summary.json").read_text())
        assert s["provenance"]["overrides"] == {"book_ins.rate_per_day": 40}
        # 40 a day until day 10, then 25: about 30 (23.3 without --set)
        assert s["metrics"]["book_ins_per_day"]["mean"] > 27


def test_sweep_refuses_a_path_both_set_and_varied(scen, tmp_path):
    r = invoke(
        "sweep", scen, "--vary", "detention.beds=100,200", "--out", tmp_path / "sw",
        "--set", "detention.beds=50",
    )  # fmt: skip
    assert r.exit_code == 2 and "--vary detention.beds: also given by --set" in r.stderr


def test_sweep_records_set_in_its_manifest(scen, tmp_path):
    r = invoke(
        "sweep", scen, "--vary", "detention.beds=100,200", "--out", tmp_path / "sw", "-q",
        "--workers", "1", "--set", "scenario.days=15",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "sw" / "manifest.json").read_text())
    assert manifest["overrides"] == {"scenario.days": 15}
    # a rerun with another --set is a different sweep, not a resume
    r = invoke(
        "sweep", scen, "--vary", "detention.beds=100,200", "--out", tmp_path / "sw", "-q",
        "--set", "scenario.days=16",
    )  # fmt: skip
    assert r.exit_code == 2 and "holds a different sweep" in r.stderr


def test_sensitivity_set_changes_an_uncertainty_range(scen, tmp_path):
    r = invoke(
        "sensitivity", scen, "--out", tmp_path / "sa", "-q", "--n", "4", "--workers", "1",
        "--set", 'uncertainty."costs.bed_day".high=300',
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "sa" / "manifest.json").read_text())
    assert manifest["inputs"]["costs.bed_day"]["high"] == 300
    assert manifest["overrides"] == {'uncertainty."costs.bed_day".high': 300}
