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
