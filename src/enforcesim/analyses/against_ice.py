"""The model against what happened: a run's months beside ICE's published series.

For every month of a fiscal year with ICE data whose covered days the run reports, each
series' ICE value, the model's central run, a band over replicates and the errors:

- ``ice_book_ins``: arrests booked in, every arrest source except kind ``cbp_transfer`` (with
  book-in streams: the stream named "ice"), per day, against ICE's initial book-ins with
  arresting agency ICE per day;
- ``detained`` (end-of-day population) against ICE's ADP, all agencies; ``detained_ice`` and
  ``detained_cbp`` against the ADP of ICE- and CBP-arrested people where the model has
  streams for them (arrest sources by kind, or book-in streams "ice" and "cbp");
- ``removals`` out of detention per day against the book-outs "Release to Remove" per day.

ICE's rates are per covered day (September 2025: 1-20 Sep); the model's month is the mean
over the same days. Only reported days count (the daily tables do not keep warm-up days), and
a month is compared only if the run reports every one of its covered days: a run starting on
28 May 2025 is compared from June.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import NO_VALUE, Problem, ScenarioError

if TYPE_CHECKING:
    from ..results import Results

# series -> (column of data.comparison_series, unit, what is compared)
SERIES: dict[str, tuple[str, str, str]] = {
    "ice_book_ins": (
        "book_ins_ice_per_day",
        "persons/day",
        "ICE-arrest book-ins (every source but cbp_transfer) vs ICE's initial book-ins, "
        "arresting agency ICE",
    ),
    "detained": ("adp", "persons", "detained (end of day) vs ADP, all agencies"),
    "detained_ice": ("adp_ice", "persons", "detained, ICE arrests vs ADP of ICE arrests"),
    "detained_cbp": ("adp_cbp", "persons", "detained, CBP arrests vs ADP of CBP arrests"),
    "removals": (
        "release_to_remove_per_day",
        "persons/day",
        "removals out of detention vs book-outs 'Release to Remove'",
    ),
}
BAND = (10.0, 90.0)  # percentiles of the replicates' monthly means
BAND_TEXT = "10th-90th percentiles of the replicates' monthly means (median between)"
COLUMNS = [
    "series",
    "month",
    "days",
    "ice",
    "central",
    "p10",
    "median",
    "p90",
    "error_central_pct",
    "error_median_pct",
    "unit",
]


@dataclass
class AgainstIce:
    """The comparison: `table` one row per series and month (COLUMNS), `mape` one row per
    series; errors are model / ICE - 1 in percent (positive: the model is above ICE)."""

    fiscal_year: int
    start: date
    months: list[str]
    table: pd.DataFrame
    mape: pd.DataFrame
    replicates: int
    central: str  # what the `central` column is
    band: str = BAND_TEXT
    missing: dict[str, str] = field(default_factory=dict)  # series not compared, and why

    def records(self) -> list[dict[str, Any]]:
        return self.table.to_dict("records")

    def describe(self) -> str:
        """One line: the months covered and what the columns are."""
        span = f"{self.months[0]} to {self.months[-1]}" if len(self.months) > 1 else self.months[0]
        return (
            f"FY{self.fiscal_year}: {len(self.months)} month{'s' * (len(self.months) != 1)} "
            f"covered ({span}; day 0 = {self.start}); central: {self.central}; band: "
            f"{self.band}, {self.replicates} replicates"
        )


# --- the model's daily series ------------------------------------------------------------------


def agency_of_stream(name: str, kinds: Mapping[str, str]) -> str | None:
    """'ice' or 'cbp' for a daily_streams stream: with arrests, by its source's kind;
    otherwise a book-in stream named "ice" or "cbp" (or "ice.x", "cbp.x")."""
    head = name.split(".")[0]
    if kinds:
        kind = kinds.get(head)
        return None if kind is None else ("cbp" if kind == "cbp_transfer" else "ice")
    return head if head in ("ice", "cbp") else None


def model_daily(
    tables: Mapping[str, pd.DataFrame], source_kinds: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per replicate and reported day with a column per series the run can give,
    from its daily tables ("daily", and "daily_arrests" / "daily_streams" where it has them;
    `source_kinds`: arrest source -> kind, empty without [arrests]); and the series it
    cannot give, with the reason."""
    daily = tables["daily"]
    out = daily[["replicate", "day"]].copy()
    out["detained"] = daily["detained"].to_numpy(float)
    out["removals"] = daily["removals"].to_numpy(float)
    missing: dict[str, str] = {}
    index = pd.MultiIndex.from_frame(out[["replicate", "day"]])

    def summed(frame: pd.DataFrame, column: str) -> np.ndarray:
        s = frame.groupby(["replicate", "day"], observed=True)[column].sum()
        return s.reindex(index, fill_value=0).to_numpy(float)

    streams = tables.get("daily_streams")
    agency = None
    if streams is not None:
        names = pd.Series(streams["stream"].astype(str))
        agency = names.map(lambda n: agency_of_stream(n, source_kinds))
    arrests = tables.get("daily_arrests")
    if arrests is not None and source_kinds:
        ice = [n for n, k in source_kinds.items() if k != "cbp_transfer"]
        out["ice_book_ins"] = summed(arrests[arrests["source"].isin(ice)], "booked_in")
    elif streams is not None and (agency == "ice").any():
        out["ice_book_ins"] = summed(streams[(agency == "ice").to_numpy()], "book_ins")
    else:
        missing["ice_book_ins"] = "no arrest sources and no book-in stream named 'ice'"
    for who in ("ice", "cbp"):
        if streams is not None and agency is not None and (agency == who).any():
            out[f"detained_{who}"] = summed(streams[(agency == who).to_numpy()], "detained")
        else:
            missing[f"detained_{who}"] = (
                f"no arrest source or book-in stream that maps to {who.upper()} arrests"
            )
    return out, missing


