"""Arrests: the sources that drive the model instead of book-ins (see docs/arrests.md). A
source's `kind` decides which keys it takes: only cbp_transfer sources follow border
encounters, only at_large and task_force sources draw down a finite pool."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from ..schema.base import Name, StrictModel
from .arrest_events import ArrestEvent, expanded_schedules
from .arrest_sources import CRIMINALITY, ArrestSource
from .constraint import Constraint, days_with, drop_uncertainty
from .outputs import (
    Breakdown,
    DailyColumns,
    Definitions,
    MetricSet,
    StageOutputs,
    reported_days,
)
from .volume import VolumeFn, supplied

if TYPE_CHECKING:
    from ..engine.runner import ReplicateOutput
    from ..scenario import Scenario

if TYPE_CHECKING:
    from ..scenario import Scenario


class Arrests(StrictModel):
    """Drive the model from arrests instead of book-ins (instead of `[book_ins]`; an extension
    of contract v1, see docs/arrests.md). Arrest rates are recomputed at each day boundary
    from the officer-hours left, the pools and the schedules: officers work in daily shifts."""

    when_full: Literal["throttle", "divert"] = Field(
        description='When an arrest to be booked in finds no free bed: "throttle": it is not '
        'made (foregone, cause beds; no officer-hours used); "divert": it is made and the '
        "person released or placed on ATD (counted as diverted)."
    )
    priority: Literal["anyone", "criminal_first"] = Field(
        "anyone",
        description='"criminal_first": sources with a pool arrest only people with '
        "a conviction or pending charge, which narrows the pool and raises hours per arrest; "
        '"anyone": they arrest whoever they meet, in the pool\'s proportions.',
    )
    sources: dict[Name, ArrestSource] = Field(
        min_length=1,
        description="Named sources `[arrests.sources.NAME]` (NAME: lower-case letters, digits, "
        "_); their classes are named NAME.convicted, NAME.pending, NAME.none.",
    )
    events: list[ArrestEvent] = Field(
        default_factory=list,
        description="Dated, cited events `[[arrests.events]]` that the loader turns into the "
        "named sources' schedule steps: rate = rate_per_day + the sum of fitted scalar x "
        "size x split over the events in force (docs/arrests.md).",
    )


# --- cost volumes and constraints ---


def _arrests_made(ice_only: bool = False, fallback: str | None = None) -> VolumeFn:
    """Arrests made per day (`daily_arrests`, days x classes), summed over classes (only
    those of sources counting as ICE arrests with `ice_only`); without [arrests], the
    `fallback` volume another mechanism supplies (or None)."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        a = getattr(out, "daily_arrests", None)
        if a is None:
            return supplied(fallback)(out) if fallback else None
        counts = np.asarray(a.made, dtype=np.float64)
        if ice_only:
            ice = [
                src.resolved("counts_as_ice_arrest")
                for src in out.scenario.arrests.sources.values()
            ]
            # a source's classes are its criminalities, in order
            counts = counts[:, np.repeat(np.array(ice, dtype=bool), len(CRIMINALITY))]
        return counts.sum(axis=1)

    return get


# What costs can be charged on, per reported day (costs.py gathers every stage's): arrests
# made (CBP transfers included), and those counting as ICE arrests.
VOLUMES: dict[str, VolumeFn] = {
    "arrests": _arrests_made(fallback="arrests"),
    "ice_arrests": _arrests_made(ice_only=True),
}

# A pool's size when pools are relaxed: no run draws it down measurably (and every count
# stays exact in float64), so hours per arrest keep their value at a full pool.
UNDEPLETED_POOL = 1e15


def _relax_pool(data: dict[str, Any]) -> None:
    for name, src in (data.get("arrests") or {}).get("sources", {}).items():
        if src.get("pool") is not None:
            src["pool"]["size"] = UNDEPLETED_POOL
            drop_uncertainty(data, f"arrests.sources.{name}.pool.size")


def _has_pool(sc: Scenario) -> bool:
    return sc.arrests is not None and any(s.pool is not None for s in sc.arrests.sources.values())


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        name="pool",
        meaning="an attempted arrest in the day was foregone because its source's eligible "
        "pool was empty (with an arrest source's pool)",
        relaxed_as="pools that never deplete (every pool 10^15 people in its mix: hours "
        "per arrest stay at their full-pool value)",
        applies=_has_pool,
        relax=_relax_pool,
        binding=lambda out: days_with(out, "daily_arrests", "foregone_pool"),
        position=3,
        optional=True,
    ),
)


