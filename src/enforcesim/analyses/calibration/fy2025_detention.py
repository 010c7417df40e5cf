"""FY2025 detention given the observed book-ins: stays by arresting agency with at most one
change point per stream (docs/recalibration-fy2025.md, section 4).

Model: the engine's exact expectation with unlimited beds (`fluid.py`, an M_t/G/infinity
fluid), run per arresting agency (ICE, CBP) over every month since Oct 2018 with ICE's
observed monthly book-ins (per covered day; 21-30 Sep 2025, which the workbook does not
cover, at September's rate). The people present on 30 Sep 2024 are therefore cohorts: each
day's book-ins since Oct 2018 with the gamma stay fitted for its fiscal year on data up to
30 Sep 2024 only (the full-history fit, docs/calibration.md), not a stationary residual.
FY2025 adds at most one change point per stream:

  M0  FY2025 cohorts keep FY2024's stay (no new parameter: the status quo's assumption)
  M1  one new gamma stay for every FY2025 cohort (2 parameters)
  M2  cohorts from the change date on get a new stay; earlier ones keep FY2024's (2)
  M3  cohorts before and after the change date each get a new stay (4)
  M4  a period change: from the change date everyone already detained stays longer, the
      remaining time of each stay multiplied by kappa, and cohorts from then on get a new
      stay (3: kappa, mean, sd).

The change date is 21 Jan 2025 (`fy2025_events.EVENTS`, "stays_change"). Fit: least
squares on log(model / observed) of monthly ADP and ALOS of the agency (equal weights),
the first `n_months` of FY2025; 95 % intervals from the Gauss-Newton covariance. Chosen:
ICE M2, CBP M3 (lowest BIC among the fixed-date fits with ADP error as tie-break).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.special import gammainc

from .fit import Series, fit_agency, observed
from .fluid import Paths, Stay, expected_paths, monthly
from .fy2025_data import FY_START, N_DAYS
from .fy2025_events import BY_KEY

HISTORY_START = pd.Timestamp("2018-10-01")
FY25_FIRST_MONTH = 72  # Oct 2024 in the monthly index from Oct 2018
CHANGE_DATE = pd.Timestamp(BY_KEY["stays_change"].date)
EVAL_DATE = pd.Timestamp("2025-09-30")
MODELS = ("M0", "M1", "M2", "M3", "M4")
# The model of each stream (lowest BIC among the fixed-date fits, ADP error as tie-break:
# see docs/recalibration-fy2025.md)
CHOSEN = {"ice": "M2", "cbp": "M3"}
N_PARAMS = {"M0": 0, "M1": 2, "M2": 2, "M3": 4, "M4": 3}


def day_of(date: pd.Timestamp) -> int:
    """Days from 1 Oct 2018, the first day of the detention model's grid."""
    return int((date - HISTORY_START).days)


FIRST = day_of(FY_START)  # 1 Oct 2024 in the grid from 1 Oct 2018


