"""The web API (docs/web-api.md): every endpoint, bad input and every limit, in process."""

from __future__ import annotations

import io
import json
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

import enforcesim  # noqa: E402
from enforcesim.web import Settings, create_app  # noqa: E402
from enforcesim.web.jobs import JobManager  # noqa: E402
from enforcesim.web.store import Store  # noqa: E402
from web_support import LIBRARY, NAME, SCENARIOS, TINY, settings, wait_done  # noqa: E402


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings(tmp_path / "web"))) as c:
        yield c


@pytest.fixture
def idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs stay queued: the manager starts no worker."""
    monkeypatch.setattr(JobManager, "start", lambda self: self.store.interrupt_unfinished())


def run_body(**extra: object) -> dict:
    return {"library": NAME, "overrides": dict(TINY), "replicates": 2, **extra}


def direct(overrides: dict, replicates: int = 2, seed: int | None = None) -> dict:
    """The same run made with the Python API, as summary.json holds it."""
    res = enforcesim.run(
        LIBRARY / f"{NAME}.toml",
        overrides=overrides,
        replicates=replicates,
        seed=seed,
        workers=1,
        central=False,
    )
    return json.loads(json.dumps(res.summary_dict(), default=float).replace("NaN", "null"))


def test_scenarios_list_and_levers(client: TestClient) -> None:
    listing = client.get("/api/scenarios").json()
    names = {s["name"] for s in listing}
    assert names == {p.stem for p in LIBRARY.glob("*.toml")}
    assert all(s["title"] for s in listing)
    doc = client.get(f"/api/scenarios/{NAME}").json()
    levers = {lever["id"]: lever for lever in doc["levers"]}
    assert levers["beds"]["value"] == 62913 and levers["beds"]["paths"] == ["detention.beds"]
    assert levers["goal"]["value"] == 3000
    assert {"flights", "seats", "officers", "hires", "buildout", "bed_day", "mix"} <= set(levers)
    text = client.get(f"/api/scenarios/{NAME}/toml").text
    assert text == (LIBRARY / f"{NAME}.toml").read_text()
    assert client.get("/api/scenarios/nope").status_code == 404
    assert client.get("/api/scenarios/..%2F..%2Fpyproject").status_code == 404


def test_run_equals_the_python_api_and_downloads(client: TestClient) -> None:
    r = client.post("/api/runs", json=run_body(seed=3))
    assert r.status_code == 202
    job = wait_done(client.get, f"/api/runs/{r.json()['id']}")
    assert job["status"] == "done" and job["progress"] == 1.0
    want = direct(TINY, seed=3)
    assert job["summary"]["metrics"] == want["metrics"]
    assert job["summary"]["targets"] == want["targets"]
    assert job["headline"]["targets"] == want["targets"]
    assert set(job["binding"]) == {"beds", "seats", "officers", "pool"}
    files = {u.rsplit("/", 1)[1]: u for u in job["files"]}
    assert {"scenario.toml", "summary.json", "daily.csv", "daily.parquet"} <= set(files)
    summary = client.get(files["summary.json"]).json()
    assert summary["metrics"] == want["metrics"]
    parquet = pd.read_parquet(io.BytesIO(client.get(files["daily.parquet"]).content))
    csv = pd.read_csv(io.StringIO(client.get(files["daily.csv"]).text))
    assert len(parquet) == len(csv) == 2 * TINY["scenario.days"]
    toml = tomllib.loads(client.get(files["scenario.toml"]).text)
    assert toml["scenario"]["days"] == TINY["scenario.days"] and toml["scenario"]["seed"] == 3
    # The downloaded file runs to the same numbers.
    again = enforcesim.run(toml, workers=1, central=False).summary_dict()
    assert again["metrics"]["detained"] == want["metrics"]["detained"]
    assert client.get(f"/api/runs/{job['id']}/files/other.txt").status_code == 404
    series = client.get(f"/api/runs/{job['id']}/series").json()["series"]
    assert len(series["detained"]["band"]["mean"]) == 4  # 28 days: 4 weeks
    assert series["arrests"]["goal"] == 3000


def test_same_run_is_answered_from_the_store(client: TestClient) -> None:
    first = client.post("/api/runs", json=run_body()).json()
    wait_done(client.get, f"/api/runs/{first['id']}")
    second = client.post("/api/runs", json=run_body())
    assert second.status_code == 202
    assert second.json()["cached"] is True and second.json()["status"] == "done"
    assert second.json()["id"] != first["id"]
    assert client.get(f"/api/runs/{second.json()['id']}").json()["status"] == "done"


def test_levers_become_overrides(client: TestClient) -> None:
    """The served library is cut to a few days (web_support): no dated event falls inside,
    so the goal lever scales the sources' base attempts by the file's ratio and the mix
    splits them."""
    body = run_body(levers={"beds": 20000, "goal": 2000, "mix": {"at_large": 1}})
    job = wait_done(client.get, f"/api/runs/{client.post('/api/runs', json=body).json()['id']}")
    overrides = job["request"]["overrides"]
    assert overrides["detention.beds"] == 20000
    assert overrides["targets.ice_arrests_per_day"] == 2000
    assert overrides["arrests.sources.at_large.rate_per_day"] > 0
    assert overrides["arrests.sources.jails.rate_per_day"] == 0
    assert job["summary"]["provenance"]["overrides"]["detention.beds"] == 20000
    assert job["summary"]["targets"]["ice_arrests_per_day"]["target"] == 2000


def test_event_driven_levers_set_the_target_and_the_fitted_scalars() -> None:
    """The full library file (dated events): the goal is the target only, each fitted scalar
    the events name is a lever, and a value outside its interval widens the interval (the
    file stays valid) and fixes it (no draw)."""
    from enforcesim.analyses.runs import load
    from enforcesim.web.levers import levers, overrides_for, parse_text

    path = SCENARIOS / f"{NAME}.toml"  # the shipped file, not the served cut
    source = parse_text(path.read_text(), NAME)
    ids = [lever.id for lever in levers(source.raw)]
    assert "mix" not in ids and {"goal", "fitted.theta_q", "fitted.theta_g"} <= set(ids)
    out = overrides_for(source, {"goal": 2000, "fitted.theta_q": 1.0})
    assert out == {
        "targets.ice_arrests_per_day": 2000,
        "fitted.theta_q.value": 1.0,
        "fitted.theta_q.high": 1.0,
    }
    sc, _, _ = load(path, overrides=out)
    assert sc.fitted["theta_q"].value == 1.0
    assert "fitted.theta_q.value" not in sc.uncertainty


SCHEDULED_GOAL = """
[scenario]
name = "scheduled-goal"
days = 30
[arrests]
when_full = "throttle"
[arrests.sources.at_large]
kind = "at_large"
rate_per_day = 100.0
schedule = [ { day = 5, rate_per_day = 330.0 } ]
[arrests.sources.jails]
kind = "custodial"
rate_per_day = 200.0
schedule = [ { day = 5, rate_per_day = 770.0 } ]
[detention]
beds = 5000
when_full = "release"
length_of_stay = { dist = "gamma", mean = 30.0, sd = 30.0 }
[targets]
ice_arrests_per_day = 1000.0
"""


def test_goal_and_mix_levers_on_scheduled_attempts() -> None:
    """A file with hand-written schedules: the goal lever scales the scheduled attempts by the
    file's ratio (1,100 attempted for a goal of 1,000) and splits them by the mix."""
    from enforcesim.web.levers import levers, overrides_for, parse_text

    source = parse_text(SCHEDULED_GOAL, "scheduled-goal")
    ids = [lever.id for lever in levers(source.raw)]
    assert "goal" in ids and "mix" in ids
    out = overrides_for(source, {"goal": 2000, "mix": {"at_large": 1}})
    assert out["targets.ice_arrests_per_day"] == 2000
    assert out["arrests.sources.at_large.schedule.0.rate_per_day"] == pytest.approx(2200)
    assert out["arrests.sources.jails.schedule.0.rate_per_day"] == 0


