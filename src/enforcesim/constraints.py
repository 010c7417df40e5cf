"""Constraints that can hold a target back, gathered from the stages (each stage module's
`CONSTRAINTS`: how to tell from a replicate's output on which days one binds, and how to
relax it in a scenario for the Shapley attribution in bottlenecks.py). A constraint that does
not apply to a scenario is left out of the attribution and never flagged.
"""

from __future__ import annotations

import numpy as np

from .engine.runner import ReplicateOutput
from .scenario import Scenario
from .stages import STAGES
from .stages.constraint import Constraint

__all__ = ["CONSTRAINTS", "Constraint", "binding_flags", "register_constraint", "reported"]

# Every stage's constraints, in their published order (`Constraint.position`).
CONSTRAINTS: dict[str, Constraint] = {
    c.name: c
    for c in sorted((c for stage in STAGES for c in stage.constraints), key=lambda c: c.position)
}


def register_constraint(c: Constraint) -> None:
    """Add a mechanism's constraint (after every stage's)."""
    CONSTRAINTS[c.name] = c


def reported(sc: Scenario) -> list[str]:
    """The constraints with a `binding_NAME` column in daily.parquet: every one but the
    optional ones that do not apply to the scenario."""
    return [name for name, c in CONSTRAINTS.items() if not c.optional or c.applies(sc)]


def binding_flags(out: ReplicateOutput) -> dict[str, np.ndarray]:
    """Per registered constraint, whether it binds on each reported day (False where it does
    not apply)."""
    days = len(out.daily.beds)
    return {
        name: (c.binding(out) if c.applies(out.scenario) else np.zeros(days, dtype=bool))
        for name, c in CONSTRAINTS.items()
    }
