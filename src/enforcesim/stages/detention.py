"""Detention: beds, what happens when they are full, and how long people stay."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from ..schema.base import StrictModel, meta
from ..schema.stays import StayDistribution
from ..schema.steps import Steps

if TYPE_CHECKING:
    from ..scenario import Scenario


class BedStep(StrictModel):
    day: int = Field(ge=0, description="First day the bed count applies (integer in [0, days)).")
    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description="Beds from this day on.", json_schema_extra=meta("beds", varies=True)
    )


class Detention(StrictModel):
    """Beds, what happens when they are full, and how long people stay."""

    SECTION_NEEDS: ClassVar[str] = (
        "beds, when_full, length_of_stay (unless every book-in stream has its own)"
    )

    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description='Beds at the start (integer >= 0, or "unlimited").',
        json_schema_extra=meta("beds", varies=True),
    )
    beds_schedule: Steps[BedStep] = Field(
        default_factory=list,
        description="Steps in the bed count; a cut never evicts anyone, an increase admits "
        "from the holding queue at once.",
    )
    when_full: Literal["release", "wait"] = Field(
        description='"release": an arrival finding no free bed is released at once '
        '(turned_away); "wait": it waits, first come first served, for the next free bed.'
    )
    length_of_stay: StayDistribution | None = Field(
        None, description="Stay distribution. Required unless every book-in stream has its own."
    )
    removal_share: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of decided cases ordered removed; the others are "
        "released when their stay ends.",
        json_schema_extra=meta("share", varies=True),
    )
    initial_detained: int = Field(
        0,
        ge=0,
        description="People in beds at the start of warm-up (or of day 0), with "
        "remaining stays from the stationary residual-stay distribution.",
        json_schema_extra=meta("persons", varies=True),
    )


# --- engine input and kernel helpers ---
# Stay distributions (schema/stays.py) as the kernel draws them: a code and two parameters.
# Detention owns them (how long people stay); streams, pathways and document delays use them.
FIXED, EXPONENTIAL, LOGNORMAL, GAMMA = 0, 1, 2, 3
DIST_CODES = {"fixed": FIXED, "exponential": EXPONENTIAL, "lognormal": LOGNORMAL, "gamma": GAMMA}


def stay_parameters(dist: str, mean: float, sd: float | None) -> tuple[int, float, float]:
    """Kernel code and parameters of a stay distribution given by its mean and sd (days)."""
    if dist == "lognormal":
        assert sd is not None
        sigma2 = math.log1p((sd / mean) ** 2)
        return LOGNORMAL, math.log(mean) - sigma2 / 2, math.sqrt(sigma2)
    if dist == "gamma":
        assert sd is not None
        return GAMMA, (mean / sd) ** 2, sd * sd / mean
    return DIST_CODES[dist], mean, 0.0


@njit(cache=True, nogil=True)
def draw_stay(rng, dist, p1, p2):
    if dist == FIXED:
        return p1
    if dist == EXPONENTIAL:
        return rng.exponential(p1)
    if dist == LOGNORMAL:
        return rng.lognormal(p1, p2)
    return rng.gamma(p1, p2)


@njit(cache=True, nogil=True)
def draw_length_biased(rng, dist, p1, p2):
    """A stay drawn with probability proportional to its length (what a snapshot sees)."""
    if dist == FIXED:
        return p1
    if dist == EXPONENTIAL:
        return rng.gamma(2.0, p1)
    if dist == LOGNORMAL:
        return rng.lognormal(p1 + p2 * p2, p2)
    return rng.gamma(p1 + 1.0, p2)


class DetentionInput(NamedTuple):
    beds_by_day: np.ndarray  # int64[warmup+days]: beds in force on each day, -1 = unlimited
    wait_when_full: bool


def beds_by_day(sc: Scenario) -> np.ndarray:
    """Beds in force on each day from the start of warm-up; -1 for unlimited."""
    warmup, days = sc.scenario.warmup_days, sc.scenario.days

    def code(b: int | str) -> int:
        return -1 if b == "unlimited" else int(b)

    out = np.full(warmup + days, code(sc.detention.beds), dtype=np.int64)
    for step in sc.detention.beds_schedule:
        out[warmup + step.day :] = code(step.beds)
    return out


def engine_input(sc: Scenario) -> DetentionInput:
    return DetentionInput(beds_by_day(sc), sc.detention.when_full == "wait")