def test_upload_by_hash(client: TestClient) -> None:
    text = (LIBRARY / "status-quo-fy2024.toml").read_text()
    up = client.post("/api/uploads", json={"scenario_toml": text})
    assert up.status_code == 201
    sha = up.json()["sha256"]
    assert client.get(f"/api/uploads/{sha}").json()["levers"]
    r = client.post("/api/runs", json={"upload": sha, "overrides": {"scenario.days": 20}})
    job = wait_done(client.get, f"/api/runs/{r.json()['id']}")
    assert job["status"] == "done"
    r = client.post("/api/runs", json={"scenario_toml": text, "overrides": {"scenario.days": 20}})
    assert r.json()["upload"] == sha
    assert client.get("/api/uploads/" + "0" * 64).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (run_body(overrides={"detention.beds": -5}), "--set detention.beds"),
        (run_body(overrides={"detention.when_full": "explode"}), "--set detention.when_full"),
        (run_body(levers={"warp": 9}), "levers.warp"),
        (run_body(levers={"beds": "many"}), "levers.beds"),
        ({"scenario_toml": "[scenario\nname="}, "scenario_toml"),
        ({"scenario_toml": "[scenario]\nname = 'x'\ndays = -1\n"}, "scenario.days"),
    ],
)
def test_bad_input_names_the_field(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    problems = r.json()["detail"]["problems"]
    assert any(p["field"] == field for p in problems), problems
    assert all(p["message"] for p in problems)


def test_malformed_requests(client: TestClient) -> None:
    assert client.post("/api/runs", json={"library": "no-such"}).status_code == 404
    both = client.post("/api/runs", json={"library": NAME, "upload": "a" * 64})
    assert both.status_code == 422 and "exactly one" in both.text
    assert client.post("/api/runs", json={"library": "../etc/passwd"}).status_code == 422
    headers = {"content-type": "application/json"}
    assert client.post("/api/runs", content=b"{not json", headers=headers).status_code == 422
    assert client.post("/api/runs", json={"library": NAME, "extra": 1}).status_code == 422
    assert client.get("/api/runs/not-a-job").status_code == 404
    assert client.delete("/api/runs/not-a-job").status_code == 404


def test_limits(tmp_path: Path) -> None:
    app = create_app(
        settings(tmp_path, max_replicates=5, max_days=100, max_events=3e5, max_overrides=3,
                 max_body_bytes=5000, max_sweep_points=3)
    )  # fmt: skip
    with TestClient(app) as c:
        assert c.get("/api/limits").json()["max_replicates"] == 5
        r = c.post("/api/runs", json=run_body(replicates=6))
        assert r.status_code == 422 and r.json()["detail"]["problems"][0]["field"] == "replicates"
        r = c.post("/api/runs", json=run_body(overrides={"scenario.days": 200}))
        assert r.json()["detail"]["problems"][0]["field"] == "scenario.days"
        short = {"scenario.days": 90, "scenario.warmup_days": 5}
        r = c.post("/api/runs", json=run_body(replicates=5, overrides=short))
        assert r.status_code == 422 and "events" in r.json()["detail"]["problems"][0]["message"]
        many = {f"costs.bed_day{i}": 1 for i in range(4)}
        r = c.post("/api/runs", json=run_body(overrides=many))
        assert r.json()["detail"]["problems"][0]["field"] == "overrides"
        big = {"scenario_toml": "#" * 6000}
        assert c.post("/api/runs", json=big).status_code == 413
        sweep = run_body(vary={"detention.beds": [1, 2], "costs.bed_day": [1.0, 2.0]})
        r = c.post("/api/sweeps", json=sweep)
        assert r.status_code == 422 and r.json()["detail"]["problems"][0]["field"] == "vary"


def test_cpu_time_limit_fails_the_job(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, max_cpu_seconds=1e-6))) as c:
        job = wait_done(c.get, f"/api/runs/{c.post('/api/runs', json=run_body()).json()['id']}")
        assert job["status"] == "failed" and "compute" in job["error"]["message"]


