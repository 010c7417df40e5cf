"""The process-noise floor of a Sobol analysis run on common random numbers.

Under common random numbers every row of the Sobol sample runs with the same seed, so each
output is a deterministic function of the inputs, y(x) = f(x) + e(x; s): the model's mean
response f plus a seed-specific part e, which for the fixed seed s is also a function of x.
The Sobol estimators cannot tell the two apart: whatever e varies with x, they credit to
the inputs. How much can that be? At any point x, e(x; s) has mean 0 and variance
sigma^2(x) = Var_s[y(x)] over seeds, so over the sample and the seed

    E_s Var_x[e(x; s)] <= E_x E_s[e(x; s)^2] = E_x[sigma^2(x)],

the process-noise variance averaged over the inputs. (Common random numbers make e vary
with x much less than independent draws would, which is why the bound is usually loose.)

The floor estimates it at one point: the nominal point (every input at the median of its
distribution, as the Sobol sample maps it), run with K seeds, gives var_seeds; divided by
the output variance that SALib normalises the indices by (its A and B rows), var_sample,

    noise_floor = var_seeds / var_sample,

is the share of the analysed variance that may be process noise. An index (S1 or ST) below
it cannot be told from noise; a floor near or above 1 means the inputs move the output less
than chance does, and no index says anything. It assumes the noise at the nominal point is
typical of the sample (the noise of a queue grows with its load: read it as an order of
magnitude) and, with K seeds, var_seeds has the sampling error of a variance from K values
(about sqrt(2 / (K - 1)) relative).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import MAX_SEED
from ..scenario.uncertainty import draw_value

NOISE_COLUMNS = ["metric", "seeds", "nominal_mean", "var_seeds", "var_sample", "noise_floor"]


@dataclass
class NoiseFloor:
    """The nominal point's runs over `seeds` and, per metric, the floor they give."""

    seeds: list[int]
    nominal: dict[str, float | int]  # input -> its value at the nominal point
    runs: pd.DataFrame  # one row per seed: seed, then each metric (replicate mean)
    table: pd.DataFrame  # NOISE_COLUMNS, one row per metric
    notes: list[str] = field(default_factory=list)

    def floors(self) -> dict[str, float | None]:
        """metric -> noise floor; None where it is undefined or infinite (see notes)."""
        return {
            r.metric: (float(r.noise_floor) if math.isfinite(r.noise_floor) else None)
            for r in self.table.itertuples()
        }

    def line(self) -> str:
        """One line for a terminal: each metric's floor and what it means."""
        floors = ", ".join(f"{r.metric} {r.noise_floor:.3g}" for r in self.table.itertuples())
        return (
            f"noise floor (variance over {len(self.seeds)} seeds at the nominal point / "
            f"variance over the sample): {floors}; an index below it cannot be told from "
            "process noise"
        )


def nominal_values(uncertainty: Mapping[str, Any]) -> dict[str, float | int]:
    """Each input at the median of its (truncated) distribution: u = 0.5 through the same
    inverse CDF that maps the Sobol sample, so the point lies in the middle of the sample."""
    return {p: draw_value(p, d, 0.5) for p, d in uncertainty.items()}


def noise_seeds(seed: int, k: int) -> list[int]:
    """K seeds: the sample's own (the noise its rows share) and the K - 1 after it (wrapping
    round below MAX_SEED, the largest a scenario takes)."""
    return [(seed + i) % MAX_SEED for i in range(k)]


def sample_variance(y: np.ndarray, inputs: int) -> float:
    """The variance SALib's first-order and total estimators divide by: of the sample's A
    and B rows (the first and last of each block of inputs + 2 rows), population form."""
    step = inputs + 2
    return float(np.var(np.r_[y[0::step], y[step - 1 :: step]]))


def floor_table(
    runs: pd.DataFrame, samples: pd.DataFrame, metrics: Sequence[str], inputs: int
) -> tuple[pd.DataFrame, list[str]]:
    """Per metric: the nominal point's mean and variance over the seeds (sample variance,
    ddof 1), the Sobol sample's variance and their ratio, with notes where it is undefined."""
    rows, notes = [], []
    k = len(runs)
    for m in metrics:
        seeds_y = runs[m].to_numpy(dtype=float)
        sample_y = samples[m].to_numpy(dtype=float)
        var_seeds = float(np.var(seeds_y, ddof=1)) if k > 1 else math.nan
        var_sample = math.nan if np.isnan(sample_y).any() else sample_variance(sample_y, inputs)
        if math.isnan(var_seeds) or math.isnan(var_sample):
            floor = math.nan
            notes.append(
                f"{m}: noise floor undefined ("
                + ("fewer than 2 seeds" if k < 2 else "null in a run")
                + ")"
            )
        elif var_sample > 0:
            floor = var_seeds / var_sample
        elif var_seeds > 0:
            floor = math.inf
            notes.append(
                f"{m}: no input changes it on common random numbers, but the seeds do "
                f"(variance {var_seeds:.4g} over {k} seeds): its indices (0) are all below "
                "the noise floor (infinite)"
            )
        else:
            floor = 0.0  # the same for every input and every seed: no noise to mistake
        rows.append(
            {
                "metric": m,
                "seeds": k,
                "nominal_mean": float(np.mean(seeds_y)),
                "var_seeds": var_seeds,
                "var_sample": var_sample,
                "noise_floor": floor,
            }
        )
    return pd.DataFrame(rows, columns=NOISE_COLUMNS), notes


def above_floor(indices: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    """Per index row: True where the total index ST exceeds its metric's noise floor (else
    the input's effect, interactions included, cannot be told from process noise)."""
    floor = indices["metric"].map(table.set_index("metric")["noise_floor"])
    return indices["ST"] > floor
