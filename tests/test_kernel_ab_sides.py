"""benchmarks/kernel_ab.py --sides times the scenarios that per_person.py (`make bench`) times,
with the same horizon, so that an A/B of the kernel speaks to the per-person figures."""

from __future__ import annotations

import importlib.util

from builders import ROOT


def load_benchmark(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sides_are_the_per_person_scenarios_on_the_same_horizon():
    kernel_ab = load_benchmark("kernel_ab")
    per_person = load_benchmark("per_person")
    # Every scenario file per_person.py reads (its "contract, the case side's people" is
    # the case-side file with its case-side tables removed: the kernel A/B times the file).
    assert sorted(str(path) for path, _ in kernel_ab.SIDES.values()) == sorted(
        {str(path) for path in per_person.SIDES.values()}
    )
    for _, overrides in kernel_ab.SIDES.values():
        assert overrides == {"scenario.days": per_person.DAYS, "scenario.warmup_days": 0}