@dataclass
class Agency:
    """One arresting agency: observed series since Oct 2018 and the pre-FY2025 fit."""

    name: str
    series: Series
    pre_stays: list[Stay]  # one per fiscal year FY2019-FY2024
    n0: float  # population on 1 Oct 2018 (fitted, stationary residual stays)
    anchor: float = 1.0  # ICE's Sep 2024 ADP / the pre-FY2025 fit's, applied to every
    # cohort booked in before 1 Oct 2024 (as the shipped status quo anchors its start)

    @classmethod
    def load(cls, name: str) -> Agency:
        pre = fit_agency(observed(name, through="2024-09-30"), "fy", dist="gamma", agency=name)
        adp_sep24 = pre.predict()[0][-1]
        return cls(name, observed(name), pre.stays, pre.n0, pre.series.adp[-1] / adp_sep24)

    def grid(self, rates_fy25: np.ndarray | None = None):
        """(daily rate, month index, covered, cohort) for Oct 2018 - Sep 2025; cohort = fiscal
        year of book-in (0 = FY2019 ... 6 = FY2025). `rates_fy25` replaces FY2025's daily
        book-in rates (365 values)."""
        rate, midx, cov = self.series.day_grid()
        first = day_of(pd.Timestamp("2024-10-01"))
        rate = rate.copy()
        rate[:first] *= self.anchor
        if rates_fy25 is not None:
            rate[first : first + len(rates_fy25)] = rates_fy25
        fy = np.minimum(midx // 12, 6)
        return rate, midx, cov, fy

    @cached_property
    def fy25_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(observed daily book-in rate, month index 0-11, covered flag) of FY2025's days."""
        rate, midx, cov, _ = self.grid()
        return rate[FIRST:], midx[FIRST:] - FY25_FIRST_MONTH, cov[FIRST:]

    @cached_property
    def before_fy25(self) -> Paths:
        """Expected paths over FY2025's days of everyone booked in before 1 Oct 2024 (and the
        1 Oct 2018 population): the part of every FY2025 model that its parameters do not
        change, computed once."""
        rate, _, _, fy = self.grid()
        stays = [*self.pre_stays, self.pre_stays[-1]]
        pa = expected_paths(
            np.where(fy < 6, rate, 0.0), stays, fy, n0=self.n0 * self.anchor, n0_stay=stays[0]
        )
        sl = slice(FIRST, FIRST + N_DAYS)
        return Paths(pa.detained[sl], pa.exits[sl], pa.los_sum[sl])


def stays_for(model: str, ag: Agency, p: np.ndarray) -> tuple[list[Stay], float]:
    """Stays for the cohort codes 0-5 (FY2019-24), 6 (FY2025 before the change date) and 7
    (from it on), and kappa (1 unless M4)."""
    pre = list(ag.pre_stays)
    fy24 = pre[-1]
    if model == "M0":
        return pre + [fy24, fy24], 1.0
    if model == "M1":
        s = Stay(math.exp(p[0]), math.exp(p[1]), "gamma")
        return pre + [s, s], 1.0
    if model == "M2":
        return pre + [fy24, Stay(math.exp(p[0]), math.exp(p[1]), "gamma")], 1.0
    if model == "M3":
        a = Stay(math.exp(p[0]), math.exp(p[1]), "gamma")
        b = Stay(math.exp(p[2]), math.exp(p[3]), "gamma")
        return pre + [a, b], 1.0
    if model == "M4":
        return pre + [fy24, Stay(math.exp(p[1]), math.exp(p[2]), "gamma")], math.exp(p[0])
    raise ValueError(model)


def survival(stay: Stay, x: np.ndarray) -> np.ndarray:
    k = (stay.mean / stay.sd) ** 2
    th = stay.sd * stay.sd / stay.mean
    return 1.0 - gammainc(k, np.maximum(x, 0.0) / th)


def paths(
    model: str,
    ag: Agency,
    p: np.ndarray,
    change_day: int,
    rates_fy25: np.ndarray | None = None,
    n_days: int | None = None,
):
    """Expected daily detained, exits and stay sums from Oct 2018 (fluid.Paths arrays), the
    cohort code of each day, and the stays used."""
    rate, midx, cov, fy = ag.grid(rates_fy25)
    if n_days is not None:  # extend with zero book-ins (used for survivors after Sep 2025)
        rate = np.r_[rate, np.zeros(n_days - len(rate))]
        fy = np.r_[fy, np.full(n_days - len(fy), 6)]
    n = len(rate)
    code = fy.copy()
    code[(np.arange(n) >= change_day) & (fy == 6)] = 7
    stays, kappa = stays_for(model, ag, p)
    if kappa == 1.0:
        pa = expected_paths(rate, stays, code, n0=ag.n0 * ag.anchor, n0_stay=stays[0])
        return pa.detained, pa.exits, pa.los_sum, code, stays
    # M4: cohorts before the change day follow their stay up to it, then a clock slowed by
    # kappa; cohorts from it on follow their own stay. Arrivals at mid-day (day-kernel error
    # < 1 %, far below the data's).
    post = np.where(np.arange(n) >= change_day, rate, 0.0)
    pb = expected_paths(post, stays, code)
    det, ext, los = pb.detained.copy(), pb.exits.copy(), pb.los_sum.copy()
    pre_only = np.where(np.arange(n) < change_day, rate, 0.0)
    pa = expected_paths(pre_only, stays, code, n0=ag.n0 * ag.anchor, n0_stay=stays[0])
    det[:change_day] += pa.detained[:change_day]
    ext[:change_day] += pa.exits[:change_day]
    los[:change_day] += pa.los_sum[:change_day]
    t_end = np.arange(change_day, n) + 1.0  # end of each day from the change day
    clock = change_day + (t_end - change_day) / kappa  # the slowed clock
    pres = np.zeros(len(t_end) + 1)  # presence at the end of day change_day - 1 first
    age_w = np.zeros(len(t_end) + 1)  # sum of presence x book-in time, for the stay sums
    tt = np.r_[float(change_day), clock]
    for c in range(7):  # every cohort code booked in before the change day
        days = np.nonzero((code == c) & (pre_only > 0))[0]
        if len(days) == 0:
            continue
        s_mid = days + 0.5
        surv = survival(stays[c], tt[:, None] - s_mid[None, :])
        pres += surv @ pre_only[days]
        age_w += surv @ (pre_only[days] * s_mid)
    # the 1 Oct 2018 population: stationary residual stays of FY2019's stay
    s0 = stays[0]
    g = s0.G(tt)
    pres += ag.n0 * ag.anchor * (s0.mean - g) / s0.mean
    det[change_day:] += pres[1:]
    out = pres[:-1] - pres[1:]
    ext[change_day:] += out
    # exits of a day: booked in at mean time (age_w drop / presence drop), leave mid-day
    booked = np.where(out > 0, (age_w[:-1] - age_w[1:]) / np.maximum(out, 1e-12), 0.0)
    los[change_day:] += out * np.maximum(np.arange(change_day, n) + 0.5 - booked, 0.0)
    return det, ext, los, code, stays


@dataclass
class Fit:
    agency: str
    model: str
    change: pd.Timestamp
    params: np.ndarray
    cov: np.ndarray
    adp: np.ndarray  # monthly, FY2025
    alos: np.ndarray
    ssr: float
    n_obs: int

    def named(self) -> dict[str, tuple[float, float, float]]:
        names = {
            "M0": [],
            "M1": ["mean", "sd"],
            "M2": ["mean after", "sd after"],
            "M3": ["mean before", "sd before", "mean after", "sd after"],
            "M4": ["kappa", "mean after", "sd after"],
        }[self.model]
        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        return {
            k: (math.exp(v), math.exp(v - 1.96 * s), math.exp(v + 1.96 * s))
            for k, v, s in zip(names, self.params, se, strict=True)
        }

    @property
    def bic(self) -> float:
        return self.n_obs * math.log(self.ssr / self.n_obs) + len(self.params) * math.log(
            self.n_obs
        )


def fy25_paths(
    model: str, ag: Agency, p: np.ndarray, change_day: int, rates_fy25: np.ndarray | None = None
) -> Paths:
    """Expected daily detained, exits and stay sums over FY2025's days (as `paths`, models
    M0-M3): the fixed part of those booked in before FY2025 plus FY2025's book-ins
    (`rates_fy25`, default the observed) convolved with their cohort's stay. The model is
    linear in the book-ins, which keeps a fit's hundreds of evaluations cheap."""
    stays, kappa = stays_for(model, ag, p)
    if kappa != 1.0:
        raise ValueError(f"{model}: a period change is not linear in the book-ins; use paths()")
    rate = ag.fy25_index[0] if rates_fy25 is None else np.asarray(rates_fy25, float)
    n = len(rate)
    after = np.arange(FIRST, FIRST + n) >= change_day
    base = ag.before_fy25
    det, ext, los = base.detained[:n].copy(), base.exits[:n].copy(), base.los_sum[:n].copy()
    for code, mask in ((6, ~after), (7, after)):
        r = np.where(mask, rate, 0.0)
        if not r.any():
            continue
        kp, ke, kl = stays[code].kernels(n)
        det += np.convolve(r, kp)[:n]
        ext += np.convolve(r, ke)[:n]
        los += np.convolve(r, kl)[:n]
    return Paths(det, ext, los)


def monthly_of(pa: Paths, ag: Agency) -> tuple[np.ndarray, np.ndarray]:
    """Monthly ADP and ALOS of FY2025 from `fy25_paths` (covered days only)."""
    _, midx, cov = ag.fy25_index
    return monthly(pa, midx, 12, cov)


def monthly_fy25(det, ext, los, ag: Agency) -> tuple[np.ndarray, np.ndarray]:
    _, midx, cov, _ = ag.grid()
    n = len(midx)
    adp, alos = monthly(Paths(det[:n], ext[:n], los[:n]), midx, ag.series.n_months, cov)
    return adp[FY25_FIRST_MONTH:], alos[FY25_FIRST_MONTH:]


def fit(
    ag: Agency,
    model: str,
    change: pd.Timestamp = CHANGE_DATE,
    n_months: int = 12,
    rates_fy25: np.ndarray | None = None,
) -> Fit:
    """Fit `model`'s FY2025 parameters on the first `n_months` of FY2025."""
    obs_adp = ag.series.adp[FY25_FIRST_MONTH:][:n_months]
    obs_alos = ag.series.alos[FY25_FIRST_MONTH:][:n_months]
    cday = day_of(change)
    fy24 = ag.pre_stays[-1]
    m, s = math.log(fy24.mean), math.log(fy24.sd)

    def predict(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if model == "M4":
            return monthly_fy25(*paths(model, ag, p, cday, rates_fy25)[:3], ag)
        return monthly_of(fy25_paths(model, ag, p, cday, rates_fy25), ag)

    def res(p: np.ndarray) -> np.ndarray:
        adp, alos = predict(p)
        return np.r_[np.log(adp[:n_months] / obs_adp), np.log(alos[:n_months] / obs_alos)]

    x0 = {
        "M0": np.zeros(0),
        "M1": np.array([m, s]),
        "M2": np.array([m, s]),
        "M3": np.array([m, s, m, s]),
        "M4": np.array([0.3, m, s]),
    }[model]
    if len(x0):
        lo = np.full(len(x0), math.log(1.0))
        hi = np.full(len(x0), math.log(3000.0))
        if model == "M4":
            lo[0], hi[0] = math.log(0.2), math.log(10.0)
        sol = least_squares(res, x0, bounds=(lo, hi), method="trf")
        p, r = sol.x, sol.fun
        dof = max(len(r) - len(p), 1)
        cov = float(r @ r) / dof * np.linalg.pinv(sol.jac.T @ sol.jac)
    else:
        p, r, cov = x0, res(x0), np.zeros((0, 0))
    adp, alos = predict(p)
    return Fit(ag.name, model, change, p, cov, adp, alos, float(r @ r), len(r))
