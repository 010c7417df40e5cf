"""Shared pieces of the web app's tests: a tiny library, app settings and a real server."""

from __future__ import annotations

import atexit
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from enforcesim.web import Limits, Settings

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios" / "library"
NAME = "goal-3000-no-buildout"
# A short horizon keeps every test run at a fraction of a second. The library's goal files
# run from 1 Oct 2024 with dated steps (events, border encounters, stays) that a 28-day
# horizon cannot hold, so the app is served the library cut to 28 days as the flagship study
# cuts a horizon (later steps and events dropped, comments kept); TINY restates it.
TINY = {"scenario.days": 28, "scenario.warmup_days": 5}


def cut_library(
    folder: Path, days: int, warmup: int, replicates: int | None = None, names: Any = None
) -> Path:
    """`folder` with the library files (or those `names`) on a horizon of `days`."""
    from enforcesim.studies.flagship import derived_file, read_input

    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(SCENARIOS.glob("*.toml")):
        if names is None or path.stem in names:
            text = derived_file(read_input(path), days, warmup)
            if replicates is not None:
                text = text.replace("replicates = 10\n", f"replicates = {replicates}\n", 1)
            (folder / path.name).write_text(text)
    return folder


_CUT = Path(tempfile.mkdtemp(prefix="enforcesim-web-library-"))
atexit.register(shutil.rmtree, _CUT, ignore_errors=True)
LIBRARY = cut_library(_CUT, TINY["scenario.days"], TINY["scenario.warmup_days"])


def tiny_library(folder: Path, days: int = 60, warmup: int = 10, replicates: int = 4) -> Path:
    """A library folder with the main scenario on a short horizon (for the browser tests)."""
    return cut_library(folder, days, warmup, replicates, names={NAME})


def settings(data: Path, **limits: Any) -> Settings:
    return Settings(data, library_dir=LIBRARY, precompute=False, limits=Limits(**limits))


def wait_done(get: Any, path: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll a job until it ends; returns its last status document."""
    deadline = time.monotonic() + timeout
    while True:
        doc = get(path).json()
        if doc["status"] not in ("queued", "running"):
            return doc
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} still {doc['status']} after {timeout} s")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app on a real uvicorn server on 127.0.0.1, in a thread of this process."""

    def __init__(self, settings: Settings):
        import uvicorn

        from enforcesim.web import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