# --- metrics and daily tables ---


# The fate of each attempted arrest, per day and class: the engine's arrest day counts, by
# the same names and in their order. An attempt is foregone for want of officer-hours, of a
# bed (when_full = "throttle") or of anyone left in its source's pool.
FOREGONE_CAUSES = ("officers", "beds", "pool")
ARREST_DAILY: Definitions = {
    "made": ("arrests/day", "arrests made"),
    "booked_in": ("arrests/day", "arrests booked into detention"),
    "not_booked_in": ("arrests/day", "arrests made and not booked in"),
    "diverted": ("arrests/day", "arrests diverted because no bed was free"),
    "foregone_officers": ("arrests/day", "attempts foregone: the officer-hours were used up"),
    "foregone_beds": ("arrests/day", "attempts foregone: no bed was free"),
    "foregone_pool": ("arrests/day", "attempts foregone: the source's pool was empty"),
}
_COL = {name: i for i, name in enumerate(ARREST_DAILY)}

METRICS: Definitions = {
    "ice_arrests_per_day": (
        "arrests/day",
        "arrests made per day by sources that count as ICE "
        "arrests (all kinds but cbp_transfer, unless set otherwise)",
    ),
    "ice_arrest_attempts_per_day": (
        "arrests/day",
        "arrests attempted per day by those sources (made + foregone): their target as realised",
    ),
    "arrests_per_day": (
        "arrests/day",
        "arrests made per day by every source, CBP transfers included",
    ),
    "arrests_booked_in_per_day": ("arrests/day", "arrests booked into detention per day"),
    "arrests_not_booked_in_per_day": (
        "arrests/day",
        "arrests made and not booked in (released, "
        "ATD or returned at once, per share_booked_in), per day",
    ),
    "arrests_diverted_per_day": (
        "arrests/day",
        "arrests made to be booked in but diverted "
        "(released or ATD) because no bed was free (when_full = "
        '"divert"), per day',
    ),
    "arrests_foregone_officers_per_day": (
        "arrests/day",
        "attempts not made because the day's officer-hours were used up, per day",
    ),
    "arrests_foregone_beds_per_day": (
        "arrests/day",
        'attempts not made because no bed was free (when_full = "throttle"), per day',
    ),
    "arrests_foregone_pool_per_day": (
        "arrests/day",
        "attempts not made because the source's eligible pool was empty, per day",
    ),
}
# Per source, criminality and class (block "arrests" of summary.json).
ARREST_CLASS_METRICS: Definitions = {
    f"{col}_per_day": ("arrests/day", f"arrests {col.replace('_', ' ')} per day")
    for col in ARREST_DAILY
}


def per_class_totals(out: Any) -> np.ndarray:
    """Arrests summed over the days: (sources, criminalities, columns of ARREST_DAILY)."""
    per_class = np.stack([getattr(out.daily_arrests, c).sum(axis=0) for c in ARREST_DAILY], -1)
    return per_class.reshape(-1, len(CRIMINALITY), len(ARREST_DAILY))


def metrics(out: Any) -> dict[str, float]:
    """The arrest-side metrics of one replicate (a scenario with [arrests])."""
    days = reported_days(out)
    per_source = per_class_totals(out).sum(axis=1)  # (sources, columns)
    total = per_source.sum(axis=0)
    sources = out.scenario.arrests.sources.values()
    ice = np.array([bool(src.resolved("counts_as_ice_arrest")) for src in sources])
    ice_total = per_source[ice].sum(axis=0)
    foregone = ice_total[[_COL[f"foregone_{c}"] for c in FOREGONE_CAUSES]].sum()
    return {
        "ice_arrests_per_day": ice_total[_COL["made"]] / days,
        "ice_arrest_attempts_per_day": (ice_total[_COL["made"]] + foregone) / days,
        "arrests_per_day": total[_COL["made"]] / days,
        "arrests_booked_in_per_day": total[_COL["booked_in"]] / days,
        "arrests_not_booked_in_per_day": total[_COL["not_booked_in"]] / days,
        "arrests_diverted_per_day": total[_COL["diverted"]] / days,
        **{
            f"arrests_foregone_{c}_per_day": total[_COL[f"foregone_{c}"]] / days
            for c in FOREGONE_CAUSES
        },
    }


