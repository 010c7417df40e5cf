"""The calibration bootstrap on the execution layer: calls as tasks, refits with their own
random streams, the same draws here, on local workers and on a two-worker Dask cluster
(test_execution.py's fixture), and `calibrate run --cluster` (docs/execution.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import test_execution
from enforcesim.analyses.calibration.bootstrap import bootstrap_fits, plan
from enforcesim.analyses.calibration.fit import bootstrap_refits, fit_agency
from enforcesim.analyses.calibration.status_quo import fit_status_quo
from enforcesim.execution import Call, CallResult, LocalExecutor, TaskFailure
from enforcesim.execution.calls import call_key, execute
from enforcesim.execution.cluster import ClusterExecutor
from enforcesim.execution.executors import ExecutionError
from test_execution import ENV, ROOT

# test_execution.py's fixtures: `enforcesim cluster local --workers 2` and a client of it
cluster = test_execution.cluster
client = test_execution.client

REFITS = 10  # small: each refit is a least-squares fit (~0.1 s)


@pytest.fixture(scope="module")
def fits():
    """The status quo's ICE and CBP window fits (no bootstrap yet)."""
    sq = fit_status_quo("2024-09-30")
    return {a: sq.fits[a] for a in ("ice", "cbp")}


def boot_bytes(fitted) -> dict[str, bytes]:
    return {name: f.boot.tobytes() for name, f in fitted.items()}


def changed_intervals(fitted, gauss_newton) -> list[tuple[str, int]]:
    """(fit, parameter) whose interval the bootstrap widened beyond Gauss-Newton's."""
    return [
        (name, j)
        for name, f in fitted.items()
        for j in range(len(f.theta))
        if f.interval(j) != gauss_newton[name].interval(j)
    ]


# --- calls: the general task kind ---------------------------------------------------------


def test_a_calls_key_changes_with_its_function_arguments_and_package_only():
    base = call_key(np.add, (1, 2), "1.0")
    assert base == call_key(np.add, (1, 2), "1.0")
    changed = [
        call_key(np.subtract, (1, 2), "1.0"),
        call_key(np.add, (1, 3), "1.0"),
        call_key(np.add, (1, 2), "1.1"),
    ]
    assert len({base, *changed}) == 1 + len(changed)
    assert Call(np.add, (1, 2), label="not part of the key").key == call_key(np.add, (1, 2))


def test_a_call_needs_a_function_a_worker_can_import():
    with pytest.raises(ValueError, match="module-level function, got .*<lambda>"):
        Call(lambda: 1)
    got = execute(Call(np.add, (1, 2)))
    assert isinstance(got, CallResult) and got.value == 3


# --- the refits' random streams ----------------------------------------------------------


def test_refits_cut_into_batches_anywhere_equal_the_whole_bootstrap(fits):
    """Refit i draws from SeedSequence(seed, spawn_key=(i,)): a batch's rows do not depend on
    which refits ran before it in the same process (one stream drawn in order would)."""
    f = fits["ice"]
    whole = bootstrap_refits(f, 0, 6, seed=3)
    parts = [bootstrap_refits(f, a, b, seed=3) for a, b in ((4, 6), (0, 1), (1, 4))]
    cut = np.concatenate([parts[1], parts[2], parts[0]])
    assert whole.shape == (6, len(f.theta))
    assert whole.tobytes() == cut.tobytes()
    assert len({row.tobytes() for row in whole}) == 6  # each refit its own resample
    again = fit_agency(f.series, "constant", agency="ice", dist=f.dist, bootstrap=6, seed=3)
    assert again.boot.tobytes() == whole.tobytes()
    assert bootstrap_refits(f, 0, 6, seed=4).tobytes() != whole.tobytes()


def test_the_refits_are_cut_into_batches_for_every_slot(fits):
    planned = plan(fits, 100, 6, 0, slots=2)
    assert [(n, s) for n, s, _ in planned][:3] == [("ice", 0), ("ice", 25), ("ice", 50)]
    assert len(planned) == 8
    assert all(5 <= c.args[2] - c.args[1] <= 25 for _, _, c in planned)
    assert len(plan(fits, 10, 6, 0, slots=64)) == 4  # never under 5 refits a batch


# --- the same draws wherever they run ----------------------------------------------------


