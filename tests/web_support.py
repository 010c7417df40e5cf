"""Shared pieces of the web app's tests: a tiny library, app settings and a real server."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

from enforcesim.web import Limits, Settings

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios" / "library"
NAME = "goal-3000-beds-50k"
# A short horizon keeps every test run at a fraction of a second.
TINY = {"scenario.days": 28, "scenario.warmup_days": 5}


def tiny_library(folder: Path, days: int = 60, warmup: int = 10, replicates: int = 4) -> Path:
    """A library folder with the main scenario on a short horizon (for the browser tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (LIBRARY / f"{NAME}.toml").read_text()
    text = text.replace("days = 730 ", f"days = {days} ", 1)
    text = text.replace("warmup_days = 239 ", f"warmup_days = {warmup} ", 1)
    text = text.replace("replicates = 10\n", f"replicates = {replicates}\n", 1)
    (folder / f"{NAME}.toml").write_text(text)
    return folder


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
