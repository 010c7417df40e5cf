"""The scenario file: its schema (defined once, here), loading and whole-file validation.

The schema implements `spec/scenario-contract.md` (v1). Pydantic checks types, ranges and
unknown keys; `_cross_checks` adds the rules that span several keys (schedules inside the
horizon, `sd` only where the distribution takes one, uncertainty paths that exist), on the raw
file so that they run even when other keys are wrong. All problems are collected and reported
together, each naming file, dotted key, value and what is allowed (in words derived from the
schema by `_describe`, so messages cannot drift from it).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import tomllib
from datetime import date
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from .errors import NO_VALUE, Problem, ScenarioError

CONTRACT_VERSION = 1
MAX_DAYS = 36500
MAX_REPLICATES = 10000
MAX_SEED = 2**63


def _unit(unit: str, source: str | None = None) -> dict[str, str]:
    extra = {"unit": unit}
    if source:
        extra["source"] = source
    return extra


class _Strict(BaseModel):
    # TOML has real types: no string-to-number coercion, no bool-as-int, no NaN or infinity.
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class ScenarioMeta(_Strict):
    """Identity, horizon and replication of the run."""

    name: str = Field(min_length=1, description="Name of the scenario, written to the results.")
    days: int = Field(
        ge=1, le=MAX_DAYS, description="Reported horizon.", json_schema_extra=_unit("days")
    )
    warmup_days: int = Field(
        0,
        ge=0,
        le=MAX_DAYS,
        description="Simulated before day 0 and not reported.",
        json_schema_extra=_unit("days"),
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


class RateStep(_Strict):
    day: int = Field(ge=0, description="First day the rate applies (integer in [0, days)).")
    rate_per_day: float = Field(
        ge=0, description="Poisson rate from this day on.", json_schema_extra=_unit("persons/day")
    )


class BedStep(_Strict):
    day: int = Field(ge=0, description="First day the bed count applies (integer in [0, days)).")
    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description="Beds from this day on.", json_schema_extra=_unit("beds")
    )


StayDistName = Literal["fixed", "exponential", "lognormal", "gamma"]


class StayDistribution(_Strict):
    """Days in a bed from admission until the case is decided."""

    dist: StayDistName = Field(description="`fixed`, `exponential`, `lognormal` or `gamma`.")
    mean: float = Field(gt=0, description="Mean stay.", json_schema_extra=_unit("days"))
    sd: float | None = Field(
        None,
        gt=0,
        description="Standard deviation; only for `lognormal` and `gamma`.",
        json_schema_extra=_unit("days"),
    )


STREAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Stream(_Strict):
    """One named flow of book-ins (for example by arresting agency): its own Poisson rate and
    schedule, and optionally its own stays and removal share."""

    rate_per_day: float = Field(
        ge=0,
        description="Rate of this stream before its first schedule step, warm-up included.",
        json_schema_extra=_unit("persons/day"),
    )
    schedule: list[RateStep] = Field(
        default_factory=list,
        description="Piecewise-constant steps of this stream, same rules as `book_ins.schedule`.",
    )
    length_of_stay: StayDistribution | None = Field(
        None, description="Stays of this stream (default: `detention.length_of_stay`)."
    )
    removal_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of this stream's decided cases ordered removed "
        "(default: `detention.removal_share`).",
        json_schema_extra=_unit("share"),
    )
    initial_detained: int | None = Field(
        None,
        ge=0,
        description="People of this stream in beds at the start. If no stream "
        "sets it, `detention.initial_detained` is split between streams in proportion to "
        "rate x mean stay at the start.",
        json_schema_extra=_unit("persons"),
    )


class BookIns(_Strict):
    """People booked into detention: a Poisson process with a piecewise-constant rate, or
    the sum of several named streams (an extension of contract v1)."""

    rate_per_day: float | None = Field(
        None,
        ge=0,
        description="Rate before the first schedule step, warm-up included. "
        "Required unless `streams` are given (then not allowed).",
        json_schema_extra=_unit("persons/day"),
    )
    schedule: list[RateStep] = Field(
        default_factory=list,
        description="Piecewise-constant steps: from `day` on, `rate_per_day`. Days strictly "
        "increasing, in [0, days).",
    )
    streams: dict[str, Stream] = Field(
        default_factory=dict,
        description="Named streams `[book_ins.streams.NAME]` (NAME: lower-case letters, "
        "digits, _), instead of `rate_per_day` and `schedule`.",
    )

    def stream_list(self) -> list[tuple[str, Stream]]:
        """The streams in file order; a v1 file is one stream named "all"."""
        if self.streams:
            return list(self.streams.items())
        return [("all", Stream(rate_per_day=self.rate_per_day or 0.0, schedule=self.schedule))]


class Detention(_Strict):
    """Beds, what happens when they are full, and how long people stay."""

    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description='Beds at the start (integer >= 0, or "unlimited").',
        json_schema_extra=_unit("beds"),
    )
    beds_schedule: list[BedStep] = Field(
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
        json_schema_extra=_unit("share"),
    )
    initial_detained: int = Field(
        0,
        ge=0,
        description="People in beds at the start of warm-up (or of day 0), with "
        "remaining stays from the stationary residual-stay distribution.",
        json_schema_extra=_unit("persons"),
    )


class Escort(_Strict):
    """An escorted trip: officers x hours per trip, shared by the persons on it. Charged to
    the officer-hours ledger (activity escort_transport); it takes no extra bed time."""

    officers_per_trip: float = Field(
        2.0,
        ge=0,
        description="Officers on each trip.",
        json_schema_extra=_unit(
            "officers",
            "assumption: two officers per van, as field officers describe the "
            "escort duty (issue 5)",
        ),
    )
    hours_per_trip: float = Field(
        3.0,
        ge=0,
        description="Duration of a trip, return included.",
        json_schema_extra=_unit("hours", "assumption, to be calibrated"),
    )
    persons_per_trip: float = Field(
        1.0,
        gt=0,
        description="Persons carried per trip on average.",
        json_schema_extra=_unit("persons", "assumption: at-large arrests are mostly moved singly"),
    )


class Transfers(_Strict):
    """Transfers between facilities: a share of admissions is moved once, by road or by a
    domestic flight. A transfer costs officer-hours at admission and no extra bed time."""

    share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of admissions transferred once.",
        json_schema_extra=_unit(
            "share",
            "assumption; reports describe most detained people "
            "as transferred at least once (VERIFY)",
        ),
    )
    air_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Share of transfers made by domestic flight (the rest by road).",
        json_schema_extra=_unit("share", "assumption"),
    )
    ground: Escort = Field(
        default_factory=lambda: Escort(
            officers_per_trip=2.0, hours_per_trip=6.0, persons_per_trip=10.0
        ),
        description="Road transfers (default 2 officers, 6 hours, 10 persons per trip).",
    )
    air: Escort = Field(
        default_factory=lambda: Escort(
            officers_per_trip=4.0, hours_per_trip=8.0, persons_per_trip=60.0
        ),
        description="Domestic transfer flights (default 4 officers, 8 hours, 60 persons).",
    )


class TransportMode(_Strict):
    """One way of removing people: scheduled departures with seats (a charter flight, a bus
    to the land border)."""

    departures_per_day: float = Field(
        gt=0,
        description="Departures at t = k / departures_per_day for every integer k.",
        json_schema_extra=_unit(
            "departures/day",
            "ICE Air: about 100-150 removal flights a month in 2023 (parameters.md, VERIFY)",
        ),
    )
    seats_per_departure: int = Field(
        gt=0,
        description="Seats on each departure.",
        json_schema_extra=_unit("seats", "135 per charter (ICE Air descriptions, 2017)"),
    )
    hours_per_departure: float = Field(
        5.0,
        ge=0,
        description="Hours of each departure that carries anyone (flight-hours "
        "of a charter, driving hours of a bus).",
        json_schema_extra=_unit(
            "hours",
            "assumption; flight-hours are priced at about $8,600 each (parameters.md, VERIFY)",
        ),
    )
    officers_per_departure: float = Field(
        2.0,
        ge=0,
        description="ICE officers escorting each departure that carries anyone "
        "(contract guards are not counted).",
        json_schema_extra=_unit("officers", "assumption"),
    )
    groups: list[str] | None = Field(
        None,
        description="Travel-document groups removed by this mode. Absent: the default "
        "mode, for every group no other mode names (at most one default mode).",
    )
    kind: Literal["flight", "bus"] = Field(
        "flight",
        description='What a departure carrying anyone costs: "flight" (its '
        'hours_per_departure are flight-hours, priced by costs.per_flight_hour) or "bus" '
        "(one bus trip, priced by costs.per_bus_trip; its hours are driving hours, not "
        "priced). Default flight: ICE Air charters carry most removals other than over the "
        "land border.",
    )


class Transport(_Strict):
    """Removal transport and escorts. v1: scheduled departures (`departures_per_day`,
    `seats_per_departure`); a person ordered removed keeps the bed until a seat takes them.
    Extension: several `modes`, intake escorts and transfers."""

    departures_per_day: float | None = Field(
        None,
        gt=0,
        description="Departures at t = k / departures_per_day for every integer "
        "k. Required with seats_per_departure unless `modes` are given (then not allowed).",
        json_schema_extra=_unit("departures/day"),
    )
    seats_per_departure: int | None = Field(
        None,
        gt=0,
        description="Seats on each departure (with departures_per_day).",
        json_schema_extra=_unit("seats"),
    )
    modes: dict[str, TransportMode] = Field(
        default_factory=dict,
        description="Removal modes `[transport.modes.NAME]` (for "
        "example charter, bus), instead of departures_per_day and seats_per_departure.",
    )
    intake: Escort | None = Field(
        None,
        description="Escort from arrest to the hold room and the detention centre, "
        "charged per admission.",
    )
    transfers: Transfers | None = Field(
        None, description="Transfers between facilities, charged per transferred admission."
    )

    def mode_list(self) -> list[tuple[str, TransportMode]]:
        """The removal modes in file order; v1 keys are one mode named "default" that
        charges no officer-hours."""
        if self.modes:
            return list(self.modes.items())
        if self.departures_per_day is None or self.seats_per_departure is None:
            return []
        return [
            (
                "default",
                TransportMode(
                    departures_per_day=self.departures_per_day,
                    seats_per_departure=self.seats_per_departure,
                    hours_per_departure=0.0,
                    officers_per_departure=0.0,
                ),
            )
        ]


# ICE detention statistics FY24, sheet "ATD EOFY24": average length in program of active
# participants on 30 Sep 2024 (589.11 days over 179,071 participants).
ATD_DAYS_IN_PROGRAM = 589.1


class Pathway(_Strict):
    """One case pathway `[pathways.NAME]`: how a detained case ends and how long it takes."""

    stay: StayDistribution | None = Field(
        None,
        description="Days from admission to the decision (for a court pathway: to "
        "joining the judges' docket, default 0). Required unless court or diversion.",
    )
    outcome: Literal["removal", "release", "voluntary_departure"] | None = Field(
        None,
        description='"removal" (a removal order: travel document, then a seat), '
        '"release" (bond, parole, relief) or "voluntary_departure" (leaves at once at own '
        "expense). Required unless diversion.",
    )
    counts_as_removal: bool | None = Field(
        None,
        description="Whether the exit counts in removals_per_day. Default: true for "
        "removal, false otherwise (voluntary departures and returns are not ICE removals); "
        "never true for release.",
    )
    court: bool = Field(
        False,
        description="The detained immigration-court docket: after "
        "`stay`, the case waits for a judge in [courts] and is decided when "
        "the judge completes it.",
    )
    diversion: bool = Field(
        False,
        description="Alternatives to detention: diverted at "
        "book-in, never takes a bed; counted in atd_diversions_per_day.",
    )
    days_in_program: float | None = Field(
        None,
        gt=0,
        description="With diversion: days each diversion spends in alternatives "
        "to detention, charged in full to the atd_days volume on the day of the diversion "
        f"(default {ATD_DAYS_IN_PROGRAM}).",
        json_schema_extra=_unit(
            "days",
            "ICE detention statistics FY24 (data/raw/ice-detention-stats, sheet ATD "
            "EOFY24): average length in program of the 179,071 active participants on "
            "30 Sep 2024, 589.1 days; an elapsed time of those enrolled, equal to the mean "
            "duration only for exponential durations (VERIFY)",
        ),
    )

    def atd_days(self) -> float:
        """Participant-days in ATD one diversion of this pathway commits to."""
        return ATD_DAYS_IN_PROGRAM if self.days_in_program is None else self.days_in_program


class JudgeStep(_Strict):
    day: int = Field(ge=0, description="First day the judge count applies (integer in [0, days)).")
    judges: int = Field(
        ge=0, description="Judges from this day on.", json_schema_extra=_unit("judges")
    )


# TRAC: about 290 completions per judge per quarter; a quarter is 365.25 / 4 days.
COMPLETIONS_PER_JUDGE_DAY = 290 / (365.25 / 4)


class Courts(_Strict):
    """Immigration judges hearing the detained docket: an M/M/c queue (c = judges, each
    completing detained cases at completions_per_judge_per_day x detained_docket_share),
    first come first served."""

    judges: int = Field(
        682,
        ge=0,
        description="Immigration judges at the start.",
        json_schema_extra=_unit(
            "judges", "682 in Dec 2023, CRS R47637; capped at 800 by the 2025 law"
        ),
    )
    judges_schedule: list[JudgeStep] = Field(
        default_factory=list,
        description="Steps in the judge count; a cut interrupts no "
        "hearing, an increase starts cases at once.",
    )
    completions_per_judge_per_day: float = Field(
        round(COMPLETIONS_PER_JUDGE_DAY, 3),
        gt=0,
        description="Cases a judge completes per day on all dockets.",
        json_schema_extra=_unit(
            "cases/judge/day", "TRAC: about 290 per judge per quarter (FY2024 Q1 pace), / 91.3 days"
        ),
    )
    detained_docket_share: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Share of judges' capacity given to the detained docket.",
        json_schema_extra=_unit(
            "share",
            "assumption: the detained docket is a "
            "small part of judges' work (VERIFY against EOIR "
            "detained completions)",
        ),
    )
    completion_time: Literal["exponential", "fixed"] = Field(
        "exponential",
        description="Distribution of a judge's time per case, mean 1 / "
        "(completions_per_judge_per_day x detained_docket_share).",
    )


class DocumentGroup(_Strict):
    """A group of countries of return `[travel_documents.groups.NAME]`."""

    share: float = Field(
        ge=0,
        le=1,
        description="Share of removal orders in this group (shares sum to 1).",
        json_schema_extra=_unit("share"),
    )
    delay: StayDistribution | None = Field(
        None,
        description="Days from the removal order until the travel document is ready "
        "(absent: none needed, e.g. Mexico).",
    )
    uncooperative: bool = Field(
        False,
        description="Lever: a country slow to issue documents; its delays are "
        "multiplied by travel_documents.uncooperative_delay_factor.",
    )


class TravelDocuments(_Strict):
    """Travel documents: a removal order waits, in its bed, for the document of its country
    group before it queues for a seat."""

    groups: dict[str, DocumentGroup] = Field(
        description="Country groups `[travel_documents.groups.NAME]`, shares summing to 1."
    )
    uncooperative_delay_factor: float = Field(
        4.0,
        ge=1,
        description="Multiplier of the delay of groups marked uncooperative.",
        json_schema_extra=_unit(
            "factor", "assumption; 13 recalcitrant and 17 at-risk countries in 2020, CRS IF11025"
        ),
    )


# Volumes a cost item can be charged on (costs.py maps each to a per-day series). Trips,
# flight-hours, bus trips, court, docket, document-wait and ATD days come from the case and
# transport side (zero without it). Arrests and officer-hours come
# from the arrest side ([arrests]; zero without it): `officer_hours` are the hours available
# (officers x productive hours, as paid), the `officer_hours_*` ones the ledger (as used).
VolumeName = Literal[
    "book_ins",
    "admissions",
    "bed_days",
    "funded_bed_days",
    "removals",
    "releases",
    "departures",
    "arrests",
    "officer_hours",
    "escorted_trips",
    "flight_hours",
    "bus_trips",
    "court_days",
    "atd_days",
    "ice_arrests",
    "officer_hours_used",
    "officer_hours_arrests",
    "officer_hours_escort_transport",
    "officer_hours_casework",
    "docket_days",
    "document_wait_days",
    "escorted_trips_intake",
    "escorted_trips_transfers",
    "escorted_trips_departures",
    "flight_departures",
]


class BedTier(_Strict):
    """One facility type's beds under a tiered contract: the guaranteed minimum is paid
    every day whether used or not, occupied beds above it at `rate_above`."""

    guaranteed_minimum: int = Field(
        0,
        ge=0,
        description="Beds paid for every day, used or not.",
        json_schema_extra=_unit(
            "beds", "docs/data.md facilities table (guaranteed_minimum; 48 facilities, 32,662 beds)"
        ),
    )
    rate: float = Field(
        127.06,
        ge=0,
        description="Per bed-day of the guaranteed minimum.",
        json_schema_extra=_unit(
            "USD/bed-day",
            "mean weighted by guaranteed beds of the 12 "
            "tiered contracts (6,500 guaranteed beds) in the 2015 ICE "
            "facility list, data/raw/ice-facility-lists via the facilities "
            "table's per_diem_detail (docs/costs.md)",
        ),
    )
    rate_above: float = Field(
        52.38,
        ge=0,
        description="Per occupied bed-day above the guaranteed minimum.",
        json_schema_extra=_unit(
            "USD/bed-day",
            "the same 12 contracts' first rate above "
            "the guaranteed minimum, weighted alike (docs/costs.md)",
        ),
    )
    capacity: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        "unlimited",
        description="Beds of this type, the guaranteed minimum included; "
        "occupancy beyond every tier's capacity is charged at the last tier's `rate_above`.",
        json_schema_extra=_unit("beds"),
    )


class CostItem(_Strict):
    """A unit cost charged on a named volume: the per-stage tables of published analyses."""

    usd_per_unit: float = Field(
        ge=0, description="Dollars per unit of the volume.", json_schema_extra=_unit("USD/unit")
    )
    volume: VolumeName = Field(description="What the cost is charged on.")


class Costs(_Strict):
    """Unit costs (U.S. dollars). `bed_day`, `per_book_in` and `per_departure` are contract
    v1 (they make `cost_total`); the other keys feed the all-in costs of the `costs` block of
    summary.json (see docs/costs.md)."""

    bed_day: float = Field(
        0.0, ge=0, description="Per occupied bed-day.", json_schema_extra=_unit("USD/bed-day")
    )
    per_book_in: float = Field(
        0.0,
        ge=0,
        description="Per arrival, including those turned away.",
        json_schema_extra=_unit("USD/person"),
    )
    per_departure: float = Field(
        0.0,
        ge=0,
        description="Per scheduled departure, empty ones included.",
        json_schema_extra=_unit("USD/departure"),
    )
    beds: dict[str, BedTier] = Field(
        default_factory=dict,
        description="Tiered bed costs by facility type, `[costs.beds.NAME]`, filled in file "
        "order (all guaranteed minimums first, then beds above them); when given they replace "
        "`bed_day` in the all-in costs.",
    )
    overhead_per_funded_bed_day: float = Field(
        71.85,
        ge=0,
        description="What a per-diem leaves out (health care, staff, transport, "
        "facility overhead), per funded bed-day: beds in force, or occupied bed-days while "
        "beds are unlimited.",
        json_schema_extra=_unit(
            "USD/bed-day",
            "FY2024 detention budget $3.4B / (41,500 beds x 366 days) = "
            "$223.85 per funded bed-day, less the $152 per-diem (reference parameters.md, "
            "VERIFY)",
        ),
    )
    overhead_per_bed_day: float = Field(
        0.0,
        ge=0,
        description="Overhead per occupied bed-day (an alternative to the funded-bed overhead).",
        json_schema_extra=_unit("USD/bed-day"),
    )
    per_arrest: float = Field(
        0.0,
        ge=0,
        description="Per arrest made, CBP transfers included (zero by default: "
        "officer time is priced by `per_officer_hour`; set one or the other).",
        json_schema_extra=_unit("USD/arrest"),
    )
    per_officer_hour: float = Field(
        96.15,
        ge=0,
        description="Per officer-hour available with [arrests] (officers x "
        "productive hours, casework included, used or not: docs/costs.md).",
        json_schema_extra=_unit(
            "USD/officer-hour",
            "about $8B for 10,000 new officers through FY2029 (4 years, "
            "reference parameters.md, VERIFY) = $200,000 per officer-year / 2,080 hours",
        ),
    )
    per_escorted_trip: float = Field(
        0.0,
        ge=0,
        description="Per escorted trip (no public source: set it in the scenario).",
        json_schema_extra=_unit("USD/trip"),
    )
    per_flight_hour: float = Field(
        8600.0,
        ge=0,
        description="Per charter flight-hour.",
        json_schema_extra=_unit(
            "USD/flight-hour", "ICE routine charter, reference parameters.md (VERIFY)"
        ),
    )
    per_bus_trip: float = Field(
        0.0,
        ge=0,
        description="Per bus trip (no public source: set it in the scenario).",
        json_schema_extra=_unit("USD/trip"),
    )
    per_court_day: float = Field(
        0.0,
        ge=0,
        description="Per immigration-court day (no public source: set it in the scenario).",
        json_schema_extra=_unit("USD/court-day"),
    )
    per_atd_day: float = Field(
        4.20,
        ge=0,
        description="Per participant-day in alternatives to detention.",
        json_schema_extra=_unit(
            "USD/participant-day", "ICE ATD page, under $4.20 (reference parameters.md)"
        ),
    )
    per_removal: float = Field(
        0.0,
        ge=0,
        description="Per person removed (for example processing not priced elsewhere).",
        json_schema_extra=_unit("USD/person"),
    )
    items: dict[str, CostItem] = Field(
        default_factory=dict,
        description="More unit costs, `[costs.items.NAME]`, each charged on a volume (the "
        "per-stage tables of docs/costs.md); reported under their own names.",
    )


class Budget(_Strict):
    """An appropriation: money for some cost components over a period."""

    amount_usd: float = Field(
        ge=0, description="Money appropriated.", json_schema_extra=_unit("USD")
    )
    start: Annotated[int, Field(ge=0)] | date = Field(
        0,
        description="First day it pays for: a day number, or a date (needs `scenario.start_date`).",
        json_schema_extra=_unit("day or date"),
    )
    end: Annotated[int, Field(ge=0)] | date | None = Field(
        None,
        description="Last day it pays for, inclusive (default: the last reported day); "
        "may lie beyond the horizon.",
        json_schema_extra=_unit("day or date"),
    )
    pays_for: list[str] = Field(
        min_length=1,
        description="Cost components it pays for (names as in the `costs` "
        "block: beds, overhead, book_ins, departures, arrests, officer_hours, escorted_trips, "
        "flight_hours, bus_trips, court_days, atd_days, removals, or an item's name).",
    )


# Names the `costs` block reports components under (costs.py registers one function per
# name; a mechanism that adds a component adds its name here).
COST_COMPONENT_NAMES = (
    "beds",
    "overhead",
    "book_ins",
    "departures",
    "arrests",
    "officer_hours",
    "escorted_trips",
    "flight_hours",
    "bus_trips",
    "court_days",
    "atd_days",
    "removals",
)
# Constraints bottleneck attribution can relax (constraints.py registers each; officers and
# pool come with [arrests], judges with court pathways, documents with document delays).
CONSTRAINT_NAMES = ("beds", "seats", "officers", "pool", "judges", "documents")

TargetName = Literal[
    "book_ins_per_day", "admitted_per_day", "removals_per_day", "ice_arrests_per_day"
]


class BottleneckSettings(_Strict):
    """Bottleneck attribution: the shortfall of each target metric split between the
    constraints by Shapley values (runs the scenario 2^n times, n = constraints)."""

    targets: list[TargetName] | None = Field(
        None,
        description="Metrics whose shortfall is attributed (default: "
        "`removals_per_day`, and `ice_arrests_per_day` with [arrests]).",
    )
    constraints: list[str] | None = Field(
        None,
        description="Constraints to relax (default: every one that applies: beds, "
        "seats with [transport], officers with [arrests], pool with an arrest source's pool, "
        "and those of other mechanisms).",
    )


class Targets(_Strict):
    """Goals to compare metrics against: achieved and probability met are reported."""

    book_ins_per_day: float | None = Field(
        None,
        ge=0,
        json_schema_extra=_unit("persons/day"),
        description="Target for `book_ins_per_day`.",
    )
    admitted_per_day: float | None = Field(
        None,
        ge=0,
        json_schema_extra=_unit("persons/day"),
        description="Target for `admitted_per_day`.",
    )
    removals_per_day: float | None = Field(
        None,
        ge=0,
        json_schema_extra=_unit("persons/day"),
        description="Target for `removals_per_day`.",
    )
    ice_arrests_per_day: float | None = Field(
        None,
        ge=0,
        description="Target for `ice_arrests_per_day` (needs [arrests]).",
        json_schema_extra=_unit(
            "arrests/day",
            "goal of 3,000 ICE arrests/day set in May 2025 (press reports; The New Republic, 2025)",
        ),
    )


# ---------------------------------------------------------------------------------------------
# The arrest side (an extension of contract v1): sources, pools, officers. See docs/arrests.md.

CRIMINALITY = ("convicted", "pending", "none")
SourceKind = Literal["at_large", "custodial", "cbp_transfer", "task_force"]

# FY2024: 113,431 ICE arrests, 71.7% with a conviction or pending charge (ICE annual report);
# split between the two in proportion to FY2024 ICE-arrest ADP by criminality (0.674 : 0.240,
# ICE workbook, `data.table("monthly")`).
_MIX_ICE_SOURCE = (
    "FY2024 ICE arrests: 71.7% with conviction or pending charge (ICE annual "
    "report); conviction:pending split 0.674:0.240 as in FY2024 ICE-arrest ADP "
    "by criminality (ICE workbook)"
)
_MIX_CBP_SOURCE = "FY2024 ADP of CBP-arrested detainees by criminality (ICE workbook), a proxy"
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


class Mix(_Strict):
    """Shares by criminality at arrest (ICE's categories); they must sum to 1."""

    convicted: float = Field(
        ge=0,
        le=1,
        description="Share with a criminal conviction.",
        json_schema_extra=_unit("share"),
    )
    pending: float = Field(
        ge=0,
        le=1,
        description="Share with pending criminal charges.",
        json_schema_extra=_unit("share"),
    )
    none: float = Field(
        ge=0,
        le=1,
        description="Share with neither (other immigration violators).",
        json_schema_extra=_unit("share"),
    )

    def shares(self) -> tuple[float, float, float]:
        return (self.convicted, self.pending, self.none)


class EncounterStep(_Strict):
    day: int = Field(ge=0, description="First day the encounter rate applies.")
    encounters_per_day: float = Field(
        ge=0,
        description="Border encounters per day from this day on.",
        json_schema_extra=_unit("encounters/day"),
    )


class Pool(_Strict):
    """A finite target population that at-large (or task-force) arrests draw down. Hours per
    arrest grow as it is depleted and as the priority narrows it:
    hours = officer_hours_per_arrest x (size / eligible remaining) ^ yield_exponent."""

    size: float = Field(
        1445549.0,
        gt=0,
        description="People in the target population at the start of warm-up.",
        json_schema_extra=_unit(
            "persons",
            "final orders not carried out on the non-detained docket, 1,445,549 "
            "(Nov 2024), ICE letter to Congress; one possible target population",
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
        json_schema_extra=_unit(
            "1",
            "assumption (search effort inversely proportional to "
            "target density); see docs/arrests.md",
        ),
    )
    replenish_per_day: float = Field(
        0.0,
        ge=0,
        description="People entering the pool per day (split by the pool's mix).",
        json_schema_extra=_unit("persons/day", "assumption"),
    )


class ArrestSource(_Strict):
    """One arrest source `[arrests.sources.NAME]`: its rate of attempted arrests (the
    source's target), who it arrests, what an arrest costs in officer-hours and how many are
    booked into detention. Keys left out take the defaults of the source's `kind`."""

    kind: SourceKind = Field(
        description='"at_large" (ICE arrests in the community), '
        '"custodial" (transfers from jails and prisons, including 287(g) '
        'jail agreements), "cbp_transfer" (handed over by CBP), '
        '"task_force" (partner agencies and 287(g) task forces).'
    )
    rate_per_day: float | None = Field(
        None,
        ge=0,
        description="Arrests attempted per day before the first schedule step, "
        "warm-up included: the source's target. Required unless a cbp_transfer source gives "
        "`per_encounter`.",
        json_schema_extra=_unit(
            "arrests/day",
            "FY2024: 113,431 ICE arrests = 310/day, of which 33,243 at-large "
            "= 91/day (ICE annual report); goal of 3,000 ICE arrests/day (May 2025, press)",
        ),
    )
    schedule: list[RateStep] = Field(
        default_factory=list,
        description="Piecewise-constant steps of `rate_per_day`, same "
        "rules as `book_ins.schedule`.",
    )
    per_encounter: float | None = Field(
        None,
        ge=0,
        description="cbp_transfer only: transfers per border encounter; the rate "
        "is per_encounter x encounters_per_day.",
        json_schema_extra=_unit(
            "transfers/encounter",
            "derived: FY2024 CBP book-ins 187,298 (ICE workbook) / "
            'USBP encounters 1,557,320 (DHS KHSM, `data.table("border_encounters")`) = '
            "0.120",
        ),
    )
    encounters_per_day: float | None = Field(
        None,
        ge=0,
        description="cbp_transfer only: border encounters per day (required with per_encounter).",
        json_schema_extra=_unit(
            "encounters/day", "FY2024 USBP encounters 1,557,320 = 4,255/day (DHS KHSM)"
        ),
    )
    encounters_schedule: list[EncounterStep] = Field(
        default_factory=list,
        description="cbp_transfer only: steps of encounters_per_day "
        '(e.g. a monthly series from `data.table("border_encounters")`).',
    )
    mix: Mix | None = Field(
        None,
        description="Shares by criminality of the people it "
        "arrests. Default by kind: ICE kinds 0.529 / 0.188 / 0.283 ("
        + _MIX_ICE_SOURCE
        + "); cbp_transfer 0.067 / 0.031 / 0.902 ("
        + _MIX_CBP_SOURCE
        + ").",
    )
    officer_hours_per_arrest: float | None = Field(
        None,
        ge=0,
        description="ICE officer-hours one arrest takes (with a pool: at a full "
        'pool under priority "anyone"). Default by kind: at_large 88, custodial 29, '
        "task_force 10, cbp_transfer 0.",
        json_schema_extra=_unit(
            "officer-hours/arrest",
            "derived: ~6,000 officers x 1,760 h/yr x (1 - casework "
            "0.5) = 5.28M h over FY2024's 33,243 at-large and 80,188 other arrests, at-large "
            "assumed 3x custodial (an upper bound: it assumes FY2024 used every arrest hour); "
            "task_force 10 is an assumption",
        ),
    )
    share_booked_in: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of arrests booked into detention (the rest are "
        "released, placed on ATD or returned at once). Default: 0.80 for ICE kinds, 1.0 for "
        "cbp_transfer.",
        json_schema_extra=_unit(
            "share",
            "derived: FY2024 book-ins of ICE arrests 90,615 (ICE workbook) / ICE "
            "arrests 113,431 = 0.80",
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
        json_schema_extra=_unit(
            "arrests/day",
            "287(g): 135 agreements (Jan 2025), 1,100+ "
            "signed in 2025 (ICE via press, VERIFY); size per scenario",
        ),
    )
    pool: Pool | None = Field(
        None, description="Finite, depleting target population (at_large and task_force only)."
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
        json_schema_extra=_unit("share"),
    )

    def resolved(self, key: str) -> Any:
        """The value of a key, or the default of the source's kind."""
        value = getattr(self, key)
        if value is None and key in KIND_DEFAULTS[self.kind]:
            return KIND_DEFAULTS[self.kind][key]
        return value.shares() if isinstance(value, Mix) else value


class Arrests(_Strict):
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
    sources: dict[str, ArrestSource] = Field(
        description="Named sources `[arrests.sources.NAME]` (NAME: lower-case letters, digits, "
        "_); their classes are named NAME.convicted, NAME.pending, NAME.none."
    )


class HireStep(_Strict):
    day: int = Field(ge=0, description="Day the new officers start (integer in [0, days)).")
    officers: int = Field(
        ge=0,
        description="Officers hired that day; productive after `training_lag_days`.",
        json_schema_extra=_unit(
            "officers",
            "10,000 new officers funded through FY2029 (press summaries of the 2025 law, VERIFY)",
        ),
    )


class Officers(_Strict):
    """ICE deportation officers: headcount, hiring, attrition and the hours they work. The
    daily officer-hours left after casework are spent on arrests and escorts."""

    headcount: int = Field(
        6000,
        ge=0,
        description="Productive officers on day 0 (held during warm-up).",
        json_schema_extra=_unit(
            "officers",
            "about 6,000 ICE deportation officers (2024-25), National Immigration Forum; AP",
        ),
    )
    hires: list[HireStep] = Field(
        default_factory=list,
        description="New officers: `{ day, officers }` steps, days strictly increasing.",
    )
    training_lag_days: int = Field(
        150,
        ge=0,
        description="Days from hiring to productive work.",
        json_schema_extra=_unit(
            "days", "assumption: about 5 months of academy and field training, VERIFY"
        ),
    )
    attrition_per_year: float = Field(
        0.0,
        ge=0,
        le=5,
        description="Exponential attrition rate of officers from day 0 on "
        "(0: the headcount is held by backfill hiring).",
        json_schema_extra=_unit("1/year", "assumption"),
    )
    productive_hours_per_day: float = Field(
        4.82,
        ge=0,
        le=24,
        description="Hours an officer works per calendar day.",
        json_schema_extra=_unit(
            "hours/officer-day",
            "derived: 2,080 paid hours a year less "
            "about 15% leave, holidays and training = 1,760 h / 365 "
            "(assumption)",
        ),
    )
    casework_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of productive hours spent on casework (docket "
        "management, check-ins), not available for arrests or escorts.",
        json_schema_extra=_unit(
            "share",
            "assumption: 19 arrests per officer-year (FY2024) is "
            "a system ratio that includes casework",
        ),
    )
    escort_hours_per_book_in: float = Field(
        0.0,
        ge=0,
        description="Officer-hours charged per book-in at book-in time for escort "
        "and transport (a simplification until the transport side charges its trips).",
        json_schema_extra=_unit("officer-hours/book-in", "assumption"),
    )


class UniformDraw(_Strict):
    dist: Literal["uniform"]
    low: float
    high: float


class TriangularDraw(_Strict):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float


class NormalDraw(_Strict):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)


class LognormalDraw(_Strict):
    dist: Literal["lognormal"]
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)


ParameterDraw = Annotated[
    UniformDraw | TriangularDraw | NormalDraw | LognormalDraw, Field(discriminator="dist")
]


class Scenario(_Strict):
    """A whole scenario file (contract v1)."""

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

    # Issue 6 sections, after the v1 ones so that v1 messages listing sections keep their text.
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

    # Extensions come after the v1 sections, so that v1 messages listing the valid sections
    # keep their text as a prefix.
    pathways: dict[str, Pathway] = Field(
        default_factory=dict,
        description="Case pathways `[pathways.NAME]` (extension of contract v1).",
    )
    pathway_shares: dict[str, dict[str, Annotated[float, Field(ge=0, le=1)]]] = Field(
        default_factory=dict,
        description="`[pathway_shares]`: book-in class (stream name "
        "`a.b`, its prefix `a`, or `default`) -> { pathway = share, ... } summing to 1.",
    )
    courts: Courts | None = None
    travel_documents: TravelDocuments | None = None

    def classes(self) -> list[tuple[str, Stream]]:
        """The kernel's arrival classes in order: the book-in streams, or with [arrests] one
        class per source and criminality, named "SOURCE.CRIMINALITY" (sources in file order,
        then convicted, pending, none), each with its source's stays and removal share."""
        if self.arrests is None:
            assert self.book_ins is not None
            return self.book_ins.stream_list()
        out = []
        for name, src in self.arrests.sources.items():
            for crim in CRIMINALITY:
                out.append(
                    (
                        f"{name}.{crim}",
                        Stream(
                            rate_per_day=0.0,
                            length_of_stay=src.length_of_stay,
                            removal_share=src.removal_share,
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
        the engine takes exactly the v1 code path)."""
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


# Numeric values an [uncertainty] entry may vary, with their allowed range and whether they
# are integers. Draws are truncated to the range (see uncertainty.py).
#   path pattern -> (low, high, low_open, integer)
_INF = math.inf
UNCERTAIN_VALUES: dict[str, tuple[float, float, bool, bool]] = {
    "book_ins.rate_per_day": (0.0, _INF, False, False),
    "book_ins.schedule.*.rate_per_day": (0.0, _INF, False, False),
    "detention.beds": (0.0, _INF, False, True),
    "detention.beds_schedule.*.beds": (0.0, _INF, False, True),
    "detention.length_of_stay.mean": (0.0, _INF, True, False),
    "detention.length_of_stay.sd": (0.0, _INF, True, False),
    "detention.removal_share": (0.0, 1.0, False, False),
    "detention.initial_detained": (0.0, _INF, False, True),
    "transport.departures_per_day": (0.0, _INF, True, False),
    "transport.seats_per_departure": (1.0, _INF, False, True),
    "costs.bed_day": (0.0, _INF, False, False),
    "costs.per_book_in": (0.0, _INF, False, False),
    "costs.per_departure": (0.0, _INF, False, False),
    "costs.overhead_per_funded_bed_day": (0.0, _INF, False, False),
    "costs.overhead_per_bed_day": (0.0, _INF, False, False),
    "costs.per_arrest": (0.0, _INF, False, False),
    "costs.per_officer_hour": (0.0, _INF, False, False),
    "costs.per_escorted_trip": (0.0, _INF, False, False),
    "costs.per_flight_hour": (0.0, _INF, False, False),
    "costs.per_bus_trip": (0.0, _INF, False, False),
    "costs.per_court_day": (0.0, _INF, False, False),
    "costs.per_atd_day": (0.0, _INF, False, False),
    "costs.per_removal": (0.0, _INF, False, False),
    "costs.beds.<name>.rate": (0.0, _INF, False, False),
    "costs.beds.<name>.rate_above": (0.0, _INF, False, False),
    "costs.items.<name>.usd_per_unit": (0.0, _INF, False, False),
    "budget.<name>.amount_usd": (0.0, _INF, False, False),
    "book_ins.streams.<name>.rate_per_day": (0.0, _INF, False, False),
    "book_ins.streams.<name>.schedule.*.rate_per_day": (0.0, _INF, False, False),
    "book_ins.streams.<name>.length_of_stay.mean": (0.0, _INF, True, False),
    "book_ins.streams.<name>.length_of_stay.sd": (0.0, _INF, True, False),
    "book_ins.streams.<name>.removal_share": (0.0, 1.0, False, False),
    "book_ins.streams.<name>.initial_detained": (0.0, _INF, False, True),
    "arrests.sources.<name>.rate_per_day": (0.0, _INF, False, False),
    "arrests.sources.<name>.schedule.*.rate_per_day": (0.0, _INF, False, False),
    "arrests.sources.<name>.per_encounter": (0.0, _INF, False, False),
    "arrests.sources.<name>.encounters_per_day": (0.0, _INF, False, False),
    "arrests.sources.<name>.officer_hours_per_arrest": (0.0, _INF, False, False),
    "arrests.sources.<name>.share_booked_in": (0.0, 1.0, False, False),
    "arrests.sources.<name>.cap_per_day": (0.0, _INF, False, False),
    "arrests.sources.<name>.pool.size": (0.0, _INF, True, False),
    "arrests.sources.<name>.pool.yield_exponent": (0.0, _INF, False, False),
    "arrests.sources.<name>.pool.replenish_per_day": (0.0, _INF, False, False),
    "arrests.sources.<name>.removal_share": (0.0, 1.0, False, False),
    "arrests.sources.<name>.length_of_stay.mean": (0.0, _INF, True, False),
    "officers.headcount": (0.0, _INF, False, True),
    "officers.training_lag_days": (0.0, _INF, False, True),
    "officers.attrition_per_year": (0.0, 5.0, False, False),
    "officers.productive_hours_per_day": (0.0, 24.0, False, False),
    "officers.casework_share": (0.0, 1.0, False, False),
    "officers.escort_hours_per_book_in": (0.0, _INF, False, False),
    "pathways.<name>.stay.mean": (0.0, _INF, True, False),
    "pathways.<name>.stay.sd": (0.0, _INF, True, False),
    "courts.judges": (0.0, _INF, False, True),
    "courts.completions_per_judge_per_day": (0.0, _INF, True, False),
    "courts.detained_docket_share": (0.0, 1.0, True, False),
    "travel_documents.groups.<name>.delay.mean": (0.0, _INF, True, False),
    "travel_documents.uncooperative_delay_factor": (1.0, _INF, False, False),
    "transport.modes.<name>.departures_per_day": (0.0, _INF, True, False),
    "transport.modes.<name>.seats_per_departure": (1.0, _INF, False, True),
    "transport.transfers.share": (0.0, 1.0, False, False),
}


def uncertain_value_rule(path: str) -> tuple[float, float, bool, bool] | None:
    parts = path.split(".")
    for pattern, rule in UNCERTAIN_VALUES.items():
        pp = pattern.split(".")
        if len(pp) == len(parts) and all(
            p == q or (p == "*" and q.isdigit()) or (p == "<name>" and STREAM_NAME.match(q))
            for p, q in zip(pp, parts, strict=True)
        ):
            return rule
    return None


def get_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


# ---------------------------------------------------------------------------------------------
# Loading and error messages
#
# Every problem names the key by its dotted path as the user would write it
# (`detention.length_of_stay.sd`, `book_ins.schedule[1].day`, `uncertainty."costs.bed_day".high`)
# and says what is allowed, in words derived from the schema above (so they cannot drift).

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_UNION_PARTS = ("int", "literal['unlimited']", "constrained-int")
_DRAW_MODELS: dict[str, type[BaseModel]] = {
    "uniform": UniformDraw,
    "triangular": TriangularDraw,
    "normal": NormalDraw,
    "lognormal": LognormalDraw,
}
_DRAW_FORMS = (
    '{ dist = "uniform", low = ..., high = ... }, '
    '{ dist = "triangular", low = ..., mode = ..., high = ... }, '
    '{ dist = "normal", mean = ..., sd = ... } or '
    '{ dist = "lognormal", mean = ..., sd = ... }'
)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part) if _BARE_KEY.match(str(part)) else json.dumps(str(part))
            out += ("." if out else "") + text
    return out


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The user's path: without pydantic's union branch names or the `dist` tag."""
    loc = tuple(
        p
        for p in loc
        if p not in _UNION_PARTS
        and not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))
    )
    if len(loc) >= 3 and loc[0] == "uncertainty" and loc[2] in _DRAW_MODELS:
        loc = loc[:2] + loc[3:]
    return loc


def _holder(raw_loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, str]:
    """The model that holds the key at a (raw pydantic) loc, and a phrase for where it is."""
    loc = tuple(p for p in raw_loc if p not in _UNION_PARTS)
    if loc and loc[0] == "uncertainty":
        if len(loc) >= 4 and loc[2] in _DRAW_MODELS:
            return _DRAW_MODELS[loc[2]], f'for dist = "{loc[2]}"'
        return None, ""
    model: Any = Scenario
    keyed = False
    for part in loc[:-1]:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return None, ""
        model = _inner_model(field.annotation)
        keyed = get_origin(field.annotation) is dict
    parents = _clean_loc(loc[:-1])
    if not parents:
        return model, "at the top level"
    if isinstance(parents[-1], int):
        return model, f"in each {_dotted(parents[:-1])} entry"
    return model, f"in [{_dotted(parents)}]"


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _num(v: Any) -> str:
    if v == MAX_SEED:
        return "2**63"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _bounds(metadata: list[Any]) -> str:
    lo = hi = ""
    lo_op = hi_op = ""
    for m in metadata:
        if isinstance(m, FieldInfo):  # Annotated[int, Field(ge=0)] inside a union
            return _bounds(list(m.metadata))
        for attr, op in (("ge", ">="), ("gt", ">")):
            if getattr(m, attr, None) is not None:
                lo, lo_op = _num(getattr(m, attr)), op
        for attr, op in (("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                hi, hi_op = _num(getattr(m, attr)), op
    if lo_op == ">=" and hi_op == "<=":
        return f"from {lo} to {hi}"
    parts = [f"{op} {v}" for op, v in ((lo_op, lo), (hi_op, hi)) if op]
    return " and ".join(parts)


def _describe(annotation: Any, metadata: list[Any]) -> str:
    """What a value of this type may be, in words: 'an integer from 1 to 36500'."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _describe(args[0], list(args[1:]) + metadata)
    if origin in (Union, UnionType):
        kinds = [a for a in args if a is not type(None)]
        return " or ".join(_describe(a, metadata if len(kinds) == 1 else []) for a in kinds)
    if origin is Literal:
        words = [json.dumps(a) for a in args]
        return words[0] if len(words) == 1 else "one of " + ", ".join(words)
    if origin is list:
        item = args[0]
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "an array of tables { " + ", ".join(item.model_fields) + " }"
        return "an array"
    if origin is dict:
        return "a table"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a table with keys " + ", ".join(annotation.model_fields)
    base = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "true or false",
        date: "a date (a TOML date such as 2024-10-01)",
    }.get(annotation, str(annotation))
    if any(getattr(m, "min_length", None) for m in metadata):
        return f"a non-empty {base.removeprefix('a ')}"
    bounds = _bounds(metadata)
    return f"{base} {bounds}" if bounds else base


def _allowed(raw_loc: tuple[Any, ...]) -> str | None:
    """What the schema allows at a loc, or None when the loc is not a schema field."""
    loc = tuple(p for p in raw_loc if p not in _UNION_PARTS)
    if not loc:
        return None
    if loc[0] == "uncertainty" and len(loc) == 2:
        return "a table: " + _DRAW_FORMS
    if isinstance(loc[-1], int):  # an item of an array of tables
        model, _ = _holder(loc[:-1])
        field = model.model_fields.get(str(loc[-2])) if model else None
        item = get_args(field.annotation)[0] if field else None
        return _describe(item, []) if item is not None else None
    model, _ = _holder(loc)
    field = model.model_fields.get(str(loc[-1])) if model else None
    if field is None:
        return None
    return _describe(field.annotation, list(field.metadata))


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for kind, word in (
        (int, "an integer"),
        (float, "a decimal number"),
        (str, "a string"),
        (dict, "a table"),
        (list, "an array"),
    ):
        if isinstance(value, kind):
            return word
    return type(value).__name__


def _suggest(word: str, valid: list[str]) -> str | None:
    """The valid key a typo most likely meant: a close spelling, or one it abbreviates."""
    close = difflib.get_close_matches(word, valid, n=1)
    if close:
        return close[0]
    longer = [v for v in valid if v.startswith(word) or word.startswith(v)]
    return longer[0] if len(longer) == 1 else None


# Sections whose required keys depend on each other (see _cross_checks).
_SECTION_NEEDS = {
    "book_ins": "rate_per_day, or [book_ins.streams.NAME] tables",
    "detention": "beds, when_full, length_of_stay (unless every book-in stream has its own)",
}


def _problem_from_error(file: str, err: dict[str, Any]) -> Problem | None:
    raw_loc = tuple(err["loc"])
    loc = _clean_loc(raw_loc)
    kind = err["type"]
    key = _dotted(loc)
    value = err.get("input", NO_VALUE)
    allowed = _allowed(raw_loc)
    if kind == "extra_forbidden":
        model, where = _holder(raw_loc)
        valid = list(model.model_fields) if model else []
        what = "section" if len(loc) == 1 and isinstance(value, dict) else "key"
        message = f"unknown {what}; valid keys {where}: {', '.join(valid)}"
        if len(loc) == 1:
            message = f"unknown {what}; valid sections: {', '.join(valid)}"
        close = _suggest(str(loc[-1]), valid)
        if close:
            message += f" (did you mean {close}?)"
        return Problem(file, key, NO_VALUE, message)
    if kind == "missing":
        model = _inner_model(Scenario.model_fields[str(loc[0])].annotation)
        if len(loc) == 1 and model is not None:
            needed = _SECTION_NEEDS.get(key) or ", ".join(
                k for k, f in model.model_fields.items() if f.is_required()
            )
            return Problem(
                file, key, NO_VALUE, f"required section [{key}] is missing (it needs {needed})"
            )
        return Problem(file, key, NO_VALUE, f"required key is missing; must be {allowed}")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = value.get("dist", NO_VALUE) if isinstance(value, dict) else NO_VALUE
        return Problem(
            file,
            key + ".dist",
            tag,
            'must be one of "uniform", "triangular", "normal", "lognormal"'
            if tag is not NO_VALUE
            else 'required key is missing; must be one of "uniform", "triangular", '
            '"normal", "lognormal"',
        )
    if kind == "finite_number":
        return Problem(file, key, value, f"must be {allowed}; NaN and infinity are not allowed")
    if allowed is None:  # not expected: every loc pydantic reports is a schema field
        return Problem(file, key, value, str(err["msg"]))
    if kind == "float_type" and _is_int(value):  # an integer too large for a float
        return Problem(file, key, value, f"must be {allowed}; this number is too large")
    if kind.endswith(("_type", "_parsing")) or kind == "model_attributes_type":
        return Problem(file, key, value, f"must be {allowed}, not {_kind_of(value)}")
    return Problem(file, key, value, f"must be {allowed}")


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """One problem per key: a union (beds: integer or "unlimited") reports every branch."""
    out: list[Problem] = []
    seen: set[str] = set()
    for p in problems:
        if p.key in seen:
            continue
        seen.add(p.key)
        out.append(p)
    return out


_INVALID = object()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _current_value(raw: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of the raw file, defaults applied; None if not set, _INVALID
    if the file is too broken there to tell (that problem is reported on its own)."""
    node: Any = raw
    model: Any = Scenario
    keyed = False  # the previous part was a table of named entries (streams)
    for part in path.split("."):
        if keyed:
            keyed = False
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
            continue
        if isinstance(node, list):
            idx = int(part)
            node = node[idx] if idx < len(node) else None
            if node is None:
                return None
            continue
        if not isinstance(node, dict) or model is None:
            return _INVALID
        field = model.model_fields.get(part)
        if field is None:
            return _INVALID
        if part in node:
            node = node[part]
        elif field.default_factory is not None:
            made = field.default_factory()  # type: ignore[call-arg]
            node = made.model_dump() if isinstance(made, BaseModel) else made
        elif field.is_required():
            return _INVALID
        else:
            node = field.default
        if node is None:
            return None
        model = _inner_model(field.annotation)
        keyed = get_origin(field.annotation) is dict
    return node


def _cross_checks(file: str, raw: dict[str, Any]) -> list[Problem]:
    """Rules that span several keys, on the raw file so that they run even when other keys
    are wrong; a value that is itself invalid is skipped (it has its own problem)."""
    problems: list[Problem] = []

    def table(d: Any, name: str) -> dict[str, Any]:
        v = d.get(name) if isinstance(d, dict) else None
        return v if isinstance(v, dict) else {}

    meta = table(raw, "scenario")
    days = meta.get("days")
    days = days if _is_int(days) and 1 <= days <= MAX_DAYS else None

    def check_steps(name: str, steps: Any) -> None:
        if not isinstance(steps, list):
            return
        last: int | None = None
        for i, step in enumerate(steps):
            day = step.get("day") if isinstance(step, dict) else None
            if not _is_int(day) or day < 0:
                continue
            key = f"{name}[{i}].day"
            if days is not None and day >= days:
                problems.append(
                    Problem(
                        file,
                        key,
                        day,
                        f"must be a day from 0 to {days - 1} (before scenario.days = {days})",
                    )
                )
            if last is not None and day <= last:
                problems.append(
                    Problem(
                        file,
                        key,
                        day,
                        "must be greater than the previous "
                        f"step's day ({last}); step days strictly increase",
                    )
                )
            last = day

    book_ins = table(raw, "book_ins")
    streams = table(book_ins, "streams")
    if raw.get("book_ins") is not None and raw.get("arrests") is not None:
        problems.append(
            Problem(
                file,
                "arrests",
                NO_VALUE,
                "not allowed together with "
                "[book_ins]: drive the model either by book-ins ([book_ins]) "
                "or by arrests ([arrests]), not both",
            )
        )
    if raw.get("book_ins") is None and raw.get("arrests") is None:
        problems.append(
            Problem(
                file,
                "book_ins",
                NO_VALUE,
                "required section [book_ins] is "
                f"missing (it needs {_SECTION_NEEDS['book_ins']}; or give "
                "[arrests] instead)",
            )
        )
    check_steps("book_ins.schedule", book_ins.get("schedule"))
    if streams:
        for key in ("rate_per_day", "schedule"):
            if book_ins.get(key) not in (None, []):
                problems.append(
                    Problem(
                        file,
                        f"book_ins.{key}",
                        NO_VALUE,
                        "not allowed with [book_ins.streams]: each stream has its own",
                    )
                )
    elif book_ins.get("rate_per_day") is None and raw.get("book_ins") is not None:
        problems.append(
            Problem(
                file,
                "book_ins.rate_per_day",
                NO_VALUE,
                "required key is "
                "missing (or give [book_ins.streams.NAME] tables); must be a "
                "number >= 0",
            )
        )
    detention = table(raw, "detention")
    check_steps("detention.beds_schedule", detention.get("beds_schedule"))

    def check_stay(key: str, los: dict[str, Any]) -> None:
        dist = los.get("dist")
        sd = los.get("sd")  # None: absent (a dumped Scenario writes sd = None)
        if dist in ("lognormal", "gamma") and sd is None:
            problems.append(
                Problem(
                    file,
                    f"{key}.sd",
                    NO_VALUE,
                    f'required for dist = "{dist}"; must be a number > 0',
                )
            )
        if dist in ("fixed", "exponential") and sd is not None:
            problems.append(
                Problem(
                    file,
                    f"{key}.sd",
                    sd,
                    f'not allowed for dist = "{dist}"; sd is only for "lognormal" and "gamma"',
                )
            )

    check_stay("detention.length_of_stay", table(detention, "length_of_stay"))
    own_stays = True
    own_initial = False
    for name, stream in streams.items():
        key = f"book_ins.streams.{_dotted((name,))}"
        if not STREAM_NAME.match(name):
            problems.append(
                Problem(
                    file,
                    key,
                    NO_VALUE,
                    "stream names must be lower-case letters, digits and _, starting with a letter",
                )
            )
        if not isinstance(stream, dict):
            continue
        check_steps(f"{key}.schedule", stream.get("schedule"))
        check_stay(f"{key}.length_of_stay", table(stream, "length_of_stay"))
        own_stays = own_stays and "length_of_stay" in stream
        own_initial = own_initial or "initial_detained" in stream
    if "length_of_stay" not in detention and "detention" in raw and not (streams and own_stays):
        problems.append(
            Problem(
                file,
                "detention.length_of_stay",
                NO_VALUE,
                "required key is "
                "missing (unless every book-in stream has its own); must be a "
                "table with keys dist, mean, sd, such as "
                '{ dist = "lognormal", mean = 45.0, sd = 40.0 }',
            )
        )
    if own_initial and detention.get("initial_detained", 0) not in (0, None):
        problems.append(
            Problem(
                file,
                "detention.initial_detained",
                detention.get("initial_detained"),
                "not allowed when a stream "
                "sets its own initial_detained (give every stream its own)",
            )
        )

    problems.extend(_check_costs_budget(file, raw, meta, days))
    problems += _arrest_checks(file, raw, check_steps, check_stay)
    arrests = raw.get("arrests")
    sources = arrests.get("sources") if isinstance(arrests, dict) else None
    if isinstance(sources, dict):  # with [arrests] the classes are SOURCE.CRIMINALITY
        class_names = {f"{src}.{crim}": None for src in sources for crim in CRIMINALITY}
    else:
        class_names = dict(streams)
    problems += _case_side_checks(file, raw, class_names, check_steps, check_stay)

    uncertainty = raw.get("uncertainty")
    for path, draw in uncertainty.items() if isinstance(uncertainty, dict) else ():
        key = f"uncertainty.{json.dumps(path)}"
        rule = uncertain_value_rule(path)
        if rule is None:
            close = _suggest(path, list(UNCERTAIN_VALUES))
            hint = f" (did you mean {close}?)" if close else ""
            problems.append(
                Problem(
                    file,
                    key,
                    NO_VALUE,
                    "not a numeric scenario value that "
                    f"can vary{hint}; valid: "
                    + ", ".join(UNCERTAIN_VALUES)
                    + " (* is a step number: 0, 1, ...)",
                )
            )
            continue
        current = _current_value(raw, path)
        if current is _INVALID:
            continue
        if current is None:
            section = path.split(".")[0]
            hint = f" (there is no [{section}] section)" if section not in raw else ""
            problems.append(
                Problem(
                    file,
                    key,
                    NO_VALUE,
                    f"{path} is not set in this scenario, so it cannot vary" + hint,
                )
            )
            continue
        if current == "unlimited":
            problems.append(
                Problem(file, key, NO_VALUE, f'{path} is "unlimited"; only numbers can vary')
            )
            continue
        if isinstance(draw, dict):
            problems.extend(_check_draw(file, key, draw, rule))
    return problems


def _check_costs_budget(
    file: str, raw: dict[str, Any], meta: dict[str, Any], days: int | None
) -> list[Problem]:
    """Budget periods and component names; bottleneck constraint names; cost-item names."""
    out: list[Problem] = []
    costs = raw.get("costs") if isinstance(raw.get("costs"), dict) else {}
    items = costs.get("items") if isinstance(costs.get("items"), dict) else {}
    for group in ("beds", "items"):
        table = costs.get(group)
        for name in table if isinstance(table, dict) else {}:
            if name in COST_COMPONENT_NAMES or not STREAM_NAME.match(name):
                out.append(
                    Problem(
                        file,
                        f"costs.{group}.{_dotted((name,))}",
                        NO_VALUE,
                        "names must be lower-case letters, digits and _, starting "
                        "with a letter, and not a component name ("
                        + ", ".join(COST_COMPONENT_NAMES)
                        + ")",
                    )
                )
    valid = list(COST_COMPONENT_NAMES) + [n for n in items if isinstance(n, str)]
    has_start = isinstance(meta.get("start_date"), date)
    budgets = raw.get("budget")
    for name, b in budgets.items() if isinstance(budgets, dict) else ():
        if not isinstance(b, dict):
            continue
        key = f"budget.{_dotted((name,))}"
        for part in ("start", "end"):
            v = b.get(part)
            if isinstance(v, date) and not has_start:
                out.append(
                    Problem(
                        file,
                        f"{key}.{part}",
                        v,
                        "a date needs scenario.start_date "
                        "(the date of day 0); or give a day number",
                    )
                )
        s_, e_ = b.get("start", 0), b.get("end")
        if _is_int(s_) and days is not None and s_ >= days:
            out.append(
                Problem(
                    file,
                    f"{key}.start",
                    s_,
                    f"must be a day from 0 to {days - 1} (before scenario.days = {days})",
                )
            )
        if type(s_) is type(e_) and isinstance(s_, int | date) and e_ < s_:
            out.append(Problem(file, f"{key}.end", e_, f"must not be before start ({s_})"))
        pays = b.get("pays_for")
        for i, comp in enumerate(pays if isinstance(pays, list) else []):
            if isinstance(comp, str) and comp not in valid:
                close = _suggest(comp, valid)
                out.append(
                    Problem(
                        file,
                        f"{key}.pays_for[{i}]",
                        comp,
                        "not a cost component"
                        + (f" (did you mean {close}?)" if close else "")
                        + "; valid: "
                        + ", ".join(valid),
                    )
                )
    bn = raw.get("bottlenecks")
    cons = bn.get("constraints") if isinstance(bn, dict) else None
    for i, c in enumerate(cons if isinstance(cons, list) else []):
        if isinstance(c, str) and c not in CONSTRAINT_NAMES:
            out.append(
                Problem(
                    file,
                    f"bottlenecks.constraints[{i}]",
                    c,
                    "not a constraint; valid: " + ", ".join(CONSTRAINT_NAMES),
                )
            )
    targets = bn.get("targets") if isinstance(bn, dict) else None
    for i, t in enumerate(targets if isinstance(targets, list) else []):
        if t == "ice_arrests_per_day" and not isinstance(raw.get("arrests"), dict):
            out.append(
                Problem(
                    file,
                    f"bottlenecks.targets[{i}]",
                    t,
                    "only allowed with [arrests] (a run driven by book-ins makes no arrests)",
                )
            )
    return out


def _arrest_checks(
    file: str, raw: dict[str, Any], check_steps: Any, check_stay: Any
) -> list[Problem]:
    """Rules of [arrests] and [officers] that span several keys."""
    problems: list[Problem] = []
    arrests = raw.get("arrests")
    if raw.get("officers") is not None and not isinstance(arrests, dict):
        problems.append(
            Problem(
                file,
                "officers",
                NO_VALUE,
                "only allowed with [arrests] (officers limit arrests, not book-ins)",
            )
        )
    officers = raw.get("officers")
    if isinstance(officers, dict):
        check_steps("officers.hires", officers.get("hires"))
    targets = raw.get("targets")
    if (
        not isinstance(arrests, dict)
        and isinstance(targets, dict)
        and targets.get("ice_arrests_per_day") is not None
    ):
        problems.append(
            Problem(
                file,
                "targets.ice_arrests_per_day",
                targets["ice_arrests_per_day"],
                "only allowed with [arrests] (a run driven by book-ins makes no arrests)",
            )
        )
    if not isinstance(arrests, dict):
        return problems
    sources = arrests.get("sources")
    if isinstance(sources, dict) and not sources:
        problems.append(
            Problem(
                file, "arrests.sources", NO_VALUE, "needs at least one [arrests.sources.NAME] table"
            )
        )
    for name, src in sources.items() if isinstance(sources, dict) else ():
        key = f"arrests.sources.{_dotted((name,))}"
        if not STREAM_NAME.match(name):
            problems.append(
                Problem(
                    file,
                    key,
                    NO_VALUE,
                    "source names must be lower-case letters, digits and _, starting with a letter",
                )
            )
        if not isinstance(src, dict):
            continue
        kind = src.get("kind")
        check_steps(f"{key}.schedule", src.get("schedule"))
        check_steps(f"{key}.encounters_schedule", src.get("encounters_schedule"))
        check_stay(
            f"{key}.length_of_stay",
            src.get("length_of_stay") if isinstance(src.get("length_of_stay"), dict) else {},
        )
        src = {k: v for k, v in src.items() if v is not None and v != []}
        by_encounter = [
            k for k in ("per_encounter", "encounters_per_day", "encounters_schedule") if k in src
        ]
        if by_encounter and kind in ("at_large", "custodial", "task_force"):
            for k in by_encounter:
                problems.append(
                    Problem(
                        file,
                        f"{key}.{k}",
                        NO_VALUE,
                        f'only for kind = "cbp_transfer", not "{kind}"',
                    )
                )
        elif by_encounter:
            if "rate_per_day" in src or "schedule" in src:
                problems.append(
                    Problem(
                        file,
                        f"{key}.rate_per_day",
                        NO_VALUE,
                        "give either "
                        "rate_per_day (and schedule) or per_encounter with "
                        "encounters_per_day, not both",
                    )
                )
            for k in ("per_encounter", "encounters_per_day"):
                if k not in src:
                    problems.append(
                        Problem(
                            file,
                            f"{key}.{k}",
                            NO_VALUE,
                            "required key is "
                            "missing (per_encounter and encounters_per_day "
                            "go together); must be a number >= 0",
                        )
                    )
        elif "rate_per_day" not in src:
            problems.append(
                Problem(
                    file,
                    f"{key}.rate_per_day",
                    NO_VALUE,
                    "required key is "
                    "missing; must be a number >= 0 (or, for kind = "
                    '"cbp_transfer", per_encounter with encounters_per_day)',
                )
            )
        if "pool" in src and kind in ("custodial", "cbp_transfer"):
            problems.append(
                Problem(
                    file,
                    f"{key}.pool",
                    NO_VALUE,
                    f'only for kind = "at_large" or "task_force", not "{kind}"',
                )
            )
        mixes = [(f"{key}.mix", src.get("mix"))]
        if isinstance(src.get("pool"), dict):
            mixes.append((f"{key}.pool.mix", src["pool"].get("mix")))
        for mkey, mix in mixes:
            if isinstance(mix, dict):
                vals = [mix.get(c) for c in CRIMINALITY]
                if all(_is_num(v) for v in vals) and abs(sum(vals) - 1.0) > 1e-9:
                    problems.append(
                        Problem(
                            file,
                            mkey,
                            NO_VALUE,
                            f"shares convicted + pending + none must sum to 1, not {sum(vals):g}",
                        )
                    )
    return problems


def _case_side_checks(
    file: str, raw: dict[str, Any], streams: dict[str, Any], check_steps: Any, check_stay: Any
) -> list[Problem]:
    """Cross-field rules of the case and transport side (pathways, shares, courts, travel
    documents, transport modes)."""
    problems: list[Problem] = []

    def table(d: Any, name: str) -> dict[str, Any]:
        v = d.get(name) if isinstance(d, dict) else None
        return v if isinstance(v, dict) else {}

    def bad_name(key: str, name: str, what: str) -> None:
        if not STREAM_NAME.match(name):
            problems.append(
                Problem(
                    file,
                    key,
                    NO_VALUE,
                    f"{what} names must be lower-case "
                    "letters, digits and _, starting with a letter",
                )
            )

    transport = table(raw, "transport")
    modes = table(transport, "modes")
    if "transport" in raw and isinstance(raw["transport"], dict):
        v1_keys = [
            k_
            for k_ in ("departures_per_day", "seats_per_departure")
            if transport.get(k_) is not None
        ]
        if modes:
            for key in v1_keys:
                problems.append(
                    Problem(
                        file,
                        f"transport.{key}",
                        transport[key],
                        "not allowed with [transport.modes]: each mode has its own",
                    )
                )
        elif len(v1_keys) == 1 or not (
            v1_keys or transport.get("intake") or transport.get("transfers")
        ):
            missing = ({"departures_per_day", "seats_per_departure"} - set(v1_keys)).pop()
            problems.append(
                Problem(
                    file,
                    f"transport.{missing}",
                    NO_VALUE,
                    "required key is "
                    "missing (or give [transport.modes.NAME] tables); must be "
                    + ("a number > 0" if missing == "departures_per_day" else "an integer > 0"),
                )
            )

    docs = table(raw, "travel_documents")
    groups = table(docs, "groups")
    if raw.get("travel_documents") is not None and not groups:
        problems.append(
            Problem(
                file,
                "travel_documents.groups",
                NO_VALUE,
                "required: at least one [travel_documents.groups.NAME] table",
            )
        )
    total = 0.0
    for name, group in groups.items():
        key = f"travel_documents.groups.{_dotted((name,))}"
        bad_name(key, name, "group")
        if isinstance(group, dict):
            check_stay(f"{key}.delay", table(group, "delay"))
            share = group.get("share")
            total += share if _is_num(share) else math.nan
    if groups and math.isfinite(total) and abs(total - 1.0) > 1e-9:
        problems.append(
            Problem(
                file,
                "travel_documents.groups",
                NO_VALUE,
                f"the groups' shares must sum to 1 (they sum to {total:g})",
            )
        )

    defaults = []
    claimed: dict[str, str] = {}
    for name, mode in modes.items():
        key = f"transport.modes.{_dotted((name,))}"
        bad_name(key, name, "mode")
        if not isinstance(mode, dict):
            continue
        named = mode.get("groups")
        if named is None:
            defaults.append(name)
            continue
        for i, g in enumerate(named if isinstance(named, list) else []):
            if not isinstance(g, str):
                continue
            if g not in groups:
                problems.append(
                    Problem(
                        file,
                        f"{key}.groups[{i}]",
                        g,
                        "must name a "
                        "[travel_documents.groups.NAME] table; valid: "
                        + (", ".join(groups) or "none (no [travel_documents])"),
                    )
                )
            elif g in claimed:
                problems.append(
                    Problem(
                        file,
                        f"{key}.groups[{i}]",
                        g,
                        f"already removed by mode {claimed[g]}; a group uses one mode",
                    )
                )
            else:
                claimed[g] = name
    if len(defaults) > 1:
        problems.append(
            Problem(
                file,
                f"transport.modes.{defaults[1]}.groups",
                NO_VALUE,
                f"required: only one mode may be the default (mode "
                f"{defaults[0]} has no groups either)",
            )
        )
    if modes and not defaults:
        unclaimed = [g for g in groups if g not in claimed]
        if unclaimed or not groups:
            what = (
                f"groups {', '.join(unclaimed)} have no mode"
                if unclaimed
                else "without [travel_documents] every removal uses the default mode"
            )
            problems.append(
                Problem(
                    file,
                    "transport.modes",
                    NO_VALUE,
                    f"{what}: give one mode without groups (the default) or name them",
                )
            )

    pathways = table(raw, "pathways")
    courts_given = raw.get("courts") is not None  # a dumped model writes courts = None
    has_court = False
    for name, path in pathways.items():
        key = f"pathways.{_dotted((name,))}"
        bad_name(key, name, "pathway")
        if not isinstance(path, dict):
            continue
        check_stay(f"{key}.stay", table(path, "stay"))
        court, diversion = path.get("court") is True, path.get("diversion") is True
        outcome, counts = path.get("outcome"), path.get("counts_as_removal")
        has_court = has_court or court
        if diversion:
            for k_ in ("stay", "outcome", "counts_as_removal"):
                if path.get(k_) is not None:
                    problems.append(
                        Problem(
                            file,
                            f"{key}.{k_}",
                            NO_VALUE,
                            "not allowed with diversion = true (a diversion never takes a bed)",
                        )
                    )
            if court:
                problems.append(
                    Problem(file, f"{key}.court", True, "not allowed with diversion = true")
                )
            continue
        if path.get("days_in_program") is not None:
            problems.append(
                Problem(
                    file,
                    f"{key}.days_in_program",
                    path["days_in_program"],
                    "only allowed with diversion = true (days in alternatives to detention)",
                )
            )
        if outcome is None:
            problems.append(
                Problem(
                    file,
                    f"{key}.outcome",
                    NO_VALUE,
                    "required key is "
                    "missing (unless diversion = true); must be one of "
                    '"removal", "release", "voluntary_departure"',
                )
            )
        if "stay" not in path and not court:
            problems.append(
                Problem(
                    file,
                    f"{key}.stay",
                    NO_VALUE,
                    "required key is missing "
                    "(unless court = true or diversion = true); must be a table "
                    "with keys dist, mean, sd",
                )
            )
        if outcome == "release" and counts is True:
            problems.append(
                Problem(
                    file,
                    f"{key}.counts_as_removal",
                    True,
                    'not allowed with outcome = "release"; a release is never a removal',
                )
            )
    if has_court and not courts_given:
        problems.append(
            Problem(
                file,
                "courts",
                NO_VALUE,
                "required section [courts] is missing (a pathway has court = true)",
            )
        )
    if courts_given and not has_court:
        problems.append(
            Problem(
                file,
                "courts",
                NO_VALUE,
                "not allowed without a pathway with court = true (nobody would reach the judges)",
            )
        )
    check_steps("courts.judges_schedule", table(raw, "courts").get("judges_schedule"))

    shares = table(raw, "pathway_shares")
    if pathways and not shares:
        problems.append(
            Problem(
                file,
                "pathway_shares",
                NO_VALUE,
                "required section "
                "[pathway_shares] is missing (it needs a table per book-in "
                "class, prefix or default: { pathway = share, ... })",
            )
        )
    if shares and not pathways:
        problems.append(
            Problem(file, "pathway_shares", NO_VALUE, "not allowed without [pathways.NAME] tables")
        )
    classes = list(streams) if streams else ["all"]
    prefixes = {c.split(".")[0] for c in classes}
    for cls, table_ in shares.items():
        key = f"pathway_shares.{_dotted((cls,))}"
        if cls != "default" and cls not in classes and cls not in prefixes:
            problems.append(
                Problem(
                    file,
                    key,
                    NO_VALUE,
                    "not a book-in class; valid: " + ", ".join(["default", *classes]),
                )
            )
        if not isinstance(table_, dict):
            continue
        total = 0.0
        for pname, share in table_.items():
            if pname not in pathways and pathways:
                problems.append(
                    Problem(
                        file,
                        f"{key}.{_dotted((pname,))}",
                        share,
                        "not a pathway; valid: " + ", ".join(pathways),
                    )
                )
            total += share if _is_num(share) else math.nan
        if math.isfinite(total) and abs(total - 1.0) > 1e-9:
            problems.append(
                Problem(file, key, NO_VALUE, f"the shares must sum to 1 (they sum to {total:g})")
            )
    if pathways and shares:
        for cls in classes:
            if resolve_share_key(cls, shares) is None:
                problems.append(
                    Problem(
                        file,
                        "pathway_shares",
                        NO_VALUE,
                        f"no shares for "
                        f"book-in class {cls}: give [pathway_shares.{cls}] "
                        "or [pathway_shares.default]",
                    )
                )
    return problems


def resolve_share_key(cls: str, shares: dict[str, Any]) -> str | None:
    """The [pathway_shares] entry of a book-in class "a.b": "a.b", then "a", then
    "default" (None when none exists)."""
    for key in (cls, cls.split(".")[0], "default"):
        if key in shares:
            return key
    return None


def _check_draw(
    file: str, key: str, draw: dict[str, Any], rule: tuple[float, float, bool, bool]
) -> list[Problem]:
    low, high, low_open, _ = rule
    allowed = f"{'(' if low_open else '['}{_num(low)}, {_num(high)}{')' if high == _INF else ']'}"
    out: list[Problem] = []
    dist = draw.get("dist")
    lo, mode, hi, mean = (draw.get(k) for k in ("low", "mode", "high", "mean"))

    def inside(name: str, v: Any) -> None:
        if _is_num(v) and (v < low or v > high or (low_open and v == low)):
            out.append(
                Problem(
                    file, f"{key}.{name}", v, f"must lie in the value's allowed range {allowed}"
                )
            )

    if dist in ("uniform", "triangular"):
        if _is_num(lo) and _is_num(hi) and not lo < hi:
            out.append(Problem(file, f"{key}.high", hi, f"must be greater than low ({lo})"))
        inside("low", lo)
        inside("high", hi)
    if (
        dist == "triangular"
        and _is_num(lo)
        and _is_num(hi)
        and _is_num(mode)
        and not lo <= mode <= hi
    ):
        out.append(Problem(file, f"{key}.mode", mode, f"must lie in [low, high] = [{lo}, {hi}]"))
    if dist in ("normal", "lognormal"):
        inside("mean", mean)
    return out


def parse_scenario(raw: dict[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate a parsed TOML document as a whole; raise ScenarioError with every problem."""
    problems: list[Problem] = []
    sc: Scenario | None = None
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = _dedupe(
            [p for e in exc.errors() if (p := _problem_from_error(file, e)) is not None]
        )
    # A value pydantic already refused is not reported again by the cross-field rules.
    seen = {p.key for p in problems}
    problems += [p for p in _cross_checks(file, raw) if p.key not in seen]
    if problems or sc is None:
        raise ScenarioError(problems)
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    raw, _ = read_toml(path)
    return parse_scenario(raw, str(path))


def read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(file, "", NO_VALUE, "file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(file, "", NO_VALUE, f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(file, "", NO_VALUE, "not UTF-8 text")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(file, "", NO_VALUE, _toml_message(str(exc), text))]) from None
    return raw, data


_TOML_HINTS = {
    "Cannot overwrite a value": "a key or table is given twice",
    "Cannot declare": "a table is given twice",
    "Illegal character '\\n'": "a string without its closing quote?",
    "Invalid value": "strings need quotes; numbers, true and false do not",
}


def _toml_message(error: str, text: str) -> str:
    """'not valid TOML at line 4 (`name = "x`): Illegal character ... (hint)'."""
    m = re.search(r"\(at line (\d+), column \d+\)", error)
    if not m:
        return f"not valid TOML: {error}"
    lineno = int(m.group(1))
    lines = text.splitlines()
    where = f"line {lineno}"
    if 1 <= lineno <= len(lines) and lines[lineno - 1].strip():
        shown = lines[lineno - 1].strip()
        where += f" ({shown if len(shown) <= 60 else shown[:57] + '...'})"
    what = error[: m.start()].strip()
    hint = next((h for k, h in _TOML_HINTS.items() if what.startswith(k)), "")
    return f"not valid TOML at {where}: {what}" + (f" ({hint})" if hint else "")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