def results_tables(res: Results) -> dict[str, pd.DataFrame]:
    """The daily tables `model_daily` reads, from a finished run."""
    names = [t for t in ("daily", "daily_arrests", "daily_streams") if t in res.tables]
    return {t: res.daily_table(t) for t in names}


def source_kinds(sc: Any) -> dict[str, str]:
    """Arrest source -> kind of a Scenario (empty without [arrests])."""
    return {n: s.kind for n, s in sc.arrests.sources.items()} if sc.arrests else {}


# --- months ------------------------------------------------------------------------------------


def covered_months(observed: pd.DataFrame, start: date, reported_days: int) -> pd.DataFrame:
    """ICE's months whose covered days (each month's first `days` days) the run reports in
    full: month, days, and the model days of the first and last covered day."""
    t0 = pd.Timestamp(start)
    first = ((pd.to_datetime(observed["month"]) - t0).dt.days).to_numpy()
    last = first + observed["days"].to_numpy() - 1
    keep = (first >= 0) & (last < reported_days)
    return pd.DataFrame(
        {
            "month": pd.to_datetime(observed["month"]).dt.strftime("%Y-%m").to_numpy()[keep],
            "days": observed["days"].to_numpy()[keep],
            "first_day": first[keep],
            "last_day": last[keep],
        }
    )


