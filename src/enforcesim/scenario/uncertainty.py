"""Parameter uncertainty: each `[uncertainty]` entry is drawn once per replicate.

Every draw is an inverse-CDF transform of one uniform from the key's own stream, so a key's
draws do not depend on which other keys vary. Distributions with unbounded support (normal,
lognormal) are truncated to the value's allowed range (the uniform is mapped into the CDF
interval of that range), so a draw is always a valid scenario value; integer values are
rounded to the nearest integer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..rng import key_stream
from . import (
    LognormalDraw,
    NormalDraw,
    Scenario,
    TriangularDraw,
    UniformDraw,
    set_path,
    uncertain_value_rule,
)


def _frozen(draw: Any):
    from scipy import stats  # imported here: it costs half a second at start-up

    if isinstance(draw, UniformDraw):
        return stats.uniform(loc=draw.low, scale=draw.high - draw.low)
    if isinstance(draw, TriangularDraw):
        width = draw.high - draw.low
        return stats.triang(c=(draw.mode - draw.low) / width, loc=draw.low, scale=width)
    if isinstance(draw, NormalDraw):
        return stats.norm(loc=draw.mean, scale=draw.sd)
    if isinstance(draw, LognormalDraw):
        sigma2 = math.log1p((draw.sd / draw.mean) ** 2)
        mu = math.log(draw.mean) - sigma2 / 2
        return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(mu))
    raise TypeError(f"unknown draw {draw!r}")


def draw_value(path: str, draw: Any, u: float) -> float | int:
    low, high, low_open, integer = uncertain_value_rule(path)  # type: ignore[misc]
    dist = _frozen(draw)
    c_lo, c_hi = dist.cdf(low), dist.cdf(high)
    value = float(dist.ppf(c_lo + u * (c_hi - c_lo)))
    value = min(max(value, low), high)
    if low_open and value <= low:
        value = math.nextafter(low, math.inf)
    if integer:
        return int(np.rint(value))
    return value


def draw_parameters(sc: Scenario, replicate: int) -> dict[str, float | int]:
    """The values drawn for one replicate, by dotted path."""
    seed = sc.scenario.seed
    return {
        path: draw_value(path, draw, float(key_stream(seed, replicate, path).random()))
        for path, draw in sc.uncertainty.items()
    }


def apply_draws(sc: Scenario, values: dict[str, float | int]) -> Scenario:
    if not values:
        return sc
    data = sc.model_dump(exclude_none=True)
    for path, value in values.items():
        set_path(data, path, value)
    return Scenario.model_validate(data)