def foregone_per_day(out: Any) -> dict[str, float]:
    """Attempts foregone per day by cause, every source (as the arrests_foregone_* metrics)."""
    if out.daily_arrests is None:
        return {}
    total = per_class_totals(out).sum(axis=1).sum(axis=0)
    return {c: total[_COL[f"foregone_{c}"]] / reported_days(out) for c in FOREGONE_CAUSES}


def arrest_breakdown(out: Any) -> dict[str, dict[str, dict[str, float]]]:
    """Per source, per criminality and per class ("source.criminality"): arrests made,
    booked in, not booked in, diverted and foregone by cause, per day."""
    days = reported_days(out)
    names = list(out.scenario.arrests.sources)
    per_class = per_class_totals(out)

    def row(v: np.ndarray) -> dict[str, float]:
        return {m: v[i] / days for i, m in enumerate(ARREST_CLASS_METRICS)}

    return {
        "by_source": {n: row(per_class[i].sum(axis=0)) for i, n in enumerate(names)},
        "by_criminality": {c: row(per_class[:, g].sum(axis=0)) for g, c in enumerate(CRIMINALITY)},
        "by_class": {
            f"{n}.{c}": row(per_class[i, g])
            for i, n in enumerate(names)
            for g, c in enumerate(CRIMINALITY)
        },
    }


OUTPUTS = StageOutputs(
    metric_sets=(MetricSet("arrests", METRICS, metrics),),
    breakdowns=(Breakdown("arrests", "arrests", ARREST_CLASS_METRICS, arrest_breakdown),),
    daily=(
        DailyColumns(
            "daily_arrests",
            "arrests",
            ARREST_DAILY,
            lambda out: [getattr(out.daily_arrests, c) for c in ARREST_DAILY],
            keys={
                "source": lambda sc: list(sc.arrests.sources),
                "criminality": lambda sc: list(CRIMINALITY),
            },
        ),
    ),
    foregone_per_day=foregone_per_day,
)


# --- engine input and kernel helpers ---
# What does not depend on the simulation's state is precomputed per day here: each source's
# attempted-arrest rate (its schedule, or a base plus border encounters, capped by
# `cap_per_day`). What does depend on state (the officer-hours left today, the pools, the
# beds) is decided in the kernel, through the compiled helpers below: at each day boundary
# `day_class_rates` splits each source's rate over its criminality classes (a pool source in
# the proportions of its eligible remaining pool); at each attempted arrest `arrest_attempt`
# decides its fate.

N_CRIM = len(CRIMINALITY)  # classes per source: convicted, pending, none

# Columns of the per-source parameters
P_HOURS, P_BOOKED, P_HAS_POOL, P_POOL_SIZE, P_YIELD_K, P_REPLENISH, P_ICE = range(7)
N_SRC_PAR = 7

# Entries of the options array
O_DIVERT, O_CRIMINAL_FIRST, O_ESCORT = range(3)
N_OPTS = 3


class ArrestsInput(NamedTuple):
    """Arrest sources by day; 0 sources for a run driven by book-ins."""

    src_rate_by_day: np.ndarray  # float64[warmup+days, sources]: attempted arrests per day
    src_par: np.ndarray  # float64[sources, N_SRC_PAR]
    src_mix: np.ndarray  # float64[sources, N_CRIM]: criminality shares (a pool source: its pool's)
    pool_init: np.ndarray  # float64[sources, N_CRIM]: pools by criminality at t_start
    opts: np.ndarray  # float64[N_OPTS]


class ArrestDayCounts(NamedTuple):
    """int64[days, classes] each (class = source * 3 + criminality); the fate of each
    attempted arrest."""

    made: np.ndarray
    booked_in: np.ndarray
    not_booked_in: np.ndarray
    diverted: np.ndarray
    foregone_officers: np.ndarray
    foregone_beds: np.ndarray
    foregone_pool: np.ndarray


# The per-day, per-class arrest output's columns, in the order of daily_arrests.parquet
ARREST_COLUMNS = list(ArrestDayCounts._fields)


