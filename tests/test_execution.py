"""The execution layer: tasks, their content key, the local and the Dask executors, and sweeps
on a two-worker cluster started through `enforcesim cluster local` (docs/execution.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from builders import SMALL_SCENARIO
from enforcesim.cli.study import register
from enforcesim.errors import ScenarioError
from enforcesim.execution import LocalExecutor, Task, TaskFailure, resolve, run_task, task_key
from enforcesim.execution.cluster import ClusterExecutor, check_workers, connect
from enforcesim.execution.executors import ExecutionError
from enforcesim.scenario import parse_scenario
from enforcesim.study import parse_vary, read_sweep, sweep

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
GRID = "detention.beds=200,260,320,380"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_SCENARIO)
    return path


def cli(*args: str, env: dict[str, str] | None = None):
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return CliRunner().invoke(app, list(args), env=env)


def points(folder: Path) -> dict[str, dict]:
    """Every point file of a sweep, without where it ran."""
    out = {}
    for p in sorted((folder / "points").glob("*.json")):
        data = json.loads(p.read_text())
        assert data.pop("provenance")["tasks"]
        out[p.name] = data
    return out


@pytest.fixture(scope="module")
def cluster():
    """`enforcesim cluster local --workers 2` in a subprocess: (process, address)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "enforcesim.cli", "cluster", "local", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    try:
        yield proc, address
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)


@pytest.fixture(scope="module")
def client(cluster):
    c = connect(cluster[1])
    yield c
    c.close()


# --- tasks and their key ---------------------------------------------------------------------


def test_the_task_key_changes_with_each_input_and_only_then():
    sc = parse_scenario(__import__("tomllib").loads(SMALL_SCENARIO))
    data = resolve(sc, 7, 4)
    base = task_key(data, 7, 0, 4, "1.0", "manifest:a")
    assert base == task_key(resolve(sc, 7, 4), 7, 0, 4, "1.0", "manifest:a")
    other = resolve(sc, 7, 4)
    other["detention"]["beds"] = 261
    changed = [
        task_key(other, 7, 0, 4, "1.0", "manifest:a"),
        task_key(data, 8, 0, 4, "1.0", "manifest:a"),
        task_key(data, 7, 1, 4, "1.0", "manifest:a"),
        task_key(data, 7, 0, 3, "1.0", "manifest:a"),
        task_key(data, 7, 0, 4, "1.1", "manifest:a"),
        task_key(data, 7, 0, 4, "1.0", "manifest:b"),
    ]
    assert len({base, *changed}) == 1 + len(changed)
    assert Task(data, 7, 0, 4).key == task_key(data, 7, 0, 4)


def test_a_run_cut_into_ranges_anywhere_equals_the_whole_run():
    sc = parse_scenario(__import__("tomllib").loads(SMALL_SCENARIO))
    data = resolve(sc, 7, 4)
    whole = run_task(Task(data, 7, 0, 4))
    parts = [run_task(Task(data, 7, a, b)) for a, b in ((2, 4), (0, 1), (1, 2))]
    cut = sorted((o for p in parts for o in p.outputs), key=lambda o: o.replicate)
    assert [o.replicate for o in cut] == [0, 1, 2, 3]
    for a, b in zip(whole.outputs, cut, strict=True):
        assert np.array_equal(a.daily, b.daily) and np.array_equal(a.acc, b.acc)
        assert a.drawn == b.drawn


# --- the cluster ---------------------------------------------------------------------------


def test_cluster_local_prints_its_address_first(cluster):
    proc, address = cluster
    assert proc.poll() is None
    assert address.startswith("tcp://127.0.0.1:"), address


def test_a_sweep_on_the_cluster_equals_the_local_sweep(cluster, small, tmp_path):
    args = ["sweep", str(small), "--vary", GRID, "--replicates", "4", "-q"]
    local = cli(*args, "--out", str(tmp_path / "local"), "--workers", "1")
    assert local.exit_code == 0, local.output
    remote = cli(*args, "--out", str(tmp_path / "cluster"), env={"ENFORCESIM_CLUSTER": cluster[1]})
    assert remote.exit_code == 0, remote.output
    assert len(points(tmp_path / "local")) == 4
    assert points(tmp_path / "cluster") == points(tmp_path / "local")
    assert (tmp_path / "cluster" / "grid.csv").read_bytes() == (
        tmp_path / "local" / "grid.csv"
    ).read_bytes()
    ran = json.loads((tmp_path / "cluster" / "points" / "00000.json").read_text())["provenance"]
    assert ran["executor"] == "dask" and ran["scheduler"] == cluster[1]


