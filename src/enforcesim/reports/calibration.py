"""The fit report (JSON, Markdown, PNG) and the calibrated scenario file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import tomlfile
from ..analyses.calibration.fit import AGENCIES, AgencyFit, bic, fit_agency, observed
from ..analyses.calibration.status_quo import (
    DIST,
    StatusQuoFit,
    fit_status_quo,
    in_sample_check,
    status_quo_dict,
)
from .html import render

if TYPE_CHECKING:
    from ..execution.executors import Executor, ProgressCallback

# Okabe-Ito colour-blind-safe palette; line styles differ too, so the plots read in grey
COLOURS = {
    "ice": "#0072B2",
    "cbp": "#E69F00",
    "all": "#009E73",
    "obs": "#000000",
    "model": "#D55E00",
    "hist": "#0072B2",
    "grey": "#999999",
}
SOURCE = "Source: ICE detention statistics workbooks FY2019-FY2024 (enforcesim data store)."


def _param_rows(f: AgencyFit) -> list[dict[str, Any]]:
    rows = []
    for j, (a, b) in enumerate(f.segment_months()):
        for k, name in ((1, "mean"), (2, "sd")):
            est, lo, hi = f.interval(2 * j + k)
            rows.append(
                {
                    "agency": f.agency,
                    "from": str(a.date()),
                    "to": str(b.date()),
                    "parameter": f"stay {name} (days)",
                    "estimate": round(est, 1),
                    "lo95": round(lo, 1),
                    "hi95": round(hi, 1),
                }
            )
    est, lo, hi = f.interval(0)
    rows.append(
        {
            "agency": f.agency,
            "from": str(f.series.months[0].date()),
            "to": str(f.series.months[0].date()),
            "parameter": "population at start",
            "estimate": round(est),
            "lo95": round(lo),
            "hi95": round(hi),
        }
    )
    return rows


def _fit_rows(f: AgencyFit) -> list[dict[str, Any]]:
    adp, alos = f.predict()
    s = f.series
    return [
        {
            "agency": f.agency,
            "series": "ADP",
            "mape_pct": round(float(np.mean(np.abs(adp / s.adp - 1)) * 100), 2),
        },
        {
            "agency": f.agency,
            "series": "ALOS",
            "mape_pct": round(float(np.mean(np.abs(alos / s.alos - 1)) * 100), 2),
        },
    ]


def history_fits(through: str, dist: str = DIST) -> dict[str, dict[str, AgencyFit]]:
    """Full-history fits by agency: one stay for all years vs one per fiscal year, for the
    chosen stay distribution and the other one (keys "constant", "fy", "constant/other",
    "fy/other")."""
    other = "lognormal" if dist == "gamma" else "gamma"
    out: dict[str, dict[str, AgencyFit]] = {}
    for a in AGENCIES:
        s = observed(a, through)
        out[a] = {k: fit_agency(s, k, agency=a, dist=dist) for k in ("constant", "fy")}
        out[a].update(
            {f"{k}/other": fit_agency(s, k, agency=a, dist=other) for k in ("constant", "fy")}
        )
    return out


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_fit(sq: StatusQuoFit, hist: dict[str, dict[str, AgencyFit]], path: Path) -> None:
    """Monthly ADP and ALOS by agency: observed, yearly-stay model, status-quo fit."""
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.8), constrained_layout=True)
    dist = sq.fits["ice"].dist
    for col, a in enumerate(AGENCIES):
        f = hist[a]["fy"]
        adp, alos = f.predict()
        s = f.series
        w = sq.fits[a]
        wadp, walos = w.predict()
        for row, (obs, mod, win, what, unit) in enumerate(
            (
                (s.adp, adp, wadp, "average daily population", "people detained (monthly ADP)"),
                (
                    s.alos,
                    alos,
                    walos,
                    "length of stay of those booked out",
                    "average length of stay, days (monthly ALOS)",
                ),
            )
        ):
            ax = axes[row, col]
            ax.plot(s.months, obs, color=COLOURS["obs"], lw=1.6, label="ICE, observed")
            ax.plot(
                s.months,
                mod,
                color=COLOURS["hist"],
                lw=1.5,
                ls="--",
                label=f"model, {dist} stays fitted per fiscal year",
            )
            ax.plot(
                w.series.months,
                win,
                color=COLOURS["model"],
                lw=2.2,
                ls="-",
                marker="o",
                ms=3,
                label="status quo: FY2024 fit (shipped scenario)",
            )
            ax.axvspan(
                pd.Timestamp("2020-03-01"),
                pd.Timestamp("2021-08-31"),
                color=COLOURS["grey"],
                alpha=0.15,
                lw=0,
                label="COVID-19 period",
            )
            ax.set_title(f"Arrested by {a.upper()}: {what}", fontsize=10)
            ax.set_ylabel(unit)
            ax.set_xlabel("month (fiscal years FY2019-FY2024)")
            ax.set_ylim(bottom=0)
            ax.legend(fontsize=7.5, loc="upper left" if row else "lower left")
    fig.suptitle(
        "Expected monthly values of the model (no simulation noise) against ICE's "
        "statistics. " + SOURCE,
        fontsize=9,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_stays(sq: StatusQuoFit, hist: dict[str, dict[str, AgencyFit]], path: Path) -> None:
    """Yearly stay mean and sd by agency with 95 % intervals, and the status-quo fit."""
    plt = _plt()
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig, axes = plt.subplots(1, 2, figsize=(11, 5.0), constrained_layout=True)
    for col, (k, name) in enumerate(((1, "mean"), (2, "standard deviation"))):
        ax = axes[col]
        for i, a in enumerate(AGENCIES):
            f = hist[a]["fy"]
            x = np.array([b.year + (b.month >= 10) for _, b in f.segment_months()], float)
            x = x + (i - 0.5) * 0.18
            est = np.array([f.interval(2 * j + k) for j in range(len(x))])
            ax.errorbar(
                x,
                est[:, 0],
                yerr=[est[:, 0] - est[:, 1], est[:, 2] - est[:, 0]],
                fmt="o" if i == 0 else "s",
                color=COLOURS[a],
                capsize=3,
                label=f"{a.upper()} arrests, per fiscal year",
            )
            e, lo, hi = sq.fits[a].interval(k)
            ax.errorbar(
                [2024.5 + (i - 0.5) * 0.18],
                [e],
                yerr=[[e - lo], [hi - e]],
                fmt="D",
                mfc="white",
                color=COLOURS[a],
                capsize=3,
                label=f"{a.upper()}: status quo (FY2024 window, bootstrap)",
            )
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks([20, 30, 40, 60, 80, 100, 150, 200] if k == 2 else [25, 30, 40, 50, 60, 70])
        ax.set_xticks(range(2019, 2025))
        ax.set_xticklabels([f"FY{y}" for y in range(2019, 2025)])
        ax.set_xlabel("fiscal year of book-in")
        ax.set_ylabel(f"stay {name}, days (log scale)")
        ax.set_title(
            f"{sq.fits['ice'].dist.capitalize()} stay {name} by arresting agency", fontsize=10
        )
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.suptitle(
        "Filled markers: full-history fit with stays per fiscal year; open diamonds: "
        "the status quo's FY2024 fit.\nBars: 95 % intervals (per fiscal year: "
        "Gauss-Newton; status quo: wider of Gauss-Newton and block bootstrap).\n" + SOURCE,
        fontsize=8.5,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_in_sample(check: dict[str, Any], path: Path) -> None:
    """The engine's in-sample FY2024 run against ICE's monthly ADP, total and by agency."""
    plt = _plt()
    months = pd.to_datetime(check["months"])
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), constrained_layout=True)
    for ax, key in zip(axes, ("all", *AGENCIES), strict=True):
        c = check[key]
        ax.plot(
            months,
            c["observed"],
            color=COLOURS["obs"],
            lw=1.6,
            marker="o",
            ms=3,
            label="ICE monthly ADP",
        )
        ax.plot(
            months,
            c["engine"],
            color=COLOURS["model"],
            lw=2,
            ls="--",
            marker="s",
            ms=3,
            label=f"simulation (mean of {check['replicates']} replicates)",
        )
        label = "all agencies" if key == "all" else f"arrested by {key.upper()}"
        ax.set_title(f"{label}: MAPE {c['mape_pct']:.1f} %", fontsize=10)
        ax.set_ylabel("people detained (monthly mean)")
        ax.set_xlabel("month (FY2024)")
        ax.set_ylim(0, max(max(c["observed"]), max(c["engine"])) * 1.15)
        ax.tick_params(axis="x", labelrotation=45)
        ax.legend(fontsize=7.5, loc="lower left")
    fig.suptitle(
        "In-sample check: status quo fed FY2024's observed monthly book-ins by "
        f"agency (engine, seed {check['seed']}). " + SOURCE,
        fontsize=8.5,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def calibrate(
    through: str = "2024-09-30",
    out: str | Path = "out/calibration",
    bootstrap: int = 100,
    seed: int = 0,
    streams: bool = True,
    scenario_path: str | Path | None = None,
    dist: str = DIST,
    executor: Executor | None = None,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Fit, write the scenario TOML and the report (JSON, Markdown, PNGs) into `out`. The
    bootstrap's refits run on `executor` (here when None); the numbers do not depend on it."""
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    sq = fit_status_quo(
        through,
        bootstrap=bootstrap,
        seed=seed,
        dist=dist,
        executor=executor,
        on_progress=on_progress,
    )
    hist = history_fits(through, dist)
    d = status_quo_dict(sq, streams=streams)
    header = scenario_header(sq, bootstrap, streams)
    text = tomlfile.dumps(d, header=header, comments=scenario_comments(sq, streams))
    scen = Path(scenario_path) if scenario_path else outp / f"{d['scenario']['name']}.toml"
    scen.write_text(text)
    check = in_sample_check(sq, replicates=4, seed=0)
    params = [r for k in (*AGENCIES, "all") for r in _param_rows(sq.fits[k])]
    fit_rows = [r for k in (*AGENCIES, "all") for r in _fit_rows(sq.fits[k])]
    hist_params = [r for a in AGENCIES for r in _param_rows(hist[a]["fy"])]
    segs = [
        {
            "agency": a,
            "stays": f.dist,
            "segments": kind.split("/")[0],
            "parameters": len(f.theta),
            "bic": round(bic(f), 1),
            "adp_mape_pct": _fit_rows(f)[0]["mape_pct"],
            "alos_mape_pct": _fit_rows(f)[1]["mape_pct"],
        }
        for a in AGENCIES
        for kind, f in hist[a].items()
    ]
    other = "lognormal" if dist == "gamma" else "gamma"
    alt = fit_status_quo(through, dist=other)
    dist_test = [
        {
            "agency": a,
            "stays": f.dist,
            "window": "12 months",
            "mean": round(f.stays[0].mean, 1),
            "sd": round(f.stays[0].sd, 1),
            "sd_lo95": round(f.interval(2)[1], 1),
            "sd_hi95": round(f.interval(2)[2], 1),
            "bic": round(bic(f), 1),
            "adp_mape_pct": _fit_rows(f)[0]["mape_pct"],
            "alos_mape_pct": _fit_rows(f)[1]["mape_pct"],
        }
        for a in AGENCIES
        for f in (sq.fits[a], alt.fits[a])
    ]
    rs = sq.removal.replace({np.nan: None}).to_dict(orient="records")
    report = {
        "through": str(sq.through.date()),
        "bootstrap": bootstrap,
        "seed": seed,
        "stays": dist,
        "window": [
            str(sq.fits["all"].series.months[0].date()),
            str(sq.fits["all"].series.months[-1].date()),
        ],
        "parameters": params,
        "fit": fit_rows,
        "population_at_end": {k: round(v) for k, v in sq.n_end.items()},
        "initial_detained": sq.initial,
        "in_sample": {
            "replicates": check["replicates"],
            "seed": check["seed"],
            **{
                k: {
                    "mape_pct": round(check[k]["mape_pct"], 2),
                    "max_engine_vs_fluid_pct": round(check[k]["max_engine_vs_fluid_pct"], 2),
                }
                for k in ("all", *AGENCIES)
            },
        },
        "removal_share": {"low": sq.removal_low, "high": sq.removal_high, "by_fiscal_year": rs},
        "history_parameters": hist_params,
        "segment_test": segs,
        "distribution_test": dist_test,
        # Relative to the report when written beside it, so the folder can move.
        "scenario": scen.name if scen.parent == outp else str(scen),
    }
    (outp / "report.json").write_text(json.dumps(report, indent=2, default=str))
    plot_fit(sq, hist, outp / "fit.png")
    plot_stays(sq, hist, outp / "stays.png")
    plot_in_sample(check, outp / "in_sample.png")
    (outp / "report.md").write_text(report_markdown(report))
    return report


