"""The fit report (JSON, Markdown, PNG) and the calibrated scenario file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .fit import AGENCIES, AgencyFit, bic, fit_agency, observed
from .status_quo import StatusQuoFit, fit_status_quo, status_quo_dict, to_toml

# Okabe-Ito colour-blind-safe palette
COLOURS = {"ice": "#0072B2", "cbp": "#E69F00", "all": "#009E73", "obs": "#000000",
           "model": "#D55E00", "grey": "#999999"}
SOURCE = "Source: ICE detention statistics workbooks FY2019-FY2024 (enforcesim data store)."


def _param_rows(f: AgencyFit) -> list[dict[str, Any]]:
    rows = []
    for j, (a, b) in enumerate(f.segment_months()):
        for k, name in ((1, "mean"), (2, "sd")):
            est, lo, hi = f.interval(2 * j + k)
            rows.append({"agency": f.agency, "from": str(a.date()), "to": str(b.date()),
                         "parameter": f"stay {name} (days)", "estimate": round(est, 1),
                         "lo95": round(lo, 1), "hi95": round(hi, 1)})
    est, lo, hi = f.interval(0)
    rows.append({"agency": f.agency, "from": str(f.series.months[0].date()),
                 "to": str(f.series.months[0].date()),
                 "parameter": "population at start", "estimate": round(est),
                 "lo95": round(lo), "hi95": round(hi)})
    return rows


def _fit_rows(f: AgencyFit) -> list[dict[str, Any]]:
    adp, alos = f.predict()
    s = f.series
    return [{"agency": f.agency, "series": "ADP",
             "mape_pct": round(float(np.mean(np.abs(adp / s.adp - 1)) * 100), 2)},
            {"agency": f.agency, "series": "ALOS",
             "mape_pct": round(float(np.mean(np.abs(alos / s.alos - 1)) * 100), 2)}]


def history_fits(through: str) -> dict[str, dict[str, AgencyFit]]:
    """Full-history fits by agency: one stay for all years vs one per fiscal year."""
    out: dict[str, dict[str, AgencyFit]] = {}
    for a in AGENCIES:
        s = observed(a, through)
        out[a] = {k: fit_agency(s, k, agency=a) for k in ("constant", "fy")}
    return out


def plot_fit(sq: StatusQuoFit, hist: dict[str, dict[str, AgencyFit]], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)
    for col, a in enumerate(AGENCIES):
        f = hist[a]["fy"]
        adp, alos = f.predict()
        s = f.series
        ax = axes[0, col]
        ax.plot(s.months, s.adp, color=COLOURS["obs"], lw=1.5, label="ICE monthly ADP")
        ax.plot(s.months, adp, color=COLOURS[a], lw=1.5, ls="--",
                label="fluid model, stays by fiscal year")
        w = sq.fits[a]
        wadp, walos = w.predict()
        ax.plot(w.series.months, wadp, color=COLOURS["model"], lw=2,
                label="status-quo fit (12-month window)")
        ax.set_title(f"Arresting agency {a.upper()}: average daily population")
        ax.set_ylabel("people detained (monthly ADP)")
        ax.set_xlabel("month")
        ax.legend(fontsize=8)
        ax = axes[1, col]
        ax.plot(s.months, s.alos, color=COLOURS["obs"], lw=1.5, label="ICE monthly ALOS")
        ax.plot(s.months, alos, color=COLOURS[a], lw=1.5, ls="--",
                label="fluid model, stays by fiscal year")
        ax.plot(w.series.months, walos, color=COLOURS["model"], lw=2,
                label="status-quo fit (12-month window)")
        ax.set_title(f"Arresting agency {a.upper()}: length of stay of those booked out")
        ax.set_ylabel("average length of stay (days)")
        ax.set_xlabel("month")
        ax.legend(fontsize=8)
    fig.suptitle("Calibration fit, FY2019-FY2024. " + SOURCE, fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def calibrate(through: str = "2024-09-30", out: str | Path = "out/calibration",
              bootstrap: int = 100, seed: int = 0, streams: bool = False,
              scenario_path: str | Path | None = None) -> dict[str, Any]:
    """Fit, write the scenario TOML and the report (JSON, Markdown, PNG) into `out`."""
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    sq = fit_status_quo(through, bootstrap=bootstrap, seed=seed)
    hist = history_fits(through)
    d = status_quo_dict(sq, streams=streams)
    header = scenario_header(sq, bootstrap)
    text = to_toml(d, scenario_comments(sq, streams), header)
    scen = Path(scenario_path) if scenario_path else outp / f"{d['scenario']['name']}.toml"
    scen.write_text(text)
    params = [r for k in (*AGENCIES, "all") for r in _param_rows(sq.fits[k])]
    fit_rows = [r for k in (*AGENCIES, "all") for r in _fit_rows(sq.fits[k])]
    hist_params = [r for a in AGENCIES for r in _param_rows(hist[a]["fy"])]
    segs = [{"agency": a, "segments": kind, "parameters": len(f.theta),
             "bic": round(bic(f), 1),
             "adp_mape_pct": _fit_rows(f)[0]["mape_pct"],
             "alos_mape_pct": _fit_rows(f)[1]["mape_pct"]}
            for a in AGENCIES for kind, f in hist[a].items()]
    rs = sq.removal.replace({np.nan: None}).to_dict(orient="records")
    report = {"through": str(sq.through.date()), "bootstrap": bootstrap, "seed": seed,
              "window": [str(sq.fits["all"].series.months[0].date()),
                         str(sq.fits["all"].series.months[-1].date())],
              "parameters": params, "fit": fit_rows,
              "population_at_end": {k: round(v) for k, v in sq.n_end.items()},
              "removal_share": {"low": sq.removal_low, "high": sq.removal_high,
                                "by_fiscal_year": rs},
              "history_parameters": hist_params, "segment_test": segs,
              "scenario": str(scen)}
    (outp / "report.json").write_text(json.dumps(report, indent=2, default=str))
    plot_fit(sq, hist, outp / "fit.png")
    (outp / "report.md").write_text(report_markdown(report))
    return report


def scenario_header(sq: StatusQuoFit, bootstrap: int) -> str:
    w = sq.fits["all"].series.months
    return f"""# Status quo at the end of FY{sq.through.year + (sq.through.month >= 10)}: \