def source_rates_by_day(sc: Scenario) -> np.ndarray:
    """Attempted arrests per day of each source on each day from the start of warm-up."""
    assert sc.arrests is not None
    warmup, days = sc.scenario.warmup_days, sc.scenario.days
    out = np.zeros((warmup + days, len(sc.arrests.sources)))
    by_events = expanded_schedules(sc)
    for j, (name, src) in enumerate(sc.arrests.sources.items()):
        if src.per_encounter is not None:
            enc = np.full(warmup + days, float(src.encounters_per_day or 0.0))
            for step in src.encounters_schedule:
                enc[warmup + step.day :] = step.encounters_per_day
            rate = (src.base_per_day or 0.0) + src.per_encounter * enc
        else:
            base, schedule = by_events.get(name, (src.rate_per_day, src.schedule))
            rate = np.full(warmup + days, float(base or 0.0))
            for step in schedule:
                rate[warmup + step.day :] = step.rate_per_day
        if src.cap_per_day is not None:
            rate = np.minimum(rate, src.cap_per_day)
        out[:, j] = rate
    return out


def engine_input(sc: Scenario) -> ArrestsInput:
    """The arrest sources of a validated scenario (with parameter draws applied)."""
    total_days = sc.scenario.warmup_days + sc.scenario.days
    if sc.arrests is None:
        return ArrestsInput(
            np.zeros((total_days, 0)),
            np.zeros((0, N_SRC_PAR)),
            np.zeros((0, N_CRIM)),
            np.zeros((0, N_CRIM)),
            np.zeros(N_OPTS),
        )
    sources = list(sc.arrests.sources.values())
    par = np.zeros((len(sources), N_SRC_PAR))
    mix = np.zeros((len(sources), N_CRIM))
    pool = np.zeros((len(sources), N_CRIM))
    for j, src in enumerate(sources):
        par[j, P_HOURS] = src.resolved("officer_hours_per_arrest")
        par[j, P_BOOKED] = src.resolved("share_booked_in")
        par[j, P_ICE] = 1.0 if src.resolved("counts_as_ice_arrest") else 0.0
        mix[j] = src.resolved("mix")
        if src.pool is not None:
            if src.pool.mix is not None:
                mix[j] = src.pool.mix.shares()
            par[j, P_HAS_POOL] = 1.0
            par[j, P_POOL_SIZE] = src.pool.size
            par[j, P_YIELD_K] = src.pool.yield_exponent
            par[j, P_REPLENISH] = src.pool.replenish_per_day
            pool[j] = src.pool.size * mix[j]
    opts = np.zeros(N_OPTS)
    opts[O_DIVERT] = 1.0 if sc.arrests.when_full == "divert" else 0.0
    opts[O_CRIMINAL_FIRST] = 1.0 if sc.arrests.priority == "criminal_first" else 0.0
    opts[O_ESCORT] = sc.officers_or_default().escort_hours_per_book_in
    return ArrestsInput(source_rates_by_day(sc), par, mix, pool, opts)


def booked_in_at_start(inp: ArrestsInput) -> list[float]:
    """Each arrest class's book-ins per day at the start of warm-up (attempts x share booked
    in), by which the people in beds at the start are split between the classes."""
    rates = inp.src_rate_by_day[0][:, None] * inp.src_mix * inp.src_par[:, P_BOOKED, None]
    return [float(x) for x in rates.reshape(-1)]


def expected_attempts(sc: Scenario) -> float:
    """An upper bound (about 6 sd above the mean) on the attempted arrests of a replicate."""
    total = float(source_rates_by_day(sc).sum())
    return total + 6 * math.sqrt(total)


@njit(cache=True, nogil=True)
def eligible_pool(s, pool_left, criminal_first):
    """People of source s's pool that its arrests may take under the priority."""
    n = pool_left[s, 0] + pool_left[s, 1]
    if not criminal_first:
        n += pool_left[s, 2]
    return n


@njit(cache=True, nogil=True)
def hours_per_arrest(s, src_par, pool_left, criminal_first):
    """Officer-hours of one arrest of source s: h0, or with a pool
    h0 * (size / eligible remaining) ** k (the yield curve; see docs/arrests.md)."""
    h0 = src_par[s, P_HOURS]
    if src_par[s, P_HAS_POOL] == 0.0:
        return h0
    n = eligible_pool(s, pool_left, criminal_first)
    if n <= 0.0:
        return np.inf
    return h0 * (src_par[s, P_POOL_SIZE] / n) ** src_par[s, P_YIELD_K]


