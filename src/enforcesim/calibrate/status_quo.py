"""Building the calibrated status-quo scenario and its in-sample check.

The status quo is fitted on the 12 months up to `through` (FY2024 by default): per
arresting agency, a lognormal stay (mean, sd) and the population at the window's start
(stationary residual stays), by `fit.fit_agency(..., "constant")`; the scenario starts the
day after `through` with the fluid model's expected population at that point.

Until the engine has named book-in streams, the scenario is v1 single-stream: one stay
distribution fitted to the all-agency series (same procedure); the per-agency fits are in
the report. `streams=True` writes the two-stream form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .fit import AGENCIES, AgencyFit, Series, fit_agency, observed, removal_shares
from .fluid import expected_paths

BED_DAY_USD = 152.0   # ICE, 2024-25 (reference parameters)


@dataclass
class StatusQuoFit:
    through: pd.Timestamp
    fits: dict[str, AgencyFit]        # "ice", "cbp", "all"
    n_end: dict[str, float]           # expected population at the end of `through`
    removal: pd.DataFrame             # removal shares by FY
    removal_low: float
    removal_high: float

    @property
    def removal_central(self) -> float:
        return (self.removal_low + self.removal_high) / 2

    def inflow_per_day(self, key: str) -> float:
        s = self.fits[key].series
        return float(s.book_ins.sum() / s.covered_days.sum())


def end_population(f: AgencyFit) -> float:
    rate, midx, _ = f.series.day_grid()
    from .fit import _cohort_of_month
    cohort = _cohort_of_month(f.seg_starts, f.series.n_months)[midx]
    return float(expected_paths(rate, f.stays, cohort, n0=f.n0).detained[-1])


def fit_status_quo(through: str = "2024-09-30", bootstrap: int = 0, seed: int = 0,
                   window: int = 12) -> StatusQuoFit:
    t = pd.Timestamp(through)
    fits: dict[str, AgencyFit] = {}
    for key in (*AGENCIES, "all"):
        s = observed(key, t)
        if s.n_months < window:
            raise ValueError(f"--through {through}: needs at least {window} months of data "
                             f"(the store starts {s.months[0].date()})")
        last_full = s.months[-1] + pd.offsets.MonthEnd(0)
        if t < last_full:
            s = s.slice(0, s.n_months - 1)          # only whole months up to `through`
        s = s.slice(s.n_months - window, s.n_months)
        fits[key] = fit_agency(s, "constant", bootstrap=bootstrap, seed=seed, agency=key)
    rs = removal_shares()
    rs = rs[rs["fiscal_year"] <= _fy(t)]
    last = rs.dropna(subset=["high"]).iloc[-1]
    low = float(last["low"]) if np.isfinite(last["low"]) else float(last["high"]) - 0.05
    return StatusQuoFit(t, fits, {k: end_population(f) for k, f in fits.items()}, rs, low,
                        float(last["high"]))


def _fy(t: pd.Timestamp) -> int:
    return t.year + (1 if t.month >= 10 else 0)


# --------------------------------------------------------------------------------------
# Scenario dictionaries and TOML text
# --------------------------------------------------------------------------------------

def _r(x: float, nd: int = 1) -> float:
    return round(float(x), nd)


def _stay_entry(f: AgencyFit) -> dict[str, Any]:
    st = f.stays[0]
    return {"dist": "lognormal", "mean": _r(st.mean), "sd": _r(st.sd)}


def _uncertainty(f: AgencyFit, prefix: str) -> dict[str, dict[str, Any]]:
    sd = f.sd_theta()
    st = f.stays[0]
    # normal on the natural scale with the delta-method sd of the fitted log parameter
    return {f"{prefix}.mean": {"dist": "normal", "mean": _r(st.mean),
                               "sd": _r(st.mean * sd[1], 2)},
            f"{prefix}.sd": {"dist": "normal", "mean": _r(st.sd),
                             "sd": _r(min(st.sd * sd[2], st.sd), 2)}}


def status_quo_dict(sq: StatusQuoFit, streams: bool = False, days: int = 365,
                    replicates: int = 20) -> dict[str, Any]:
    """The status-quo scenario as a dict (parse with enforcesim.scenario.parse_scenario)."""
    name = f"status-quo-fy{_fy(sq.through)}"
    d: dict[str, Any] = {"scenario": {"name": name, "days": days, "seed": 0,
                                      "replicates": replicates}}
    rshare = _r(sq.removal_central, 3)
    unc: dict[str, Any] = {"detention.removal_share": {
        "dist": "uniform", "low": _r(sq.removal_low, 3), "high": _r(sq.removal_high, 3)}}
    if streams:
        # warm-up at rate N_end / mean builds each stream's population at day 0
        d["scenario"]["warmup_days"] = 730
        book: dict[str, Any] = {"streams": {}}
        for a in AGENCIES:
            f = sq.fits[a]
            book["streams"][a] = {
                "rate_per_day": _r(sq.n_end[a] / f.stays[0].mean, 2),
                "schedule": [{"day": 0, "rate_per_day": _r(sq.inflow_per_day(a), 2)}],
                "length_of_stay": _stay_entry(f), "removal_share": rshare}
            unc.update(_uncertainty(f, f"book_ins.streams.{a}.length_of_stay"))
        d["book_ins"] = book
        d["detention"] = {"beds": "unlimited", "when_full": "wait"}
    else:
        f = sq.fits["all"]
        d["book_ins"] = {"rate_per_day": _r(sq.inflow_per_day("all"), 2)}
        d["detention"] = {"beds": "unlimited", "when_full": "wait",
                          "length_of_stay": _stay_entry(f), "removal_share": rshare,
                          "initial_detained": int(round(sq.n_end["all"]))}
        unc.update(_uncertainty(f, "detention.length_of_stay"))
    d["costs"] = {"bed_day": BED_DAY_USD}
    d["uncertainty"] = unc
    return d


def monthly_schedule(series: Series) -> tuple[float, list[dict[str, Any]]]:
    """(rate of the first month, schedule steps of the following months) on day offsets."""
    rates = series.book_ins / series.covered_days
    day = 0
    steps = []
    for i, mo in enumerate(series.months):
        if i:
            steps.append({"day": day, "rate_per_day": _r(rates[i], 3)})
        day += mo.days_in_month
    return _r(rates[0], 3), steps


def in_sample_dict(sq: StatusQuoFit, base: dict[str, Any], replicates: int = 4
                   ) -> dict[str, Any]:
    """The status quo fed the fit window's observed monthly book-ins, from the window's start
    population (the fitted N0), with no parameter uncertainty: the in-sample check."""
    import copy
    d = copy.deepcopy(base)
    d.pop("uncertainty", None)
    d["scenario"].update(name=d["scenario"]["name"] + "-in-sample", replicates=replicates,
                         days=int(sum(m.days_in_month for m in sq.fits["all"].series.months)))
    if "streams" in d["book_ins"]:
        for a in AGENCIES:
            f = sq.fits[a]
            first, steps = monthly_schedule(f.series)
            st = d["book_ins"]["streams"][a]
            st["rate_per_day"] = _r(f.n0 / f.stays[0].mean, 3)
            st["schedule"] = [{"day": 0, "rate_per_day": first}] + steps
    else:
        f = sq.fits["all"]
        first, steps = monthly_schedule(f.series)
        d["book_ins"] = {"rate_per_day": first, "schedule": steps}
        d["detention"]["initial_detained"] = int(round(f.n0))
    return d


def monthly_from_daily(daily: pd.DataFrame, months: pd.DatetimeIndex) -> np.ndarray:
    """Monthly mean of the replicate-mean daily `detained` (day 0 = months[0])."""
    det = daily.groupby("day")["detained"].mean().to_numpy()
    out = []
    day = 0
    for mo in months:
        out.append(det[day:day + mo.days_in_month].mean())
        day += mo.days_in_month
    return np.array(out)


def to_toml(d: dict[str, Any], comments: dict[str, str] | None = None,
            header: str = "") -> str:
    """A small TOML writer for scenario dicts (tables, inline tables, arrays of them).
    comments: dotted key -> comment put after the line."""
    comments = comments or {}
    lines = [header.rstrip()] if header else []

    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace('"', '\\"') + '"'
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return repr(v) if math.isfinite(v) else "nan"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{_k(k)} = {val(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            if not v:
                return "[]"
            return "[\n" + "".join(f"  {val(x)},\n" for x in v) + "]"
        raise TypeError(type(v))

    def emit(table: str, body: dict[str, Any]) -> None:
        scalars = {k: v for k, v in body.items()
                   if not (isinstance(v, dict) and _is_table(k, v, table))}
        subs = {k: v for k, v in body.items() if k not in scalars}
        if scalars or not subs:
            lines.append("")
            lines.append(f"[{table}]")
            for k, v in scalars.items():
                c = comments.get(f"{table}.{k}")
                lines.append(f"{_k(k)} = {val(v)}" + (f"  # {c}" if c else ""))
        for k, v in subs.items():
            emit(f"{table}.{k}", v)

    for table, body in d.items():
        emit(table, body)
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table(key: str, v: dict[str, Any], parent: str) -> bool:
    # inline: stay distributions and uncertainty draws
    return not ("dist" in v or parent == "uncertainty")


def _k(k: str) -> str:
    return k if k.replace("_", "").isalnum() else f'"{k}"'
