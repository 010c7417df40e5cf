"""Officers: the shared officer-hours resource. ICE deportation officers' headcount, hiring,
attrition and working hours; the hours left after casework are spent on arrests and escorts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from pydantic import Field

from ..schema.base import StrictModel, meta
from ..schema.steps import Steps
from .constraint import Constraint, days_with, drop_uncertainty
from .outputs import (
    DailyColumns,
    Definitions,
    MetricSet,
    StageOutputs,
    reported_days,
)
from .volume import VolumeFn, supplied

if TYPE_CHECKING:
    from ..engine.runner import ReplicateOutput

if TYPE_CHECKING:
    from ..scenario import Scenario


class HireStep(StrictModel):
    day: int = Field(ge=0, description="Day the new officers start (integer in [0, days)).")
    officers: int = Field(
        ge=0,
        description="Officers hired that day; productive after `training_lag_days`.",
        json_schema_extra=meta(
            "officers",
            "10,000 new officers funded through FY2029 (press summaries of the 2025 law, VERIFY)",
        ),
    )


class Officers(StrictModel):
    """ICE deportation officers: headcount, hiring, attrition and the hours they work. The
    daily officer-hours left after casework are spent on arrests and escorts."""

    headcount: int = Field(
        6000,
        ge=0,
        description="Productive officers on day 0 (held during warm-up).",
        json_schema_extra=meta(
            "officers",
            "about 6,000 ICE deportation officers (2024-25), National Immigration Forum; AP",
            varies=True,
        ),
    )
    hires: Steps[HireStep] = Field(
        default_factory=list,
        description="New officers: `{ day, officers }` steps, days strictly increasing.",
    )
    training_lag_days: int = Field(
        150,
        ge=0,
        description="Days from hiring to productive work.",
        json_schema_extra=meta(
            "days",
            "assumption: about 5 months of academy and field training, VERIFY",
            varies=True,
        ),
    )
    attrition_per_year: float = Field(
        0.0,
        ge=0,
        le=5,
        description="Exponential attrition rate of officers from day 0 on "
        "(0: the headcount is held by backfill hiring).",
        json_schema_extra=meta("1/year", "assumption", varies=True),
    )
    productive_hours_per_day: float = Field(
        4.82,
        ge=0,
        le=24,
        description="Hours an officer works per calendar day.",
        json_schema_extra=meta(
            "hours/officer-day",
            "derived: 2,080 paid hours a year less "
            "about 15% leave, holidays and training = 1,760 h / 365 "
            "(assumption)",
            varies=True,
        ),
    )
    casework_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of productive hours spent on casework (docket "
        "management, check-ins), not available for arrests or escorts.",
        json_schema_extra=meta(
            "share",
            "assumption: 19 arrests per officer-year (FY2024) is "
            "a system ratio that includes casework",
            varies=True,
        ),
    )
    escort_hours_per_book_in: float = Field(
        0.0,
        ge=0,
        description="Officer-hours charged per book-in at book-in time for escort "
        "and transport (a simplification until the transport side charges its trips).",
        json_schema_extra=meta("officer-hours/book-in", "assumption", varies=True),
    )


# --- cost volumes and constraints ---


def _hours_available(out: ReplicateOutput) -> np.ndarray | None:
    """Officer-hours priced: those available (officers x productive hours, casework
    included), used or not - officers are paid by the hour worked, not by the arrest (see
    docs/costs.md). Without [arrests], a mechanism's `officer_hours` (summed over activities)."""
    hb = getattr(out, "hours_by_day", None)
    if hb is None:
        return supplied("officer_hours")(out)
    return hb.available + hb.casework


