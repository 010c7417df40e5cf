"""Arrests: the sources that drive the model instead of book-ins (see docs/arrests.md). A
source's `kind` decides which keys it takes: only cbp_transfer sources follow border
encounters, only at_large and task_force sources draw down a finite pool."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from ..errors import NO_VALUE
from ..schema.base import Name, StrictModel, meta
from ..schema.errors import Violation
from ..schema.stays import StayDistribution
from ..schema.steps import Steps
from .book_ins import RateStep

if TYPE_CHECKING:
    from ..scenario import Scenario

CRIMINALITY = ("convicted", "pending", "none")

# FY2024: 113,431 ICE arrests, 71.7% with a conviction or pending charge (ICE annual report);
# split between the two in proportion to FY2024 ICE-arrest ADP by criminality (0.674 : 0.240,
# ICE workbook, `data.table("monthly")`).
MIX_ICE_SOURCE = (
    "FY2024 ICE arrests: 71.7% with conviction or pending charge (ICE annual "
    "report); conviction:pending split 0.674:0.240 as in FY2024 ICE-arrest ADP "
    "by criminality (ICE workbook)"
)
MIX_CBP_SOURCE = "FY2024 ADP of CBP-arrested detainees by criminality (ICE workbook), a proxy"
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "at_large": {
        "officer_hours_per_arrest": 88.0,
        "share_booked_in": 0.80,
        "mix": (0.529, 0.188, 0.283),
        "counts_as_ice_arrest": True,
    },
    "custodial": {
        "officer_hours_per_arrest": 29.0,
        "share_booked_in": 0.80,
        "mix": (0.529, 0.188, 0.283),
        "counts_as_ice_arrest": True,
    },
    "task_force": {
        "officer_hours_per_arrest": 10.0,
        "share_booked_in": 0.80,
        "mix": (0.529, 0.188, 0.283),
        "counts_as_ice_arrest": True,
    },
    "cbp_transfer": {
        "officer_hours_per_arrest": 0.0,
        "share_booked_in": 1.0,
        "mix": (0.067, 0.031, 0.902),
        "counts_as_ice_arrest": False,
    },
}


class Mix(StrictModel):
    """Shares by criminality at arrest (ICE's categories); they must sum to 1."""

    convicted: float = Field(
        ge=0,
        le=1,
        description="Share with a criminal conviction.",
        json_schema_extra=meta("share"),
    )
    pending: float = Field(
        ge=0,
        le=1,
        description="Share with pending criminal charges.",
        json_schema_extra=meta("share"),
    )
    none: float = Field(
        ge=0,
        le=1,
        description="Share with neither (other immigration violators).",
        json_schema_extra=meta("share"),
    )

    def violations(self) -> list[Violation]:
        total = sum(self.shares())
        if abs(total - 1.0) <= 1e-9:
            return []
        return [
            Violation(
                (), NO_VALUE, f"shares convicted + pending + none must sum to 1, not {total:g}"
            )
        ]

    def shares(self) -> tuple[float, float, float]:
        return (self.convicted, self.pending, self.none)


class EncounterStep(StrictModel):
    day: int = Field(ge=0, description="First day the encounter rate applies.")
    encounters_per_day: float = Field(
        ge=0,
        description="Border encounters per day from this day on.",
        json_schema_extra=meta("encounters/day"),
    )


class Pool(StrictModel):
    """A finite target population that at-large (or task-force) arrests draw down. Hours per
    arrest grow as it is depleted and as the priority narrows it:
    hours = officer_hours_per_arrest x (size / eligible remaining) ^ yield_exponent."""

    size: float = Field(
        1445549.0,
        gt=0,
        description="People in the target population at the start of warm-up.",
        json_schema_extra=meta(
            "persons",
            "final orders not carried out on the non-detained docket, 1,445,549 "
            "(Nov 2024), ICE letter to Congress; one possible target population",
            varies=True,
        ),
    )
    mix: Mix | None = Field(
        None, description="Composition of the pool by criminality (default: the source's `mix`)."
    )
    yield_exponent: float = Field(
        1.0,
        ge=0,
        description="k in the yield curve: 0 = no depletion effect, 1 = hours per "
        "arrest inversely proportional to the density of eligible targets.",
        json_schema_extra=meta(
            "1",
            "assumption (search effort inversely proportional to "
            "target density); see docs/arrests.md",
            varies=True,
        ),
    )
    replenish_per_day: float = Field(
        0.0,
        ge=0,
        description="People entering the pool per day (split by the pool's mix).",
        json_schema_extra=meta("persons/day", "assumption", varies=True),
    )


KIND_DOC = (
    '"at_large" (ICE arrests in the community), '
    '"custodial" (transfers from jails and prisons, including 287(g) '
    'jail agreements), "cbp_transfer" (handed over by CBP), '
    '"task_force" (partner agencies and 287(g) task forces).'
)


class SourceBase(StrictModel):
    """One arrest source `[arrests.sources.NAME]`: its rate of attempted arrests (the
    source's target), who it arrests, what an arrest costs in officer-hours and how many are
    booked into detention. Keys left out take the defaults of the source's `kind`."""

    kind: str = Field(description=KIND_DOC)
    rate_per_day: float | None = Field(
        None,
        ge=0,
        description="Arrests attempted per day before the first schedule step, "
        "warm-up included: the source's target. Required unless a cbp_transfer source gives "
        "`per_encounter`.",
        json_schema_extra=meta(
            "arrests/day",
            "FY2024: 113,431 ICE arrests = 310/day, of which 33,243 at-large "
            "= 91/day (ICE annual report); goal of 3,000 ICE arrests/day (May 2025, press)",
            varies=True,
        ),
    )
    schedule: Steps[RateStep] = Field(
        default_factory=list,
        description="Piecewise-constant steps of `rate_per_day`, same "
        "rules as `book_ins.schedule`.",
    )
    mix: Mix | None = Field(
        None,
        description="Shares by criminality of the people it "
        "arrests. Default by kind: ICE kinds 0.529 / 0.188 / 0.283 ("
        + MIX_ICE_SOURCE
        + "); cbp_transfer 0.067 / 0.031 / 0.902 ("
        + MIX_CBP_SOURCE
        + ").",
    )
    officer_hours_per_arrest: float | None = Field(
        None,
        ge=0,
        description="ICE officer-hours one arrest takes (with a pool: at a full "
        'pool under priority "anyone"). Default by kind: at_large 88, custodial 29, '
        "task_force 10, cbp_transfer 0.",
        json_schema_extra=meta(
            "officer-hours/arrest",
            "derived: ~6,000 officers x 1,760 h/yr x (1 - casework "
            "0.5) = 5.28M h over FY2024's 33,243 at-large and 80,188 other arrests, at-large "
            "assumed 3x custodial (an upper bound: it assumes FY2024 used every arrest hour); "
            "task_force 10 is an assumption",
            varies=True,
        ),
    )
    share_booked_in: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of arrests booked into detention (the rest are "
        "released, placed on ATD or returned at once). Default: 0.80 for ICE kinds, 1.0 for "
        "cbp_transfer.",
        json_schema_extra=meta(
            "share",
            "derived: FY2024 book-ins of ICE arrests 90,615 (ICE workbook) / ICE "
            "arrests 113,431 = 0.80",
            varies=True,
        ),
    )
    counts_as_ice_arrest: bool | None = Field(
        None,
        description="Whether it counts toward `ice_arrests_per_day` (default: every "
        "kind but cbp_transfer).",
    )
    cap_per_day: float | None = Field(
        None,
        ge=0,
        description="Ceiling on the daily rate, e.g. for custodial and 287(g) "
        "jail sources: jail population covered x share removable x turnover per day.",
        json_schema_extra=meta(
            "arrests/day",
            "287(g): 135 agreements (Jan 2025), 1,100+ "
            "signed in 2025 (ICE via press, VERIFY); size per scenario",
            varies=True,
        ),
    )
    length_of_stay: StayDistribution | None = Field(
        None, description="Stays of its book-ins (default: `detention.length_of_stay`)."
    )
    removal_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of its decided cases ordered removed (default: "
        "`detention.removal_share`).",
        json_schema_extra=meta("share", varies=True),
    )

    def violations(self) -> list[Violation]:
        if self.rate_per_day is not None:
            return []
        return [
            Violation(
                ("rate_per_day",),
                NO_VALUE,
                "required key is missing; must be a number >= 0 (or, for kind = "
                '"cbp_transfer", per_encounter with encounters_per_day)',
            )
        ]

    def resolved(self, key: str) -> Any:
        """The value of a key, or the default of the source's kind."""
        value = getattr(self, key)
        if value is None and key in KIND_DEFAULTS[self.kind]:
            return KIND_DEFAULTS[self.kind][key]
        return value.shares() if isinstance(value, Mix) else value


class WithoutEncounters:
    """Only cbp_transfer sources are driven by border encounters (the engine reads these
    of every source)."""

    @property
    def per_encounter(self) -> None:
        return None

    @property
    def encounters_per_day(self) -> None:
        return None

    @property
    def encounters_schedule(self) -> list[EncounterStep]:
        return []


class PooledSource(WithoutEncounters, SourceBase):
    pool: Pool | None = Field(
        None, description="Finite, depleting target population (at_large and task_force only)."
    )


class AtLargeSource(PooledSource):
    kind: Literal["at_large"] = Field(description=KIND_DOC)


class CustodialSource(WithoutEncounters, SourceBase):
    kind: Literal["custodial"] = Field(description=KIND_DOC)

    @property
    def pool(self) -> None:
        return None


class CbpTransferSource(SourceBase):
    kind: Literal["cbp_transfer"] = Field(description=KIND_DOC)
    per_encounter: float | None = Field(
        None,
        ge=0,
        description="cbp_transfer only: transfers per border encounter; the rate "
        "is per_encounter x encounters_per_day.",
        json_schema_extra=meta(
            "transfers/encounter",
            "derived: FY2024 CBP book-ins 187,298 (ICE workbook) / "
            'USBP encounters 1,557,320 (DHS KHSM, `data.table("border_encounters")`) = '
            "0.120",
            varies=True,
        ),
    )
    encounters_per_day: float | None = Field(
        None,
        ge=0,
        description="cbp_transfer only: border encounters per day (required with per_encounter).",
        json_schema_extra=meta(
            "encounters/day",
            "FY2024 USBP encounters 1,557,320 = 4,255/day (DHS KHSM)",
            varies=True,
        ),
    )
    encounters_schedule: Steps[EncounterStep] = Field(
        default_factory=list,
        description="cbp_transfer only: steps of encounters_per_day "
        '(e.g. a monthly series from `data.table("border_encounters")`).',
    )

    @property
    def pool(self) -> None:
        return None

    def violations(self) -> list[Violation]:
        """Either a rate (and schedule) or per_encounter with encounters_per_day."""
        by_encounter = [
            k
            for k in ("per_encounter", "encounters_per_day", "encounters_schedule")
            if getattr(self, k) not in (None, [])
        ]
        if not by_encounter:
            return super().violations()
        found = []
        if self.rate_per_day is not None or self.schedule:
            found.append(
                Violation(
                    ("rate_per_day",),
                    NO_VALUE,
                    "give either rate_per_day (and schedule) or per_encounter with "
                    "encounters_per_day, not both",
                )
            )
        for k in ("per_encounter", "encounters_per_day"):
            if getattr(self, k) is None:
                found.append(
                    Violation(
                        (k,),
                        NO_VALUE,
                        "required key is missing (per_encounter and encounters_per_day go "
                        "together); must be a number >= 0",
                    )
                )
        return found


class TaskForceSource(PooledSource):
    kind: Literal["task_force"] = Field(description=KIND_DOC)


ArrestSource = Annotated[
    AtLargeSource | CustodialSource | CbpTransferSource | TaskForceSource,
    Field(discriminator="kind"),
]


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


# --- engine input and kernel helpers ---
# What does not depend on the simulation's state is precomputed per day here: each source's
# attempted-arrest rate (its schedule or border encounters, capped by `cap_per_day`). What
# does depend on state (the officer-hours left today, the pools, the beds) is decided in the
# kernel, through the compiled helpers below: at each day boundary `day_class_rates` splits
# each source's rate over its criminality classes (a pool source in the proportions of its
# eligible remaining pool); at each attempted arrest `arrest_attempt` decides its fate.

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