def scenario_header(sq: StatusQuoFit, bootstrap: int, streams: bool = True) -> str:
    w = sq.fits["all"].series.months
    fy = sq.through.year + (sq.through.month >= 10)
    day0 = (sq.through + pd.Timedelta(days=1)).date()
    dist = sq.fits["ice"].dist
    form = (
        """# Two book-in streams by arresting agency (ICE arrests incl. 287(g) and CAP; CBP
# arrests = Border Patrol and OFO transfers), each with its own fitted stay and its own
# population on day 0 (initial_detained: the model's population of that agency on the last
# day of data, scaled by ICE's observed / modelled ADP of the last month).
# Removal share: ICE publishes book-outs by reason for all agencies together only, so both
# streams use the pooled value."""
        if streams
        else "# Single stream (contract v1): one stay fitted to all agencies."
    )
    return f"""# Status quo at the end of FY{fy}: written by \
`enforcesim calibrate run --through {sq.through.date()}`.
# Calibrated on ICE's monthly ADP and ALOS of {w[0]:%b %Y} - {w[-1]:%b %Y} only (ICE detention
# statistics workbooks; nothing after {sq.through.date()}). Day 0 = {day0}.
{form}
# Stays: {dist}, fitted by least squares on log errors of monthly ADP and ALOS with the
# fluid (M_t/G/infinity) expectation of the engine (docs/calibration.md). [uncertainty]:
# lognormal draws whose median is the estimate and whose 95 % range is the fit's interval
# (wider of Gauss-Newton and a {bootstrap}-draw moving-block bootstrap); the engine draws
# mean and sd independently, so their (negative) correlation is ignored.
# Inflow: replace each stream's rate_per_day / schedule with an observed or assumed series
# of book-ins by agency (docs/calibration.md).
# beds = "unlimited": FY2024 never hit a hard bed limit (its highest monthly ADP, 39,201,
# stayed below the 41,500 funded beds, and ICE has exceeded funded beds before), so the
# fit identifies stays without capacity; with unlimited beds the run is demand-driven
# (it says how many beds the inflow needs). when_full only matters once beds are limited."""


