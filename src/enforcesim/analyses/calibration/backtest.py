"""Rolling-origin back-test of monthly ADP forecasts inside FY2019-FY2024.

At each origin (the last month of data the fit may see) every method forecasts the total
monthly ADP (ICE + CBP arresting agency) of the next h months, given the book-ins observed
in those months (the scenario's inflow is an input, not a forecast). Error: the mean
absolute percentage error over the h forecast months, averaged over the origins whose h
months all lie inside the data.

Methods (each "model" is two streams, ICE and CBP arrests, fitted and forecast separately
and summed; DIST is "gamma" or "lognormal" stays):
- "model (12-month window, DIST)": the status-quo procedure. Stays per agency fitted on the
  last 12 months before the origin, with the population at the window's start a free
  parameter (stationary residual stays), exactly as `status-quo-fy2024.toml` is built (with
  gamma stays); the forecast continues the fluid model with the observed book-ins.
- "model (full history, DIST)": stays per agency fitted on all months since October 2018 in
  12-month segments counted back from the origin; forecast with the last segment's stays.
- ", anchored": the expected survivors of those booked in up to the origin are scaled so
  that the origin month's ADP equals the observed one (what the shipped status quo does to
  `initial_detained`).
- "persistence": the last observed month's ADP.
- "Little's law": observed book-ins per day of the month x trailing ALOS (the book-out-
  weighted mean ALOS of the last 3 months before the origin), by agency, summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fit import AGENCIES, Series, fit_agency, observed

HORIZONS = (3, 6, 12)
DISTS = ("gamma", "lognormal")
SOURCES = ("12-month window", "full history")
MODEL_METHODS = tuple(
    f"model ({src}, {dist}{anc})" for src in SOURCES for dist in DISTS for anc in (", anchored", "")
)
METHODS = (*MODEL_METHODS, "persistence", "Little's law")
SHIPPED = "model (12-month window, gamma, anchored)"


@dataclass
class Backtest:
    forecasts: pd.DataFrame  # origin, method, step (1..12), month, forecast, observed
    table: pd.DataFrame  # horizon x method: MAPE, origins


def default_origins(series: Series, every: int = 3, min_history: int = 12) -> list[int]:
    """Month indices of origins: the last month of each history, every `every` months from
    the first with `min_history` months, and at least 3 months of data left to forecast."""
    n = series.n_months
    return list(range(min_history - 1, n - 3, every))


def _anchored(f, fut: Series, k: int, anchor: bool) -> np.ndarray:
    """Forecast months after index k of `fut`; with `anchor`, the expected survivors of the
    people booked in up to month k are scaled so that month k's ADP equals the observed."""
    old, new = f.split_forecast(fut)
    scale = fut.adp[k] / (old[k] + new[k]) if anchor else 1.0
    return (scale * old + new)[k + 1 :]


def _window_forecast(
    s: Series, o: int, h: int, dist: str = "gamma"
) -> tuple[np.ndarray, np.ndarray]:
    first = max(0, o - 11)
    f = fit_agency(s.slice(first, o + 1), "constant", dist=dist)
    fut = s.slice(first, min(o + 1 + h, s.n_months))
    return _anchored(f, fut, o - first, False), _anchored(f, fut, o - first, True)


def _history_forecast(
    s: Series, o: int, h: int, dist: str = "gamma"
) -> tuple[np.ndarray, np.ndarray]:
    f = fit_agency(s.slice(0, o + 1), "trailing", dist=dist)
    fut = s.slice(0, min(o + 1 + h, s.n_months))
    return _anchored(f, fut, o, False), _anchored(f, fut, o, True)


def _little(s: Series, o: int, h: int) -> np.ndarray:
    lo = max(0, o - 2)
    days = s.covered_days[lo : o + 1]
    exits_w = s.book_ins[lo : o + 1]  # book-outs by agency are not published: weight by book-ins
    alos = float(np.sum(s.alos[lo : o + 1] * exits_w) / np.sum(exits_w))
    del days
    stop = min(o + 1 + h, s.n_months)
    return s.book_ins[o + 1 : stop] / s.covered_days[o + 1 : stop] * alos


def run_backtest(
    through: str | None = "2024-09-30",
    origins: list[int] | None = None,
    horizons: tuple[int, ...] = HORIZONS,
    methods: tuple[str, ...] = METHODS,
) -> Backtest:
    series = {a: observed(a, through) for a in AGENCIES}
    total = observed("all", through)
    if origins is None:
        origins = default_origins(total)
    hmax = max(horizons)
    rows = []
    for o in origins:
        stop = min(o + 1 + hmax, total.n_months)
        obs = total.adp[o + 1 : stop]
        fc: dict[str, np.ndarray] = {}
        for src in SOURCES:
            for dist in DISTS:
                name = f"model ({src}, {dist}"
                if not any(m.startswith(name) for m in methods):
                    continue
                fn = _window_forecast if src == SOURCES[0] else _history_forecast
                parts = [fn(series[a], o, hmax, dist) for a in AGENCIES]
                fc[name + ")"] = sum(p[0] for p in parts)
                fc[name + ", anchored)"] = sum(p[1] for p in parts)
        if "persistence" in methods:
            fc["persistence"] = np.full(len(obs), total.adp[o])
        if "Little's law" in methods:
            fc["Little's law"] = sum(_little(series[a], o, hmax) for a in AGENCIES)
        for meth, f in fc.items():
            if meth not in methods:
                continue
            for step in range(len(obs)):
                rows.append(
                    {
                        "origin": total.months[o].date(),
                        "method": meth,
                        "step": step + 1,
                        "month": total.months[o + 1 + step].date(),
                        "forecast": float(f[step]),
                        "observed": float(obs[step]),
                    }
                )
    fcs = pd.DataFrame(rows)
    fcs["ape"] = (fcs["forecast"] / fcs["observed"] - 1).abs() * 100
    return Backtest(fcs, mape_table(fcs, horizons))


