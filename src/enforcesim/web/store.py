"""The job store: jobs, their results and uploaded scenario files in one SQLite database under
the data folder (docs/web-api.md, "Job store").

SQLite (the standard library's sqlite3) rather than DuckDB: the store holds many small,
transactional row updates from several threads (a job's status and progress change every
second), which is what SQLite is built for; DuckDB, which holds the statistics store, is a
columnar engine for analytical queries that allows one writing process per file. SQLite
needs no dependency, and in WAL mode readers never wait for the writer.

Results are keyed by the execution layer's content key (`enforcesim.execution.task_key` of
the resolved scenario, seed, replicates, package version and data vintage): a job whose key
is already there is answered from the store without running. The daily tables of a result
are files in `results/<key>/`, written by `Results.write` (atomically); the key is a hex
digest, so it is a safe folder name.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    key TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    progress REAL NOT NULL DEFAULT 0,
    partial TEXT,
    error TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    summary TEXT NOT NULL,
    series TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    sha256 TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    created REAL NOT NULL
);
"""

ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled", "interrupted")


class Store:
    """One SQLite file; every method is safe to call from any thread."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.results_dir = data_dir / "results"
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "jobs.sqlite3"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        with self._tx() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- jobs ----------------------------------------------------------------------------
    def create_job(self, job_id: str, kind: str, request: dict[str, Any], key: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO jobs (id, kind, status, request, key, created) "
                "VALUES (?, ?, 'queued', ?, ?, ?)",
                (job_id, kind, json.dumps(request), key, time.time()),
            )

    def job(self, job_id: str) -> dict[str, Any] | None:
        with self._tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        for name in ("request", "partial", "error", "result"):
            if out[name] is not None:
                out[name] = json.loads(out[name])
        return out

    def set_status(self, job_id: str, status: str, **fields: Any) -> None:
        """Set a job's status (and started/finished times, progress, error, result)."""
        values: dict[str, Any] = {"status": status}
        if status == "running":
            values["started"] = time.time()
        if status in FINAL:
            values["finished"] = time.time()
        for name, value in fields.items():
            values[name] = json.dumps(value) if name in ("partial", "error", "result") else value
        cols = ", ".join(f"{name} = ?" for name in values)
        with self._tx() as db:
            db.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*values.values(), job_id))

    def set_progress(self, job_id: str, progress: float, partial: Any = None) -> None:
        with self._tx() as db:
            if partial is None:
                db.execute("UPDATE jobs SET progress = ? WHERE id = ?", (progress, job_id))
            else:
                db.execute(
                    "UPDATE jobs SET progress = ?, partial = ? WHERE id = ?",
                    (progress, json.dumps(partial), job_id),
                )

    def count(self, status: str) -> int:
        with self._tx() as db:
            return db.execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,)).fetchone()[0]

    def interrupt_unfinished(self) -> int:
        """Mark every job a previous server left queued or running as interrupted: it never
        finished, and must not be reported as finished. Returns how many."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = 'interrupted', finished = ?, partial = NULL, "
                "error = ? WHERE status IN ('queued', 'running')",
                (time.time(), json.dumps({"message": "the server stopped before the job ended"})),
            )
            return cur.rowcount

    # --- results -------------------------------------------------------------------------
    def result(self, key: str) -> dict[str, Any] | None:
        with self._tx() as db:
            row = db.execute("SELECT * FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return {"summary": json.loads(row["summary"]), "series": json.loads(row["series"])}

    def put_result(self, key: str, summary: dict[str, Any], series: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO results (key, summary, series, created) "
                "VALUES (?, ?, ?, ?)",
                (key, json.dumps(summary, allow_nan=False), json.dumps(series), time.time()),
            )

    def result_dir(self, key: str) -> Path:
        if not (len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
            raise ValueError("a result key is a SHA-256 hex digest")
        return self.results_dir / key

    # --- uploads -------------------------------------------------------------------------
    def put_upload(self, sha256: str, text: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO uploads (sha256, text, created) VALUES (?, ?, ?)",
                (sha256, text, time.time()),
            )

    def upload(self, sha256: str) -> str | None:
        with self._tx() as db:
            row = db.execute("SELECT text FROM uploads WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else row["text"]
