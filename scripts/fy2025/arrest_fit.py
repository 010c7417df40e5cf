"""FY2025 from dated events: ICE-arrest book-ins, CBP transfers and removals with six fitted
scalars, fitted on Oct 2024 - May 2025 and scored on Jun - Sep 2025, then refitted.

    PYTHONPATH=src python scripts/fy2025/arrest_fit.py [--out DIR] [--quick]

Daily ICE-arrest book-in demand from 1 Oct 2024 (day 0):

    D(t) = b0 + theta_q * [ (Q - A24) 1{t >= 21 Jan 2025} + (G - Q) 1{t >= 28 May 2025} ]
              + theta_g * (agreements(t) - 135)

b0 = 247.58/day, FY2024's mean (90,615 / 366, ICE workbook; fixed, not fitted); A24 = 310
ICE arrests/day in FY2024 (113,431 / 366, ICE annual report); Q = 1,350 arrests/day, the
middle of the January 2025 quotas of 1,200-1,500 (press, VERIFY); G = 3,000/day, the goal
stated publicly on 28 May 2025 (The New Republic, 2025); agreements(t): 287(g) agreements,
135 in Jan 2025 and more than 1,100 signed in 2025 (ICE 287(g) page via press, VERIFY),
ASSUMPTION: signed at an even pace from 21 Jan to 30 Sep 2025. theta_q is the book-ins
realised per arrest of quota gap (one scalar for both quota steps: the May goal is scaled
like the January quotas, which is what lets a fit on Oct - May say anything about June),
theta_g the book-ins per day per new agreement.

Beds: ICE admits only while the total population is below the contract capacity of 62,913
beds (April 2025; TRAC, Jul 2025, VERIFY) from 1 Apr 2025 ("no space, no arrests"; before
April the population stayed below 50,000); FY2024-25's 41,500 funded beds were exceeded from
Feb 2025 and so are not a limit. CBP transfers: c0 + r x Border Patrol southwest-border
encounters per day (CBP, exogenous; September 2025 not published: August's rate).
Removals out of detention ("Release to Remove"): rho0 x exits before 21 Jan 2025 and rho1 x
exits from then on (the end of most releases, executive order of 20 Jan 2025, VERIFY, and
the expedited-removal expansion, Federal Register, Jan 2025, apply to everyone detained).
Detention: the stays of detention_fit.py (chosen models), fitted on the same months.

Fitted scalars (6): theta_q, theta_g (ICE book-ins), c0, r (CBP book-ins), rho0, rho1
(Release to Remove). 95 % intervals by profile likelihood (n ln(SSR / SSR_min) <= 3.84,
each scalar profiled over its sub-model's other scalar).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detention_fit import (  # noqa: E402
    CHANGE_DATE,
    CHOSEN,
    Agency,
    day_of,
    fit,
    paths,
    stays_for,
)
from fy2025_common import (  # noqa: E402
    FIT_MONTHS,
    FY_START,
    LABELS,
    linear_trend,
    mape,
    monthly_mean,
    observed_fy,
    persistence,
    table,
)

N = 365
FIRST = day_of(FY_START)  # Oct 2024 in the detention model's day grid from Oct 2018


def fy_day(date: str) -> int:
    return int((pd.Timestamp(date) - FY_START).days)


@dataclass(frozen=True)
class Events:
    """Dated inputs and the assumptions that set their size (ranges in NOT_IDENTIFIED)."""

    b0: float = 90615 / 366  # FY2024 ICE-arrest book-ins/day (ICE workbook)
    a24: float = 113431 / 366  # FY2024 ICE arrests/day (ICE annual report)
    quota: float = 1350.0  # Jan 2025 quotas 1,200-1,500/day (press, VERIFY)
    goal: float = 3000.0  # arrest goal (The New Republic, 2025)
    quota_day: int = fy_day("2025-01-21")
    goal_day: int = fy_day("2025-05-28")  # stated publicly; set 20 or 21 May (reports differ)
    agreements_jan: float = 135.0  # 287(g), Jan 2025 (ICE 287(g) page via press, VERIFY)
    agreements_new: float = 1100.0  # signed in 2025 (VERIFY); even pace: ASSUMPTION
    ramp_power: float = 1.0  # 1: even pace; <1 front-loaded, >1 back-loaded (ASSUMPTION)
    beds: float = 62913.0  # contract capacity, Apr 2025 (TRAC, Jul 2025, VERIFY)
    beds_day: int = fy_day("2025-04-01")
    hires_productive_in_fy2025: float = 0.0  # law signed 4 Jul 2025 + >= 150-day training

    def regressors(self) -> tuple[np.ndarray, np.ndarray]:
        t = np.arange(N)
        x_q = (self.quota - self.a24) * (t >= self.quota_day) + (self.goal - self.quota) * (
            t >= self.goal_day
        )
        frac = np.clip((t - self.quota_day + 1) / (N - self.quota_day), 0.0, 1.0)
        x_g = self.agreements_new * frac**self.ramp_power
        return x_q.astype(float), x_g


def encounters_per_day() -> np.ndarray:
    """Border Patrol southwest-border encounters per day, daily steps over FY2025."""
    from enforcesim import data

    b = data.table("border_encounters")
    b = b[(b["dataset"] == "cbp_swb") & (b["agency"] == "USBP")]
    s = b.groupby("month")["encounters"].sum()
    s.index = pd.to_datetime(s.index)
    months = pd.date_range(FY_START, periods=12, freq="MS")
    vals = s.reindex(months).ffill()  # September 2025 not published: August's
    per_day = vals.to_numpy() / months.days_in_month.to_numpy()
    idx = np.asarray((pd.date_range(FY_START, periods=N).month - 10) % 12)
    return per_day[idx]


@dataclass
class Detention:
    """The chosen detention models with their FY2025 stay parameters."""

    agencies: dict[str, Agency]
    params: dict[str, np.ndarray]

    @classmethod
    def fitted(cls, agencies: dict[str, Agency], n_months: int) -> Detention:
        return cls(
            agencies,
            {a: fit(ag, CHOSEN[a], n_months=n_months).params for a, ag in agencies.items()},
        )

    def run(self, demand: np.ndarray, cbp: np.ndarray, beds: float, beds_day: int):
        """ICE admissions (demand throttled at the bed limit), daily detained by agency and
        exits (FY2025 days)."""
        cday = day_of(CHANGE_DATE)
        ice, cb = self.agencies["ice"], self.agencies["cbp"]
        p_ice, p_cbp = self.params["ice"], self.params["cbp"]
        d_cbp = paths(CHOSEN["cbp"], cb, p_cbp, cday, cbp)
        open_part = np.where(np.arange(N) < beds_day, demand, 0.0)
        base = paths(CHOSEN["ice"], ice, p_ice, cday, open_part)[0][FIRST : FIRST + N]
        other = d_cbp[0][FIRST : FIRST + N] + base
        stay = stays_for(CHOSEN["ice"], ice, p_ice)[0][7]  # cohorts after the change day
        kp = stay.kernels(N)[0]
        added = np.zeros(N)
        admitted = open_part.copy()
        for d in range(beds_day, N):
            room = beds - other[d] - added[d]
            a = float(np.clip(room / kp[0], 0.0, demand[d]))
            admitted[d] = a
            added[d:] += a * kp[: N - d]
        d_ice = paths(CHOSEN["ice"], ice, p_ice, cday, admitted)
        sl = slice(FIRST, FIRST + N)
        return admitted, d_ice[0][sl], d_cbp[0][sl], d_ice[1][sl] + d_cbp[1][sl]


@dataclass
class Scalars:
    theta_q: float
    theta_g: float
    c0: float
    r: float
    rho0: float
    rho1: float


def predict(s: Scalars, ev: Events, det: Detention, enc: np.ndarray) -> dict[str, np.ndarray]:
    x_q, x_g = ev.regressors()
    demand = np.maximum(ev.b0 + s.theta_q * x_q + s.theta_g * x_g, 0.0)
    cbp = np.maximum(s.c0 + s.r * enc, 0.0)
    admitted, n_ice, n_cbp, exits = det.run(demand, cbp, ev.beds, ev.beds_day)
    rho = np.where(np.arange(N) < ev.quota_day, s.rho0, s.rho1)
    return {
        "ice_book_ins": monthly_mean(admitted, FY_START, 12),
        "ice_demand": monthly_mean(demand, FY_START, 12),
        "cbp_book_ins": monthly_mean(cbp, FY_START, 12),
        "adp_ice": monthly_mean(n_ice, FY_START, 12),
        "adp_cbp": monthly_mean(n_cbp, FY_START, 12),
        "adp": monthly_mean(n_ice + n_cbp, FY_START, 12),
        "removals": monthly_mean(rho * exits, FY_START, 12),
        "exits": monthly_mean(exits, FY_START, 12),
    }


def _lsq(fn, x0, lo, hi):
    sol = least_squares(fn, x0, bounds=(lo, hi), method="trf")
    return sol.x, float(sol.fun @ sol.fun), len(sol.fun)


def profile(fn, x, j, lo, hi, grid) -> tuple[float, float]:
    """95 % profile-likelihood interval of x[j] over `grid` (others re-fitted)."""
    r0 = fn(x)
    ssr0, n = float(r0 @ r0), len(r0)
    ok = []
    others = [i for i in range(len(x)) if i != j]
    for g in grid:

        def sub(y, g=g):
            z = np.array(x, float)
            z[others] = y
            z[j] = g
            return fn(z)

        if others:
            y, ssr, _ = _lsq(sub, x[others], lo[others], hi[others])
        else:
            ssr = float(sub(np.zeros(0)) @ sub(np.zeros(0)))
        if n * math.log(max(ssr, 1e-300) / ssr0) <= 3.84:
            ok.append(g)
    return (min(ok), max(ok)) if ok else (float("nan"), float("nan"))


def fit_all(
    obs: pd.DataFrame, ev: Events, det: Detention, enc: np.ndarray, n_months: int, ci: bool
) -> tuple[Scalars, dict[str, tuple[float, float]]]:
    """Fit the six scalars on the first n_months of FY2025, each pair on its own series."""
    m = slice(0, n_months)
    y_ice = np.log(obs["book_ins_ice_per_day"].to_numpy()[m])
    y_cbp = np.log(obs["book_ins_cbp_per_day"].to_numpy()[m])
    y_rem = np.log(obs["release_to_remove_per_day"].to_numpy()[m])
    enc_m = monthly_mean(enc, FY_START, 12)[m]
    x_q, x_g = ev.regressors()

    def f_cbp(x):
        return np.log(np.maximum(x[0] + x[1] * enc_m, 1e-6)) - y_cbp

    lo_c, hi_c = np.array([-500.0, 0.0]), np.array([2000.0, 5.0])
    xc, _, _ = _lsq(f_cbp, np.array([50.0, 0.2]), lo_c, hi_c)

    def f_ice(x):
        s = Scalars(x[0], x[1], xc[0], xc[1], 0.6, 0.85)
        return np.log(np.maximum(predict(s, ev, det, enc)["ice_book_ins"][m], 1e-6)) - y_ice

    lo_i, hi_i = np.array([0.0, 0.0]), np.array([2.0, 2.0])
    xi, _, _ = _lsq(f_ice, np.array([0.3, 0.1]), lo_i, hi_i)
    # removals are linear in (rho0, rho1): split the model's exits at 21 Jan 2025
    base = predict(Scalars(xi[0], xi[1], xc[0], xc[1], 1.0, 1.0), ev, det, enc)
    s1 = predict(Scalars(xi[0], xi[1], xc[0], xc[1], 1.0, 0.0), ev, det, enc)
    ex_pre = s1["removals"]
    ex_post = base["exits"] - ex_pre

    def f_rem(x):
        return np.log(np.maximum(x[0] * ex_pre[m] + x[1] * ex_post[m], 1e-6)) - y_rem

    lo_r, hi_r = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    xr, _, _ = _lsq(f_rem, np.array([0.6, 0.8]), lo_r, hi_r)
    s = Scalars(xi[0], xi[1], xc[0], xc[1], xr[0], xr[1])
    ints: dict[str, tuple[float, float]] = {}
    if ci:
        ints["theta_q"] = profile(f_ice, xi, 0, lo_i, hi_i, np.linspace(0.2, 0.5, 31))
        ints["theta_g"] = profile(f_ice, xi, 1, lo_i, hi_i, np.linspace(0.0, 0.5, 21))
        ints["c0"] = profile(f_cbp, xc, 0, lo_c, hi_c, np.linspace(-100.0, 300.0, 81))
        ints["r"] = profile(f_cbp, xc, 1, lo_c, hi_c, np.linspace(0.0, 1.0, 101))
        ints["rho0"] = profile(f_rem, xr, 0, lo_r, hi_r, np.linspace(0.3, 1.0, 141))
        ints["rho1"] = profile(f_rem, xr, 1, lo_r, hi_r, np.linspace(0.5, 1.0, 101))
    return s, ints


IDENTIFYING = {
    "theta_q": "ICE initial book-ins, arresting agency ICE, monthly (Jan-May; Jun-Sep refit)",
    "theta_g": "the same series' trend between the quota steps",
    "c0": "CBP-arrest initial book-ins, monthly",
    "r": "the same, against Border Patrol southwest-border encounters",
    "rho0": "final book-outs 'Release to Remove', Oct 2024 - 20 Jan 2025",
    "rho1": "final book-outs 'Release to Remove', from 21 Jan 2025",
}

# Inputs the public data cannot identify: the range used and how the held-out forecast moves
NOT_IDENTIFIED = {
    "January quota Q (arrests/day)": ("quota", [1200.0, 1500.0, 1800.0]),
    "287(g) signing pace (power of the ramp)": ("ramp_power", [0.5, 1.0, 2.0]),
    "goal step date": ("goal_day", [fy_day("2025-05-21"), fy_day("2025-05-28")]),
    "usable beds (contract capacity x 0.95-1.05)": ("beds", [59767.0, 62913.0, 66059.0]),
}


def scores(pred: dict, obs: pd.DataFrame, months: slice) -> dict[str, float]:
    return {
        "ice_book_ins": mape(pred["ice_book_ins"][months], obs["book_ins_ice_per_day"][months]),
        "adp": mape(pred["adp"][months], obs["adp"][months]),
        "adp_ice": mape(pred["adp_ice"][months], obs["adp_ice"][months]),
        "adp_cbp": mape(pred["adp_cbp"][months], obs["adp_cbp"][months]),
        "removals": mape(pred["removals"][months], obs["release_to_remove_per_day"][months]),
        "cbp_book_ins": mape(pred["cbp_book_ins"][months], obs["book_ins_cbp_per_day"][months]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="write results as JSON here")
    ap.add_argument("--quick", action="store_true", help="skip intervals and the ranges")
    args = ap.parse_args()
    obs = observed_fy(2025)
    obs = obs.assign(adp_ice=obs["adp_ice"].to_numpy(), adp_cbp=obs["adp_cbp"].to_numpy())
    agencies = {a: Agency.load(a) for a in ("ice", "cbp")}
    enc = encounters_per_day()
    ev = Events()
    out: dict = {}
    held = slice(FIT_MONTHS, 12)
    insample = slice(0, FIT_MONTHS)

    # ---- held-out: fit Oct - May, freeze, score Jun - Sep --------------------------------
    det8 = Detention.fitted(agencies, FIT_MONTHS)
    s8, ci8 = fit_all(obs, ev, det8, enc, FIT_MONTHS, not args.quick)
    p8 = predict(s8, ev, det8, enc)
    # ---- refit on the whole year ----------------------------------------------------------
    det12 = Detention.fitted(agencies, 12)
    s12, ci12 = fit_all(obs, ev, det12, enc, 12, not args.quick)
    p12 = predict(s12, ev, det12, enc)

    print("## Fitted scalars (95 % profile-likelihood intervals)\n")
    print("| scalar | fit Oct-May | fit Oct-Sep | identifying series |\n|---|---|---|---|")
    for k in IDENTIFYING:
        v8, v12 = getattr(s8, k), getattr(s12, k)
        i8, i12 = ci8.get(k, (np.nan, np.nan)), ci12.get(k, (np.nan, np.nan))
        print(
            f"| {k} | {v8:.3f} ({i8[0]:.3f}-{i8[1]:.3f}) | {v12:.3f} "
            f"({i12[0]:.3f}-{i12[1]:.3f}) | {IDENTIFYING[k]} |"
        )
    for a in ("ice", "cbp"):
        print(
            f"stays {a} ({CHOSEN[a]}): Oct-May {np.exp(det8.params[a]).round(1).tolist()}, "
            f"Oct-Sep {np.exp(det12.params[a]).round(1).tolist()}"
        )
    out["scalars"] = {
        "oct_may": vars(s8),
        "oct_sep": vars(s12),
        "ci_oct_may": ci8,
        "ci_oct_sep": ci12,
    }

    print("\n## Months: observed, held-out forecast (fit Oct-May), refit (Oct-Sep)\n")
    rows = {
        "ICE book-ins ICE": obs["book_ins_ice_per_day"].to_numpy(),
        "held-out": p8["ice_book_ins"],
        "refit": p12["ice_book_ins"],
        "demand (refit)": p12["ice_demand"],
        "ADP ICE": obs["adp"].to_numpy(),
        "ADP held-out": p8["adp"],
        "ADP refit": p12["adp"],
        "R2R ICE": obs["release_to_remove_per_day"].to_numpy(),
        "R2R held-out": p8["removals"],
        "R2R refit": p12["removals"],
        "CBP book-ins ICE": obs["book_ins_cbp_per_day"].to_numpy(),
        "CBP held-out": p8["cbp_book_ins"],
    }
    print(table(rows, LABELS))
    out["months"] = {k: np.asarray(v).tolist() for k, v in rows.items()}

    print("\n## MAPE %: in-sample (Oct-May) and held-out (Jun-Sep), fit Oct-May; refit\n")
    print(
        "| series | in-sample Oct-May | held-out Jun-Sep | persistence Jun-Sep "
        "| linear trend Jun-Sep | refit Oct-Sep (in-sample) |\n|---|---|---|---|---|---|"
    )
    sc_in, sc_out = scores(p8, obs, insample), scores(p8, obs, held)
    sc_all = scores(p12, obs, slice(0, 12))
    base = {}
    for k, col in (
        ("ice_book_ins", "book_ins_ice_per_day"),
        ("adp", "adp"),
        ("removals", "release_to_remove_per_day"),
        ("adp_ice", "adp_ice"),
        ("adp_cbp", "adp_cbp"),
        ("cbp_book_ins", "book_ins_cbp_per_day"),
    ):
        y = obs[col].to_numpy()
        pe = mape(persistence(y, FIT_MONTHS), y[held])
        lt = mape(linear_trend(y, FIT_MONTHS), y[held])
        base[k] = {"persistence": pe, "linear_trend": lt}
        print(f"| {k} | {sc_in[k]:.1f} | {sc_out[k]:.1f} | {pe:.1f} | {lt:.1f} | {sc_all[k]:.1f} |")
    out["mape"] = {"in_sample": sc_in, "held_out": sc_out, "refit": sc_all, "baselines": base}

    if not args.quick:
        print("\n## Inputs the data cannot identify: held-out Jun-Sep as each moves\n")
        print(
            "| input | value | theta_q | theta_g | ICE book-ins Jun-Sep mean | ADP Sep "
            "| MAPE book-ins | MAPE ADP |\n|---|---|---|---|---|---|---|---|"
        )
        out["ranges"] = []
        for name, (field, values) in NOT_IDENTIFIED.items():
            for v in values:
                e = replace(ev, **{field: type(getattr(ev, field))(v)})
                s, _ = fit_all(obs, e, det8, enc, FIT_MONTHS, False)
                p = predict(s, e, det8, enc)
                sc = scores(p, obs, held)
                mean_b = float(np.average(p["ice_book_ins"][held], weights=[30, 31, 31, 20]))
                print(
                    f"| {name} | {v:g} | {s.theta_q:.3f} | {s.theta_g:.3f} | {mean_b:,.0f} "
                    f"| {p['adp'][11]:,.0f} | {sc['ice_book_ins']:.1f} | {sc['adp']:.1f} |"
                )
                out["ranges"].append(
                    {
                        "input": name,
                        "value": v,
                        "theta_q": s.theta_q,
                        "theta_g": s.theta_g,
                        "mape": sc,
                    }
                )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "arrest_fit.json").write_text(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
