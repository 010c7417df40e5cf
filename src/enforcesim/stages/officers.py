"""Officers: the shared officer-hours resource. ICE deportation officers' headcount, hiring,
attrition and working hours; the hours left after casework are spent on arrests and escorts."""

from __future__ import annotations

from pydantic import Field

from ..schema.base import StrictModel, meta
from ..schema.steps import Steps


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
