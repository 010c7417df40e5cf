"""The root `Scenario` model: the run's identity and horizon, and one section per stage
(models in enforcesim.stages), plus targets, bottleneck settings and uncertainty."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..schema.base import Name, StrictModel, meta
from ..schema.draws import ParameterDraw
from ..schema.errors import value_error
from ..stages import CONSTRAINT_NAMES, STAGES
from ..stages.arrests import CRIMINALITY, Arrests
from ..stages.book_ins import BookIns, Cohort, Stream, split_initial
from ..stages.cases import Courts, Pathway, PathwayShareTable, TravelDocuments
from ..stages.costs import Budget, Costs
from ..stages.detention import Detention
from ..stages.officers import Officers
from ..stages.transport import Transport
from .fitted import FittedSection

CONTRACT_VERSION = 1
MAX_DAYS = 36500
MAX_REPLICATES = 10000
MAX_SEED = 2**63


def _check_constraint(name: str) -> str:
    if name not in CONSTRAINT_NAMES:
        raise value_error("not a constraint; valid: " + ", ".join(CONSTRAINT_NAMES))
    return name


class ScenarioMeta(StrictModel):
    """Identity, horizon and replication of the run."""

    name: str = Field(min_length=1, description="Name of the scenario, written to the results.")
    days: int = Field(
        ge=1, le=MAX_DAYS, description="Reported horizon.", json_schema_extra=meta("days")
    )
    warmup_days: int = Field(
        0,
        ge=0,
        le=MAX_DAYS,
        description="Simulated before day 0 and not reported.",
        json_schema_extra=meta("days"),
    )
    seed: int = Field(0, ge=0, lt=MAX_SEED, description="Root seed of `numpy.random.SeedSequence`.")
    replicates: int = Field(
        1, ge=1, le=MAX_REPLICATES, description="Independent replicates of the run."
    )
    start_date: date | None = Field(
        None,
        description="Calendar date of day 0 (a TOML date, e.g. 2024-10-01). Needed "
        "for budget dates and the fiscal-year cost breakdown (without it: 365-day years "
        "from day 0).",
    )


TargetName = Literal[
    "book_ins_per_day", "admitted_per_day", "removals_per_day", "ice_arrests_per_day"
]


class BottleneckSettings(StrictModel):
    """Bottleneck attribution: the shortfall of each target metric split between the
    constraints by Shapley values (runs the scenario 2^n times, n = constraints)."""

    targets: list[TargetName] | None = Field(
        None,
        description="Metrics whose shortfall is attributed (default: "
        "`removals_per_day`, and `ice_arrests_per_day` with [arrests]).",
    )
    constraints: list[Annotated[str, AfterValidator(_check_constraint)]] | None = Field(
        None,
        description="Constraints to relax (default: every one that applies: beds, "
        "seats with [transport], officers with [arrests], pool with an arrest source's pool, "
        "and those of other mechanisms).",
    )


class Targets(StrictModel):
    """Goals to compare metrics against: achieved and probability met are reported."""

    book_ins_per_day: float | None = Field(
        None,
        ge=0,
        json_schema_extra=meta("persons/day"),
        description="Target for `book_ins_per_day`.",
    )
    admitted_per_day: float | None = Field(
        None,
        ge=0,
        json_schema_extra=meta("persons/day"),
        description="Target for `admitted_per_day`.",
    )
    removals_per_day: float | None = Field(
        None,
        ge=0,
        json_schema_extra=meta("persons/day"),
        description="Target for `removals_per_day`.",
    )
    ice_arrests_per_day: float | None = Field(
        None,
        ge=0,
        description="Target for `ice_arrests_per_day` (needs [arrests]).",
        json_schema_extra=meta(
            "arrests/day",
            "goal of 3,000 ICE arrests/day set in May 2025 (press reports; The New Republic, 2025)",
        ),
    )


class Scenario(StrictModel):
    """A whole scenario file (the contract, extended)."""

    scenario: ScenarioMeta
    book_ins: BookIns | None = Field(None, description="Required unless [arrests] is given.")
    detention: Detention
    transport: Transport | None = None
    costs: Costs = Field(default_factory=Costs)
    targets: Targets = Field(default_factory=Targets)
    uncertainty: dict[str, ParameterDraw] = Field(
        default_factory=dict,
        description="Parameter uncertainty: dotted path of a numeric value -> distribution, "
        "drawn once per replicate.",
    )
    arrests: Arrests | None = Field(None, description="Instead of [book_ins].")
    officers: Officers | None = Field(
        None, description="Only with [arrests] (defaults apply when absent)."
    )

    # Sections added to the contract come after its own, so that messages listing the valid
    # sections keep the contract's list as a prefix.
    budget: dict[str, Budget] = Field(
        default_factory=dict,
        description="Appropriations `[budget.NAME]`: the day each runs "
        "out, or the capacity it sustains.",
    )
    bottlenecks: BottleneckSettings | None = Field(
        None,
        description="When present, bottleneck attribution runs (as with `enforcesim "
        "run --bottlenecks`).",
    )

    pathways: dict[Name, Pathway] = Field(
        default_factory=dict,
        description="Case pathways `[pathways.NAME]` (extension of contract v1).",
    )
    pathway_shares: dict[str, PathwayShareTable] = Field(
        default_factory=dict,
        description="`[pathway_shares]`: book-in class (stream name "
        "`a.b`, its prefix `a`, or `default`) -> { pathway = share, ... } summing to 1.",
    )
    courts: Courts | None = None
    travel_documents: TravelDocuments | None = None
    fitted: FittedSection = Field(
        default_factory=dict,
        description="Fitted scalars `[fitted.NAME]` (at most 6) that dated events name "
        "(`arrests.events`): each with its estimate, 95 % interval, identifying series and "
        "fit window (docs/arrests.md).",
    )

    def classes(self) -> list[tuple[str, Stream]]:
        """The kernel's arrival classes in order: the book-in streams, or with [arrests] one
        class per source and criminality, named "SOURCE.CRIMINALITY" (sources in file order,
        then convicted, pending, none), each with its source's stays and removal share and
        their schedules."""
        if self.arrests is None:
            assert self.book_ins is not None
            return self.book_ins.stream_list()
        out = []
        any_cohorts = any(s.initial_cohorts for s in self.arrests.sources.values())
        for name, src in self.arrests.sources.items():
            cohorts = split_cohorts(src.initial_cohorts, src.resolved("mix"))
            for k, crim in enumerate(CRIMINALITY):
                out.append(
                    (
                        f"{name}.{crim}",
                        Stream(
                            rate_per_day=0.0,
                            length_of_stay=src.length_of_stay,
                            removal_share=src.removal_share,
                            length_of_stay_schedule=src.length_of_stay_schedule,
                            removal_share_schedule=src.removal_share_schedule,
                            initial_cohorts=cohorts[k],
                            # with cohorts anywhere, a class without its own starts empty
                            initial_detained=None if cohorts[k] or not any_cohorts else 0,
                        ),
                    )
                )
        return out

    def has_classes(self) -> bool:
        """Whether results are reported per class (named streams, or arrests)."""
        return self.arrests is not None or bool(self.book_ins and self.book_ins.streams)

    def officers_or_default(self) -> Officers:
        return self.officers or Officers()

    def has_case_side(self) -> bool:
        """Whether any mechanism of the case and transport side is configured (otherwise
        the engine takes its shorter path of one decision and one departure schedule)."""
        tr = self.transport
        return bool(
            self.pathways
            or self.courts
            or self.travel_documents
            or (tr and (tr.modes or tr.intake or tr.transfers))
        )

    def with_overrides(self, seed: int | None = None, replicates: int | None = None) -> Scenario:
        meta = self.scenario.model_copy(
            update={k: v for k, v in (("seed", seed), ("replicates", replicates)) if v is not None}
        )
        return self.model_copy(update={"scenario": meta})


# Each stage's sections are fields of the root model (the reference and the rules walk them).
assert all(key in Scenario.model_fields for stage in STAGES for key in stage.sections)


def split_cohorts(cohorts: list[Cohort], shares: tuple[float, ...]) -> list[list[Cohort]]:
    """Each cohort of an arrest source split between its criminality classes by `shares`
    (largest remainders, so the counts add up exactly); empty cohorts are left out."""
    out: list[list[Cohort]] = [[] for _ in shares]
    for c in cohorts:
        for k, n in enumerate(split_initial(c.count, list(shares))):
            if n:
                out[k].append(Cohort(admitted_days_ago=c.admitted_days_ago, count=n))
    return out
