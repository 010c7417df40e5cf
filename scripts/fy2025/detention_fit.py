"""FY2025 detention given the observed book-ins (research around the package's model): stays
by arresting agency with at most one change point, the population on 30 Sep 2025 by month
of admission, the removal share.

    PYTHONPATH=src python scripts/fy2025/detention_fit.py [--out DIR]

The model and its fit live in src/enforcesim/analyses/calibration/fy2025_detention.py (the
chosen models are what `enforcesim calibrate fy2025` uses); this script compares M0-M4, fits
the change date and prints the cohorts and head-count bands of sections 4 and 9.

Model: the engine's exact expectation with unlimited beds (src/enforcesim/calibrate/fluid.py,
an M_t/G/infinity fluid), run per arresting agency (ICE, CBP) over every month since
Oct 2018 with ICE's observed monthly book-ins (per covered day; 21-30 Sep 2025, which the
workbook does not cover, at September's rate). The people present on 30 Sep 2024 are
therefore cohorts: each day's book-ins since Oct 2018 with the gamma stay fitted for its
fiscal year on data up to 30 Sep 2024 only (the calibration's full-history fit,
docs/calibration.md), not a stationary residual. FY2025 adds at most one change point per
stream, at a fixed dated event or at a fitted date:

  M0  FY2025 cohorts keep FY2024's stay (no new parameter: the status quo's assumption)
  M1  one new gamma stay for every FY2025 cohort (2 parameters)
  M2  cohorts from the change date on get a new stay; earlier ones keep FY2024's (2)
  M3  cohorts before and after the change date each get a new stay (4)
  M4  a period change: from the change date everyone already detained stays longer, the
      remaining time of each stay multiplied by kappa, and cohorts from then on get a new
      stay (3: kappa, mean, sd). The end of most releases applied to people already in
      custody, not only to new arrests, which cohort stays (M2, M3) cannot say.

The fixed date is 21 Jan 2025 (day after the executive order ending most releases, VERIFY,
and of the January arrest quotas and the expedited-removal expansion, Federal Register,
Jan 2025). Fit: least squares on log(model / observed) of monthly ADP and ALOS of the
agency (equal weights), FY2025 months up to --through; 95 % intervals from the Gauss-Newton
covariance. Outputs: the fit table, monthly ADP error by agency, the population on 30 Sep
2025 by month of admission, time-in-custody bands against ICE's head-counts, and the
monthly removal share ("Release to Remove" / final book-outs).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from enforcesim.analyses.calibration.fy2025_data import LABELS, mape, observed_fy
from enforcesim.analyses.calibration.fy2025_detention import (
    CHANGE_DATE,
    CHOSEN,
    EVAL_DATE,
    FY25_FIRST_MONTH,
    HISTORY_START,
    MODELS,
    Agency,
    Fit,
    day_of,
    fit,
    stays_for,
    survival,
)
from enforcesim.reports.fy2025 import month_table as table


def fit_change_date(ag: Agency, model: str, n_months: int = 12) -> Fit:
    """The change date fitted on a two-week grid (Oct 2024 - Apr 2025), best by SSR."""
    best = None
    for d in pd.date_range("2024-10-15", "2025-04-30", freq="14D"):
        f = fit(ag, model, d, n_months)
        if best is None or f.ssr < best.ssr:
            best = f
    assert best is not None
    return best


def cohorts_on(
    ag: Agency, f: Fit, date: pd.Timestamp = EVAL_DATE, rates_fy25: np.ndarray | None = None
) -> pd.Series:
    """Expected people detained at the end of `date` by month of book-in (fluid model)."""
    cday = day_of(f.change)
    t = day_of(date)  # end of day t = time t + 1
    rate, _, _, fy = ag.grid(rates_fy25)
    n = len(rate)
    code = fy.copy()
    code[(np.arange(n) >= cday) & (fy == 6)] = 7
    stays, kappa = stays_for(f.model, ag, f.params)
    s_mid = np.arange(t + 1) + 0.5
    age = (t + 1.0) - s_mid
    if kappa != 1.0:
        before = s_mid < cday
        age = np.where(before & (t + 1 > cday), (cday - s_mid) + (t + 1 - cday) / kappa, age)
    surv = np.zeros(t + 1)
    for c in range(8):
        sel = code[: t + 1] == c
        if sel.any():
            surv[sel] = survival(stays[c], age[sel])
    present = rate[: t + 1] * surv
    months = pd.date_range(HISTORY_START, periods=t + 1, freq="D").to_period("M")
    return pd.Series(present, index=months).groupby(level=0).sum()


def bands_on(
    ag: Agency, f: Fit, date: pd.Timestamp, rates_fy25: np.ndarray | None = None
) -> dict[str, float]:
    """Expected people detained at the end of `date` by time in custody (ICE's head-count
    bands, days)."""
    c = cohorts_on(ag, f, date, rates_fy25)
    mid = np.array([(date - p.to_timestamp(how="start")).days - 15 for p in c.index])
    return {
        "0-180": float(c[mid <= 180].sum()),
        "181-365": float(c[(mid > 180) & (mid <= 365)].sum()),
        "366-730": float(c[(mid > 365) & (mid <= 730)].sum()),
        "731+": float(c[mid > 730].sum()),
    }


def removal_share_by_month() -> pd.DataFrame:
    """'Release to Remove' / all final book-outs, by month (FY2024-FY2025)."""
    from enforcesim import data

    m = data.table("monthly_rates")
    m = m[m["fiscal_year"] >= 2024].sort_values("month")
    return pd.DataFrame(
        {
            "month": pd.to_datetime(m["month"]).dt.strftime("%Y-%m").to_numpy(),
            "book_outs_per_day": m["releases_per_day"].to_numpy(),
            "release_to_remove_per_day": m["release_to_remove_per_day"].to_numpy(),
            "share": (m["release_to_remove"] / m["releases"]).to_numpy(),
        }
    )


def headcount_bands(date: str) -> dict[str, float]:
    from enforcesim import data

    h = data.table("headcounts")
    h = h[(h["population_group"] == "total") & (pd.to_datetime(h["date"]) == pd.Timestamp(date))]
    return dict(zip(h["stay_band"], h["detained"].astype(float), strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="write results as JSON here")
    args = ap.parse_args()
    agencies = {a: Agency.load(a) for a in ("ice", "cbp")}
    obs = observed_fy(2025)
    out: dict = {"pre_fy2025_stays": {}, "fits": {}}
    for a, ag in agencies.items():
        out["pre_fy2025_stays"][a] = [(s.mean, s.sd) for s in ag.pre_stays]
        print(
            f"{a}: FY2024 stay (fitted to 30 Sep 2024) mean {ag.pre_stays[-1].mean:.1f}, "
            f"sd {ag.pre_stays[-1].sd:.1f}"
        )

    print("\n## Fits on FY2025 (ADP and ALOS by agency, 12 months)\n")
    print("| agency | model | change date | parameters (95 %) | ADP MAPE % | ALOS MAPE % | BIC |")
    print("|---|---|---|---|---|---|---|")
    fits: dict[tuple[str, str], Fit] = {}
    for a, ag in agencies.items():
        for model in MODELS:
            variants = [fit(ag, model)]
            if model in ("M2", "M3"):
                variants.append(fit_change_date(ag, model))
            for f in variants:
                fixed = f.change == CHANGE_DATE
                key = (a, model + ("" if fixed else "*"))
                fits[key] = f
                e_adp = mape(f.adp, ag.series.adp[FY25_FIRST_MONTH:])
                e_alos = mape(f.alos, ag.series.alos[FY25_FIRST_MONTH:])
                pars = "; ".join(
                    f"{k} {v:.2f} ({lo:.2f}-{hi:.2f})" for k, (v, lo, hi) in f.named().items()
                )
                cd = f.change.date() if model not in ("M0", "M1") else "-"
                print(
                    f"| {a} | {key[1]} | {cd} | {pars} | {e_adp:.1f} | {e_alos:.1f} | {f.bic:.1f} |"
                )
                out["fits"][f"{a}/{key[1]}"] = {
                    "change": str(f.change.date()),
                    "params": {k: list(v) for k, v in f.named().items()},
                    "adp": f.adp.tolist(),
                    "alos": f.alos.tolist(),
                    "mape_adp": e_adp,
                    "mape_alos": e_alos,
                    "bic": f.bic,
                }

    print(f"\n## Monthly ADP by agency, models {CHOSEN} (change 21 Jan 2025) vs ICE\n")
    rows = {}
    for a in ("ice", "cbp"):
        f = fits[(a, CHOSEN[a])]
        rows[f"ADP {a} ICE"] = agencies[a].series.adp[FY25_FIRST_MONTH:]
        rows[f"ADP {a} model"] = f.adp
        rows[f"err {a} %"] = (f.adp / agencies[a].series.adp[FY25_FIRST_MONTH:] - 1) * 100
    tot = fits[("ice", CHOSEN["ice"])].adp + fits[("cbp", CHOSEN["cbp"])].adp
    rows["ADP total ICE"] = obs["adp"].to_numpy()
    rows["ADP total model"] = tot
    rows["err total %"] = (tot / obs["adp"].to_numpy() - 1) * 100
    print(table(rows, LABELS, "{:,.1f}"))
    for a in ("ice", "cbp"):
        for model in ("M0", "M2", "M3", "M4"):
            f = fits[(a, model)]
            err = np.abs(f.adp / agencies[a].series.adp[FY25_FIRST_MONTH:] - 1) * 100
            print(f"{a} {model}: max monthly ADP error {err.max():.1f} %, MAPE {err.mean():.1f} %")

    print("\n## Population on 30 Sep 2025 by month of book-in (chosen models)\n")
    coh = {a: cohorts_on(agencies[a], fits[(a, CHOSEN[a])]) for a in ("ice", "cbp")}
    ct = pd.DataFrame(coh).fillna(0.0)
    early = ct.index < pd.Period("2024-10", "M")
    table_rows = pd.concat(
        [
            pd.DataFrame(ct[early].sum()).T.set_axis(["before Oct 2024"]),
            ct[~early].set_axis([str(p) for p in ct.index[~early]]),
        ]
    )
    table_rows["total"] = table_rows.sum(axis=1)
    print("| month of book-in | ice | cbp | total |\n|---|---|---|---|")
    for idx, r in table_rows.iterrows():
        print(f"| {idx} | {r['ice']:,.0f} | {r['cbp']:,.0f} | {r['total']:,.0f} |")
    s = table_rows.sum()
    print(f"| all | {s['ice']:,.0f} | {s['cbp']:,.0f} | {s['total']:,.0f} |")
    out["cohorts_2025_09_30"] = {
        str(k): {c: float(v) for c, v in r.items()} for k, r in table_rows.iterrows()
    }

    print("\n## Time in custody: model vs ICE head-counts (all agencies)\n")
    print("| date | band | ICE head-count | model | model share | ICE share |")
    print("|---|---|---|---|---|---|")
    out["bands"] = {}
    for date in ("2024-09-30", "2025-03-31", "2025-06-30", "2025-08-31"):
        hc = headcount_bands(date)
        mb = {
            k: sum(
                bands_on(agencies[a], fits[(a, CHOSEN[a])], pd.Timestamp(date))[k]
                for a in ("ice", "cbp")
            )
            for k in ("0-180", "181-365", "366-730", "731+")
        }
        tm, th = sum(mb.values()), hc["total"]
        for k in mb:
            print(
                f"| {date} | {k} | {hc[k]:,.0f} | {mb[k]:,.0f} | {mb[k] / tm:.3f} "
                f"| {hc[k] / th:.3f} |"
            )
        out["bands"][date] = {"headcount": hc, "model": mb}

    print("\n## Removal share: 'Release to Remove' / final book-outs\n")
    rs = removal_share_by_month()
    print("| month | book-outs/day | Release to Remove/day | share |\n|---|---|---|---|")
    for _, r in rs.iterrows():
        print(
            f"| {r['month']} | {r['book_outs_per_day']:,.1f} | "
            f"{r['release_to_remove_per_day']:,.1f} | {r['share']:.3f} |"
        )
    out["removal_share"] = rs.to_dict(orient="list")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "detention_fit.json").write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
