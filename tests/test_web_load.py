"""The web app on a real server: 50 clients at once lose no job and get the numbers of the
same runs made one by one; a job running when the server dies is `interrupted` after a
restart, and finished results survive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

import enforcesim  # noqa: E402
from enforcesim.web.store import Store  # noqa: E402
from web_support import (  # noqa: E402
    LIBRARY,
    NAME,
    ROOT,
    TINY,
    Server,
    free_port,
    settings,
    wait_done,
)

CLIENTS = 50


def test_fifty_clients_lose_no_job(tmp_path: Path) -> None:
    with Server(settings(tmp_path, concurrent_jobs=2, threads_per_job=1)) as server:

        def client(i: int) -> dict:
            # 40 distinct requests (each misses the store), 10 repeats of the first ones.
            body = {"library": NAME, "overrides": TINY, "replicates": 2, "seed": i % 40}
            with httpx.Client(base_url=server.url, timeout=60) as c:
                r = c.post("/api/runs", json=body)
                assert r.status_code == 202
                return wait_done(c.get, f"/api/runs/{r.json()['id']}", timeout=240)

        with ThreadPoolExecutor(CLIENTS) as pool:
            jobs = list(pool.map(client, range(CLIENTS)))
    assert len({j["id"] for j in jobs}) == CLIENTS
    assert [j["status"] for j in jobs] == ["done"] * CLIENTS
    for seed in range(40):
        one = enforcesim.run(
            LIBRARY / f"{NAME}.toml",
            overrides=TINY,
            replicates=2,
            seed=seed,
            workers=1,
            central=False,
        ).summary_dict()
        one = json.loads(json.dumps(one, default=float).replace("NaN", "null"))
        for job in jobs[seed::40]:
            assert job["summary"]["metrics"] == one["metrics"]
            assert job["summary"]["targets"] == one["targets"]


def serve(data: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "enforcesim.cli", "serve", "--port", str(port), "--data",
           str(data), "--library", str(LIBRARY), "--no-precompute", "--jobs", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/limits", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "no server")


def test_restart_marks_running_job_interrupted(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = serve(tmp_path, port)
    try:
        body = {"library": NAME, "overrides": TINY, "replicates": 2}
        first = httpx.post(f"{url}/api/runs", json=body).json()["id"]
        done = wait_done(httpx.get, f"{url}/api/runs/{first}")
        assert done["status"] == "done"
        long = {"library": NAME, "replicates": 80, "overrides": {"scenario.days": 300}}
        job_id = httpx.post(f"{url}/api/runs", json=long).json()["id"]
        while httpx.get(f"{url}/api/runs/{job_id}").json()["status"] == "queued":
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)  # no chance to clean up
        proc.wait(30)
        # As the dead server left it: still "running" in the store.
        assert Store(tmp_path).job(job_id)["status"] == "running"
        proc = serve(tmp_path, port)
        again = httpx.get(f"{url}/api/runs/{job_id}").json()
        assert again["status"] == "interrupted" and "summary" not in again
        kept = httpx.get(f"{url}/api/runs/{done['id']}").json()
        assert kept["status"] == "done" and kept["summary"] == done["summary"]
        csv = httpx.get(f"{url}/api/runs/{done['id']}/files/daily.csv")
        assert csv.status_code == 200 and csv.text.startswith("replicate,day")
    finally:
        proc.kill()
        proc.wait(30)
