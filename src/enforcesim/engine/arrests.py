"""The arrest side of the engine: per-day inputs built in NumPy, and the compiled helpers the
event loop calls (see docs/arrests.md for the model and its assumptions).

What does not depend on the simulation's state is precomputed per day here: each source's
attempted-arrest rate (its schedule or border encounters, capped by `cap_per_day`), the
productive officers (headcount, hires after their training lag, attrition) and their hours.
What does depend on state (the officer-hours left today, the pools, the beds) is decided in
the kernel, through the helpers below:

- at each day boundary, `day_class_rates` splits each source's rate over its three
  criminality classes (a pool source in the proportions of its eligible remaining pool), and
  the officer-hours available for arrests and escorts are reset;
- at each attempted arrest, `arrest_attempt` decides its fate: foregone (pool empty,
  officer-hours exhausted, or no bed under "throttle"), or made, and then booked in, not
  booked in, or diverted (no bed under "divert").
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..scenario import CRIMINALITY, Scenario
from .structures import ArrestDayCounts, Arrests, OfficerSupply

N_CRIM = len(CRIMINALITY)  # classes per source: convicted, pending, none

# The per-day, per-class arrest output's columns, in the order of daily_arrests.parquet
ARREST_COLUMNS = list(ArrestDayCounts._fields)

# Columns of the per-source parameters
P_HOURS, P_BOOKED, P_HAS_POOL, P_POOL_SIZE, P_YIELD_K, P_REPLENISH, P_ICE = range(7)
N_SRC_PAR = 7

# Entries of the options array
O_DIVERT, O_CRIMINAL_FIRST, O_ESCORT = range(3)
N_OPTS = 3


def empty_inputs(total_days: int) -> Arrests:
    """The kernel's arrest inputs for a scenario without [arrests]: 0 sources."""
    return Arrests(
        np.zeros((total_days, 0)),
        np.zeros((0, N_SRC_PAR)),
        np.zeros((0, N_CRIM)),
        np.zeros((0, N_CRIM)),
        OfficerSupply(np.zeros(total_days), np.zeros(total_days), np.zeros(total_days)),
        np.zeros(N_OPTS),
    )


def officers_by_day(sc: Scenario) -> np.ndarray:
    """Productive officers on each day from the start of warm-up (a deterministic fluid:
    headcount and hires decay exponentially at the attrition rate from day 0, or from their
    hiring day; hires count from hiring day + training lag; warm-up holds the day-0 headcount).
    """
    of = sc.officers_or_default()
    warmup, days = sc.scenario.warmup_days, sc.scenario.days
    t = np.arange(-warmup, days, dtype=np.float64)
    decay = of.attrition_per_year / 365.0
    out = of.headcount * np.exp(-decay * np.maximum(t, 0.0))
    for hire in of.hires:
        age = t - hire.day
        out += np.where(age >= of.training_lag_days, hire.officers * np.exp(-decay * age), 0.0)
    return out


def source_rates_by_day(sc: Scenario) -> np.ndarray:
    """Attempted arrests per day of each source on each day from the start of warm-up."""
    assert sc.arrests is not None
    warmup, days = sc.scenario.warmup_days, sc.scenario.days
    out = np.zeros((warmup + days, len(sc.arrests.sources)))
    for j, src in enumerate(sc.arrests.sources.values()):
        if src.per_encounter is not None:
            enc = np.full(warmup + days, float(src.encounters_per_day or 0.0))
            for step in src.encounters_schedule:
                enc[warmup + step.day :] = step.encounters_per_day
            rate = src.per_encounter * enc
        else:
            rate = np.full(warmup + days, float(src.rate_per_day or 0.0))
            for step in src.schedule:
                rate[warmup + step.day :] = step.rate_per_day
        if src.cap_per_day is not None:
            rate = np.minimum(rate, src.cap_per_day)
        out[:, j] = rate
    return out


def build_inputs(sc: Scenario) -> Arrests:
    """The kernel's arrest inputs of a validated scenario (with parameter draws applied)."""
    total_days = sc.scenario.warmup_days + sc.scenario.days
    if sc.arrests is None:
        return empty_inputs(total_days)
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
    of = sc.officers_or_default()
    officers = officers_by_day(sc)
    productive = officers * of.productive_hours_per_day
    hours = OfficerSupply(
        productive * (1.0 - of.casework_share), productive * of.casework_share, officers
    )
    opts = np.zeros(N_OPTS)
    opts[O_DIVERT] = 1.0 if sc.arrests.when_full == "divert" else 0.0
    opts[O_CRIMINAL_FIRST] = 1.0 if sc.arrests.priority == "criminal_first" else 0.0
    opts[O_ESCORT] = of.escort_hours_per_book_in
    return Arrests(source_rates_by_day(sc), par, mix, pool, hours, opts)


def expected_attempts(sc: Scenario) -> float:
    """An upper bound (about 6 sd above the mean) on the attempted arrests of a replicate."""
    total = float(source_rates_by_day(sc).sum())
    return total + 6 * math.sqrt(total)


# --------------------------------------------------------------------------------------------
# Compiled helpers (called by the kernel)
# --------------------------------------------------------------------------------------------
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
