"""ICE's FY2025 series, month arithmetic and the error measures of the FY2025 fit.

Everything here reads ICE's FY2025 workbook and CBP's border encounters through the data
store (`enforcesim data build`) and nothing dated after 30 Sep 2025. September 2025 covers
20 days (the workbook's data end 20 Sep 2025): counts are per covered day, and model months
are averaged over the same days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FY_START = pd.Timestamp("2024-10-01")
FY_END = pd.Timestamp("2025-09-30")
DATA_THROUGH = pd.Timestamp("2025-09-20")
N_DAYS = (FY_END - FY_START).days + 1  # 365
MONTHS = pd.date_range(FY_START, periods=12, freq="MS")
LABELS = [m.strftime("%Y-%m") for m in MONTHS]
# days each FY2025 month's data cover (September 2025: 1-20 Sep)
COVERED_DAYS = np.array([31, 30, 31, 31, 28, 31, 30, 31, 30, 31, 31, 20])

# The observed series the fit and its scores use: name -> column of `observed_fy`
SERIES = {
    "ice_book_ins": "book_ins_ice_per_day",
    "adp": "adp",
    "removals": "release_to_remove_per_day",
    "adp_ice": "adp_ice",
    "adp_cbp": "adp_cbp",
    "cbp_book_ins": "book_ins_cbp_per_day",
}


def fy_day(date: str | pd.Timestamp) -> int:
    """Days from 1 Oct 2024 (day 0)."""
    return int((pd.Timestamp(date) - FY_START).days)


def observed_fy(fy: int = 2025) -> pd.DataFrame:
    """Monthly rates of one fiscal year, one row per month (the store's `monthly_rates`
    joined with ALOS from `monthly`)."""
    from enforcesim import data

    r = data.table("monthly_rates")
    r = r[r["fiscal_year"] == fy].sort_values("month").reset_index(drop=True)
    m = data.table("monthly")
    m = m[m["fiscal_year"] == fy].sort_values("month").reset_index(drop=True)
    for col in ("alos_days", "alos_ice_days", "alos_cbp_days"):
        r[col] = m[col].to_numpy()
    r["month"] = pd.to_datetime(r["month"])
    return r


def month_of_day(start: pd.Timestamp, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """For each day from `start`: index of its month counted from `start`'s month and whether
    ICE's data cover it (False after 20 Sep 2025)."""
    dates = pd.date_range(start, periods=n_days, freq="D")
    idx = (dates.year - start.year) * 12 + (dates.month - start.month)
    return np.asarray(idx), np.asarray(dates <= DATA_THROUGH)


def monthly_mean(daily: np.ndarray, start: pd.Timestamp = FY_START, n_months: int = 12):
    """Mean over each month's covered days of a daily series starting at `start`."""
    idx, cov = month_of_day(start, len(daily))
    keep = cov & (idx < n_months)
    n = np.bincount(idx[keep], minlength=n_months).astype(float)
    s = np.bincount(idx[keep], weights=np.asarray(daily, float)[keep], minlength=n_months)
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / n


def mape(model: np.ndarray, obs: np.ndarray) -> float:
    """Mean absolute percentage error, %."""
    model, obs = np.asarray(model, float), np.asarray(obs, float)
    return float(np.mean(np.abs(model / obs - 1.0)) * 100.0)


def persistence(obs: np.ndarray, origin: int, horizon: int | None = None) -> np.ndarray:
    """Forecast of months origin..origin+horizon-1 (default: to the end of `obs`): the last
    observed month (origin - 1) repeated."""
    h = len(obs) - origin if horizon is None else horizon
    return np.full(h, float(obs[origin - 1]))


def linear_trend(obs: np.ndarray, origin: int, horizon: int | None = None) -> np.ndarray:
    """Forecast of months origin..origin+horizon-1 (default: to the end of `obs`): the
    least-squares line through months 0..origin-1, extended."""
    h = len(obs) - origin if horizon is None else horizon
    x = np.arange(origin)
    b, a = np.polyfit(x, np.asarray(obs[:origin], float), 1)
    return a + b * np.arange(origin, origin + h)


def encounters_per_day() -> np.ndarray:
    """Border Patrol southwest-border encounters per day, daily steps over FY2025 (CBP via
    the data store; September 2025 is not published: August's rate, ASSUMPTION)."""
    from enforcesim import data

    b = data.table("border_encounters")
    b = b[(b["dataset"] == "cbp_swb") & (b["agency"] == "USBP")]
    s = b.groupby("month")["encounters"].sum()
    s.index = pd.to_datetime(s.index)
    vals = s.reindex(MONTHS).ffill()
    per_day = vals.to_numpy() / MONTHS.days_in_month.to_numpy()
    idx = np.asarray((pd.date_range(FY_START, periods=N_DAYS).month - 10) % 12)
    return per_day[idx]
