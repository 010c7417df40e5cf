"""Detention: beds, what happens when they are full, and how long people stay."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ..schema.base import StrictModel, meta
from ..schema.stays import StayDistribution
from ..schema.steps import Steps


class BedStep(StrictModel):
    day: int = Field(ge=0, description="First day the bed count applies (integer in [0, days)).")
    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description="Beds from this day on.", json_schema_extra=meta("beds", varies=True)
    )


class Detention(StrictModel):
    """Beds, what happens when they are full, and how long people stay."""

    SECTION_NEEDS: ClassVar[str] = (
        "beds, when_full, length_of_stay (unless every book-in stream has its own)"
    )

    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description='Beds at the start (integer >= 0, or "unlimited").',
        json_schema_extra=meta("beds", varies=True),
    )
    beds_schedule: Steps[BedStep] = Field(
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
        json_schema_extra=meta("share", varies=True),
    )
    initial_detained: int = Field(
        0,
        ge=0,
        description="People in beds at the start of warm-up (or of day 0), with "
        "remaining stays from the stationary residual-stay distribution.",
        json_schema_extra=meta("persons", varies=True),
    )
