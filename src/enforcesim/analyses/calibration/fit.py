"""Fitting lognormal stay distributions by arresting agency to monthly ADP and ALOS.

For each agency (ICE, CBP) the parameters are log N0 (people present at the first day, with
stationary residual stays) and, for each stay segment (a fiscal year by default), the log
mean and log sd of a lognormal stay. Residuals are log(model / observed) of monthly ADP and
monthly ALOS (weight `alos_weight`); `scipy.optimize.least_squares` (trust-region
reflective) minimises their sum of squares. The model is the fluid expectation of
`fluid.py`, which is what the engine's mean converges to with unlimited beds.

Uncertainty: the Gauss-Newton covariance s^2 (J'J)^-1 (s^2 = residual variance) and, when
asked, a moving-block bootstrap of the residuals (blocks of `block` months, refitted),
which keeps their autocorrelation; intervals are on the log scale, reported as days. Each
refit has its own random stream, so batches of refits may run anywhere (bootstrap.py fans
them out over the execution layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from .fluid import Stay, expected_paths, monthly

AGENCIES = ("ice", "cbp")


# --------------------------------------------------------------------------------------
# Observed series on a day grid
# --------------------------------------------------------------------------------------


@dataclass
class Series:
    """Monthly observations of one agency on a day grid starting at months[0]."""

    months: pd.DatetimeIndex  # first day of each month
    book_ins: np.ndarray  # count per month (covered days only)
    adp: np.ndarray
    alos: np.ndarray
    covered_days: np.ndarray  # days of the month the data cover
    start: pd.Timestamp = field(init=False)

    def __post_init__(self) -> None:
        self.start = self.months[0]

    @property
    def n_months(self) -> int:
        return len(self.months)

    def day_grid(self, extra_months: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(daily book-in rate, month index, covered flag) over the months (+ extra zeros)."""
        ends = [m + pd.offsets.MonthBegin(1) for m in self.months]
        lengths = np.array([(e - m).days for m, e in zip(self.months, ends, strict=True)])
        rate = np.repeat(self.book_ins / self.covered_days, lengths)
        midx = np.repeat(np.arange(self.n_months), lengths)
        cov = np.concatenate(
            [np.arange(n) < c for n, c in zip(lengths, self.covered_days, strict=True)]
        )
        if extra_months:
            rate = np.r_[rate, np.zeros(31 * extra_months)]
            midx = np.r_[midx, np.full(31 * extra_months, -1)]
            cov = np.r_[cov, np.zeros(31 * extra_months, dtype=bool)]
        return rate, midx, cov

    def slice(self, first: int, stop: int) -> Series:
        return Series(
            self.months[first:stop],
            self.book_ins[first:stop],
            self.adp[first:stop],
            self.alos[first:stop],
            self.covered_days[first:stop],
        )


def observed(
    agency: str,
    through: str | pd.Timestamp | None = None,
    monthly_table: pd.DataFrame | None = None,
    fiscal_years: pd.DataFrame | None = None,
) -> Series:
    """ICE's monthly book-ins, ADP and ALOS of one arresting agency ("ice", "cbp", "all")."""
    if monthly_table is None or fiscal_years is None:
        from enforcesim import data

        monthly_table = data.table("monthly") if monthly_table is None else monthly_table
        fiscal_years = data.table("fiscal_years") if fiscal_years is None else fiscal_years
    m = monthly_table.sort_values("month").copy()
    m["month"] = pd.to_datetime(m["month"])
    if through is not None:
        m = m[m["month"] <= pd.Timestamp(through)]
    if m.empty:
        raise ValueError(f"no monthly data up to {through}")
    suffix = "" if agency == "all" else f"_{agency}"
    thr = pd.to_datetime(fiscal_years.set_index("fiscal_year")["data_through"])
    days_in = m["month"].dt.days_in_month.to_numpy()
    covered = days_in.copy()
    for i, (mo, fy, partial) in enumerate(
        zip(m["month"], m["fiscal_year"], m["partial_month"], strict=True)
    ):
        if partial:
            covered[i] = (thr[fy] - mo).days + 1
    return Series(
        pd.DatetimeIndex(m["month"]),
        m[f"book_ins{suffix}"].to_numpy(float),
        m[f"adp{suffix}"].to_numpy(float),
        m[f"alos{suffix}_days"].to_numpy(float),
        covered.astype(float),
    )


# --------------------------------------------------------------------------------------
# Segments of stay parameters
# --------------------------------------------------------------------------------------


