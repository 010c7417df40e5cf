"""The public Python API; the CLI is a thin layer over it.

import enforcesim
results = enforcesim.run("scenarios/example.toml", replicates=20)
results.summary()        # DataFrame: metric -> mean, lo, hi, unit
results.daily()          # DataFrame: one row per replicate and day
results.write("out/example")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .engine.runner import check_fits_in_memory, default_workers, run_replicates
from .results import Results
from .scenario import Scenario, parse_scenario, read_toml, sha256_bytes


def run(
    scenario: str | Path | Scenario | dict[str, Any],
    *,
    seed: int | None = None,
    replicates: int | None = None,
    workers: int | None = None,
    validate: bool = False,
    on_replicate_done: Callable[[int], None] | None = None,
    bottlenecks: bool | None = None,
    central: bool | None = None,
) -> Results:
    """Run a scenario (a file path, a parsed TOML dict or a Scenario) and return Results.

    `seed` and `replicates` override the file's values; `workers` defaults to all cores;
    `validate` checks conservation invariants as the engine runs (slower; tests use it).
    `bottlenecks` (default: whether the scenario has a [bottlenecks] section) also runs the
    2^n relaxed variants and attributes each target's shortfall (bottlenecks.py).
    `central` (default: whether the scenario has [uncertainty]) also runs the central run,
    the same replicates with every uncertain parameter at the file's value (central.py),
    whose means summary.json reports beside the intervals.
    Raises ScenarioError (with every problem) for a scenario that cannot be run.
    """
    if isinstance(scenario, Scenario):
        sc, digest, source = scenario, sha256_bytes(scenario.model_dump_json().encode()), "<api>"
    elif isinstance(scenario, dict):
        sc = parse_scenario(scenario, "<dict>")
        digest, source = sha256_bytes(sc.model_dump_json().encode()), "<dict>"
    else:
        path = Path(scenario)
        raw, data = read_toml(path)
        sc, digest, source = parse_scenario(raw, str(path)), sha256_bytes(data), str(path)
    if seed is not None or replicates is not None:
        overridden = sc.model_dump(exclude_none=True)
        if seed is not None:
            overridden["scenario"]["seed"] = seed
        if replicates is not None:
            overridden["scenario"]["replicates"] = replicates
        sc = parse_scenario(overridden, source)
    n_workers = workers or default_workers()
    check_fits_in_memory(sc, n_workers, source)
    outputs = run_replicates(sc, n_workers, validate, on_replicate_done)
    central_means = None
    if sc.uncertainty and central is not False:
        from .central import central_block, without_uncertainty

        n = sc.scenario.replicates
        plain = without_uncertainty(sc)
        done = None if on_replicate_done is None else lambda i: on_replicate_done(n + i)
        plain_outs = run_replicates(plain, n_workers, validate, done)
        central_means = central_block(Results(plain, plain_outs, digest, source).summary_dict())
    found = None
    if bottlenecks or (bottlenecks is None and sc.bottlenecks is not None):
        from .bottlenecks import attribute

        found = attribute(sc, outputs, n_workers, source)
    return Results(sc, outputs, digest, source, bottlenecks=found, central=central_means)
