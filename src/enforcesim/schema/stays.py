"""Stay distributions: days from admission until the case is decided (or a document is
ready). The `dist` key decides which other keys a table takes, so the shapes are a tagged
union: an `sd` where the distribution has none is refused by the schema itself."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import StrictModel, meta

DIST_DOC = "`fixed`, `exponential`, `lognormal` or `gamma`."
SD_DOC = "Standard deviation; only for `lognormal` and `gamma`."


class StayBase(StrictModel):
    """Days in a bed from admission until the case is decided."""

    dist: str = Field(description=DIST_DOC)
    mean: float = Field(gt=0, description="Mean stay.", json_schema_extra=meta("days", varies=True))


class OneParameterStay(StayBase):
    @property
    def sd(self) -> None:
        """These distributions have no spread of their own (the engine reads `sd` of any)."""
        return None


class FixedStay(OneParameterStay):
    dist: Literal["fixed"] = Field(description=DIST_DOC)


class ExponentialStay(OneParameterStay):
    dist: Literal["exponential"] = Field(description=DIST_DOC)


class LognormalStay(StayBase):
    dist: Literal["lognormal"] = Field(description=DIST_DOC)
    sd: float = Field(gt=0, description=SD_DOC, json_schema_extra=meta("days", varies=True))


class GammaStay(StayBase):
    dist: Literal["gamma"] = Field(description=DIST_DOC)
    sd: float = Field(gt=0, description=SD_DOC, json_schema_extra=meta("days", varies=True))


StayDistribution = Annotated[
    FixedStay | ExponentialStay | LognormalStay | GammaStay, Field(discriminator="dist")
]
