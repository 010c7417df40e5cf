"""Officers: the shared officer-hours resource. ICE deportation officers' headcount, hiring,
attrition and working hours; the hours left after casework are spent on arrests and escorts."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from pydantic import Field

from ..schema.base import StrictModel, meta
from ..schema.steps import Steps

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
