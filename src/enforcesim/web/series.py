"""What the page draws: weekly series with their uncertainty bands, the headline answers, and
ICE's 2025 record beside the model where the scenario covers it.

Each series is a weekly mean per replicate (days 0-6, 7-13, ...), then the mean and the
2.5-97.5 % range over replicates, the same interval as summary.json's. Binding constraints
are the share of replicate-days in the week on which each one binds.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from ..results import Results

WEEK = 7


def _band(frame: pd.DataFrame, column: str, cumulative: bool = False) -> dict[str, list]:
    """mean, lo, hi over replicates of each week's mean (or the running total at the end of
    each week, with `cumulative`)."""
    wide = frame.pivot(index="day", columns="replicate", values=column).to_numpy(dtype=float)
    if cumulative:
        wide = np.cumsum(wide, axis=0)
        idx = np.minimum(np.arange(WEEK - 1, wide.shape[0] + WEEK - 1, WEEK), wide.shape[0] - 1)
        weekly = wide[idx]
    else:
        n_weeks = math.ceil(wide.shape[0] / WEEK)
        weekly = np.array(
            [np.nanmean(wide[w * WEEK : (w + 1) * WEEK], axis=0) for w in range(n_weeks)]
        )
    lo, hi = np.nanquantile(weekly, [0.025, 0.975], axis=1)
    return {"mean": _list(np.nanmean(weekly, axis=1)), "lo": _list(lo), "hi": _list(hi)}


def _list(values: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), 3) for v in values]


def series(results: Results) -> dict[str, Any]:
    """The charts' data for a run (any number of replicates, one or more)."""
    sc = results.scenario
    daily = results.daily()
    days = sc.scenario.days
    out: dict[str, Any] = {
        "week_days": list(range(0, days, WEEK)),
        "days": days,
        "start_date": sc.scenario.start_date.isoformat() if sc.scenario.start_date else None,
        "replicates": len(results.replicates),
    }
    targets = sc.targets
    if sc.arrests is not None:
        ice = [n for n, s in sc.arrests.sources.items() if s.kind != "cbp_transfer"]
        arrests = results.daily_arrests()
        made = (
            arrests[arrests["source"].isin(ice)]
            .groupby(["replicate", "day"], observed=True)["made"]
            .sum()
            .reset_index()
        )
        out["arrests"] = {
            "label": "ICE arrests per day",
            "band": _band(made, "made"),
            "goal": targets.ice_arrests_per_day,
        }
    else:
        out["arrests"] = {
            "label": "Book-ins per day",
            "band": _band(daily, "book_ins"),
            "goal": targets.book_ins_per_day or targets.admitted_per_day,
        }
    beds = daily[daily["replicate"] == 0]["beds"].to_numpy()
    out["detained"] = {
        "label": "Detained",
        "band": _band(daily, "detained"),
        "beds": [None if b < 0 else int(b) for b in beds[::WEEK]],
    }
    out["removals"] = {
        "label": "Removals per day",
        "band": _band(daily, "removals"),
        "goal": targets.removals_per_day,
    }
    out["turned_away"] = {"label": "Turned away per day", "band": _band(daily, "turned_away")}
    if "cost_all_in" in daily:
        frame = daily.assign(cost_b=daily["cost_all_in"] / 1e9)
        out["costs"] = {
            "label": "Cumulative cost, billion USD",
            "band": _band(frame, "cost_b", cumulative=True),
        }
    binding = {}
    for col in daily.columns:
        if col.startswith("binding_"):
            weekly = _band(daily.assign(b=daily[col].astype(float)), "b")["mean"]
            binding[col.removeprefix("binding_")] = weekly
    out["binding"] = binding
    return out


def headline(summary: dict[str, Any]) -> dict[str, Any]:
    """The answers the page shows first: each target met or not and how likely, the cost
    per removal, the people turned away or throttled for lack of space, and what binds."""
    m = summary.get("metrics", {})
    costs = summary.get("costs", {}).get("metrics", {})

    def val(block: dict[str, Any], name: str) -> dict[str, Any] | None:
        v = block.get(name)
        return v if v and v.get("mean") is not None else None

    return {
        "targets": summary.get("targets", {}),
        "cost_per_removal": val(costs, "cost_all_in_per_removal"),
        "cost_total": val(costs, "cost_all_in_total"),
        "turned_away_per_day": val(m, "turned_away_per_day"),
        "throttled_beds_per_day": val(m, "arrests_foregone_beds_per_day"),
        "removals_per_day": val(m, "removals_per_day"),
        "ice_arrests_per_day": val(m, "ice_arrests_per_day"),
        "detained": val(m, "detained"),
    }


def binding_shares(series_doc: dict[str, Any]) -> dict[str, float]:
    """Share of all days on which each constraint binds (from the weekly shares)."""
    out = {}
    for name, weekly in series_doc.get("binding", {}).items():
        vals = [v for v in weekly if v is not None]
        out[name] = round(sum(vals) / len(vals), 4) if vals else 0.0
    return out


# --- the 2025 record -----------------------------------------------------------------------

RECORD_SERIES = {
    "arrests": ("book_ins_ice_per_day", "ICE book-ins per day (ICE, monthly)"),
    "detained": ("adp", "Average daily population (ICE, monthly)"),
    "removals": ("release_to_remove_per_day", "Book-outs to removal per day (ICE, monthly)"),
}


def record(monthly: pd.DataFrame | None, start_date: str | None, days: int) -> dict[str, Any]:
    """ICE's monthly record as points on the model's day axis (a month at its middle day),
    for the months inside the reported horizon; a note instead where there is none."""
    if monthly is None:
        return {"note": "ICE's 2025 record is not shown: the statistics store is not available "
                "(enforcesim data build)"}  # fmt: skip
    if start_date is None:
        return {"note": "ICE's 2025 record is not shown: the scenario has no start date"}
    start = dt.date.fromisoformat(start_date)
    out: dict[str, Any] = {}
    for chart, (column, label) in RECORD_SERIES.items():
        points = []
        for _, row in monthly.iterrows():
            month = pd.Timestamp(row["month"]).date()
            day = (month - start).days + int(row["days"]) // 2
            value = row[column]
            if 0 <= day < days and value is not None and not pd.isna(value):
                points.append([day, round(float(value), 1), month.isoformat()[:7]])
        if points:
            out[chart] = {"label": label, "points": points}
    if not out:
        out["note"] = "ICE's 2025 record does not overlap this scenario's horizon"
    return out
