"""Schedules: arrays of `{ day, ... }` steps whose days strictly increase. Whether a day lies
inside the horizon depends on `scenario.days`, a rule of the whole scenario (scenario/rules.py)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator

from .errors import Violation, violations_error

StepT = TypeVar("StepT")


def _increasing_days(steps: list[Any]) -> list[Any]:
    found = []
    for i in range(1, len(steps)):
        last, day = steps[i - 1].day, steps[i].day
        if day <= last:
            found.append(
                Violation(
                    (i, "day"),
                    day,
                    f"must be greater than the previous step's day ({last}); "
                    "step days strictly increase",
                )
            )
    if found:
        raise violations_error(found)
    return steps


Steps = Annotated[list[StepT], AfterValidator(_increasing_days)]