def mape_table(
    fcs: pd.DataFrame, horizons: tuple[int, ...] = HORIZONS, exclude_covid: bool = False
) -> pd.DataFrame:
    """MAPE over steps 1..h for origins with all h months observed; rows horizon x method."""
    out = []
    f = fcs
    if exclude_covid:
        # origins whose forecast window overlaps Mar 2020 - Sep 2021
        end = pd.to_datetime(f["origin"]) + pd.DateOffset(months=12)
        f = f[
            (end < pd.Timestamp("2020-03-01"))
            | (pd.to_datetime(f["origin"]) >= pd.Timestamp("2021-09-01"))
        ]
    for h in horizons:
        g = f[f["step"] <= h]
        complete = g.groupby(["origin", "method"])["step"].transform("max") == h
        g = g[complete]
        for meth, gm in g.groupby("method", sort=False):
            per_origin = gm.groupby("origin")["ape"].mean()
            out.append(
                {
                    "horizon_months": h,
                    "method": meth,
                    "mape_pct": per_origin.mean(),
                    "origins": len(per_origin),
                }
            )
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------
# Rolling origins through FY2025: the detention model given book-ins and the event model
# --------------------------------------------------------------------------------------

FY2025_HORIZONS = (3, 6)
FY2025_FIRST_ORIGIN = 5  # months seen: Oct 2024 - Feb 2025, the first with the quota step
FY2025_SERIES = ("ice_book_ins", "adp", "adp_ice", "adp_cbp", "removals")
FY2025_METHODS = ("detention given book-ins", "event model", "persistence", "linear trend")


def _given_book_ins(wf, ctx) -> dict[str, np.ndarray]:
    """Monthly ADP by agency and removals of the window fit's detention model fed ICE's
    observed FY2025 book-ins (removal shares rho0 / rho1 of the same fit)."""
    from .fy2025_data import monthly_mean
    from .fy2025_detention import CHANGE_DATE, CHOSEN, day_of, fy25_paths
    from .fy2025_events import EventInputs

    cday = day_of(CHANGE_DATE)
    pa = {
        a: fy25_paths(CHOSEN[a], ag, wf.detention.params[a], cday) for a, ag in ctx.agencies.items()
    }
    s = wf.scalars
    rho = np.where(np.arange(len(pa["ice"].exits)) < EventInputs().release_day, s.rho0, s.rho1)
    return {
        "adp_ice": monthly_mean(pa["ice"].detained),
        "adp_cbp": monthly_mean(pa["cbp"].detained),
        "adp": monthly_mean(pa["ice"].detained + pa["cbp"].detained),
        "removals": monthly_mean(rho * (pa["ice"].exits + pa["cbp"].exits)),
    }


def run_fy2025_backtest(
    horizons: tuple[int, ...] = FY2025_HORIZONS, ctx=None, origins: list[int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rolling origins inside FY2025: at each origin (k months of FY2025 seen, from Feb 2025
    to the last whose longest horizon ends by Sep 2025) the stays and scalars are fitted on
    the k months and frozen; (a) the detention model given ICE's observed book-ins forecasts
    ADP (total, by agency) and removals, (b) the event model forecasts ICE-arrest book-ins,
    ADP and removals; persistence and a linear trend through the k months are the baselines.

    Returns (per origin: origin, horizon, series, method, mape_pct; summary per horizon,
    series and method: mean MAPE over the origins, origins, and whether the model loses to
    a baseline)."""
    from .fy2025 import Context, baselines, fit_through
    from .fy2025_data import LABELS, mape

    ctx = ctx or Context.load()
    if origins is None:
        origins = list(range(FY2025_FIRST_ORIGIN, 12 - min(horizons) + 1))
    rows = []
    for k in origins:
        wf = fit_through(ctx, k, ci=False)
        given = _given_book_ins(wf, ctx)
        for h in horizons:
            if k + h > 12:
                continue
            for series in FY2025_SERIES:
                y = ctx.observed(series)
                fc = {"event model": wf.months[series][k : k + h]}
                if series in given:
                    fc["detention given book-ins"] = given[series][k : k + h]
                b = baselines(y, k, h)
                fc["persistence"], fc["linear trend"] = b["persistence"], b["trend"]
                for method, f in fc.items():
                    rows.append(
                        {
                            "origin": LABELS[k - 1],
                            "horizon_months": h,
                            "series": series,
                            "method": method,
                            "mape_pct": mape(f, y[k : k + h]),
                        }
                    )
    per = pd.DataFrame(rows)
    summary = (
        per.groupby(["horizon_months", "series", "method"], sort=False)["mape_pct"]
        .agg(mape_pct="mean", origins="count")
        .reset_index()
    )
    best_base = (
        summary[summary["method"].isin(("persistence", "linear trend"))]
        .groupby(["horizon_months", "series"])["mape_pct"]
        .min()
        .rename("best_baseline_pct")
    )
    summary = summary.join(best_base, on=["horizon_months", "series"])
    is_model = summary["method"].isin(FY2025_METHODS[:2])
    summary["loses"] = is_model & (summary["mape_pct"] > summary["best_baseline_pct"])
    return per, summary
