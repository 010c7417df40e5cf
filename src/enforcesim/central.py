"""The central run, and what each `[uncertainty]` range says about it.

The central run of a scenario is the same scenario, seed and replicates with every
`[uncertainty]` parameter at the value the scenario file itself gives (the key's own value,
or its default when the file leaves it out): "the scenario's numbers" as a reader of the file
takes them. Only the parameter draws are left out; replicate i of the central run uses the
same random streams as replicate i of the full run (common random numbers), so the central
run is the full run's process noise alone, and the difference between the two is what the
parameter draws do.

The file's value is not necessarily the middle of its range: a range can be one-sided (the
file's value at or beyond one end, e.g. hours per arrest drawn from a quarter of the default
up to the default), and then the full run's interval lies mostly on one side of the central
run. `parameter_ranges` reports, per parameter, the file's value, the range (low-high for
uniform and triangular draws, the 2.5-97.5 % quantiles for normal and lognormal ones, after
truncation to the allowed values), the distribution's own centre (the midpoint of a uniform,
the mode of a triangular, the mean of a normal or lognormal) and which end, if any, the
file's value sits on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .scenario import Scenario, TriangularDraw, UniformDraw, get_path

MIN_REPLICATES = 10  # below this a 2.5-97.5 % range over replicates is not meaningful


@dataclass(frozen=True)
class ParameterRange:
    """One `[uncertainty]` parameter: the file's value against the range it is drawn from."""

    path: str
    dist: str
    central: float | None  # the scenario file's value (None: not a number)
    low: float
    high: float
    range_kind: str  # what low and high are
    centre_kind: str  # "midpoint", "mode" or "mean"
    centre: float
    one_sided: str | None  # "upper" or "lower": the file's value is at or beyond that end

    def describe(self) -> str:
        """`path`: the file's value v, range low-high (centre ...), one-sided or not."""
        side = (
            f"; the file's value is at the {self.one_sided} end of the range"
            if self.one_sided
            else ""
        )
        return (
            f"{self.path}: the file's value {number(self.central)}, drawn over "
            f"{number(self.low)}-{number(self.high)} ({self.dist}, {self.centre_kind} "
            f"{number(self.centre)}){side}"
        )


def number(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}"


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def parameter_ranges(sc: Scenario) -> list[ParameterRange]:
    """Every `[uncertainty]` parameter of the scenario, in the file's order."""
    from .scenario.uncertainty import draw_value

    if not sc.uncertainty:
        return []
    data = sc.model_dump()
    out = []
    for path, draw in sc.uncertainty.items():
        try:
            value = get_path(data, path)
        except (KeyError, IndexError, ValueError, TypeError):
            value = None
        central = float(value) if isinstance(value, int | float) else None
        if isinstance(draw, UniformDraw):
            low, high, kind = draw.low, draw.high, "low-high"
            centre_kind, centre = "midpoint", (draw.low + draw.high) / 2
        elif isinstance(draw, TriangularDraw):
            low, high, kind = draw.low, draw.high, "low-high"
            centre_kind, centre = "mode", draw.mode
        else:
            low = float(draw_value(path, draw, 0.025))
            high = float(draw_value(path, draw, 0.975))
            kind = "2.5-97.5 % quantiles of the distribution"
            centre_kind, centre = "mean", draw.mean
        side = None
        if central is not None:
            if central > high or _close(central, high):
                side = "upper"
            elif central < low or _close(central, low):
                side = "lower"
        out.append(
            ParameterRange(path, draw.dist, central, low, high, kind, centre_kind, centre, side)
        )
    return out


def without_uncertainty(sc: Scenario) -> Scenario:
    """The scenario with its `[uncertainty]` section left out (same seed and replicates)."""
    data = sc.model_dump(exclude_none=True)
    data.pop("uncertainty", None)
    return Scenario.model_validate(data)


def _means(block: dict[str, Any]) -> dict[str, Any]:
    """{name: mean} of a {name: {mean, lo, hi}} block."""
    return {k: v["mean"] for k, v in block.items() if isinstance(v, dict) and "mean" in v}


def central_block(summary: dict[str, Any]) -> dict[str, Any]:
    """The `central` block of summary.json from the central run's summary: the means of its
    metrics, of its all-in cost metrics and of its budgets' interval figures, at the same
    paths as in the full run's summary."""
    out: dict[str, Any] = {"metrics": _means(summary["metrics"])}
    if summary.get("costs", {}).get("metrics"):
        out["costs"] = _means(summary["costs"]["metrics"])
    if summary.get("budgets"):
        out["budgets"] = {
            name: _means(b) | {"probability_runs_out": b["probability_runs_out"]}
            for name, b in summary["budgets"].items()
        }
    return out


def interval_notes(sc: Scenario) -> dict[str, Any]:
    """Descriptive keys added to summary.json's `interval` block: the percentiles and
    replicates, the central run's definition, every parameter's range and the one-sided
    ones, and a note when there are too few replicates for an interval."""
    n = sc.scenario.replicates
    out: dict[str, Any] = {
        "coverage": f"2.5th-97.5th percentiles of the {n} replicates' values",
    }
    ranges = parameter_ranges(sc)
    if ranges:
        out["central_run"] = (
            "the same seed and replicates with every [uncertainty] parameter at the value the "
            "scenario file gives (no parameter draws: process noise only); its means are in "
            "the 'central' block"
        )
        out["parameters"] = {
            r.path: {
                "file_value": r.central,
                "range": [r.low, r.high],
                "range_kind": r.range_kind,
                r.centre_kind: r.centre,
                "one_sided": r.one_sided,
            }
            for r in ranges
        }
        sided = [r.describe() for r in ranges if r.one_sided]
        if sided:
            out["one_sided"] = sided
    if n < MIN_REPLICATES:
        out["note"] = few_replicates_note(n)
    return out


def few_replicates_note(n: int) -> str:
    return (
        f"only {n} replicate{'s' if n != 1 else ''}: with fewer than {MIN_REPLICATES} the "
        "2.5-97.5 % range is not a meaningful interval"
        + (" (with one replicate it equals the mean)" if n == 1 else "")
        + f"; run {MIN_REPLICATES} or more replicates for an interval"
    )