def scenario_comments(sq: StatusQuoFit, streams: bool) -> dict[str, str]:
    c = {
        "detention.removal_share": (
            f"pooled, FY2024 book-outs: 'release to remove' / exits = {sq.removal_low:.3f} "
            f"to 1 - non-removal book-outs / exits = {sq.removal_high:.3f}; midpoint"
        ),
        "costs.bed_day": "USD per bed-day, ICE 2024-25 (reference parameters)",
    }
    if streams:
        for a in AGENCIES:
            s = sq.fits[a].series
            m = s.months[-1]
            c[f"book_ins.streams.{a}.rate_per_day"] = (
                f"FY2024 mean {a.upper()}-arrest book-ins/day ({s.book_ins.sum():,.0f} / "
                f"{s.covered_days.sum():.0f}), held flat"
            )
            st = sq.fits[a].stays[0]
            e, lo, hi = sq.fits[a].interval(1)
            c[f"book_ins.streams.{a}.length_of_stay"] = (
                f"FY2024 fit: mean {lo:.1f}-{hi:.1f}, sd {sq.fits[a].interval(2)[1]:.0f}-"
                f"{sq.fits[a].interval(2)[2]:.0f} (95 %)"
            )
            del st
            c[f"book_ins.streams.{a}.initial_detained"] = (
                f"model population {sq.n_end[a]:,.0f} x ICE's {m:%b %Y} ADP "
                f"{s.adp[-1]:,.0f} / model's"
            )
    else:
        c["book_ins.rate_per_day"] = "FY2024 mean book-ins/day, held flat"
        c["detention.initial_detained"] = "model population on the last day, anchored"
    return c


def report_markdown(r: dict[str, Any]) -> str:
    """The report as Markdown (reports/templates/calibration.md.j2)."""
    shares = [
        {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
        for row in r["removal_share"]["by_fiscal_year"]
    ]
    return render("calibration.md.j2", r=r, removal_shares=shares, source=SOURCE)