def monthly_means(daily: pd.DataFrame, months: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per replicate and month: each column's mean over the month's covered days."""
    parts = []
    for m in months.itertuples():
        inside = daily[(daily["day"] >= m.first_day) & (daily["day"] <= m.last_day)]
        mean = inside.groupby("replicate")[columns].mean()
        parts.append(mean.assign(month=m.month).reset_index())
    return pd.concat(parts, ignore_index=True)


def mape(model: np.ndarray, ice: np.ndarray) -> float:
    """Mean absolute percentage error of the model against ICE over the months, %."""
    model, ice = np.asarray(model, float), np.asarray(ice, float)
    return float(np.mean(np.abs(model / ice - 1.0)) * 100.0)


# --- the comparison ----------------------------------------------------------------------------


def compare(
    model: pd.DataFrame,
    start: date,
    observed: pd.DataFrame,
    *,
    fiscal_year: int,
    central: pd.DataFrame | None = None,
    central_kind: str = "central run",
    missing: Mapping[str, str] | None = None,
) -> AgainstIce:
    """The comparison of a run's daily series (`model_daily`) with ICE's (`observed`:
    data.comparison_series). `central`: the central run's daily series (process noise only;
    its replicates' mean is the `central` column); None: the run's own mean. Raises
    ValueError when the run covers no month of ICE data."""
    series = [s for s in SERIES if s in model.columns]
    reported = int(model["day"].max()) + 1
    months = covered_months(observed, start, reported)
    if months.empty:
        end = pd.Timestamp(start) + pd.Timedelta(days=reported - 1)
        raise ValueError(
            f"the run reports {start} to {end.date()}, which covers no whole month of "
            f"ICE's FY{fiscal_year} data (September 2025: 1-20 Sep)"
        )
    per_rep = monthly_means(model, months, series)
    lo, mid, hi = (
        per_rep.groupby("month")[series].quantile(q / 100.0) for q in (BAND[0], 50.0, BAND[1])
    )
    cen = monthly_means(central if central is not None else model, months, series)
    cen = cen.groupby("month")[series].mean()
    obs = observed.assign(month=pd.to_datetime(observed["month"]).dt.strftime("%Y-%m"))
    obs = obs.set_index("month")
    rows, errors = [], []
    for s in series:
        col, unit, _ = SERIES[s]
        for m in months.itertuples():
            ice = float(obs.at[m.month, col])
            c, med = float(cen.at[m.month, s]), float(mid.at[m.month, s])
            rows.append(
                {
                    "series": s,
                    "month": m.month,
                    "days": int(m.days),
                    "ice": ice,
                    "central": c,
                    "p10": float(lo.at[m.month, s]),
                    "median": med,
                    "p90": float(hi.at[m.month, s]),
                    "error_central_pct": (c / ice - 1.0) * 100.0,
                    "error_median_pct": (med / ice - 1.0) * 100.0,
                    "unit": unit,
                }
            )
        part = pd.DataFrame(rows[-len(months) :])
        errors.append(
            {
                "series": s,
                "months": len(months),
                "mape_central_pct": mape(part["central"], part["ice"]),
                "mape_median_pct": mape(part["median"], part["ice"]),
            }
        )
    return AgainstIce(
        fiscal_year=fiscal_year,
        start=start,
        months=list(months["month"]),
        table=pd.DataFrame(rows, columns=COLUMNS),
        mape=pd.DataFrame(errors),
        replicates=int(model["replicate"].nunique()),
        central=central_kind,
        missing=dict(missing or {}),
    )


def start_of(sc: Any, source: str = "<scenario>") -> date:
    """[scenario].start_date of a Scenario; ScenarioError naming the key without one."""
    start = sc.scenario.start_date
    if start is None:
        raise ScenarioError(
            [
                Problem(
                    source,
                    "scenario.start_date",
                    NO_VALUE,
                    "missing; comparing with ICE's months needs the calendar date of day 0 "
                    "(a TOML date, e.g. 2024-10-01)",
                )
            ]
        )
    return start


def against_ice(
    run: Results,
    *,
    central: Results | None = None,
    fiscal_year: int = 2025,
    observed: pd.DataFrame | None = None,
) -> AgainstIce:
    """A finished run (enforcesim.run) against ICE's series of `fiscal_year` (default: read
    from the data store). `central`: the run's central run (the same scenario, seed and
    replicates without [uncertainty]); without one, a run with no [uncertainty] is its own
    central run, and for a run with [uncertainty] the column holds the run's mean (said so in
    `central`). Raises ScenarioError for a run without [scenario].start_date, ValueError for
    one that covers no month of ICE data."""
    sc = run.scenario
    start = start_of(sc, run.source)
    if observed is None:
        from ..data import comparison_series

        observed = comparison_series(fiscal_year)
    kinds = source_kinds(sc)
    model, missing = model_daily(results_tables(run), kinds)
    central_daily = None
    if central is not None:
        central_daily, _ = model_daily(results_tables(central), kinds)
        kind = "central run: every [uncertainty] parameter at the file's value, mean of replicates"
    elif sc.uncertainty:
        kind = "no central run given: the mean of the run's replicates"
    else:
        kind = "the run itself (no [uncertainty]): mean of replicates"
    return compare(
        model,
        start,
        observed,
        fiscal_year=fiscal_year,
        central=central_daily,
        central_kind=kind,
        missing=missing,
    )


def run_against_ice(
    scenario: Any,
    *,
    fiscal_year: int = 2025,
    replicates: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> AgainstIce:
    """Run a scenario (a path, dict or Scenario; with its central run when it has
    [uncertainty], on the same random numbers) and compare it with ICE. The start date is
    checked before anything runs."""
    from .runs import run_with_central

    res, central = run_with_central(
        scenario, seed=seed, replicates=replicates, overrides=overrides, workers=workers,
        before=lambda sc, source: start_of(sc, source),
    )  # fmt: skip
    return against_ice(res, central=central, fiscal_year=fiscal_year)
