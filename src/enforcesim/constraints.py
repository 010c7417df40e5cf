"""Constraints that can hold a target back, in a registry: how to tell from a replicate's
output on which days each binds, and how to relax it in a scenario (for the Shapley
attribution in bottlenecks.py).

Mechanisms added later (officers, judges, travel documents, depleting pools) register their
own `Constraint`; a constraint that does not apply to a scenario (no [transport], beds
already unlimited) is left out of the attribution and never flagged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import kernel as k
from .engine.runner import ReplicateOutput
from .scenario import CONSTRAINT_NAMES, Scenario

# Seats per departure when seats are relaxed: every departure takes everyone waiting.
UNLIMITED_SEATS = 2**31 - 1


@dataclass(frozen=True)
class Constraint:
    name: str
    meaning: str
    applies: Callable[[Scenario], bool]
    relax: Callable[[dict[str, Any]], None]          # edits a dumped scenario in place
    binding: Callable[[ReplicateOutput], np.ndarray]  # bool per reported day


def _drop_uncertainty(data: dict[str, Any], prefix: str) -> None:
    """A relaxed value cannot vary any more (an "unlimited" value has no draws)."""
    unc = data.get("uncertainty") or {}
    for key in [p for p in unc if p.startswith(prefix)]:
        del unc[key]


def _relax_beds(data: dict[str, Any]) -> None:
    det = data["detention"]
    det["beds"] = "unlimited"
    for step in det.get("beds_schedule") or []:
        step["beds"] = "unlimited"
    _drop_uncertainty(data, "detention.beds")


def _relax_seats(data: dict[str, Any]) -> None:
    data["transport"]["seats_per_departure"] = UNLIMITED_SEATS
    _drop_uncertainty(data, "transport.seats_per_departure")


def _extra_positive(col: int) -> Callable[[ReplicateOutput], np.ndarray]:
    def binding(out: ReplicateOutput) -> np.ndarray:
        if out.daily_extra is None:
            return np.zeros(out.daily.shape[0], dtype=bool)
        return out.daily_extra[:, col] > 0

    return binding


CONSTRAINTS: dict[str, Constraint] = {
    "beds": Constraint(
        "beds", "some time in the day with every bed taken (so arrivals are turned away or "
        "wait)",
        lambda sc: sc.detention.beds != "unlimited"
        or any(s.beds != "unlimited" for s in sc.detention.beds_schedule),
        _relax_beds, _extra_positive(k.X_FULL_TIME)),
    "seats": Constraint(
        "seats", "a departure in the day left full with people still waiting for a seat",
        lambda sc: sc.transport is not None, _relax_seats, _extra_positive(k.X_SEATS_SHORT)),
}
assert tuple(CONSTRAINTS) == CONSTRAINT_NAMES


def register_constraint(c: Constraint) -> None:
    """Add a mechanism's constraint (add its name to CONSTRAINT_NAMES too)."""
    CONSTRAINTS[c.name] = c


def binding_flags(out: ReplicateOutput) -> dict[str, np.ndarray]:
    """Per registered constraint, whether it binds on each reported day (False where it does
    not apply)."""
    days = out.daily.shape[0]
    return {name: (c.binding(out) if c.applies(out.scenario) else np.zeros(days, dtype=bool))
            for name, c in CONSTRAINTS.items()}
