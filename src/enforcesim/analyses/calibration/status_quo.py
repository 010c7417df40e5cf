"""Building the calibrated status-quo scenario and its in-sample check.

The status quo is fitted on the 12 months up to `through` (FY2024 by default): per
arresting agency (ICE, CBP), a gamma stay (mean, sd) and the population at the window's
start (stationary residual stays), by `fit.fit_agency(..., "constant", dist="gamma")`. The
scenario has one book-in stream per agency (`book_ins.streams.ice` / `.cbp`) and starts the
day after `through`; each stream's `initial_detained` is the fluid model's expected
population of that agency at the end of `through`, scaled by observed / modelled ADP of the
last month (anchored to ICE's ADP by agency, as the back-test's "anchored" variants).

`streams=False` writes the contract's single-stream form (one stay fitted to all agencies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .bootstrap import bootstrap_fits
from .fit import (
    AGENCIES,
    AgencyFit,
    Series,
    fit_agency,
    observed,
    removal_shares,
    segment_of_month,
)
from .fluid import expected_paths

if TYPE_CHECKING:
    from ...execution.executors import Executor, ProgressCallback

BED_DAY_USD = 152.0  # ICE, 2024-25 (reference parameters)
DIST = "gamma"  # stays: better BIC than lognormal and an identified sd (calibration.md)


@dataclass
class StatusQuoFit:
    through: pd.Timestamp
    fits: dict[str, AgencyFit]  # "ice", "cbp", "all"
    n_end: dict[str, float]  # expected population at the end of `through`
    initial: dict[str, int]  # n_end anchored to the last month's observed ADP
    removal: pd.DataFrame  # removal shares by FY
    removal_low: float
    removal_high: float

    @property
    def removal_central(self) -> float:
        return (self.removal_low + self.removal_high) / 2

    def inflow_per_day(self, key: str) -> float:
        s = self.fits[key].series
        return float(s.book_ins.sum() / s.covered_days.sum())


def end_population(f: AgencyFit) -> float:
    rate, midx, _ = f.series.day_grid()
    cohort = segment_of_month(f.seg_starts, f.series.n_months)[midx]
    return float(expected_paths(rate, f.stays, cohort, n0=f.n0).detained[-1])


def fit_status_quo(
    through: str = "2024-09-30",
    bootstrap: int = 0,
    seed: int = 0,
    window: int = 12,
    dist: str = DIST,
    executor: Executor | None = None,
    on_progress: ProgressCallback | None = None,
) -> StatusQuoFit:
    """The status quo fitted on `window` months up to `through`; the bootstrap's refits run
    on `executor` (here when None), with the same draws wherever they run."""
    t = pd.Timestamp(through)
    fits: dict[str, AgencyFit] = {}
    for key in (*AGENCIES, "all"):
        s = observed(key, t)
        if s.n_months < window:
            raise ValueError(
                f"--through {through}: needs at least {window} months of data "
                f"(the store starts {s.months[0].date()})"
            )
        last_full = s.months[-1] + pd.offsets.MonthEnd(0)
        if t < last_full:
            s = s.slice(0, s.n_months - 1)  # only whole months up to `through`
        s = s.slice(s.n_months - window, s.n_months)
        fits[key] = fit_agency(s, "constant", agency=key, dist=dist)
    fits = bootstrap_fits(fits, bootstrap, seed=seed, executor=executor, on_progress=on_progress)
    rs = removal_shares()
    rs = rs[rs["fiscal_year"] <= _fy(t)]
    last = rs.dropna(subset=["high"]).iloc[-1]
    low = float(last["low"]) if np.isfinite(last["low"]) else float(last["high"]) - 0.05
    n_end = {k: end_population(f) for k, f in fits.items()}
    initial = {}
    for k, f in fits.items():
        adp, _ = f.predict()
        initial[k] = int(round(n_end[k] * f.series.adp[-1] / adp[-1]))
    return StatusQuoFit(t, fits, n_end, initial, rs, low, float(last["high"]))


def _fy(t: pd.Timestamp) -> int:
    return t.year + (1 if t.month >= 10 else 0)


# --------------------------------------------------------------------------------------
# Scenario dictionaries and TOML text
# --------------------------------------------------------------------------------------


def _r(x: float, nd: int = 1) -> float:
    return round(float(x), nd)


def _stay_entry(f: AgencyFit) -> dict[str, Any]:
    st = f.stays[0]
    return {"dist": st.dist, "mean": _r(st.mean), "sd": _r(st.sd)}


def _uncertainty(f: AgencyFit, prefix: str) -> dict[str, dict[str, Any]]:
    # lognormal draws: log(value) ~ N(fitted log value, its standard error), so the median
    # is the estimate and the central 95 % the fit's (log-symmetric) interval; given to the
    # engine by the mean and sd of the drawn value
    se = f.sd_theta()
    out = {}
    for j, name in ((1, "mean"), (2, "sd")):
        m = math.exp(f.theta[j] + se[j] ** 2 / 2)
        out[f"{prefix}.{name}"] = {
            "dist": "lognormal",
            "mean": _r(m, 2),
            "sd": _r(m * math.sqrt(math.expm1(se[j] ** 2)), 2),
        }
    return out


def status_quo_dict(
    sq: StatusQuoFit, streams: bool = True, days: int = 365, replicates: int = 20
) -> dict[str, Any]:
    """The status-quo scenario as a dict (parse with enforcesim.scenario.parse_scenario)."""
    name = f"status-quo-fy{_fy(sq.through)}"
    d: dict[str, Any] = {
        "scenario": {"name": name, "days": days, "seed": 0, "replicates": replicates}
    }
    rshare = _r(sq.removal_central, 3)
    unc: dict[str, Any] = {
        "detention.removal_share": {
            "dist": "uniform",
            "low": _r(sq.removal_low, 3),
            "high": _r(sq.removal_high, 3),
        }
    }
    if streams:
        # removal share: ICE publishes book-outs by reason for all agencies together only,
        # so both streams use the pooled detention.removal_share
        book: dict[str, Any] = {"streams": {}}
        for a in AGENCIES:
            f = sq.fits[a]
            book["streams"][a] = {
                "rate_per_day": _r(sq.inflow_per_day(a), 2),
                "length_of_stay": _stay_entry(f),
                "initial_detained": sq.initial[a],
            }
            unc.update(_uncertainty(f, f"book_ins.streams.{a}.length_of_stay"))
        d["book_ins"] = book
        d["detention"] = {"beds": "unlimited", "when_full": "wait", "removal_share": rshare}
    else:
        f = sq.fits["all"]
        d["book_ins"] = {"rate_per_day": _r(sq.inflow_per_day("all"), 2)}
        d["detention"] = {
            "beds": "unlimited",
            "when_full": "wait",
            "length_of_stay": _stay_entry(f),
            "removal_share": rshare,
            "initial_detained": sq.initial["all"],
        }
        unc.update(_uncertainty(f, "detention.length_of_stay"))
    d["costs"] = {"bed_day": BED_DAY_USD}
    d["uncertainty"] = unc
    return d


def monthly_schedule(series: Series) -> tuple[float, list[dict[str, Any]]]:
    """(rate of the first month, schedule steps of the following months) on day offsets."""
    rates = series.book_ins / series.covered_days
    day = 0
    steps = []
    for i, mo in enumerate(series.months):
        if i:
            steps.append({"day": day, "rate_per_day": _r(rates[i], 3)})
        day += mo.days_in_month
    return _r(rates[0], 3), steps


def in_sample_dict(sq: StatusQuoFit, base: dict[str, Any], replicates: int = 4) -> dict[str, Any]:
    """The status quo fed the fit window's observed monthly book-ins, from the window's start
    population (the fitted N0), with no parameter uncertainty: the in-sample check."""
    import copy

    d = copy.deepcopy(base)
    d.pop("uncertainty", None)
    d["scenario"].update(
        name=d["scenario"]["name"] + "-in-sample",
        replicates=replicates,
        days=int(sum(m.days_in_month for m in sq.fits["all"].series.months)),
    )
    if "streams" in d["book_ins"]:
        for a in AGENCIES:
            f = sq.fits[a]
            first, steps = monthly_schedule(f.series)
            st = d["book_ins"]["streams"][a]
            st["rate_per_day"] = first
            st["schedule"] = steps
            st["initial_detained"] = int(round(f.n0))
    else:
        f = sq.fits["all"]
        first, steps = monthly_schedule(f.series)
        d["book_ins"] = {"rate_per_day": first, "schedule": steps}
        d["detention"]["initial_detained"] = int(round(f.n0))
    return d


def monthly_from_daily(daily: pd.DataFrame, months: pd.DatetimeIndex) -> np.ndarray:
    """Monthly mean of the replicate-mean daily `detained` (day 0 = months[0])."""
    det = daily.groupby("day")["detained"].mean().to_numpy(dtype=float)
    out = []
    day = 0
    for mo in months:
        out.append(det[day : day + mo.days_in_month].mean())
        day += mo.days_in_month
    return np.array(out)


def in_sample_check(
    sq: StatusQuoFit, replicates: int = 4, seed: int = 0, workers: int = 2
) -> dict[str, Any]:
    """Run the in-sample scenario with the engine: monthly mean detained (mean over
    replicates of the daily state) against ICE's monthly ADP, total and per stream."""
    import enforcesim

    d = in_sample_dict(sq, status_quo_dict(sq, streams=True), replicates=replicates)
    d["scenario"]["seed"] = seed
    r = enforcesim.run(d, workers=workers)
    months = sq.fits["all"].series.months
    out: dict[str, Any] = {
        "replicates": replicates,
        "seed": seed,
        "months": [str(m.date()) for m in months],
    }
    ds = r.daily_streams()
    for key in ("all", *AGENCIES):
        daily = r.daily() if key == "all" else ds[ds["stream"] == key]
        sim = monthly_from_daily(daily, months)
        obs = sq.fits[key].series.adp
        fl, _ = (
            sq.fits[key].predict()
            if key != "all"
            else (sum(sq.fits[a].predict()[0] for a in AGENCIES), None)
        )
        out[key] = {
            "engine": sim.round(1).tolist(),
            "observed": obs.round(1).tolist(),
            "fluid": np.asarray(fl).round(1).tolist(),
            "mape_pct": float(np.mean(np.abs(sim / obs - 1)) * 100),
            "max_engine_vs_fluid_pct": float(np.abs(sim / fl - 1).max() * 100),
        }
    return out