def test_queue_depth_answers_429(tmp_path: Path, idle: None) -> None:
    with TestClient(create_app(settings(tmp_path, queue_depth=100))) as c:
        codes = [c.post("/api/runs", json=run_body(seed=i)).status_code for i in range(101)]
        assert codes[:100] == [202] * 100 and codes[100] == 429


def test_cancel_queued_and_running(tmp_path: Path, idle: None) -> None:
    with TestClient(create_app(settings(tmp_path))) as c:
        job_id = c.post("/api/runs", json=run_body()).json()["id"]
        assert c.delete(f"/api/runs/{job_id}").json()["status"] == "cancelled"
        assert c.get(f"/api/runs/{job_id}").json()["status"] == "cancelled"


def test_cancel_running_job_ends_after_its_replicate(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, concurrent_jobs=1, threads_per_job=1))) as c:
        body = {"library": NAME, "replicates": 40, "overrides": {"scenario.days": 300}}
        job_id = c.post("/api/runs", json=body).json()["id"]
        while c.get(f"/api/runs/{job_id}").json()["status"] == "queued":
            time.sleep(0.05)
        r = c.delete(f"/api/runs/{job_id}")
        assert r.status_code == 202
        if r.json()["status"] == "running":
            assert "replicate" in r.json()["note"]
        job = wait_done(c.get, f"/api/runs/{job_id}")
        assert job["status"] == "cancelled" and "summary" not in job