def segment_starts(series: Series, kind: str = "fy") -> list[int]:
    """Month indices where a stay segment starts.

    "fy": each fiscal year (October); "constant": one segment; "trailing": 12-month blocks
    counted back from the last month (so the last segment always has 12 months of data);
    "half": every 6 months from the start.
    """
    n = series.n_months
    if kind == "constant":
        return [0]
    if kind == "fy":
        starts = [i for i, mo in enumerate(series.months) if mo.month == 10]
        starts = sorted(set([0] + starts))
        # a segment needs at least 6 months of data: merge a short last one into the previous
        if len(starts) > 1 and n - starts[-1] < 6:
            starts = starts[:-1]
        return starts
    if kind == "trailing":
        starts = list(range(n - 12, 0, -12))[::-1]
        starts = [s for s in starts if s >= 6]
        return [0] + starts
    if kind == "half":
        return list(range(0, n - 3, 6))
    raise ValueError(f"unknown segment kind {kind!r}")


# --------------------------------------------------------------------------------------
# The fit
# --------------------------------------------------------------------------------------


@dataclass
class AgencyFit:
    agency: str
    series: Series
    seg_starts: list[int]
    theta: np.ndarray  # [log n0, (log mean, log sd) per segment]
    cov: np.ndarray  # Gauss-Newton covariance of theta
    boot: np.ndarray | None  # bootstrap draws of theta (B x p) or None
    residuals: np.ndarray
    n_obs: int
    cost: float
    alos_weight: float
    dist: str = "lognormal"
    n0_fixed: bool = False  # True: theta[0] was held at a given value

    @property
    def stays(self) -> list[Stay]:
        return _stays(self.theta, self.dist)

    @property
    def n0(self) -> float:
        return float(math.exp(self.theta[0]))

    def sd_theta(self) -> np.ndarray:
        """Standard errors of theta: the bootstrap's if available, else Gauss-Newton's."""
        gn = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        if self.boot is not None and len(self.boot) > 1:
            return np.maximum(self.boot.std(axis=0, ddof=1), gn)
        return gn

    def interval(self, j: int, z: float = 1.96) -> tuple[float, float, float]:
        """(estimate, lo, hi) of exp(theta[j]) with a 95 % interval."""
        sd = self.sd_theta()[j]
        t = self.theta[j]
        if self.boot is not None and len(self.boot) > 1:
            lo, hi = np.quantile(self.boot[:, j], [0.025, 0.975])
            lo, hi = (
                min(lo, t - z * math.sqrt(max(self.cov[j, j], 0))),
                max(hi, t + z * math.sqrt(max(self.cov[j, j], 0))),
            )
            return math.exp(t), math.exp(lo), math.exp(hi)
        return math.exp(t), math.exp(t - z * sd), math.exp(t + z * sd)

    def segment_months(self) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        ends = self.seg_starts[1:] + [self.series.n_months]
        return [
            (self.series.months[s], self.series.months[e - 1])
            for s, e in zip(self.seg_starts, ends, strict=True)
        ]

    def predict(
        self, series: Series | None = None, stays_after: Stay | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Monthly ADP and ALOS for `series` (default the fitted one): same start, the fitted
        segments, and the last segment's stays (or `stays_after`) for later months."""
        s = series or self.series
        stays = self.stays
        cohort_month = segment_of_month(self.seg_starts, s.n_months)
        if stays_after is not None:
            stays = stays + [stays_after]
            cohort_month = np.where(
                np.arange(s.n_months) >= self.series.n_months, len(stays) - 1, cohort_month
            )
        rate, midx, cov = s.day_grid()
        paths = expected_paths(rate, stays, cohort_month[midx], n0=self.n0)
        return monthly(paths, midx, s.n_months, cov)

    def split_forecast(self, series: Series) -> tuple[np.ndarray, np.ndarray]:
        """Monthly ADP of `series` split into (people booked in up to the fit's last month and
        the initial population; people booked in after), with the fitted stays."""
        stays = self.stays
        cohort_month = segment_of_month(self.seg_starts, series.n_months)
        rate, midx, cov = series.day_grid()
        old = midx < self.series.n_months
        p_old = expected_paths(np.where(old, rate, 0.0), stays, cohort_month[midx], n0=self.n0)
        p_new = expected_paths(np.where(old, 0.0, rate), stays, cohort_month[midx])
        return (
            monthly(p_old, midx, series.n_months, cov)[0],
            monthly(p_new, midx, series.n_months, cov)[0],
        )


def _stays(theta: np.ndarray, dist: str = "lognormal") -> list[Stay]:
    k = (len(theta) - 1) // 2
    return [Stay(math.exp(theta[1 + 2 * i]), math.exp(theta[2 + 2 * i]), dist) for i in range(k)]


def segment_of_month(seg_starts: list[int], n_months: int) -> np.ndarray:
    """For each month, the stay segment its book-ins belong to (segment i starts at month
    seg_starts[i])."""
    c = np.zeros(n_months, dtype=int)
    for i, s in enumerate(seg_starts):
        c[s:] = i
    return c


def _residual_fn(
    series: Series,
    seg_starts: list[int],
    alos_weight: float,
    dist: str = "lognormal",
    log_n0: float | None = None,
):
    rate, midx, cov = series.day_grid()
    cohort = segment_of_month(seg_starts, series.n_months)[midx]
    ok_adp = np.isfinite(series.adp) & (series.adp > 0)
    ok_alos = np.isfinite(series.alos) & (series.alos > 0)
    log_adp = np.log(series.adp[ok_adp])
    log_alos = np.log(series.alos[ok_alos])

    def fn(theta: np.ndarray) -> np.ndarray:
        if log_n0 is not None:  # theta holds the stay parameters only
            theta = np.r_[log_n0, theta]
        paths = expected_paths(rate, _stays(theta, dist), cohort, n0=math.exp(theta[0]))
        adp, alos = monthly(paths, midx, series.n_months, cov)
        r1 = np.log(np.maximum(adp[ok_adp], 1e-9)) - log_adp
        r2 = np.log(np.maximum(alos[ok_alos], 1e-9)) - log_alos
        return np.r_[r1, alos_weight * r2]

    return fn


def _start(series: Series, k: int) -> np.ndarray:
    rate = np.nansum(series.book_ins) / np.sum(series.covered_days)
    m0 = float(np.clip(np.nanmean(series.adp) / max(rate, 1e-9), 5.0, 200.0))
    n0 = max(float(series.adp[0]), 1.0)
    return np.r_[math.log(n0), np.tile([math.log(m0), math.log(m0)], k)]


def fit_agency(
    series: Series,
    segments: str | list[int] = "fy",
    alos_weight: float = 1.0,
    bootstrap: int = 0,
    block: int = 6,
    seed: int = 0,
    agency: str = "",
    theta0: np.ndarray | None = None,
    dist: str = "lognormal",
    n0: float | None = None,
) -> AgencyFit:
    """Fit one agency's stays; see the module docstring.

    dist: "lognormal" or "gamma" stays. n0: hold the population at the first day at this
    value (e.g. the observed ADP of the month before) instead of fitting it; its row and
    column of the covariance are then zero.
    """
    seg_starts = segment_starts(series, segments) if isinstance(segments, str) else segments
    k = len(seg_starts)
    log_n0 = None if n0 is None else math.log(max(n0, 1.0))
    fn = _residual_fn(series, seg_starts, alos_weight, dist, log_n0)
    x0 = _start(series, k) if theta0 is None else np.array(theta0, dtype=float)
    lo = np.r_[0.0, np.tile([math.log(1.0), math.log(0.5)], k)]
    hi = np.r_[math.log(1e7), np.tile([math.log(1000.0), math.log(5000.0)], k)]
    x0 = np.clip(x0, lo + 1e-6, hi - 1e-6)
    j = 0 if log_n0 is None else 1
    sol = least_squares(fn, x0[j:], bounds=(lo[j:], hi[j:]), x_scale=1.0, method="trf")
    r = sol.fun
    n, p = len(r), len(sol.x)
    s2 = float(r @ r) / max(n - p, 1)
    jtj = sol.jac.T @ sol.jac
    cov = np.zeros((len(x0), len(x0)))
    cov[j:, j:] = s2 * np.linalg.pinv(jtj)
    theta = sol.x if log_n0 is None else np.r_[log_n0, sol.x]
    fit = AgencyFit(
        agency,
        series,
        seg_starts,
        theta,
        cov,
        None,
        r,
        n,
        float(sol.cost),
        alos_weight,
        dist,
        n0 is not None,
    )
    if bootstrap > 0:
        fit.boot = bootstrap_refits(fit, 0, bootstrap, block, seed)
    return fit


def resampling_inputs(fit: AgencyFit) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(fitted log ADP, fitted log ALOS, ADP residuals, ALOS residuals) by month: what the
    moving-block bootstrap resamples. ValueError if a month lacks ADP or ALOS."""
    s = fit.series
    ok_adp = np.isfinite(s.adp) & (s.adp > 0)
    ok_alos = np.isfinite(s.alos) & (s.alos > 0)
    if not (ok_adp.all() and ok_alos.all()):
        raise ValueError("bootstrap needs complete monthly ADP and ALOS")
    nm = s.n_months
    # With every month present the residuals at the estimate are [ADP months, ALOS months].
    e_adp = fit.residuals[:nm]
    e_alos = fit.residuals[nm:] / fit.alos_weight
    return np.log(s.adp) + e_adp, np.log(s.alos) + e_alos, e_adp, e_alos


def bootstrap_refits(
    fit: AgencyFit, start: int, stop: int, block: int = 6, seed: int = 0
) -> np.ndarray:
    """Refits [start, stop) of a moving-block residual bootstrap (theta of each, one row per
    refit): resample blocks of months of (ADP, ALOS) residuals, add them to the fitted log
    series, refit from the estimate.

    Refit i draws its blocks from its own stream, SeedSequence(seed, spawn_key=(i,)), so any
    cut of the refits into batches, run anywhere in any order, gives the same rows."""
    s = fit.series
    nm = s.n_months
    fit_adp, fit_alos, e_adp, e_alos = resampling_inputs(fit)
    n0 = math.exp(fit.theta[0]) if fit.n0_fixed else None
    draws = []
    for i in range(start, stop):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        idx = np.concatenate(
            [np.arange(b, b + block) for b in rng.integers(0, nm - block + 1, size=nm // block + 1)]
        )[:nm]
        resampled = Series(
            s.months,
            s.book_ins,
            np.exp(fit_adp + e_adp[idx]),
            np.exp(fit_alos + e_alos[idx]),
            s.covered_days,
        )
        f = fit_agency(
            resampled, fit.seg_starts, fit.alos_weight, theta0=fit.theta, dist=fit.dist, n0=n0
        )
        draws.append(f.theta)
    return np.array(draws).reshape(len(draws), len(fit.theta))


def bic(f: AgencyFit) -> float:
    """Gaussian BIC of the log residuals: n log(SSR/n) + p log n."""
    n, p = f.n_obs, len(f.theta) - int(f.n0_fixed)
    ssr = float(f.residuals @ f.residuals)
    return n * math.log(ssr / n) + p * math.log(n)


# --------------------------------------------------------------------------------------
# Removal share from ICE's book-outs
# --------------------------------------------------------------------------------------


def removal_shares(
    monthly_table: pd.DataFrame | None = None, fiscal_years: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Share of detention exits that are removals, by fiscal year, from ICE's book-out tables.

    exits = book-ins - (population change over the year), with the populations the first and
    last months' ADP (an approximation). FY2021-FY2023 publish "final releases" (bond,
    recognizance, supervision, parole) only, so 1 - releases / exits is an upper bound (other
    non-removal exits, e.g. transfers to the U.S. Marshals, are not counted). FY2024 publishes
    all "final book outs": `low` counts only "release to remove" as removals, `high` counts
    every exit that is not a listed non-removal book-out. FY2019-20: not published by month.
    """
    if monthly_table is None:
        from enforcesim import data

        monthly_table = data.table("monthly")
    m = monthly_table.sort_values("month")
    rows: list[dict[str, Any]] = []
    for fy, g in m.groupby("fiscal_year"):
        book_ins = float(g["book_ins"].sum())
        exits = book_ins - (float(g["adp"].iloc[-1]) - float(g["adp"].iloc[0]))
        row: dict[str, Any] = {
            "fiscal_year": int(fy),
            "book_ins": book_ins,
            "exits_est": exits,
            "basis": g["releases_basis"].iloc[-1],
        }
        if g["releases"].isna().all():
            row.update(low=np.nan, central=np.nan, high=np.nan)
        elif row["basis"] == "final_book_outs":
            to_remove = float(g["releases_release_to_remove"].sum())
            non_removal = float(g["releases"].sum()) - to_remove
            classic = float(
                g[
                    [
                        "releases_bonded_out",
                        "releases_recognizance",
                        "releases_supervision",
                        "releases_paroled",
                    ]
                ]
                .sum()
                .sum()
            )
            row.update(
                low=to_remove / exits,
                high=1.0 - non_removal / exits,
                comparable_upper=1.0 - classic / exits,
            )
            row["central"] = (row["low"] + row["high"]) / 2
        else:
            rel = float(g["releases"].sum())
            row.update(
                low=np.nan,
                high=1.0 - rel / exits,
                central=np.nan,
                comparable_upper=1.0 - rel / exits,
            )
        rows.append(row)
    return pd.DataFrame(rows)
