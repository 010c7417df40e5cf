"""Officers: the shared officer-hours resource. ICE deportation officers' headcount, hiring,
attrition and working hours; the hours left after casework are spent on arrests and escorts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from ..schema.base import StrictModel, meta
from ..schema.steps import Steps
from .constraint import Constraint, days_with, drop_uncertainty
from .volume import VolumeFn, supplied

if TYPE_CHECKING:
    from ..engine.runner import ReplicateOutput


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