def _ledger(activity: str | None) -> VolumeFn:
    """Officer-hours used per day (the ledger), of one activity or (None) all."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        led = getattr(out, "officer_hours", None)
        if led is None:
            return None
        if activity is not None:
            return np.asarray(getattr(led, activity), dtype=np.float64)
        return np.column_stack(tuple(led)).sum(axis=1)

    return get


# What costs can be charged on, per reported day (costs.py gathers every stage's): the hours
# available (as paid), and the ledger's hours used, in all and by activity.
VOLUMES: dict[str, VolumeFn] = {
    "officer_hours": _hours_available,
    "officer_hours_used": _ledger(None),
    "officer_hours_arrests": _ledger("arrests"),
    "officer_hours_escort_transport": _ledger("escort_transport"),
    "officer_hours_casework": _ledger("casework"),
}

# Officers on day 0 when officers are relaxed: officer-hours that never run out.
UNLIMITED_OFFICERS = 10**12


def _relax_officers(data: dict[str, Any]) -> None:
    of = data.setdefault("officers", {})
    of["headcount"] = UNLIMITED_OFFICERS
    of["hires"] = []
    of["attrition_per_year"] = 0.0
    for key in ("headcount", "attrition_per_year", "hires"):
        drop_uncertainty(data, f"officers.{key}")


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        name="officers",
        meaning="an attempted arrest in the day was foregone because the day's "
        "officer-hours were used up (with [arrests])",
        relaxed_as="officer-hours that never run out (10^12 officers, no hires or attrition)",
        applies=lambda sc: sc.arrests is not None,
        relax=_relax_officers,
        binding=lambda out: days_with(out, "daily_arrests", "foregone_officers"),
        position=2,
        optional=True,
    ),
)


# --- metrics and daily tables ---


# The ledger's activities, as the engine's officer-hours record names them.
ACTIVITIES = ("arrests", "escort_transport", "casework")

# The ledger per day: the arrest side charges arrests and casework, escorts (intake,
# transfers, removal departures) charge escort_transport.
LEDGER_METRICS: Definitions = {
    "officer_hours_arrests_per_day": (
        "officer-hours/day",
        "officer-hours spent on arrests per day (0 without [arrests])",
    ),
    "officer_hours_escort_per_day": (
        "officer-hours/day",
        "officer-hours spent on escorts and transport per day: intake, transfers, removal "
        "departures",
    ),
    "officer_hours_casework_per_day": (
        "officer-hours/day",
        "officer-hours set aside for casework per day (0 without [arrests])",
    ),
}
METRICS: Definitions = {
    "officers": ("officers", "time-average productive officers"),
    "officer_hours_available_per_day": (
        "officer-hours/day",
        "productive officer-hours per day (officers x productive_hours_per_day)",
    ),
    **LEDGER_METRICS,
    "officer_hours_unused_per_day": (
        "officer-hours/day",
        "officer-hours left over at the end of each day's shift, per day",
    ),
}


def ledger_by_day(out: Any) -> np.ndarray:
    """The officer-hours ledger as one (days, activities) array."""
    return np.column_stack([getattr(out.officer_hours, a) for a in ACTIVITIES])


def ledger_metrics(out: Any) -> dict[str, float]:
    # summed as one (days, activities) table, as the ledger always was
    hours = ledger_by_day(out).sum(axis=0) / reported_days(out)
    return dict(zip(LEDGER_METRICS, hours.tolist(), strict=True))


def metrics(out: Any) -> dict[str, float]:
    """With [arrests]: productive officers, the hours available and how they were spent."""
    days = reported_days(out)
    hb = out.hours_by_day
    ledger = ledger_by_day(out).sum(axis=0)
    available = float(hb.available.sum() + hb.casework.sum())
    return {
        "officers": float(hb.officers.mean()),
        "officer_hours_available_per_day": available / days,
        **dict(zip(LEDGER_METRICS, (ledger / days).tolist(), strict=True)),
        "officer_hours_unused_per_day": (available - ledger.sum()) / days,
    }


OFFICER_DAILY: Definitions = {
    "officers": ("officers", "productive officers"),
    "hours_available": (
        "officer-hours/day",
        "productive officer-hours of the day, casework included",
    ),
    **{
        f"hours_{a}": ("officer-hours/day", f"officer-hours charged to {a.replace('_', ' ')}")
        for a in ACTIVITIES
    },
}
# The ledger as the case side's daily table carries it (its escorts charge the ledger).
LEDGER_DAILY: Definitions = {
    "officer_hours_arrests": ("officer-hours/day", "officer-hours charged to arrests"),
    "officer_hours_escort": ("officer-hours/day", "officer-hours charged to escorts"),
    "officer_hours_casework": ("officer-hours/day", "officer-hours charged to casework"),
}


def officer_columns(out: Any) -> list[np.ndarray]:
    hb = out.hours_by_day
    return [hb.officers, hb.available + hb.casework, *ledger_by_day(out).T]


# The case side reports the ledger too, even without [arrests] (its escorts charge it): in its
# part of the summary and in its daily table, where the cases stage places these.
LEDGER_METRIC_SET = MetricSet("cases", LEDGER_METRICS, ledger_metrics)
LEDGER_COLUMNS = DailyColumns(
    "daily_cases", "cases", LEDGER_DAILY, lambda out: list(ledger_by_day(out).T)
)

OUTPUTS = StageOutputs(
    metric_sets=(MetricSet("arrests", METRICS, metrics),),
    daily=(DailyColumns("daily_officers", "arrests", OFFICER_DAILY, officer_columns),),
)


# --- engine input and kernel helpers ---
class OfficerSupply(NamedTuple):
    """Officers and their productive hours on each day from the start of warm-up. Arrests,
    intake escorts, transfers and removal departures draw on one budget of hours a day."""

    available: np.ndarray  # float64[warmup+days]: hours for arrests and escorts
    casework: np.ndarray  # float64[warmup+days]: hours set aside for casework
    officers: np.ndarray  # float64[warmup+days]: productive officers


class OfficerHours(NamedTuple):
    """The officer-hours ledger, float64[days] per activity."""

    arrests: np.ndarray
    escort_transport: np.ndarray
    casework: np.ndarray


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


def engine_input(sc: Scenario) -> OfficerSupply:
    """The officer-hours supply by day. Only arrests are limited by it: without [arrests]
    the supply is zero and the kernel leaves the day's hours unbounded."""
    total_days = sc.scenario.warmup_days + sc.scenario.days
    if sc.arrests is None:
        return OfficerSupply(np.zeros(total_days), np.zeros(total_days), np.zeros(total_days))
    of = sc.officers_or_default()
    officers = officers_by_day(sc)
    productive = officers * of.productive_hours_per_day
    return OfficerSupply(
        productive * (1.0 - of.casework_share), productive * of.casework_share, officers
    )
