"""Shared pieces of the FY2025 analysis scripts: ICE's FY2025 series and error measures.

Every script here reads ICE's FY2025 workbook through the data store (`enforcesim data
build`) and nothing dated after 30 Sep 2025. September 2025 covers 20 days (the workbook's
data end 20 Sep 2025): counts are per covered day, and model months are averaged over the
same days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FY_START = pd.Timestamp("2024-10-01")
FY_END = pd.Timestamp("2025-09-30")
DATA_THROUGH = pd.Timestamp("2025-09-20")
N_DAYS = (FY_END - FY_START).days + 1  # 365
FIT_MONTHS = 8  # Oct 2024 - May 2025: the fitting window of the held-out test
MONTHS = pd.date_range(FY_START, periods=12, freq="MS")
LABELS = [m.strftime("%Y-%m") for m in MONTHS]


def observed_fy(fy: int) -> pd.DataFrame:
    """Monthly rates of one fiscal year, one row per month (the store's `monthly_rates`
    joined with ALOS and criminality from `monthly`)."""
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


def monthly_mean(daily: np.ndarray, start: pd.Timestamp, n_months: int) -> np.ndarray:
    """Mean over each month's covered days of a daily series starting at `start`."""
    idx, cov = month_of_day(start, len(daily))
    keep = cov & (idx < n_months)
    n = np.bincount(idx[keep], minlength=n_months).astype(float)
    s = np.bincount(idx[keep], weights=np.asarray(daily, float)[keep], minlength=n_months)
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / n


def daily_from_monthly(per_day: np.ndarray, start: pd.Timestamp, n_days: int) -> np.ndarray:
    """A monthly per-day rate as a daily step series (the scenario's `schedule` form); days
    after ICE's data take the last month's rate."""
    idx, _ = month_of_day(start, n_days)
    per_day = np.asarray(per_day, float)
    return per_day[np.minimum(idx, len(per_day) - 1)]


def mape(model: np.ndarray, obs: np.ndarray) -> float:
    """Mean absolute percentage error, %."""
    model, obs = np.asarray(model, float), np.asarray(obs, float)
    return float(np.mean(np.abs(model / obs - 1.0)) * 100.0)


def persistence(obs: np.ndarray, origin: int) -> np.ndarray:
    """Forecast of months origin.. : the last observed month repeated."""
    return np.full(len(obs) - origin, obs[origin - 1])


def linear_trend(obs: np.ndarray, origin: int) -> np.ndarray:
    """Forecast of months origin.. : least-squares line through months 0..origin-1."""
    x = np.arange(origin)
    b, a = np.polyfit(x, obs[:origin], 1)
    return a + b * np.arange(origin, len(obs))


def table(rows: dict[str, np.ndarray], labels: list[str], fmt: str = "{:,.0f}") -> str:
    """A Markdown table: one row per month, one column per series."""
    head = "| month | " + " | ".join(rows) + " |"
    sep = "|---|" + "---|" * len(rows)
    lines = [head, sep]
    for i, lab in enumerate(labels):
        cells = [fmt.format(v[i]) if np.isfinite(v[i]) else "" for v in rows.values()]
        lines.append(f"| {lab} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
