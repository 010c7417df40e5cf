"""Work is bounded before it starts: the estimate of events (workload.py), the limit
(ENFORCESIM_MAX_EVENTS), the refusal of runs, sweeps and Sobol studies beyond it, and
`enforcesim validate`, which checks a file as `run` does and prints the estimate."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import enforcesim
from enforcesim import ScenarioError, parse_scenario
from enforcesim.analyses.sensitivity import sensitivity
from enforcesim.analyses.sweep import parse_vary, sweep
from enforcesim.analyses.workload import DEFAULT_MAX_EVENTS, ENV_MAX_EVENTS, replicate_events
from enforcesim.api import estimate
from enforcesim.bottlenecks import constraint_names
from enforcesim.cli import app

EXE = Path(sys.executable).with_name("enforcesim")
RATE, DAYS, REPS = 20.0, 30, 3
SMALL = f"""
[scenario]
name = "workload-small"
days = {DAYS}
replicates = {REPS}
seed = 4
[book_ins]
rate_per_day = {RATE}
[detention]
beds = 150
when_full = "release"
length_of_stay = {{ dist = "exponential", mean = 5.0 }}
removal_share = 0.5
"""
# Per replicate: the book-ins, and one event per day boundary (no departures here).
SMALL_PER_REPLICATE = RATE * DAYS + DAYS
SMALL_EVENTS = REPS * SMALL_PER_REPLICATE


@pytest.fixture(autouse=True)
def _default_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_MAX_EVENTS, raising=False)


def _file(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kw: object) -> None:
        raise AssertionError("a simulation started")

    monkeypatch.setattr("enforcesim.analyses.runs.run_replicates", fail)
    monkeypatch.setattr("enforcesim.bottlenecks.run_replicates", fail)


def test_estimate_counts_rates_days_and_replicates(tmp_path: Path) -> None:
    work = estimate(_file(tmp_path, SMALL), workers=1)
    assert work.events_per_replicate == pytest.approx(SMALL_PER_REPLICATE)
    assert work.events == pytest.approx(SMALL_EVENTS)
    assert (work.replicates, work.runs) == (REPS, 1)
    assert estimate(_file(tmp_path, SMALL), replicates=7, workers=1).events == pytest.approx(
        7 * SMALL_PER_REPLICATE
    )


def test_estimate_counts_warmup_schedules_streams_initial_and_departures(tmp_path: Path) -> None:
    text = """
