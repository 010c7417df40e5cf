"""One scenario run: validate it (with any overrides), check its workload, run its
replicates, and add the central run and the bottleneck attribution when asked for.
`enforcesim.api` and `enforcesim.run` are this module's public face."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.runner import default_workers, run_replicates
from ..scenario import Scenario, parse_scenario, read_toml, sha256_bytes
from ..scenario.overrides import describe, parse_with_overrides
from .workload import Workload, check_run, run_workload

if TYPE_CHECKING:
    from ..results import Results  # pandas: loaded by `run`, not by `load` or `estimate`


def load(
    scenario: str | Path | Scenario | dict[str, Any],
    *,
    seed: int | None = None,
    replicates: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Scenario, str, str]:
    """A validated scenario (a file path, a parsed TOML dict or a Scenario) with `overrides`
    (dotted paths, as `--set`) applied before validation and `seed` and `replicates`
    overriding its values, its SHA-256 and where it came from.
    Raises ScenarioError (with every problem) for a scenario that cannot be run."""
    if isinstance(scenario, Scenario):
        sc, digest, source = scenario, sha256_bytes(scenario.model_dump_json().encode()), "<api>"
        if overrides:
            sc = parse_with_overrides(scenario.model_dump(exclude_none=True), overrides, source)
    elif isinstance(scenario, dict):
        sc = parse_with_overrides(scenario, overrides, "<dict>")
        digest, source = sha256_bytes(sc.model_dump_json().encode()), "<dict>"
    else:
        path = Path(scenario)
        raw, data = read_toml(path)
        sc = parse_with_overrides(raw, overrides, str(path))
        digest, source = sha256_bytes(data), str(path)
    if seed is not None or replicates is not None:
        overridden = sc.model_dump(exclude_none=True)
        if seed is not None:
            overridden["scenario"]["seed"] = seed
        if replicates is not None:
            overridden["scenario"]["replicates"] = replicates
        sc = parse_scenario(overridden, source)
    return sc, digest, source


def estimate(
    scenario: str | Path | Scenario | dict[str, Any],
    *,
    seed: int | None = None,
    replicates: int | None = None,
    workers: int | None = None,
    bottlenecks: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Workload:
    """What `run` with the same arguments would simulate (workload.py), without running it
    or applying the limits. Raises ScenarioError for a scenario that cannot be run."""
    sc, _, _ = load(scenario, seed=seed, replicates=replicates, overrides=overrides)
    return run_workload(sc, workers or default_workers(), bottlenecks)


def run(
    scenario: str | Path | Scenario | dict[str, Any],
    *,
    seed: int | None = None,
    replicates: int | None = None,
    workers: int | None = None,
    validate: bool = False,
    on_replicate_done: Callable[[int], None] | None = None,
    bottlenecks: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    central: bool | None = None,
) -> Results:
    """Run a scenario (a file path, a parsed TOML dict or a Scenario) and return Results.

    `seed` and `replicates` override the file's values; `workers` defaults to all cores;
    `validate` checks conservation invariants as the engine runs (slower; tests use it).
    `bottlenecks` (default: whether the scenario has a [bottlenecks] section) also runs the
    2^n relaxed variants and attributes each target's shortfall (bottlenecks.py).
    `overrides` sets values before validation, as `--set` does: {"detention.beds": 80000}
    (dotted paths as in [uncertainty]; scenario/overrides.py); they are recorded in provenance.
    `central` (default: whether the scenario has [uncertainty]) also runs the central run,
    the same replicates with every uncertain parameter at the file's value (central.py),
    whose means summary.json reports beside the intervals.
    Raises ScenarioError (with every problem) for a scenario that cannot be run, or whose
    estimated memory or events exceed their limits (workload.py), before anything runs.
    """
    from ..results import Results

    sc, digest, source = load(scenario, seed=seed, replicates=replicates, overrides=overrides)
    n_workers = workers or default_workers()
    check_run(sc, n_workers, source, bottlenecks, central)
    outputs = run_replicates(sc, n_workers, validate, on_replicate_done)
    central_means = None
    if sc.uncertainty and central is not False:
        from ..central import central_block, without_uncertainty

        n = sc.scenario.replicates
        plain = without_uncertainty(sc)
        done = None if on_replicate_done is None else lambda i: on_replicate_done(n + i)
        plain_outs = run_replicates(plain, n_workers, validate, done)
        central_means = central_block(Results(plain, plain_outs, digest, source).summary_dict())
    found = None
    if bottlenecks or (bottlenecks is None and sc.bottlenecks is not None):
        from ..bottlenecks import attribute

        found = attribute(sc, outputs, n_workers, source)
    extra = {"overrides": describe(overrides)} if overrides else {}
    return Results(
        sc, outputs, digest, source, extra=extra, bottlenecks=found, central=central_means
    )


def run_with_central(
    scenario: str | Path | Scenario | dict[str, Any],
    *,
    seed: int | None = None,
    replicates: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int | None = None,
    before: Callable[[Scenario, str], object] | None = None,
) -> tuple[Results, Results | None]:
    """A run and, when the scenario has [uncertainty], its central run (the same seed and
    replicates with every uncertain parameter at the file's value); `before(scenario,
    source)` checks the loaded scenario before anything runs."""
    from ..central import without_uncertainty

    sc, _, source = load(scenario, seed=seed, replicates=replicates, overrides=overrides)
    if before is not None:
        before(sc, source)
    res = run(
        scenario, seed=seed, replicates=replicates, overrides=overrides, workers=workers,
        central=False,
    )  # fmt: skip
    if not sc.uncertainty:
        return res, None
    return res, run(without_uncertainty(res.scenario), workers=workers, central=False)
