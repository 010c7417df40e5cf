"""FY2025 from dated events: six fitted scalars, a held-out validation inside FY2025, the
refit on the whole year and what the public data cannot identify.

ICE-arrest book-ins come from the event model of `fy2025_events` (theta_q, theta_g), CBP
transfers from border encounters (c0, r), removals out of detention from the exits (rho0,
rho1); the population from the detention model of `fy2025_detention` (ICE M2, CBP M3 with
one change point each, stays fitted on the same months), with ICE admitting only while the
total population is below the contract beds from 1 Apr 2025. Each pair of scalars is fitted
by least squares on the log of its own monthly series; 95 % profile-likelihood intervals
(n ln(SSR / SSR_min) <= 3.84, the pair's other scalar re-fitted).

`fit_through(k)` fits on the first k months of FY2025 and freezes; `run_fy2025(k)` scores
the rest of the year against persistence and a linear trend, refits on all 12 months and
moves each input the data cannot identify over its range (docs/recalibration-fy2025.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from .fy2025_data import (
    COVERED_DAYS,
    LABELS,
    N_DAYS,
    SERIES,
    encounters_per_day,
    linear_trend,
    mape,
    monthly_mean,
    observed_fy,
    persistence,
)
from .fy2025_detention import (
    CHANGE_DATE,
    CHOSEN,
    Agency,
    Fit,
    day_of,
    fit,
    fy25_paths,
    stays_for,
)
from .fy2025_events import NOT_IDENTIFIED, SCALARS, EventInputs

CHI2_95 = 3.84  # chi-square quantile, 1 degree of freedom, 95 %


@dataclass
class Scalars:
    """The six fitted scalars (`fy2025_events.SCALARS`)."""

    theta_q: float
    theta_g: float
    c0: float
    r: float
    rho0: float
    rho1: float


assert [f.name for f in fields(Scalars)] == [s.name for s in SCALARS]


@dataclass
class Detention:
    """The chosen detention models with their FY2025 stay parameters."""

    agencies: dict[str, Agency]
    fits: dict[str, Fit]

    @classmethod
    def fitted(cls, agencies: dict[str, Agency], n_months: int) -> Detention:
        return cls(
            agencies, {a: fit(ag, CHOSEN[a], n_months=n_months) for a, ag in agencies.items()}
        )

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {a: f.params for a, f in self.fits.items()}

    def _path(self, agency: str, rates: np.ndarray):
        ag = self.agencies[agency]
        return fy25_paths(CHOSEN[agency], ag, self.params[agency], day_of(CHANGE_DATE), rates)

    def run(self, demand: np.ndarray, cbp: np.ndarray, beds: float, beds_day: int):
        """ICE admissions (demand throttled at the bed limit from `beds_day`), daily detained
        by agency and exits (FY2025 days)."""
        d_cbp = self._path("cbp", cbp)
        open_part = np.where(np.arange(N_DAYS) < beds_day, demand, 0.0)
        other = d_cbp.detained + self._path("ice", open_part).detained
        ice = self.agencies["ice"]
        stay = stays_for(CHOSEN["ice"], ice, self.params["ice"])[0][7]  # after the change
        kp = stay.kernels(N_DAYS)[0]
        added = np.zeros(N_DAYS)
        admitted = open_part.copy()
        for d in range(beds_day, N_DAYS):
            room = beds - other[d] - added[d]
            a = float(np.clip(room / kp[0], 0.0, demand[d]))
            admitted[d] = a
            added[d:] += a * kp[: N_DAYS - d]
        d_ice = self._path("ice", admitted)
        return admitted, d_ice.detained, d_cbp.detained, d_ice.exits + d_cbp.exits


def predict(s: Scalars, ev: EventInputs, det: Detention, enc: np.ndarray) -> dict[str, np.ndarray]:
    """Monthly FY2025 series of the event model (per day; September over 1-20 Sep)."""
    x_q, x_g = ev.regressors()
    demand = np.maximum(ev.b0 + s.theta_q * x_q + s.theta_g * x_g, 0.0)
    cbp = np.maximum(s.c0 + s.r * enc, 0.0)
    admitted, n_ice, n_cbp, exits = det.run(demand, cbp, ev.beds, ev.beds_day)
    rho = np.where(np.arange(N_DAYS) < ev.release_day, s.rho0, s.rho1)
    return {
        "ice_book_ins": monthly_mean(admitted),
        "ice_demand": monthly_mean(demand),
        "cbp_book_ins": monthly_mean(cbp),
        "adp_ice": monthly_mean(n_ice),
        "adp_cbp": monthly_mean(n_cbp),
        "adp": monthly_mean(n_ice + n_cbp),
        "removals": monthly_mean(rho * exits),
        "exits": monthly_mean(exits),
    }


def _lsq(fn, x0, lo, hi) -> tuple[np.ndarray, float]:
    sol = least_squares(fn, x0, bounds=(lo, hi), method="trf")
    return sol.x, float(sol.fun @ sol.fun)


def profile(fn: Callable[[np.ndarray], np.ndarray], x, j: int, lo, hi, grid) -> tuple[float, float]:
    """95 % profile-likelihood interval of x[j] over `grid` (the other scalars re-fitted):
    the grid values with n ln(SSR / SSR_min) <= 3.84."""
    r0 = fn(x)
    ssr0, n = float(r0 @ r0), len(r0)
    others = [i for i in range(len(x)) if i != j]
    ok = []
    for g in grid:

        def sub(y, g=g):
            z = np.array(x, float)
            z[others] = y
            z[j] = g
            return fn(z)

        _, ssr = _lsq(sub, x[others], lo[others], hi[others])
        if n * math.log(max(ssr, 1e-300) / ssr0) <= CHI2_95:
            ok.append(float(g))
    return (min(ok), max(ok)) if ok else (float("nan"), float("nan"))


# Profile grids (steps 0.01 theta_q, 0.025 theta_g, 5 c0, 0.01 r, 0.005 rho)
GRIDS = {
    "theta_q": np.linspace(0.2, 0.5, 31),
    "theta_g": np.linspace(0.0, 0.5, 21),
    "c0": np.linspace(-100.0, 300.0, 81),
    "r": np.linspace(0.0, 1.0, 101),
    "rho0": np.linspace(0.3, 1.0, 141),
    "rho1": np.linspace(0.5, 1.0, 101),
}


def fit_scalars(
    obs: pd.DataFrame, ev: EventInputs, det: Detention, enc: np.ndarray, n_months: int, ci: bool
) -> tuple[Scalars, dict[str, tuple[float, float]]]:
    """Fit the six scalars on the first `n_months` of FY2025, each pair on its own series."""
    m = slice(0, n_months)
    y_ice = np.log(obs["book_ins_ice_per_day"].to_numpy()[m])
    y_cbp = np.log(obs["book_ins_cbp_per_day"].to_numpy()[m])
    y_rem = np.log(obs["release_to_remove_per_day"].to_numpy()[m])
    enc_m = monthly_mean(enc)[m]

    def f_cbp(x):
        return np.log(np.maximum(x[0] + x[1] * enc_m, 1e-6)) - y_cbp

    lo_c, hi_c = np.array([-500.0, 0.0]), np.array([2000.0, 5.0])
    xc, _ = _lsq(f_cbp, np.array([50.0, 0.2]), lo_c, hi_c)

    def f_ice(x):
        s = Scalars(x[0], x[1], xc[0], xc[1], 0.6, 0.85)
        return np.log(np.maximum(predict(s, ev, det, enc)["ice_book_ins"][m], 1e-6)) - y_ice

    lo_i, hi_i = np.array([0.0, 0.0]), np.array([2.0, 2.0])
    xi, _ = _lsq(f_ice, np.array([0.3, 0.1]), lo_i, hi_i)
    # removals are linear in (rho0, rho1): split the model's exits at the release change
    both = predict(Scalars(xi[0], xi[1], xc[0], xc[1], 1.0, 1.0), ev, det, enc)
    ex_pre = predict(Scalars(xi[0], xi[1], xc[0], xc[1], 1.0, 0.0), ev, det, enc)["removals"]
    ex_post = both["exits"] - ex_pre

    def f_rem(x):
        return np.log(np.maximum(x[0] * ex_pre[m] + x[1] * ex_post[m], 1e-6)) - y_rem

    lo_r, hi_r = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    xr, _ = _lsq(f_rem, np.array([0.6, 0.8]), lo_r, hi_r)
    s = Scalars(xi[0], xi[1], xc[0], xc[1], xr[0], xr[1])
    ints: dict[str, tuple[float, float]] = {}
    if ci:
        for name, (fn, x, j, lo, hi) in {
            "theta_q": (f_ice, xi, 0, lo_i, hi_i),
            "theta_g": (f_ice, xi, 1, lo_i, hi_i),
            "c0": (f_cbp, xc, 0, lo_c, hi_c),
            "r": (f_cbp, xc, 1, lo_c, hi_c),
            "rho0": (f_rem, xr, 0, lo_r, hi_r),
            "rho1": (f_rem, xr, 1, lo_r, hi_r),
        }.items():
            ints[name] = profile(fn, x, j, lo, hi, GRIDS[name])
    return s, ints


@dataclass
class Context:
    """What every fit reads: ICE's FY2025 months, the agencies' histories, encounters."""

    obs: pd.DataFrame
    agencies: dict[str, Agency]
    enc: np.ndarray

    @classmethod
    def load(cls) -> Context:
        return cls(
            observed_fy(2025), {a: Agency.load(a) for a in ("ice", "cbp")}, encounters_per_day()
        )

    def observed(self, series: str) -> np.ndarray:
        return self.obs[SERIES[series]].to_numpy(float)


@dataclass
class WindowFit:
    """A fit on the first `n_months` of FY2025, frozen: stays, scalars, monthly series."""

    n_months: int
    detention: Detention
    scalars: Scalars
    intervals: dict[str, tuple[float, float]]
    months: dict[str, np.ndarray]

    @property
    def window(self) -> str:
        return f"{LABELS[0]}..{LABELS[self.n_months - 1]}"


def fit_through(ctx: Context, n_months: int, ci: bool = True, ev: EventInputs | None = None):
    """Fit stays and scalars on the first `n_months` (1-12) of FY2025."""
    if not 1 <= n_months <= 12:
        raise ValueError(f"a fit window of {n_months} months: FY2025 has 12")
    ev = ev or EventInputs()
    det = Detention.fitted(ctx.agencies, n_months)
    s, ints = fit_scalars(ctx.obs, ev, det, ctx.enc, n_months, ci)
    return WindowFit(n_months, det, s, ints, predict(s, ev, det, ctx.enc))


def baselines(y: np.ndarray, origin: int, horizon: int) -> dict[str, np.ndarray]:
    """Persistence and linear-trend forecasts of months origin..origin+horizon-1 from the
    months before (indices into `y`)."""
    return {
        "persistence": persistence(y, origin, horizon),
        "trend": linear_trend(y, origin, horizon),
    }


@dataclass
class Fy2025:
    """Everything `enforcesim calibrate fy2025` writes."""

    held: WindowFit
    refit: WindowFit
    scalars: pd.DataFrame
    validation: pd.DataFrame
    monthly: pd.DataFrame
    identifiability: pd.DataFrame
    stays: pd.DataFrame


def _scalar_rows(f: WindowFit, label: str) -> list[dict]:
    return [
        {
            "fit": label,
            "fit_window": f.window,
            "name": sc.name,
            "estimate": getattr(f.scalars, sc.name),
            "low": f.intervals.get(sc.name, (np.nan, np.nan))[0],
            "high": f.intervals.get(sc.name, (np.nan, np.nan))[1],
            "identifying_series": sc.identifying_series,
        }
        for sc in SCALARS
    ]


def _stay_rows(f: WindowFit, label: str) -> list[dict]:
    rows = []
    for a, one in f.detention.fits.items():
        for k, (v, lo, hi) in one.named().items():
            rows.append(
                {
                    "fit": label,
                    "fit_window": f.window,
                    "agency": a,
                    "model": CHOSEN[a],
                    "change": str(CHANGE_DATE.date()),
                    "parameter": f"{k} (days)",
                    "estimate": v,
                    "low": lo,
                    "high": hi,
                }
            )
    return rows


def identifiability(ctx: Context, held: WindowFit) -> pd.DataFrame:
    """Each input the data cannot identify moved over its range, the scalars refitted on the
    fit window (stays held), the held-out months rescored."""
    k = held.n_months
    w = COVERED_DAYS[k:]
    rows = []
    for name, (field, values) in NOT_IDENTIFIED.items():
        for v in values:
            ev = replace(EventInputs(), **{field: type(getattr(EventInputs(), field))(v)})
            s, _ = fit_scalars(ctx.obs, ev, held.detention, ctx.enc, k, False)
            p = predict(s, ev, held.detention, ctx.enc)
            rows.append(
                {
                    "input": name,
                    "value": v,
                    "theta_q": s.theta_q,
                    "theta_g": s.theta_g,
                    "ice_book_ins_held_out_mean": float(
                        np.average(p["ice_book_ins"][k:], weights=w)
                    ),
                    "adp_last_month": float(p["adp"][11]),
                    "mape_ice_book_ins_pct": mape(
                        p["ice_book_ins"][k:], ctx.observed("ice_book_ins")[k:]
                    ),
                    "mape_adp_pct": mape(p["adp"][k:], ctx.observed("adp")[k:]),
                }
            )
    return pd.DataFrame(rows)


def run_fy2025(
    n_months: int = 8, ci: bool = True, ranges: bool = True, ctx: Context | None = None
) -> Fy2025:
    """Fit on the first `n_months` of FY2025 (default Oct 2024 - May 2025), freeze, score the
    rest against persistence and a linear trend, refit on all 12 months."""
    if not 1 <= n_months <= 11:
        raise ValueError(f"fit through month {n_months} of FY2025 leaves no month to score")
    ctx = ctx or Context.load()
    held = fit_through(ctx, n_months, ci)
    refit = fit_through(ctx, 12, ci)
    months, val = [], []
    for series in SERIES:
        y = ctx.observed(series)
        for i, lab in enumerate(LABELS):
            months.append(
                {
                    "month": lab,
                    "series": series,
                    "observed": y[i],
                    "held_out": held.months[series][i],
                    "refit": refit.months[series][i],
                    "in_fit_window": i < n_months,
                }
            )
        base = baselines(y, n_months, 12 - n_months)
        val.append(
            {
                "series": series,
                "in_sample_mape_pct": mape(held.months[series][:n_months], y[:n_months]),
                "held_out_mape_pct": mape(held.months[series][n_months:], y[n_months:]),
                "persistence_mape_pct": mape(base["persistence"], y[n_months:]),
                "trend_mape_pct": mape(base["trend"], y[n_months:]),
                "refit_mape_pct": mape(refit.months[series], y),
            }
        )
    return Fy2025(
        held,
        refit,
        pd.DataFrame(_scalar_rows(held, "held_out") + _scalar_rows(refit, "refit")),
        pd.DataFrame(val),
        pd.DataFrame(months),
        identifiability(ctx, held) if ranges else pd.DataFrame(),
        pd.DataFrame(_stay_rows(held, "held_out") + _stay_rows(refit, "refit")),
    )