@njit(cache=True, nogil=True)
def day_class_rates(di, src_rate_by_day, src_par, src_mix, pool_left, criminal_first, out):
    """Attempted arrests per day of each class (source * 3 + criminality) on day index di,
    written into out[0, :]; returns their total. A pool source splits its rate in the
    proportions of its eligible remaining pool, as of the start of the day; once no class of
    it has an eligible person left, its attempts go on at its rate in the pool's mix (eligible
    classes), each foregone for the pool, so that results count what depletion costs."""
    total = 0.0
    for s in range(src_par.shape[0]):
        rate = src_rate_by_day[di, s]
        if src_par[s, P_HAS_POOL] == 0.0:
            for g in range(N_CRIM):
                out[0, s * N_CRIM + g] = rate * src_mix[s, g]
        else:
            n = eligible_pool(s, pool_left, criminal_first)
            left = 0.0
            for g in range(N_CRIM):
                ok = n >= 1.0 and pool_left[s, g] >= 1.0 and not (criminal_first and g == 2)
                out[0, s * N_CRIM + g] = rate * pool_left[s, g] / n if ok else 0.0
                left += out[0, s * N_CRIM + g]
            if left == 0.0:  # exhausted: attempted all the same, and foregone (pool)
                w = 0.0
                for g in range(N_CRIM):
                    if not (criminal_first and g == 2):
                        w += src_mix[s, g]
                for g in range(N_CRIM):
                    ok = w > 0.0 and not (criminal_first and g == 2)
                    out[0, s * N_CRIM + g] = rate * src_mix[s, g] / w if ok else 0.0
        for g in range(N_CRIM):
            total += out[0, s * N_CRIM + g]
    return total


@njit(cache=True, nogil=True)
def replenish_pools(src_par, src_mix, pool_left):
    for s in range(src_par.shape[0]):
        if src_par[s, P_HAS_POOL] != 0.0:
            for g in range(N_CRIM):
                pool_left[s, g] += src_par[s, P_REPLENISH] * src_mix[s, g]


@njit(cache=True, nogil=True)
def arrest_attempt(
    c, d, bed_free, hours_left, rng_booked, src_par, pool_left, opts, daily_a, ledger
):
    """The fate of one attempted arrest of class c at a time in day d (-1 in warm-up: not
    recorded) in daily_a (ARREST_DAY_RECORD rows), its officer-hours in ledger (LEDGER_RECORD
    rows).
    Returns (whether it enters detention, officer-hours left today).

    Causes are checked in the order pool, officers, beds: an arrest whose pool is empty is
    not attempted; one that needs more hours than are left today is foregone (officers);
    one to be booked in that finds no free bed is foregone under "throttle" (no hours used)
    or made and diverted under "divert". The book-in decision is drawn for every attempt,
    so attempt n has the same decision in every scenario that shares the seed.
    """
    s = c // N_CRIM
    g = c % N_CRIM
    booked = rng_booked.random() < src_par[s, P_BOOKED]
    rec = d >= 0
    criminal_first = opts[O_CRIMINAL_FIRST] != 0.0
    has_pool = src_par[s, P_HAS_POOL] != 0.0
    if has_pool and pool_left[s, g] < 1.0:
        if rec:
            daily_a[d, c].foregone_pool += 1
        return False, hours_left
    h = hours_per_arrest(s, src_par, pool_left, criminal_first)
    if h > hours_left:
        if rec:
            daily_a[d, c].foregone_officers += 1
        return False, hours_left
    if booked and not bed_free and opts[O_DIVERT] == 0.0:
        if rec:
            daily_a[d, c].foregone_beds += 1
        return False, hours_left
    hours_left -= h
    if has_pool:
        pool_left[s, g] -= 1.0
    if rec:
        daily_a[d, c].made += 1
        ledger[d].arrests += h
    if not booked:
        if rec:
            daily_a[d, c].not_booked_in += 1
        return False, hours_left
    if not bed_free:
        if rec:
            daily_a[d, c].diverted += 1
        return False, hours_left
    escort = opts[O_ESCORT]
    hours_left -= escort
    if rec:
        daily_a[d, c].booked_in += 1
        ledger[d].escort_transport += escort
    return True, hours_left
