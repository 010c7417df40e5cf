"""The main library scenario against what ICE published for FY2025, month by month.

    PYTHONPATH=src python scripts/fy2025/compare_main.py [--replicates 4] [--out DIR]

`scenarios/library/goal-3000-buildout-100k.toml` starts on 28 May 2025 after a 239-day
warm-up from 1 Oct 2024 that is not reported. To see the whole of FY2025 the script runs it
a second time with day 0 moved to 1 Oct 2024 and no warm-up, every schedule step moved by
239 days (steps after 30 Sep 2025 dropped): the same simulation, reported from its start.
Both runs are the central run (every [uncertainty] parameter at the file's value) and the
run with the file's parameter draws.

Compared series (ICE FY2025 workbook, data store):
- ICE-arrest book-ins/day: arrests booked in, every source except the CBP transfer, vs ICE's
  initial book-ins with arresting agency ICE;
- detained: monthly mean of the end-of-day population vs ICE's ADP (all agencies);
- removals/day out of detention vs final book-outs "Release to Remove".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

import enforcesim
from enforcesim.analyses.calibration.fy2025_data import (
    FY_START,
    LABELS,
    mape,
    monthly_mean,
    observed_fy,
)
from enforcesim.reports.fy2025 import month_table as table
from enforcesim.scenario import read_toml

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "scenarios" / "library" / "goal-3000-buildout-100k.toml"
SHIFT = 239  # warm-up days of the main scenario: 1 Oct 2024 -> 28 May 2025


def from_fy_start(raw: dict) -> dict:
    """The same scenario reported from 1 Oct 2024: no warm-up, steps moved by SHIFT days."""
    raw = json.loads(json.dumps(raw, default=str))
    days = 365
    raw["scenario"].update(warmup_days=0, days=days, start_date=dt.date(2024, 10, 1))
    for src in raw["arrests"]["sources"].values():
        if "schedule" in src:
            src["schedule"] = [
                {**s, "day": s["day"] + SHIFT} for s in src["schedule"] if s["day"] + SHIFT < days
            ]
    det = raw["detention"]
    det["beds_schedule"] = [
        {**s, "day": s["day"] + SHIFT}
        for s in det.get("beds_schedule", [])
        if s["day"] + SHIFT < days
    ]
    # the budget dates lie after the reported start; irrelevant to the compared series
    return raw


def monthly_series(res: enforcesim.Results, start: pd.Timestamp) -> dict[str, np.ndarray]:
    """Monthly means (over replicates and covered days) of the three compared series."""
    d = res.daily().groupby("day")[["detained", "removals", "book_ins"]].mean()
    a = res.daily_arrests()
    kinds = {n: s.kind for n, s in res.scenario.arrests.sources.items()}
    ice = [n for n, k in kinds.items() if k != "cbp_transfer"]
    a = a[a["source"].isin(ice)].groupby(["replicate", "day"], observed=True)["booked_in"].sum()
    ice_book_ins = a.groupby("day").mean().reindex(d.index, fill_value=0.0)
    made = res.daily_arrests()
    made = made[made["source"].isin(ice)].groupby(["replicate", "day"], observed=True)["made"]
    ice_made = made.sum().groupby("day").mean().reindex(d.index, fill_value=0.0)
    n_months = (pd.Timestamp("2025-09-01").to_period("M") - start.to_period("M")).n + 1
    out = {
        "ice_book_ins": monthly_mean(ice_book_ins.to_numpy(), start, n_months),
        "ice_arrests": monthly_mean(ice_made.to_numpy(), start, n_months),
        "detained": monthly_mean(d["detained"].to_numpy(), start, n_months),
        "removals": monthly_mean(d["removals"].to_numpy(), start, n_months),
    }
    return out


def run(raw: dict, replicates: int, draws: bool) -> enforcesim.Results:
    raw = json.loads(json.dumps(raw, default=str))
    raw["scenario"]["start_date"] = dt.date.fromisoformat(str(raw["scenario"]["start_date"]))
    for b in raw.get("budget", {}).values():
        for k in ("start", "end"):
            b[k] = dt.date.fromisoformat(str(b[k]))
    if not draws:
        raw.pop("uncertainty", None)
    return enforcesim.run(raw, replicates=replicates, seed=0, central=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replicates", type=int, default=4)
    ap.add_argument("--out", type=Path, default=None, help="write the tables as JSON here")
    args = ap.parse_args()

    obs = observed_fy(2025)
    o = {
        "ice_book_ins": obs["book_ins_ice_per_day"].to_numpy(),
        "detained": obs["adp"].to_numpy(),
        "removals": obs["release_to_remove_per_day"].to_numpy(),
    }
    raw, _ = read_toml(MAIN)
    results: dict = {"observed": {k: v.tolist() for k, v in o.items()}, "months": LABELS}
    for label, scen, start in (
        ("as shipped (day 0 = 28 May 2025)", raw, pd.Timestamp("2025-05-28")),
        ("from 1 Oct 2024 (warm-up reported)", from_fy_start(raw), FY_START),
    ):
        for draws in (False, True):
            kind = "parameter draws" if draws else "central run"
            res = run(scen, args.replicates, draws)
            m = monthly_series(res, start)
            first = 12 - len(m["detained"])
            if start.day > 1:  # a month reported only in part (28-31 May) is left out
                m = {k: v[1:] for k, v in m.items()}
                first += 1
            key = f"{label}, {kind}"
            results[key] = {k: v.tolist() for k, v in m.items()}
            print(f"\n## {key} ({args.replicates} replicates, seed 0)\n")
            rows = {}
            for s in ("ice_book_ins", "detained", "removals"):
                mod = np.r_[np.full(first, np.nan), m[s]]
                rows[f"{s} ICE"] = o[s]
                rows[f"{s} model"] = mod
            rows["ICE arrests made (model)"] = np.r_[np.full(first, np.nan), m["ice_arrests"]]
            print(table(rows, LABELS))
            for span, lo in (("Oct-Sep", 0), ("Jun-Sep", 8)):
                if lo < first:  # the run does not report the whole span
                    continue
                errs = {
                    s: mape(np.r_[np.full(first, np.nan), m[s]][lo:], o[s][lo:])
                    for s in ("ice_book_ins", "detained", "removals")
                }
                results[key][f"mape_{span}"] = errs
                print(
                    f"\nMAPE {span}: ICE book-ins {errs['ice_book_ins']:.1f} %, "
                    f"detained {errs['detained']:.1f} %, removals {errs['removals']:.1f} %"
                )
                jun = slice(max(8, first), 12)
                means = {s: float(np.mean(np.r_[np.full(first, np.nan), m[s]][jun])) for s in o}
                results[key]["jun_sep_means"] = means
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "compare_main.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
