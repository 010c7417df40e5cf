"""Arrests: the sources that drive the model instead of book-ins (see docs/arrests.md). A
source's `kind` decides which keys it takes: only cbp_transfer sources follow border
encounters, only at_large and task_force sources draw down a finite pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field

from ..errors import NO_VALUE
from ..schema.base import Name, StrictModel, meta
from ..schema.errors import Violation
from ..schema.stays import StayDistribution
from ..schema.steps import Steps
from .book_ins import RateStep
from .constraint import Constraint, days_with, drop_uncertainty
from .volume import VolumeFn, supplied

if TYPE_CHECKING:
    from ..engine.runner import ReplicateOutput
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
# (imports here, so that this block merges as one piece with the other blocks of the module)

from .outputs import (  # noqa: E402
    Breakdown,
    DailyColumns,
    Definitions,
    MetricSet,
    StageOutputs,
    reported_days,
)

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