def test_partial_answers_while_running(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, concurrent_jobs=1, threads_per_job=1))) as c:
        body = {"library": NAME, "replicates": 8, "overrides": {"scenario.days": 120}}
        job_id = c.post("/api/runs", json=body).json()["id"]
        seen = None
        while (doc := c.get(f"/api/runs/{job_id}").json())["status"] in ("queued", "running"):
            if doc.get("partial"):
                seen = doc["partial"]
                assert c.get(f"/api/runs/{job_id}/series").status_code == 200
            time.sleep(0.05)
        assert doc["status"] == "done"
        assert seen is not None and 1 <= seen["replicates_done"] < 8


def test_stopping_server_marks_running_job_interrupted(tmp_path: Path) -> None:
    s = settings(tmp_path, concurrent_jobs=1, threads_per_job=1)
    with TestClient(create_app(s)) as c:
        done = wait_done(c.get, f"/api/runs/{c.post('/api/runs', json=run_body()).json()['id']}")
        body = {"library": NAME, "replicates": 60, "overrides": {"scenario.days": 300}}
        job_id = c.post("/api/runs", json=body).json()["id"]
        while c.get(f"/api/runs/{job_id}").json()["status"] == "queued":
            time.sleep(0.05)
    with TestClient(create_app(s)) as c:
        assert c.get(f"/api/runs/{job_id}").json()["status"] == "interrupted"
        assert c.get(f"/api/runs/{done['id']}").json()["summary"] == done["summary"]