def test_a_worker_killed_mid_sweep_loses_nothing(client, small, tmp_path):
    axes = [parse_vary("detention.beds=200,230,260,290,320,350")]
    before = client.run(os.getpid)
    killed = []

    def kill_a_worker(done: int, total: int, skipped: bool) -> None:
        if not killed:
            pid = sorted(before.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    sweep(
        small,
        axes,
        tmp_path / "cluster",
        replicates=4,
        executor=ClusterExecutor(client),
        on_point=kill_a_worker,
    )
    sweep(small, axes, tmp_path / "local", replicates=4, workers=1)
    assert killed and killed[0] not in client.run(os.getpid).values()
    assert len(points(tmp_path / "cluster")) == 6
    assert points(tmp_path / "cluster") == points(tmp_path / "local")


def test_a_sweep_interrupted_on_the_cluster_resumes_locally(client, small, tmp_path):
    axes = [parse_vary(GRID)]

    def stop_after_first(done: int, total: int, skipped: bool) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(
            small,
            axes,
            tmp_path / "a",
            replicates=4,
            executor=ClusterExecutor(client),
            on_point=stop_after_first,
        )
    assert 1 <= len(points(tmp_path / "a")) < 4
    resumed = sweep(small, axes, tmp_path / "a", replicates=4, workers=1)
    assert resumed.skipped and resumed.ran
    sweep(small, axes, tmp_path / "b", replicates=4, workers=1)
    assert points(tmp_path / "a") == points(tmp_path / "b")
    assert read_sweep(tmp_path / "a")["table"].equals(read_sweep(tmp_path / "b")["table"])


def test_a_task_fails_with_the_scenarios_own_error(client):
    sc = parse_scenario(__import__("tomllib").loads(SMALL_SCENARIO))
    bad = resolve(sc, 7, 2)
    bad["detention"]["beds"] = -5
    with pytest.raises(ScenarioError) as local:
        parse_scenario(bad, "small.toml")
    events = []
    tasks = [Task(resolve(sc, 7, 2), 7, 0, 2, "small.toml"), Task(bad, 7, 0, 2, "small.toml")]
    got = dict(ClusterExecutor(client).run(tasks, events.append))
    assert not isinstance(got[0], TaskFailure) and len(got[0].outputs) == 2
    assert isinstance(got[1], TaskFailure)
    assert got[1].message() == str(local.value)
    assert "detention.beds = -5" in got[1].message()
    last = events[-1]
    assert (last.completed, last.failed, last.total, last.remaining) == (1, 1, 2, 0)


class LostThenRecomputed:
    """A Dask future as the client sees it when its worker dies just after the task
    finished: as_completed has yielded it, its status is no longer "finished" (the result
    was lost and the scheduler computes it again), and result() waits for the new one."""

    def __init__(self, key: str, value):
        self.key, self.value, self.status = key, value, "lost"

    def result(self):
        return self.value

    def exception(self):
        return None


class FailingFuture(LostThenRecomputed):
    def __init__(self, key: str):
        super().__init__(key, None)
        self.status = "error"

    def result(self):
        raise RuntimeError("disk full on the worker")


def test_a_result_lost_with_its_worker_after_the_task_finished_is_not_a_failure(monkeypatch):
    """The race a CI run met: the futures' status read after as_completed is not the
    outcome. Stand-ins for the client and as_completed, so the order is fixed."""
    import distributed

    sc = parse_scenario(__import__("tomllib").loads(SMALL_SCENARIO))
    tasks = [Task(resolve(sc, 7, 2), 7, 0, 1), Task(resolve(sc, 7, 2), 7, 1, 2)]
    done = run_task(tasks[0])

    class Client:
        loop = None

        def map(self, fn, work, key, **kw):
            return [LostThenRecomputed(key[0], done), FailingFuture(key[1])]

        def cancel(self, futures):
            raise AssertionError("nothing is left to cancel")

    monkeypatch.setattr(distributed, "as_completed", lambda futures, loop=None: iter(futures))
    ex = ClusterExecutor(Client())
    monkeypatch.setattr(ClusterExecutor, "slots", property(lambda self: 2))
    got = dict(ex.run(tasks))
    assert got[0] is done
    assert isinstance(got[1], TaskFailure)
    assert got[1].message() == "RuntimeError: disk full on the worker"


def test_workers_with_other_versions_are_refused(client):
    from enforcesim.execution.tasks import environment

    check_workers(client)
    for name in ("enforcesim", "numpy", "numba", "scipy"):
        with pytest.raises(ExecutionError, match=f"refused: it has {name} "):
            check_workers(client, {**environment(), name: "0.0.0"})


def test_a_malformed_cluster_address_is_refused(small, tmp_path):
    r = cli("sweep", str(small), "--vary", GRID, "--out", str(tmp_path / "out"), "--cluster", "foo")
    assert r.exit_code == 2
    assert isinstance(r.exception, SystemExit)
    assert "--cluster 'foo': not a cluster address; expected tcp://HOST:PORT" in r.output
    assert not (tmp_path / "out" / "points").exists()


def test_an_unreachable_cluster_is_refused_within_the_timeout(small, tmp_path):
    says = "--cluster tcp://127.0.0.1:1: no scheduler answered within 5 s"
    proc = subprocess.run(
        [sys.executable, "-m", "enforcesim.cli", "sweep", str(small), "--vary", GRID]
        + ["--out", str(tmp_path / "out"), "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**ENV, "ENFORCESIM_CLUSTER": "tcp://127.0.0.1:1", "ENFORCESIM_CLUSTER_TIMEOUT": "5"},
    )
    assert proc.returncode == 2, proc.stderr
    assert says in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "points").exists()


@pytest.fixture
def other(tmp_path: Path) -> Path:
    path = tmp_path / "fewer-beds.toml"
    path.write_text(
        SMALL_SCENARIO.replace('name = "small"', 'name = "fewer-beds"').replace("= 260", "= 200")
    )
    return path


def summaries(folder: Path) -> dict[str, dict]:
    """Each compared run's summary.json, without the provenance block."""
    out = {}
    for p in sorted((folder / "runs").glob("*/summary.json")):
        data = json.loads(p.read_text())
        data.pop("provenance")
        out[p.parent.name] = data
    return out


def test_a_comparison_on_the_cluster_equals_the_local_one(cluster, small, other, tmp_path):
    args = ["compare", str(small), str(other), "--replicates", "4", "-q"]
    local = cli(*args, "--out", str(tmp_path / "local"), "--workers", "1")
    assert local.exit_code == 0, local.output
    remote = cli(*args, "--out", str(tmp_path / "cluster"), "--cluster", cluster[1])
    assert remote.exit_code == 0, remote.output
    got, want = summaries(tmp_path / "cluster"), summaries(tmp_path / "local")
    assert set(want) == {"small", "fewer-beds"}
    assert got == want
    assert "central" in want["small"]  # the central run is fanned out too
    for name in ("comparison.csv", "differences.csv"):
        assert (tmp_path / "cluster" / name).read_bytes() == (
            tmp_path / "local" / name
        ).read_bytes()


def test_a_sobol_study_on_the_cluster_equals_the_local_one(cluster, small, tmp_path):
    args = ["sensitivity", str(small), "--n", "4", "--resamples", "20", "-q"]
    local = cli(*args, "--out", str(tmp_path / "local"), "--workers", "1")
    assert local.exit_code == 0, local.output
    remote = cli(*args, "--out", str(tmp_path / "cluster"), env={"ENFORCESIM_CLUSTER": cluster[1]})
    assert remote.exit_code == 0, remote.output
    for name in ("indices.csv", "samples.csv", "noise.csv"):
        assert (tmp_path / "cluster" / name).read_bytes() == (
            tmp_path / "local" / name
        ).read_bytes()
    assert len((tmp_path / "local" / "samples.csv").read_text().splitlines()) == 1 + 4 * 3
    ran = json.loads((tmp_path / "cluster" / "manifest.json").read_text())["provenance"]
    assert ran == {"executor": "dask", "scheduler": cluster[1]}
    here = json.loads((tmp_path / "local" / "manifest.json").read_text())["provenance"]
    assert here["executor"] == "local-threads"


def test_the_quick_flagship_study_runs_on_the_cluster(cluster, tmp_path):
    out = tmp_path / "flagship"
    r = cli("study", "flagship", "--quick", "--out", str(out), "-q", "--cluster", cluster[1])
    assert r.exit_code == 0, r.output
    assert (out / "report.html").exists()
    point = json.loads(next((out / "sweep" / "points").glob("*.json")).read_text())
    assert point["provenance"]["executor"] == "dask"
    sobol = json.loads((out / "sensitivity" / "manifest.json").read_text())
    assert sobol["provenance"]["scheduler"] == cluster[1]


@pytest.mark.parametrize(
    "command",
    [
        ["compare", "{small}", "{small}"],
        ["sensitivity", "{small}", "--out", "{out}"],
        ["sweep", "{small}", "--vary", GRID, "--out", "{out}"],
        ["study", "flagship", "--quick", "--out", "{out}"],
        ["calibrate", "run", "--bootstrap", "2", "--out", "{out}"],
    ],
    ids=lambda c: " ".join(c[:2]) if c[0] in ("study", "calibrate") else c[0],
)
def test_every_study_command_refuses_a_malformed_cluster_address(command, small, tmp_path):
    from enforcesim.cli import app

    args = [a.format(small=small, out=tmp_path / "out") for a in command]
    r = CliRunner().invoke(app, [*args, "--cluster", "tcp://nohost"])
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit)
    assert "--cluster 'tcp://nohost': not a cluster address" in r.output
    assert not (tmp_path / "out").exists()


def test_the_local_executor_in_processes_gives_the_same_outputs():
    sc = parse_scenario(__import__("tomllib").loads(SMALL_SCENARIO))
    tasks = [Task(resolve(sc, 7, 4), 7, a, a + 2) for a in (0, 2)]
    with LocalExecutor(1, processes=True) as ex:
        got = dict(ex.run(tasks))
    whole = run_task(Task(resolve(sc, 7, 4), 7, 0, 4))
    cut = [o for i in (0, 1) for o in got[i].outputs]
    assert all(np.array_equal(a.daily, b.daily) for a, b in zip(whole.outputs, cut, strict=True))


def test_cluster_local_stops_cleanly_on_ctrl_c(cluster):
    proc, _ = cluster
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), err
    assert "Traceback" not in err
    assert "stopped" in err
