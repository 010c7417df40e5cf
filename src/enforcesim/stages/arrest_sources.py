"""The kinds of arrest source `[arrests.sources.NAME]` and what each takes: a source's `kind`
decides its keys (only cbp_transfer sources follow border encounters, only at_large and
task_force sources draw down a finite pool), with the criminality mixes and pools they share.
The arrests stage (arrests.py) composes them into `[arrests]`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ..errors import NO_VALUE
from ..schema.base import StrictModel, meta
from ..schema.errors import Violation
from ..schema.stays import StayDistribution
from ..schema.steps import Steps
from .book_ins import Cohort, RateStep
from .detention import (
    LENGTH_OF_STAY_SCHEDULE_DOC,
    REMOVAL_SHARE_SCHEDULE_DOC,
    RemovalShareStep,
    StayStep,
)

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass

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
    removal_share_schedule: Steps[RemovalShareStep] = Field(
        default_factory=list,
        description=REMOVAL_SHARE_SCHEDULE_DOC
        + " Default: `detention.removal_share_schedule` if the source sets no "
        "`removal_share`.",
    )
    length_of_stay_schedule: Steps[StayStep] = Field(
        default_factory=list,
        description=LENGTH_OF_STAY_SCHEDULE_DOC
        + " Default: `detention.length_of_stay_schedule` if the source sets no "
        "`length_of_stay`.",
    )
    initial_cohorts: list[Cohort] = Field(
        default_factory=list,
        description="People this source's arrests put in beds before the start, by time "
        "already in custody, `[{ admitted_days_ago, count }, ...]` (as on a book-in stream): "
        "each person's remaining stay is drawn from the source's stay in force at admission "
        "given the time already spent. Each cohort is split between the source's three "
        "criminality classes by its `mix` (largest remainders). If any source sets cohorts, "
        "`detention.initial_detained` must be 0 and sources without cohorts start empty.",
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
    base_per_day: float | None = Field(
        None,
        ge=0,
        description="cbp_transfer only, with per_encounter: transfers per day that do not "
        "follow border encounters (e.g. interior CBP arrests); the rate is base_per_day + "
        "per_encounter x encounters_per_day. Default 0.",
        json_schema_extra=meta(
            "transfers/day",
            "FY2025 fit of CBP-arrest initial book-ins on USBP southwest-border "
            "encounters: 83 (70-95) on Oct 2024 - May 2025, 96 (80-110) on Oct 2024 - Sep "
            "2025 (docs/recalibration-fy2025.md, section 6)",
            varies=True,
        ),
    )
    per_encounter: float | None = Field(
        None,
        ge=0,
        description="cbp_transfer only: transfers per border encounter; the rate "
        "is base_per_day + per_encounter x encounters_per_day.",
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
            for k in ("base_per_day", "per_encounter", "encounters_per_day", "encounters_schedule")
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
                    "encounters_per_day (and base_per_day), not both",
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