def test_restart_marks_unfinished_jobs_interrupted(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create_job("a", "run", {}, None)
    store.set_status("a", "running")
    store.create_job("b", "run", {}, None)
    store.close()
    manager = JobManager(settings(tmp_path), Store(tmp_path))
    manager.start()
    manager.stop()
    assert manager.store.job("a")["status"] == "interrupted"
    assert manager.store.job("b")["status"] == "interrupted"


def test_sweep_points_equal_single_runs(client: TestClient) -> None:
    r = client.post("/api/sweeps", json=run_body(vary={"detention.beds": [30000, 60000]}))
    assert r.status_code == 202
    job = wait_done(client.get, f"/api/sweeps/{r.json()['id']}")
    assert job["status"] == "done"
    points = job["result"]["points"]
    assert [p["values"] for p in points] == [{"detention.beds": 30000}, {"detention.beds": 60000}]
    for p in points:
        want = direct({**TINY, **p["values"]})
        assert p["metrics"] == want["metrics"]
    assert client.get(f"/api/runs/{job['id']}").status_code == 404  # a sweep is not a run


def test_flagship_endpoint_starts_and_cancels(tmp_path: Path, idle: None) -> None:
    with TestClient(create_app(settings(tmp_path))) as c:
        r = c.post("/api/flagship")
        assert r.status_code == 202
        assert c.get(f"/api/flagship/{r.json()['id']}").json()["status"] == "queued"
        assert c.delete(f"/api/flagship/{r.json()['id']}").json()["status"] == "cancelled"
        assert c.get(f"/api/flagship/{r.json()['id']}/report.html").status_code == 404


def test_record_degrades_without_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENFORCESIM_DB", str(tmp_path / "missing.duckdb"))
    with TestClient(create_app(settings(tmp_path / "web"))) as c:
        job = wait_done(c.get, f"/api/runs/{c.post('/api/runs', json=run_body()).json()['id']}")
        time.sleep(0.2)
        record = c.get(f"/api/runs/{job['id']}/series").json()["record"]
        assert set(record) == {"note"} and "not" in record["note"]


def test_record_from_the_store(
    tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENFORCESIM_DB", str(store))
    with TestClient(create_app(settings(tmp_path))) as c:
        body = run_body(overrides={"scenario.days": 120, "scenario.warmup_days": 5})
        job = wait_done(c.get, f"/api/runs/{c.post('/api/runs', json=body).json()['id']}")
        deadline = time.monotonic() + 30
        rec = c.get(f"/api/runs/{job['id']}/series").json()["record"]
        while rec.get("note") and time.monotonic() < deadline:  # the store loads at start
            time.sleep(0.2)
            rec = c.get(f"/api/runs/{job['id']}/series").json()["record"]
    # Day 0 is 1 Oct 2024; 120 days reach into January (a month sits at its middle day).
    assert [p[2] for p in rec["detained"]["points"]] == ["2024-10", "2024-11", "2024-12", "2025-01"]
    assert rec["detained"]["points"][0][0] == 31 // 2  # 1 October is day 0; its middle


def test_token_and_host(tmp_path: Path) -> None:
    s = Settings(tmp_path, LIBRARY, token="s3cret", host="0.0.0.0", precompute=False)
    with TestClient(create_app(s)) as c:
        assert c.get("/api/scenarios").status_code == 401
        ok = c.get("/api/scenarios", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert c.get("/").status_code == 200  # the page itself holds no data
    with TestClient(create_app(settings(tmp_path / "b"))) as c:
        assert c.get("/api/scenarios", headers={"host": "evil.example"}).status_code == 421
        r = c.get("/api/scenarios")
        assert "access-control-allow-origin" not in r.headers


def test_internal_error_has_no_trace(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from enforcesim.web import levers

    def boom(self: object) -> list:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(levers.Library, "listing", boom)
    with TestClient(client.app, raise_server_exceptions=False) as c:
        r = c.get("/api/scenarios")
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}


def test_page_and_schema(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/app.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/scenarios", "/api/runs", "/api/runs/{job_id}", "/api/sweeps"} <= set(paths)


def test_flagship_quick_plan_writes_its_report(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, threads_per_job=1))) as c:
        job_id = c.post("/api/flagship").json()["id"]
        job = wait_done(c.get, f"/api/flagship/{job_id}", timeout=300)
        assert job["status"] == "done", job.get("error")
        assert job["result"]["report"] == f"/api/flagship/{job_id}/report.html"
        report = c.get(job["result"]["report"])
        assert report.status_code == 200 and "<html" in report.text.lower()