[scenario]
name = "parts"
days = 100
warmup_days = 50
[book_ins.streams.a]
rate_per_day = 10.0
schedule = [ { day = 40, rate_per_day = 30.0 } ]
[book_ins.streams.b]
rate_per_day = 5.0
[detention]
beds = 1000
when_full = "release"
length_of_stay = { dist = "exponential", mean = 5.0 }
removal_share = 0.5
initial_detained = 200
[transport]
departures_per_day = 2.0
seats_per_departure = 50
"""
    sc = parse_scenario(tomllib.loads(text), "parts")
    arrivals = 10.0 * (50 + 40) + 30.0 * 60 + 5.0 * 150
    assert replicate_events(sc) == pytest.approx(arrivals + 200 + 150 * (1 + 2.0))


def test_estimate_takes_uncertain_rates_at_their_upper_bound(tmp_path: Path) -> None:
    text = (
        SMALL
        + '[uncertainty]\n"book_ins.rate_per_day" = { dist = "uniform", low = 10.0, high = 40.0 }\n'
    )
    work = estimate(_file(tmp_path, text), workers=1)
    assert work.events_per_replicate == pytest.approx(40.0 * DAYS + DAYS)


def test_over_the_limit_a_run_is_refused_with_the_estimate_and_how_to_raise_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, SMALL)
    monkeypatch.setenv(ENV_MAX_EVENTS, str(SMALL_EVENTS / 2))
    _no_simulation(monkeypatch)
    with pytest.raises(ScenarioError) as info:
        enforcesim.run(path, workers=1)
    [line] = [str(p) for p in info.value.problems]
    assert line.startswith(f"{path}: scenario: this run would simulate about ")
    assert f"{SMALL_EVENTS:.3g} events ({SMALL_PER_REPLICATE:.3g} per replicate x 3 " in line
    assert f"more than the limit of {SMALL_EVENTS / 2:.3g}" in line
    assert f"raise the limit with {ENV_MAX_EVENTS}=" in line


def test_raising_the_limit_lets_the_run_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_MAX_EVENTS, str(SMALL_EVENTS))
    results = enforcesim.run(_file(tmp_path, SMALL), workers=1)
    assert results.summary_dict()["replicates"] == REPS


def test_a_bad_limit_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_MAX_EVENTS, "lots")
    with pytest.raises(ScenarioError) as info:
        enforcesim.run(_file(tmp_path, SMALL), workers=1)
    assert (
        str(info.value) == f'{ENV_MAX_EVENTS} = "lots": must be a number of events > 0, e.g. 1e11'
    )


def test_bottleneck_runs_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Beds and seats both bind: attribution runs the scenario 2^2 times.
    text = SMALL + "[transport]\ndepartures_per_day = 1.0\nseats_per_departure = 5\n"
    path = _file(tmp_path, text)
    names = constraint_names(enforcesim.load_scenario(path))
    assert len(names) == 2
    plain = estimate(path, workers=1)
    attributed = estimate(path, workers=1, bottlenecks=True)
    assert attributed.runs == 2 ** len(names)
    assert attributed.events == pytest.approx(4 * plain.events)  # relaxing keeps the arrivals
    monkeypatch.setenv(ENV_MAX_EVENTS, str(2 * plain.events))
    _no_simulation(monkeypatch)
    with pytest.raises(ScenarioError) as info:
        enforcesim.run(path, workers=1, bottlenecks=True)
    assert "x 4 bottleneck runs)" in str(info.value)


def test_a_rate_of_1e300_is_refused_before_any_simulation(tmp_path: Path) -> None:
    path = _file(tmp_path, SMALL.replace(f"rate_per_day = {RATE}", "rate_per_day = 1e300"))
    out = tmp_path / "out"
    r = subprocess.run(
        [str(EXE), "run", str(path), "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert f"about {REPS * 1e300 * DAYS:.3g} events" in r.stderr
    assert f"more than the limit of {DEFAULT_MAX_EVENTS:.3g}" in r.stderr
    assert not out.exists()


def test_a_sweep_beyond_the_limit_is_refused_before_its_first_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, SMALL)
    axis = parse_vary("book_ins.rate_per_day=10,20")
    points = REPS * ((10.0 + 20.0) * DAYS + 2 * DAYS)
    monkeypatch.setenv(ENV_MAX_EVENTS, str(points - 1))
    _no_simulation(monkeypatch)
    with pytest.raises(ScenarioError) as info:
        sweep(path, [axis], tmp_path / "sweep")
    assert f"this sweep would simulate about {points:.3g} events in 2 runs" in str(info.value)
    assert not (tmp_path / "sweep").exists()


def test_a_sobol_study_beyond_the_limit_is_refused_before_its_first_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        SMALL
        + '[uncertainty]\n"book_ins.rate_per_day" = { dist = "uniform", low = 10.0, high = 40.0 }\n'
    )
    monkeypatch.setenv(ENV_MAX_EVENTS, "1000")
    _no_simulation(monkeypatch)
    with pytest.raises(ScenarioError) as info:
        sensitivity(_file(tmp_path, text), n=2, replicates=1)
    assert "this Sobol study would simulate about " in str(info.value)
    assert "events in 6 runs" in str(info.value)  # N x (inputs + 2) = 2 x 3


def _cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def test_validate_prints_the_estimate_and_writes_nothing(tmp_path: Path) -> None:
    path = _file(tmp_path, SMALL)
    r = _cli("validate", str(path), "--workers", "1")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"{path}: valid"
    assert lines[1] == (
        f"work: about {SMALL_EVENTS:.3g} events ({SMALL_PER_REPLICATE:.3g} per replicate x "
        f"{REPS} replicate(s))"
    )
    assert lines[2].startswith(f"limit: {DEFAULT_MAX_EVENTS:.3g} events (the default")
    assert lines[3].startswith("time: roughly ") and "rough" in lines[3]
    assert lines[-1].startswith("within the limits")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_validate_gives_the_same_errors_as_run(tmp_path: Path) -> None:
    path = _file(tmp_path, SMALL.replace("removal_share = 0.5", "removal_share = 1.5"))
    checked = _cli("validate", str(path))
    ran = _cli("run", str(path), "--out", str(tmp_path / "out"))
    assert checked.exit_code == ran.exit_code == 2
    assert checked.stderr == ran.stderr and "removal_share = 1.5" in checked.stderr
    assert checked.stdout == "" and not (tmp_path / "out").exists()


def test_validate_says_when_run_would_refuse_the_work(tmp_path: Path) -> None:
    path = _file(tmp_path, SMALL)
    env = {ENV_MAX_EVENTS: "1000"}
    checked = _cli("validate", str(path), "--workers", "1", env=env)
    ran = _cli("run", str(path), "--out", str(tmp_path / "out"), "--workers", "1", env=env)
    assert checked.exit_code == ran.exit_code == 2
    assert checked.stderr == ran.stderr and "more than the limit of 1e+03" in checked.stderr
    assert f"limit: 1e+03 events (set by {ENV_MAX_EVENTS})" in checked.stdout
    assert not (tmp_path / "out").exists()
