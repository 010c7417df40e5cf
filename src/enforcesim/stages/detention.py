"""Detention: beds, what happens when they are full, and how long people stay."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from ..schema.base import StrictModel, meta
from ..schema.stays import StayDistribution
from ..schema.steps import Steps
from .constraint import Constraint, days_with, drop_uncertainty
from .outputs import (
    DailyColumns,
    Definitions,
    MetricSet,
    StageOutputs,
    ratio,
    reported_days,
)
from .volume import VolumeFn

if TYPE_CHECKING:
    from ..engine.runner import ReplicateOutput

if TYPE_CHECKING:
    from ..scenario import Scenario


class BedStep(StrictModel):
    day: int = Field(ge=0, description="First day the bed count applies (integer in [0, days)).")
    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description="Beds from this day on.", json_schema_extra=meta("beds", varies=True)
    )


class RemovalShareStep(StrictModel):
    day: int = Field(
        ge=0, description="First day the share applies to decisions (integer in [0, days))."
    )
    removal_share: float = Field(
        ge=0,
        le=1,
        description="Share of the cases decided (stays that end) from this day on that are "
        "ordered removed, whenever the person was booked in.",
        json_schema_extra=meta("share", varies=True),
    )


# Far enough back for any admission a scenario can describe (100 years).
EARLIEST_STAY_DAY = -36500


class StayStep(StrictModel):
    day: int = Field(
        ge=EARLIEST_STAY_DAY,
        description="First day of book-in the stay applies to (integer < days; negative: "
        "days before day 0, for `initial_cohorts` admitted then).",
    )
    length_of_stay: StayDistribution = Field(
        description="Stays of the people booked in from this day on."
    )


REMOVAL_SHARE_SCHEDULE_DOC = (
    "Steps `[{ day, removal_share }, ...]`: a period effect. From `day` on, every case "
    "decided (every stay that ends), of people booked in before or after the day and of the "
    "people in beds at the start alike, is ordered removed with this share; before the first "
    "step, `removal_share` applies. The decision is then drawn when the stay ends. Not with "
    "the case side ([pathways], [courts], [travel_documents], transport modes, intake or "
    "transfers)."
)
LENGTH_OF_STAY_SCHEDULE_DOC = (
    "Steps `[{ day, length_of_stay = { dist, mean, sd } }, ...]`: a cohort effect. People "
    "booked in from `day` on draw their stay from the step's distribution; before the first "
    "step, `length_of_stay` applies. Days strictly increase and may be negative (before day "
    "0): `initial_cohorts` draw their remaining stay from the stay in force at their "
    "admission; the stationary `initial_detained` population keeps `length_of_stay`. Not "
    "with [pathways] (pathways set the stays)."
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
    removal_share_schedule: Steps[RemovalShareStep] = Field(
        default_factory=list,
        description=REMOVAL_SHARE_SCHEDULE_DOC
        + " Here: the default of every book-in stream or arrest source that sets neither "
        "`removal_share` nor a schedule of its own.",
    )
    length_of_stay_schedule: Steps[StayStep] = Field(
        default_factory=list,
        description=LENGTH_OF_STAY_SCHEDULE_DOC
        + " Here: the default of every book-in stream or arrest source that sets neither "
        "`length_of_stay` nor a schedule of its own.",
    )


# --- cost volumes and constraints ---


def _day_volume(name: str) -> VolumeFn:
    """A column of the per-day time integrals and departure counts (`daily_extra`)."""
    return lambda out: None if out.daily_extra is None else getattr(out.daily_extra, name)


def _funded_bed_days(out: ReplicateOutput) -> np.ndarray | None:
    """Beds in force each day; while beds are unlimited, every occupied bed is funded."""
    if out.daily_extra is None:
        return None
    beds = out.daily.beds.astype(np.float64)
    return np.where(beds < 0, out.daily_extra.bed_days, beds)


# What costs can be charged on, per reported day (costs.py gathers every stage's). Releases
# leave from a bed (removals leave by transport).
VOLUMES: dict[str, VolumeFn] = {
    "admissions": lambda out: out.daily.admitted.astype(np.float64),
    "bed_days": _day_volume("bed_days"),
    "funded_bed_days": _funded_bed_days,
    "releases": lambda out: out.daily.releases.astype(np.float64),
}


def _relax_beds(data: dict[str, Any]) -> None:
    det = data["detention"]
    det["beds"] = "unlimited"
    for step in det.get("beds_schedule") or []:
        step["beds"] = "unlimited"
    drop_uncertainty(data, "detention.beds")


def _beds_binding(out: ReplicateOutput) -> np.ndarray:
    """Every bed taken some time in the day, or (arrest side) an arrest throttled or diverted
    for want of a bed."""
    return days_with(out, "daily_extra", "full_time") | days_with(
        out, "daily_arrests", "foregone_beds", "diverted"
    )


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        name="beds",
        meaning="some time in the day with every bed taken (so arrivals are turned away or "
        "wait; with [arrests], arrests are throttled or diverted), or an arrest throttled or "
        "diverted for want of a bed",
        relaxed_as='every bed value "unlimited"',
        applies=lambda sc: (
            sc.detention.beds != "unlimited"
            or any(s.beds != "unlimited" for s in sc.detention.beds_schedule)
        ),
        relax=_relax_beds,
        binding=_beds_binding,
        position=0,
    ),
)


# --- metrics and daily tables ---


# Removals and releases are exits from a bed, whatever takes people away (a departure, or
# nobody without [transport]), so they are counted here; transport owns the wait for a seat.
METRICS: Definitions = {
    "admitted_per_day": (
        "persons/day",
        "arrivals that got a bed, per day (at once or after waiting)",
    ),
    "turned_away_per_day": ("persons/day", "arrivals released because no bed was free"),
    "turned_away_share": ("share", "turned away / arrivals"),
    "detained": ("persons", "time-average number in beds, including those waiting for a seat"),
    "waiting_for_bed": ("persons", "time-average number in the holding queue"),
    "wait_for_bed_days": ("days", "mean days in the holding queue of those admitted"),
    "occupancy": (
        "share",
        "time-average detained / time-average beds (null if beds are ever unlimited)",
    ),
    "removals_per_day": ("persons/day", "people removed per day"),
    "releases_per_day": ("persons/day", "people released at the end of their stay, per day"),
    "length_of_stay_days": (
        "days",
        "mean days from admission to leaving the bed, of those who left a bed",
    ),
}


def metrics(out: Any) -> dict[str, float]:
    a = out.acc
    days = reported_days(out)
    beds = out.daily.beds
    detained = a.area_detained / days
    occupancy = math.nan if (beds < 0).any() else ratio(detained, float(beds.mean()))
    return {
        "admitted_per_day": a.n_admitted / days,
        "turned_away_per_day": a.turned_away / days,
        "turned_away_share": ratio(a.turned_away, a.arrivals),
        "detained": detained,
        "waiting_for_bed": a.area_waiting / days,
        "wait_for_bed_days": ratio(a.sum_wait_bed, a.n_admitted),
        "occupancy": occupancy,
        "removals_per_day": a.removals / days,
        "releases_per_day": a.releases / days,
        "length_of_stay_days": ratio(a.sum_los, a.n_los),
    }


# The contract's columns of the daily table: the engine's day counts, by the same names.
DAILY: Definitions = {
    "admitted": ("persons/day", "arrivals that got a bed in the day"),
    "turned_away": ("persons/day", "arrivals released because no bed was free"),
    "detained": ("persons", "people in beds at the end of the day"),
    "waiting_for_bed": ("persons", "people in the holding queue at the end of the day"),
    "removals": ("persons/day", "people removed in the day"),
    "releases": ("persons/day", "people released at the end of their stay in the day"),
    "beds": ("beds (-1 = unlimited)", "beds in force"),
}

OUTPUTS = StageOutputs(
    metric_sets=(MetricSet("contract", METRICS, metrics),),
    daily=(
        DailyColumns(
            "daily",
            "contract",
            DAILY,
            lambda out: [getattr(out.daily, c) for c in DAILY],
            contract=True,
        ),
        DailyColumns(
            "daily",
            "contract",
            {"bed_days": ("bed-days", "time integral of detained over the day")},
            lambda out: [out.daily_extra.bed_days],
        ),
    ),
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


@njit(cache=True, nogil=True, inline="always")  # per event: see engine/events.py
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


@njit(cache=True, nogil=True)
def log_survival(dist, p1, p2, x):
    """log P(S > x) of a lognormal (p1 = mu, p2 = sigma) or gamma (p1 = shape, p2 = scale)
    stay; computed directly in the tail so that old ages do not lose precision."""
    if x <= 0.0:
        return 0.0
    if dist == LOGNORMAL:
        z = (math.log(x) - p1) / p2
        if z < 30.0:
            return math.log(0.5 * math.erfc(z / math.sqrt(2.0)))
        return -0.5 * z * z - math.log(z * math.sqrt(2.0 * math.pi))  # Mills ratio
    k = p1
    y = x / p2
    front = -y + k * math.log(y) - math.lgamma(k)
    if y < k + 1.0:  # series for the lower regularized incomplete gamma P
        ap = k
        term = 1.0 / k
        total = term
        for _ in range(10000):
            ap += 1.0
            term *= y / ap
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return math.log1p(-min(total * math.exp(front), 1.0))
    tiny = 1e-300  # continued fraction (modified Lentz) for Q, the upper one
    b = y + 1.0 - k
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - k)
        b += 2.0
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-16:
            break
    return front + math.log(h)


@njit(cache=True, nogil=True)
def log_density(dist, p1, p2, x):
    if dist == LOGNORMAL:
        z = (math.log(x) - p1) / p2
        return -0.5 * z * z - math.log(x * p2 * math.sqrt(2.0 * math.pi))
    return (p1 - 1.0) * math.log(x) - x / p2 - math.lgamma(p1) - p1 * math.log(p2)


@njit(cache=True, nogil=True)
def draw_residual(rng, dist, p1, p2, age):
    """Remaining stay of someone who has already stayed `age` days: S - age with S drawn from
    the stay given S > age. Exponential: memoryless; fixed: what is left of it (0 if none);
    lognormal and gamma: inverse survival function with one uniform, log P(S > s) =
    log P(S > age) + log u solved by Newton's method kept inside a bisection bracket."""
    if dist == FIXED:
        return max(p1 - age, 0.0)
    if dist == EXPONENTIAL:
        return rng.exponential(p1)
    u = 1.0 - rng.random()  # in (0, 1]
    target = log_survival(dist, p1, p2, age) + math.log(u)
    mean = math.exp(p1 + 0.5 * p2 * p2) if dist == LOGNORMAL else p1 * p2
    lo = age
    hi = age + mean
    while log_survival(dist, p1, p2, hi) > target:
        lo = hi
        hi = age + 2.0 * (hi - age)
    x = 0.5 * (lo + hi)
    for _ in range(200):
        g = log_survival(dist, p1, p2, x) - target  # decreasing in x
        if g > 0.0:
            lo = x
        else:
            hi = x
        if g == 0.0 or hi - lo <= 1e-12 * (1.0 + x):
            break
        # d/dx log P(S > x) = -density / survival
        slope = -math.exp(log_density(dist, p1, p2, x) - log_survival(dist, p1, p2, x))
        nxt = x - g / slope if slope < 0.0 else 0.5 * (lo + hi)
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
        x = nxt
    return x - age


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
