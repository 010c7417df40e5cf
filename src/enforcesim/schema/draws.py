"""Uncertainty draw models: how one `[uncertainty]` entry is drawn, tagged by `dist`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import StrictModel
from .errors import Violation


class UniformDraw(StrictModel):
    dist: Literal["uniform"]
    low: float
    high: float

    def violations(self) -> list[Violation]:
        if not self.low < self.high:
            return [Violation(("high",), self.high, f"must be greater than low ({self.low})")]
        return []


class TriangularDraw(StrictModel):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    def violations(self) -> list[Violation]:
        found = []
        if not self.low < self.high:
            found.append(Violation(("high",), self.high, f"must be greater than low ({self.low})"))
        elif not self.low <= self.mode <= self.high:
            found.append(
                Violation(
                    ("mode",), self.mode, f"must lie in [low, high] = [{self.low}, {self.high}]"
                )
            )
        return found


class NormalDraw(StrictModel):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)


class LognormalDraw(StrictModel):
    dist: Literal["lognormal"]
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)


DRAW_MODELS = (UniformDraw, TriangularDraw, NormalDraw, LognormalDraw)
ParameterDraw = Annotated[
    UniformDraw | TriangularDraw | NormalDraw | LognormalDraw, Field(discriminator="dist")
]
