"""The web app's settings: where it keeps its data, who may call it, and the limits that make
it safe to expose (docs/web-api.md, "Limits"). Every limit has a default here, an
environment variable (ENFORCESIM_WEB_<NAME>) and, for the common ones, an option of
`enforcesim serve`."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

ENV_PREFIX = "ENFORCESIM_WEB_"
TOKEN_ENV = "ENFORCESIM_WEB_TOKEN"
# The smallest queue depth allowed: a class of students submitting at once must queue, not be
# refused.
MIN_QUEUE_DEPTH = 100


@dataclass(frozen=True)
class Limits:
    """What one request or job may ask for; beyond it the request is refused (422, or 413 for
    the body, 429 for the queue) before anything runs."""

    max_body_bytes: int = 262_144  # a request body (a scenario file is a few KiB)
    max_replicates: int = 100  # replicates of one run (or of each sweep point)
    max_days: int = 3_660  # warm-up plus reported days of one run
    max_events: float = 5e9  # simulated events of one job (workload.py; ~20 min of a core)
    max_cpu_seconds: float = 900.0  # compute time of one job's replicates, summed over threads
    max_sweep_points: int = 50  # points of one sweep
    max_overrides: int = 64  # dotted-path overrides of one request
    concurrent_jobs: int = 2  # jobs running at once; the others queue
    queue_depth: int = 200  # jobs waiting; beyond it a new job is refused with 429
    threads_per_job: int = 0  # threads running one job's replicates (0: cores / jobs)

    def threads(self) -> int:
        if self.threads_per_job > 0:
            return self.threads_per_job
        return max(1, (os.cpu_count() or 1) // max(1, self.concurrent_jobs))


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    library_dir: Path | None = None  # default: scenarios/library of the checkout
    token: str | None = None  # bearer token; required when bound beyond loopback
    host: str = "127.0.0.1"
    precompute: bool = True  # run the library scenarios in the background at start
    limits: Limits = Limits()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def limits_from_env(base: Limits | None = None, environ: dict[str, str] | None = None) -> Limits:
    """The limits with any ENFORCESIM_WEB_<NAME> variable applied (e.g.
    ENFORCESIM_WEB_MAX_REPLICATES=50); raises ValueError naming a malformed one."""
    env = os.environ if environ is None else environ
    out = base or Limits()
    changes: dict[str, int | float] = {}
    for f in fields(Limits):
        text = env.get(ENV_PREFIX + f.name.upper())
        if text is None:
            continue
        kind = float if isinstance(getattr(out, f.name), float) else int
        try:
            value = kind(float(text)) if kind is int else kind(text)
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={text!r}: not a number") from None
        changes[f.name] = value
    return check_limits(replace(out, **changes))


def check_limits(limits: Limits) -> Limits:
    """Refuse limits that make no sense (ValueError naming the limit)."""
    for f in fields(Limits):
        value = getattr(limits, f.name)
        low = 0 if f.name == "threads_per_job" else 1
        if not value >= low:
            raise ValueError(f"{f.name} must be at least {low}, got {value}")
    if limits.queue_depth < MIN_QUEUE_DEPTH:
        raise ValueError(f"queue_depth must be at least {MIN_QUEUE_DEPTH}")
    return limits