written by `enforcesim calibrate run --through {sq.through.date()}`.
# Calibrated on ICE's monthly ADP and ALOS of {w[0]:%b %Y} - {w[-1]:%b %Y} only (ICE detention
# statistics workbooks; nothing after {sq.through.date()}). Day 0 = {(sq.through +
pd.Timedelta(days=1)).date()}.
# Stays: lognormal fitted by least squares on log errors of monthly ADP and ALOS with the
# fluid (M_t/G/infinity) expectation of the engine; [uncertainty] = normal with the fit's
# standard error (max of Gauss-Newton and a {bootstrap}-draw moving-block bootstrap; the
# engine draws mean and sd independently, so their correlation is ignored).
# Inflow: replace [book_ins] with an observed or assumed series of book-ins (see
# docs/calibration.md); initial_detained is the model's population on day 0.
# beds = "unlimited": FY2024 never hit a hard bed limit (its highest monthly ADP, 39,201,
# stayed below the 41,500 funded beds, and ICE has exceeded funded beds before), so the
# fit identifies stays without capacity; with unlimited beds the run is demand-driven
# (it says how many beds the inflow needs). when_full only matters once beds are limited."""


def scenario_comments(sq: StatusQuoFit, streams: bool) -> dict[str, str]:
    c = {"book_ins.rate_per_day": "FY2024 mean book-ins/day (277,913 / 366), held flat",
         "detention.removal_share": (
             f"FY2024 book-outs: 'release to remove' / exits = {sq.removal_low:.3f} to "
             f"1 - non-removal book-outs / exits = {sq.removal_high:.3f}; midpoint"),
         "detention.initial_detained": "fluid-model population on 30 Sep 2024 "
                                       "(ICE's Sep 2024 ADP: 37,983)",
         "costs.bed_day": "USD per bed-day, ICE 2024-25 (reference parameters)"}
    if streams:
        c["book_ins.rate_per_day"] = "warm-up rate = population on day 0 / mean stay"
    return c


def report_markdown(r: dict[str, Any]) -> str:
    def table(rows: list[dict[str, Any]]) -> str:
        if not rows:
            return ""
        cols = list(rows[0])
        out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        out += ["| " + " | ".join("" if row[c] is None else str(row[c]) for c in cols) + " |"
                for row in rows]
        return "\n".join(out)

    rs = [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
          for row in r["removal_share"]["by_fiscal_year"]]
    return f"""# Calibration report (data through {r['through']})

Fit window {r['window'][0]} - {r['window'][1]}; bootstrap draws {r['bootstrap']} (seed \
{r['seed']}). Intervals: 95 %, the wider of Gauss-Newton and moving-block bootstrap.

## Status-quo parameters (12-month window)

{table(r['parameters'])}

## Fit per series (in-sample MAPE of the fluid model)

{table(r['fit'])}

Expected population at the end of the window: {r['population_at_end']}.

## Removal share of detention exits, by fiscal year

{table(rs)}

## Stays by fiscal year (full history)

{table(r['history_parameters'])}

## Do the data identify yearly changes? (BIC, lower is better)

{table(r['segment_test'])}

![fit](fit.png)

{SOURCE}
"""