def test_the_bootstrap_is_byte_identical_here_on_local_workers_and_on_the_cluster(fits, client):
    here = bootstrap_fits(fits, REFITS, seed=5)
    with LocalExecutor(1) as one:
        on_one = bootstrap_fits(fits, REFITS, seed=5, executor=one)
    with LocalExecutor(2, processes=True) as two:
        on_two = bootstrap_fits(fits, REFITS, seed=5, executor=two)
    events = []
    remote = bootstrap_fits(
        fits, REFITS, seed=5, executor=ClusterExecutor(client), on_progress=events.append
    )
    assert boot_bytes(here) == boot_bytes(on_one) == boot_bytes(on_two) == boot_bytes(remote)
    assert here["ice"].boot.shape == (REFITS, len(fits["ice"].theta))
    last = events[-1]
    assert (last.completed, last.failed, last.total) == (4, 0, 4)
    for name, f in here.items():
        rows = [f.interval(j) for j in range(len(f.theta))]
        assert rows == [remote[name].interval(j) for j in range(len(f.theta))]
    # the draws reach the intervals: without them (Gauss-Newton only) some differ
    assert changed_intervals(here, fits)


def test_a_failed_batch_on_the_cluster_names_itself(fits, client):
    good = Call(bootstrap_refits, (fits["ice"], 0, 2, 6, 0))
    # blocks of 0 months: the refit divides by zero, on every retry
    bad = Call(bootstrap_refits, (fits["ice"], 0, 2, 0, 0), label="bootstrap of ice, refits 0-1")
    got = dict(ClusterExecutor(client).run([good, bad]))
    assert isinstance(got[0], CallResult) and got[0].value.shape == (2, len(fits["ice"].theta))
    assert isinstance(got[1], TaskFailure)
    assert got[1].message().startswith("bootstrap of ice, refits 0-1: ZeroDivisionError")


def test_a_cancelled_bootstrap_gives_no_partial_draws(fits):
    with LocalExecutor(1) as ex:
        with pytest.raises(ExecutionError, match="cancelled") as err:
            bootstrap_fits(fits, REFITS, executor=ex, on_progress=lambda ev: ex.cancel())
    assert err.value.code == 130


# --- the command -------------------------------------------------------------------------


def test_calibrate_run_on_the_cluster_gives_the_local_intervals(cluster, tmp_path):
    from enforcesim.cli import app

    out = tmp_path / "cal"
    r = CliRunner().invoke(
        app,
        ["calibrate", "run", "--bootstrap", str(REFITS), "--seed", "5", "--out", str(out), "-q"],
        env={"ENFORCESIM_CLUSTER": cluster[1]},
    )
    assert r.exit_code == 0, r.output
    assert "calibration runs on this machine" not in r.output
    report = json.loads((out / "report.json").read_text())
    sq = fit_status_quo("2024-09-30")
    here = bootstrap_fits(sq.fits, REFITS, seed=5)
    assert changed_intervals(here, sq.fits)  # else the comparison could not tell
    for row in report["parameters"]:
        f = here[row["agency"]]
        j = {"stay mean (days)": 1, "stay sd (days)": 2, "population at start": 0}
        _, lo, hi = f.interval(j[row["parameter"]])
        digits = 0 if row["parameter"] == "population at start" else 1
        assert (row["lo95"], row["hi95"]) == (round(lo, digits), round(hi, digits)), row


def test_calibrate_run_refuses_an_unreachable_cluster_within_a_minute(tmp_path):
    out = tmp_path / "cal"
    proc = subprocess.run(
        [sys.executable, "-m", "enforcesim.cli", "calibrate", "run", "--bootstrap", "2"]
        + ["--out", str(out), "--cluster", "tcp://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**ENV, "ENFORCESIM_CLUSTER_TIMEOUT": "5"},
        cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert "--cluster tcp://127.0.0.1:1: no scheduler answered within 5 s" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_calibrate_run_refuses_a_bad_workers_count(tmp_path):
    from enforcesim.cli import app

    r = CliRunner().invoke(
        app, ["calibrate", "run", "--workers", "0", "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 2
    assert "--workers = 0: must be >= 1" in r.output
    assert isinstance(r.exception, SystemExit)
    assert not (tmp_path / "o").exists()
