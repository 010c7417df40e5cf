"""Results of a run: per-replicate metrics, their summary with intervals, the daily table, and
atomic writing of `summary.json` and `daily.parquet` (contract v1)."""

from __future__ import annotations

import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .engine import arrests as ar
from .engine.runner import ReplicateOutput
from .engine.structures import ArrestDayCounts, OfficerHours, columns
from .scenario import CONTRACT_VERSION, Scenario
from .units import with_units

# name -> (unit, meaning); the order is the order of the summary.
METRICS: dict[str, tuple[str, str]] = {
    "book_ins_per_day": ("persons/day", "arrivals per day"),
    "admitted_per_day": (
        "persons/day",
        "arrivals that got a bed, per day (at once or after waiting)",
    ),
    "turned_away_per_day": ("persons/day", "arrivals released because no bed was free"),
    "turned_away_share": ("share", "turned away / arrivals"),
    "detained": ("persons", "time-average number in beds, including those waiting for a seat"),
    "waiting_for_bed": ("persons", "time-average number in the holding queue"),
    "wait_for_bed_days": ("days", "mean days in the holding queue of those admitted"),
    "occupancy": (
        "share",
        "time-average detained / time-average beds (null if beds are ever unlimited)",
    ),
    "removals_per_day": ("persons/day", "people removed per day"),
    "releases_per_day": ("persons/day", "people released at the end of their stay, per day"),
    "length_of_stay_days": (
        "days",
        "mean days from admission to leaving the bed, of those who left a bed",
    ),
    "wait_for_transport_days": (
        "days",
        "mean days from removal order to departure, of those who departed",
    ),
    "cost_total": (
        "USD",
        "occupied bed-days x bed_day + arrivals x per_book_in + departures x per_departure",
    ),
    "cost_per_removal": ("USD/person", "cost_total / removals"),
}

DAILY_COLUMNS = [
    "replicate",
    "day",
    "book_ins",
    "admitted",
    "turned_away",
    "detained",
    "waiting_for_bed",
    "removals",
    "releases",
    "beds",
]
# Columns after the contract's (issue 6): occupied bed-days (the time integral of detained
# over the day), departures, the day's all-in cost, and whether each registered constraint
# binds that day (constraints.py).
EXTRA_DAILY_COLUMNS: dict[str, tuple[str, str]] = {
    "bed_days": ("bed-days", "time integral of detained over the day"),
    "departures": ("departures", "scheduled departures in the day, empty ones included"),
    "cost_all_in": ("USD", "the day's all-in cost, every component (docs/costs.md)"),
}


# Per-stream metrics (only for scenarios with [book_ins.streams]).
STREAM_METRICS: dict[str, tuple[str, str]] = {
    "book_ins_per_day": ("persons/day", "arrivals of the stream per day"),
    "admitted_per_day": ("persons/day", "of which got a bed, per day"),
    "detained": ("persons", "time-average number of the stream in beds"),
    "removals_per_day": ("persons/day", "removals of the stream per day"),
    "releases_per_day": ("persons/day", "releases of the stream per day"),
    "length_of_stay_days": ("days", "mean days in a bed of the stream's people who left one"),
}
STREAM_DAILY_COLUMNS = [
    "replicate",
    "day",
    "stream",
    "book_ins",
    "admitted",
    "detained",
    "removals",
    "releases",
]


# Metrics of the arrest side (only for scenarios with [arrests]; added to the summary's
# metrics after the v1 ones, so that a v1 summary is unchanged).
ARREST_METRICS: dict[str, tuple[str, str]] = {
    "ice_arrests_per_day": (
        "arrests/day",
        "arrests made per day by sources that count as ICE "
        "arrests (all kinds but cbp_transfer, unless set otherwise)",
    ),
    "ice_arrest_attempts_per_day": (
        "arrests/day",
        "arrests attempted per day by those sources (made + foregone): their target as realised",
    ),
    "arrests_per_day": (
        "arrests/day",
        "arrests made per day by every source, CBP transfers included",
    ),
    "arrests_booked_in_per_day": ("arrests/day", "arrests booked into detention per day"),
    "arrests_not_booked_in_per_day": (
        "arrests/day",
        "arrests made and not booked in (released, "
        "ATD or returned at once, per share_booked_in), per day",
    ),
    "arrests_diverted_per_day": (
        "arrests/day",
        "arrests made to be booked in but diverted "
        "(released or ATD) because no bed was free (when_full = "
        '"divert"), per day',
    ),
    "arrests_foregone_officers_per_day": (
        "arrests/day",
        "attempts not made because the day's officer-hours were used up, per day",
    ),
    "arrests_foregone_beds_per_day": (
        "arrests/day",
        'attempts not made because no bed was free (when_full = "throttle"), per day',
    ),
    "arrests_foregone_pool_per_day": (
        "arrests/day",
        "attempts not made because the source's eligible pool was empty, per day",
    ),
    "officers": ("officers", "time-average productive officers"),
    "officer_hours_available_per_day": (
        "officer-hours/day",
        "productive officer-hours per day (officers x productive_hours_per_day)",
    ),
    "officer_hours_arrests_per_day": (
        "officer-hours/day",
        "officer-hours spent on arrests per day",
    ),
    "officer_hours_escort_per_day": (
        "officer-hours/day",
        "officer-hours spent on escort and transport per day",
    ),
    "officer_hours_casework_per_day": (
        "officer-hours/day",
        "officer-hours spent on casework per day",
    ),
    "officer_hours_unused_per_day": (
        "officer-hours/day",
        "officer-hours left over at the end of each day's shift, per day",
    ),
}
ARREST_CLASS_METRICS = {
    f"{col}_per_day": ("arrests/day", f"arrests {col.replace('_', ' ')} per day")
    for col in ar.ARREST_COLUMNS
}
ARREST_DAILY_COLUMNS = ["replicate", "day", "source", "criminality", *ar.ARREST_COLUMNS]
OFFICER_DAILY_COLUMNS = [
    "replicate",
    "day",
    "officers",
    "hours_available",
    "hours_arrests",
    "hours_escort_transport",
    "hours_casework",
]

# Case-side metrics (issue 5): in the summary only when the scenario configures a case-side
# mechanism ([pathways], [courts], [travel_documents], transport modes, intake or transfers).
# With the case side, removals_per_day counts only exits whose pathway has
# counts_as_removal = true, and wait_for_transport_days runs from the travel document being
# ready (the wait for the document is wait_for_documents_days).
CASE_METRICS: dict[str, tuple[str, str]] = {
    "voluntary_departures_per_day": (
        "persons/day",
        "exits of voluntary_departure pathways per day",
    ),
    "departures_not_removals_per_day": (
        "persons/day",
        "people leaving the country from a "
        "bed without counting as ICE removals "
        "(counts_as_removal = false), per day",
    ),
    "atd_diversions_per_day": (
        "persons/day",
        "book-ins diverted to alternatives to detention (never in a bed), per day",
    ),
    "transfers_per_day": ("persons/day", "admissions transferred between facilities, per day"),
    "court_completions_per_day": ("cases/day", "detained cases completed by judges, per day"),
    "court_queue": ("cases", "time-average number of detained cases waiting for a judge"),
    "in_court": ("cases", "time-average number of detained cases before a judge"),
    "court_wait_days": (
        "days",
        "mean days from joining the docket to a judge, of cases that reached one",
    ),
    "judges": ("judges", "time-average judges"),
    "waiting_for_documents": (
        "persons",
        "time-average number in beds waiting for a travel document",
    ),
    "wait_for_documents_days": (
        "days",
        "mean days from removal order to travel document, of orders made",
    ),
    "officer_hours_arrests_per_day": (
        "officer-hours/day",
        "officer-hours charged to arrests (issue 4; 0 until then)",
    ),
    "officer_hours_escort_per_day": (
        "officer-hours/day",
        "officer-hours charged to escorts and transport: intake, transfers, removal departures",
    ),
    "officer_hours_casework_per_day": (
        "officer-hours/day",
        "officer-hours charged to casework (0 until modelled)",
    ),
}

# Per-pathway and per-mode metrics (blocks "pathways" and "modes" of summary.json).
PATHWAY_METRICS: dict[str, tuple[str, str]] = {
    "book_ins_per_day": ("persons/day", "book-ins drawn into the pathway, per day"),
    "exits_per_day": ("persons/day", "people of the pathway leaving a bed, per day"),
    "length_of_stay_days": ("days", "mean days in a bed of those who left one"),
}
MODE_METRICS: dict[str, tuple[str, str]] = {
    "departures_per_day": ("departures/day", "scheduled departures per day"),
    "departures_used_per_day": ("departures/day", "departures carrying anyone, per day"),
    "seated_per_day": ("persons/day", "people seated per day"),
    "removals_per_day": ("persons/day", "of which counted as removals"),
    "seat_use_share": ("share", "seated / (departures x seats)"),
    "wait_for_transport_days": ("days", "mean days from ready to departure"),
    "hours_per_day": ("hours/day", "flight- or driving-hours of departures carrying anyone"),
    "officer_hours_per_day": ("officer-hours/day", "escort officer-hours of those departures"),
}
# Names of the two pseudo-pathways decided by detention.removal_share (the initial
# population, and every book-in when no [pathways] are given).
V1_PATHWAYS = ["by_removal_share.release", "by_removal_share.removal"]

CASE_DAILY_COLUMNS = [
    "replicate",
    "day",
    "diverted",
    "voluntary_departures",
    "departures_not_removals",
    "court_completions",
    "court_queue",
    "in_court",
    "waiting_for_documents",
    "transfers",
    "judges",
    "officer_hours_arrests",
    "officer_hours_escort",
    "officer_hours_casework",
    "court_days",
    "docket_days",
    "document_wait_days",
    "atd_days",
    "escorted_trips_intake",
    "escorted_trips_transfers",
]


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


# Positions of the arrest columns in a per-class table (columns in ArrestDayCounts order)
_A = ArrestDayCounts(*range(len(ArrestDayCounts._fields)))


def _arrests_per_class(daily: ArrestDayCounts) -> np.ndarray:
    """Arrests summed over the days: (classes, columns in ArrestDayCounts order)."""
    return np.stack([col.sum(axis=0) for col in daily], axis=-1)


def replicate_metrics(out: ReplicateOutput) -> dict[str, float]:
    """The contract's metrics of one replicate (NaN stands for null)."""
    sc = out.scenario
    a = out.acc
    days = sc.scenario.days
    beds = out.daily.beds
    arrivals = a.arrivals
    removals = a.removals
    costs = sc.costs
    cost_total = (
        a.area_detained * costs.bed_day
        + arrivals * costs.per_book_in
        + a.n_departures * costs.per_departure
    )
    detained = a.area_detained / days
    occupancy = math.nan if (beds < 0).any() else _ratio(detained, float(beds.mean()))
    return {
        "book_ins_per_day": arrivals / days,
        "admitted_per_day": a.n_admitted / days,
        "turned_away_per_day": a.turned_away / days,
        "turned_away_share": _ratio(a.turned_away, arrivals),
        "detained": detained,
        "waiting_for_bed": a.area_waiting / days,
        "wait_for_bed_days": _ratio(a.sum_wait_bed, a.n_admitted),
        "occupancy": occupancy,
        "removals_per_day": removals / days,
        "releases_per_day": a.releases / days,
        "length_of_stay_days": _ratio(a.sum_los, a.n_los),
        "wait_for_transport_days": _ratio(a.sum_wait_transport, a.n_departed),
        "cost_total": cost_total,
        "cost_per_removal": _ratio(cost_total, removals),
    }


def arrest_metrics(out: ReplicateOutput) -> dict[str, float]:
    """The arrest-side metrics of one replicate (a scenario with [arrests])."""
    assert out.daily_arrests is not None and out.officer_hours is not None
    assert out.hours_by_day is not None
    sc = out.scenario
    days = sc.scenario.days
    per_class = _arrests_per_class(out.daily_arrests).reshape(-1, ar.N_CRIM, len(ar.ARREST_COLUMNS))
    per_source = per_class.sum(axis=1)  # (sources, columns)
    total = per_source.sum(axis=0)
    ice = np.array(
        [bool(src.resolved("counts_as_ice_arrest")) for src in sc.arrests.sources.values()]
    )  # type: ignore[union-attr]
    ice_total = per_source[ice].sum(axis=0)
    foregone = ice_total[[_A.foregone_officers, _A.foregone_beds, _A.foregone_pool]].sum()
    ledger = columns(out.officer_hours).sum(axis=0)
    used = OfficerHours(*ledger)
    available = float(out.hours_by_day.available.sum() + out.hours_by_day.casework.sum())
    return {
        "ice_arrests_per_day": ice_total[_A.made] / days,
        "ice_arrest_attempts_per_day": (ice_total[_A.made] + foregone) / days,
        "arrests_per_day": total[_A.made] / days,
        "arrests_booked_in_per_day": total[_A.booked_in] / days,
        "arrests_not_booked_in_per_day": total[_A.not_booked_in] / days,
        "arrests_diverted_per_day": total[_A.diverted] / days,
        "arrests_foregone_officers_per_day": total[_A.foregone_officers] / days,
        "arrests_foregone_beds_per_day": total[_A.foregone_beds] / days,
        "arrests_foregone_pool_per_day": total[_A.foregone_pool] / days,
        "officers": float(out.hours_by_day.officers.mean()),
        "officer_hours_available_per_day": available / days,
        "officer_hours_arrests_per_day": used.arrests / days,
        "officer_hours_escort_per_day": used.escort_transport / days,
        "officer_hours_casework_per_day": used.casework / days,
        "officer_hours_unused_per_day": (available - ledger.sum()) / days,
    }


def arrest_breakdown(out: ReplicateOutput) -> dict[str, dict[str, dict[str, float]]]:
    """Per source, per criminality and per class ("source.criminality"): arrests made,
    booked in, not booked in, diverted and foregone by cause, per day."""
    assert out.daily_arrests is not None
    sc = out.scenario
    days = sc.scenario.days
    names = list(sc.arrests.sources)  # type: ignore[union-attr]
    per_class = _arrests_per_class(out.daily_arrests).reshape(
        len(names), ar.N_CRIM, len(ar.ARREST_COLUMNS)
    )

    def row(v: np.ndarray) -> dict[str, float]:
        return {m: v[i] / days for i, m in enumerate(ARREST_CLASS_METRICS)}

    from .scenario import CRIMINALITY

    return {
        "by_source": {n: row(per_class[i].sum(axis=0)) for i, n in enumerate(names)},
        "by_criminality": {c: row(per_class[:, g].sum(axis=0)) for g, c in enumerate(CRIMINALITY)},
        "by_class": {
            f"{n}.{c}": row(per_class[i, g])
            for i, n in enumerate(names)
            for g, c in enumerate(CRIMINALITY)
        },
    }


def case_metrics(out: ReplicateOutput) -> dict[str, float]:
    """The case-side metrics of one replicate (NaN stands for null)."""
    days = out.scenario.scenario.days
    x = out.daily_cases
    a = out.acc_cases
    # summed as one (days, activities) table, as the ledger always was
    hours = OfficerHours(*(columns(out.officer_hours).sum(axis=0) / days))
    return {
        "voluntary_departures_per_day": x.voluntary_departures.sum() / days,
        "departures_not_removals_per_day": x.departures_not_removals.sum() / days,
        "atd_diversions_per_day": x.diverted.sum() / days,
        "transfers_per_day": x.transfers.sum() / days,
        "court_completions_per_day": x.court_completions.sum() / days,
        "court_queue": a.area_court_queue / days,
        "in_court": a.area_in_court / days,
        "court_wait_days": _ratio(a.sum_court_wait, a.n_court_started),
        "judges": a.area_judges / days,
        "waiting_for_documents": a.area_docs / days,
        "wait_for_documents_days": _ratio(a.sum_doc_delay, a.n_docs_ready),
        "officer_hours_arrests_per_day": hours.arrests,
        "officer_hours_escort_per_day": hours.escort_transport,
        "officer_hours_casework_per_day": hours.casework,
    }


def pathway_names(sc: Scenario) -> list[str]:
    return [*sc.pathways, *V1_PATHWAYS]


def pathway_metrics(out: ReplicateOutput) -> dict[str, dict[str, float]]:
    days = out.scenario.scenario.days
    result = {}
    for p, name in enumerate(pathway_names(out.scenario)):
        a = out.acc_pathways
        result[name] = {
            "book_ins_per_day": a.entered[p] / days,
            "exits_per_day": a.exits[p] / days,
            "length_of_stay_days": _ratio(a.sum_los[p], a.exits[p]),
        }
    return result


def mode_names(sc: Scenario) -> list[str]:
    return [name for name, _ in sc.transport.mode_list()] if sc.transport else []


def mode_metrics(out: ReplicateOutput) -> dict[str, dict[str, float]]:
    days = out.scenario.scenario.days
    modes = out.scenario.transport.mode_list() if out.scenario.transport else []
    result = {}
    for m, (name, mode) in enumerate(modes):
        a = out.acc_modes
        result[name] = {
            "departures_per_day": a.departures[m] / days,
            "departures_used_per_day": a.used[m] / days,
            "seated_per_day": a.seated[m] / days,
            "removals_per_day": a.removals[m] / days,
            "seat_use_share": _ratio(a.seated[m], a.departures[m] * mode.seats_per_departure),
            "wait_for_transport_days": _ratio(a.sum_wait[m], a.seated[m]),
            "hours_per_day": a.hours[m] / days,
            "officer_hours_per_day": a.officer_hours[m] / days,
        }
    return result


def stream_metrics(out: ReplicateOutput) -> dict[str, dict[str, float]]:
    """Per-stream metrics of one replicate, by stream name."""
    days = out.scenario.scenario.days
    names = [name for name, _ in out.scenario.classes()]
    ds = out.daily_streams
    a = out.acc_streams
    result = {}
    for c, name in enumerate(names):
        result[name] = {
            "book_ins_per_day": ds.book_ins[:, c].sum() / days,
            "admitted_per_day": ds.admitted[:, c].sum() / days,
            "detained": a.area_detained[c] / days,
            "removals_per_day": ds.removals[:, c].sum() / days,
            "releases_per_day": ds.releases[:, c].sum() / days,
            "length_of_stay_days": _ratio(a.sum_los[c], a.n_los[c]),
        }
    return result


def interval(values: np.ndarray) -> dict[str, float | None]:
    """Mean and 2.5/97.5 percentiles over the non-null replicates (None when all are null)."""
    v = values[~np.isnan(values)]
    if v.size == 0:
        return {"mean": None, "lo": None, "hi": None}
    lo, hi = np.quantile(v, [0.025, 0.975])
    return {"mean": float(v.mean()), "lo": float(lo), "hi": float(hi)}


@dataclass
class Results:
    """What a run produced; `summary()` and `daily()` are pandas DataFrames."""

    scenario: Scenario
    replicates: list[ReplicateOutput]
    scenario_sha256: str
    source: str = "<scenario>"
    extra: dict[str, Any] = field(default_factory=dict)
    bottlenecks: dict[str, Any] | None = None  # bottlenecks.attribute(), when requested
    central: dict[str, Any] | None = None  # central.central_block(), with [uncertainty]

    def __post_init__(self) -> None:
        self.case_side = self.scenario.has_case_side()
        rows = []
        for r in self.replicates:
            row = replicate_metrics(r)
            if self.scenario.arrests:
                row |= arrest_metrics(r)
            if self.case_side:
                row |= case_metrics(r)  # the officer-hours ledger: same values as above
            rows.append(row)
        self._metrics = pd.DataFrame(rows, columns=list(self.metric_names()))
        self._metrics.index.name = "replicate"

    def metric_names(self) -> dict[str, tuple[str, str]]:
        """The metrics of this run: the contract's, then the arrest side's with [arrests],
        then the case side's when configured."""
        names = dict(METRICS)
        if self.scenario.arrests:
            names |= ARREST_METRICS
        if self.case_side:
            names |= CASE_METRICS
        return names

    # --- tables -------------------------------------------------------------------------
    def replicate_metrics(self) -> pd.DataFrame:
        """One row per replicate, one column per metric (NaN = null)."""
        return self._metrics.copy()

    def summary(self) -> pd.DataFrame:
        """One row per metric: mean, lo, hi over replicates, with its unit."""
        rows = []
        for name, (unit, _) in self.metric_names().items():
            iv = interval(self._metrics[name].to_numpy(dtype=float))
            rows.append({"metric": name, **iv, "unit": unit})
        return pd.DataFrame(rows).set_index("metric")

    def daily(self) -> pd.DataFrame:
        """One row per replicate and day: the contract's columns first, then bed-days,
        departures, the all-in cost and a `binding_NAME` flag per constraint (beds, seats;
        officers and pool only where they apply)."""
        from .constraints import binding_flags, reported
        from .costs import daily_costs

        days = self.scenario.scenario.days
        n = len(self.replicates)
        stacked = np.concatenate([columns(r.daily) for r in self.replicates])
        df = pd.DataFrame(stacked, columns=DAILY_COLUMNS[2:])
        df.insert(0, "day", np.tile(np.arange(days, dtype=np.int64), n))
        df.insert(0, "replicate", np.repeat(np.arange(n, dtype=np.int64), days))
        if all(r.daily_extra is not None for r in self.replicates):
            df["bed_days"] = np.concatenate([r.daily_extra.bed_days for r in self.replicates])
            df["departures"] = np.concatenate(
                [r.daily_extra.departures for r in self.replicates]
            ).astype(np.int64)
            df["cost_all_in"] = np.concatenate(
                [sum(daily_costs(r).values()) for r in self.replicates]
            )
            flags = [binding_flags(r) for r in self.replicates]
            for name in reported(self.scenario):
                df[f"binding_{name}"] = np.concatenate([f[name] for f in flags])
        return df

    def stream_names(self) -> list[str]:
        return [name for name, _ in self.scenario.classes()]

    def stream_summary(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """Per stream and metric: mean, lo, hi over replicates."""
        per_rep = [stream_metrics(r) for r in self.replicates]
        return {
            name: {
                m: interval(np.array([p[name][m] for p in per_rep], dtype=float))
                for m in STREAM_METRICS
            }
            for name in self.stream_names()
        }

    def daily_streams(self) -> pd.DataFrame:
        """One row per replicate, day and stream."""
        names = self.stream_names()
        days = self.scenario.scenario.days
        n, n_s = len(self.replicates), len(names)
        stacked = np.concatenate(
            [
                np.stack(tuple(r.daily_streams), axis=-1).reshape(days * n_s, -1)
                for r in self.replicates
            ]
        )
        df = pd.DataFrame(stacked, columns=STREAM_DAILY_COLUMNS[3:])
        df.insert(0, "stream", pd.Categorical(np.tile(names, days * n), categories=names))
        df.insert(0, "day", np.tile(np.repeat(np.arange(days, dtype=np.int64), n_s), n))
        df.insert(0, "replicate", np.repeat(np.arange(n, dtype=np.int64), days * n_s))
        return df

    def arrest_summary(self) -> dict[str, dict[str, dict[str, dict[str, float | None]]]]:
        """Arrests by source, criminality and class: mean, lo, hi over replicates."""
        per_rep = [arrest_breakdown(r) for r in self.replicates]
        return {
            group: {
                name: {
                    m: interval(np.array([p[group][name][m] for p in per_rep], dtype=float))
                    for m in ARREST_CLASS_METRICS
                }
                for name in per_rep[0][group]
            }
            for group in per_rep[0]
        }

    def daily_arrests(self) -> pd.DataFrame:
        """With [arrests]: one row per replicate, day and class (source, criminality)."""
        from .scenario import CRIMINALITY

        assert self.scenario.arrests is not None
        days = self.scenario.scenario.days
        sources = list(self.scenario.arrests.sources)
        n, n_c = len(self.replicates), len(sources) * ar.N_CRIM
        stacked = np.concatenate(
            [
                np.stack(tuple(r.daily_arrests), axis=-1).reshape(days * n_c, -1)  # type: ignore
                for r in self.replicates
            ]
        )
        df = pd.DataFrame(stacked, columns=ar.ARREST_COLUMNS)
        crim = np.tile(np.array(CRIMINALITY), len(sources) * days * n)
        df.insert(0, "criminality", pd.Categorical(crim, categories=list(CRIMINALITY)))
        src = np.tile(np.repeat(sources, ar.N_CRIM), days * n)
        df.insert(0, "source", pd.Categorical(src, categories=sources))
        df.insert(0, "day", np.tile(np.repeat(np.arange(days, dtype=np.int64), n_c), n))
        df.insert(0, "replicate", np.repeat(np.arange(n, dtype=np.int64), days * n_c))
        return df

    def daily_officers(self) -> pd.DataFrame:
        """With [arrests]: one row per replicate and day: productive officers, the hours
        available (before casework) and the ledger by activity."""
        days = self.scenario.scenario.days
        rows = []
        for r in self.replicates:
            assert r.hours_by_day is not None and r.officer_hours is not None
            hb = r.hours_by_day
            rows.append(
                np.column_stack(
                    [
                        np.full(days, r.replicate),
                        np.arange(days),
                        hb.officers,
                        hb.available + hb.casework,
                        columns(r.officer_hours),
                    ]
                )
            )
        df = pd.DataFrame(np.concatenate(rows), columns=OFFICER_DAILY_COLUMNS)
        return df.astype({"replicate": np.int64, "day": np.int64})

    def block_summary(
        self,
        per_rep: list[dict[str, dict[str, float]]],
        names: list[str],
        metrics: dict[str, tuple[str, str]],
    ) -> dict[str, dict[str, dict[str, float | None]]]:
        return {
            name: {
                m: interval(np.array([p[name][m] for p in per_rep], dtype=float)) for m in metrics
            }
            for name in names
        }

    def pathway_summary(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """Per pathway (and the two decided by removal_share): mean, lo, hi over replicates."""
        return self.block_summary(
            [pathway_metrics(r) for r in self.replicates],
            pathway_names(self.scenario),
            PATHWAY_METRICS,
        )

    def mode_summary(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """Per removal mode: mean, lo, hi over replicates."""
        return self.block_summary(
            [mode_metrics(r) for r in self.replicates], mode_names(self.scenario), MODE_METRICS
        )

    def daily_cases(self) -> pd.DataFrame:
        """One row per replicate and day: the case side's flows and end-of-day states, and
        the officer-hours ledger."""
        days = self.scenario.scenario.days
        n = len(self.replicates)
        counts = np.concatenate([columns(r.daily_cases) for r in self.replicates])
        df = pd.DataFrame(counts, columns=CASE_DAILY_COLUMNS[2:11])
        hours = np.concatenate([columns(r.officer_hours) for r in self.replicates])
        for j, col in enumerate(CASE_DAILY_COLUMNS[11:14]):
            df[col] = hours[:, j]
        vols = np.concatenate([columns(r.daily_case_volumes) for r in self.replicates])
        for j, col in enumerate(CASE_DAILY_COLUMNS[14:]):
            df[col] = vols[:, j]
        df.insert(0, "day", np.tile(np.arange(days, dtype=np.int64), n))
        df.insert(0, "replicate", np.repeat(np.arange(n, dtype=np.int64), days))
        return df

    def drawn_parameters(self) -> pd.DataFrame:
        return pd.DataFrame([r.drawn for r in self.replicates])

    # --- summary.json -------------------------------------------------------------------
    def summary_dict(self) -> dict[str, Any]:
        from .central import interval_notes
        from .costs import budgets_summary, costs_summary

        sc = self.scenario
        metrics = {
            name: interval(self._metrics[name].to_numpy(dtype=float))
            for name in self.metric_names()
        }
        targets = {}
        for name, target in sc.targets.model_dump().items():
            if target is None:
                continue
            values = self._metrics[name].to_numpy(dtype=float)
            ok = values[~np.isnan(values)]
            targets[name] = {
                "target": float(target),
                "achieved": float(ok.mean()) if ok.size else None,
                "probability_met": float(np.mean(np.nan_to_num(values, nan=-np.inf) >= target)),
            }
        drawn = self.drawn_parameters()
        return {
            "contract": CONTRACT_VERSION,
            "scenario": sc.scenario.name,
            "seed": sc.scenario.seed,
            "replicates": sc.scenario.replicates,
            "version": __version__,
            "scenario_sha256": self.scenario_sha256,
            "metrics": metrics,
            "units": {name: unit for name, (unit, _) in self.metric_names().items()},
            "targets": targets,
            "interval": {
                "kind": "process noise and parameter uncertainty"
                if sc.uncertainty
                else "process noise only (no [uncertainty] in the scenario)",
                "lo": "2.5th percentile over replicates",
                "hi": "97.5th percentile over replicates",
                **interval_notes(sc),
            },
            "parameters": {p: interval(drawn[p].to_numpy(dtype=float)) for p in drawn.columns},
            **({"central": self.central} if self.central is not None else {}),
            **({"streams": self.stream_summary()} if sc.has_classes() else {}),
            **({"arrests": self.arrest_summary()} if sc.arrests else {}),
            "costs": costs_summary(self.replicates),
            **({"budgets": budgets_summary(self.replicates)} if sc.budget else {}),
            **({"bottlenecks": self.bottlenecks} if self.bottlenecks is not None else {}),
            **(
                {"pathways": self.pathway_summary(), "modes": self.mode_summary()}
                if self.case_side
                else {}
            ),
            "provenance": {
                "package": "enforcesim",
                "version": __version__,
                "source": self.source,
                "scenario_sha256": self.scenario_sha256,
                "seed": sc.scenario.seed,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "numba": _numba_version(),
                "platform": platform.platform(terse=True),
                **self.extra,
            },
        }

    def write(self, out_dir: str | Path, csv: bool = False) -> Path:
        """Write summary.json and daily.parquet into out_dir, atomically; with `csv`, each
        daily table also as CSV beside its Parquet file.

        Everything is written into a hidden sibling folder first, which then replaces
        out_dir in one rename: an interrupted or failed write leaves no partial directory.
        out_dir must be new, empty or hold earlier results of a run; anything else raises
        `enforcesim.outdir.OutDirError` (docs/study-tools.md, "Output folders").
        """
        from .outdir import replacing

        with replacing(out_dir, "run") as tmp:
            table = pa.Table.from_pandas(self.daily(), preserve_index=False)
            pq.write_table(with_units(table, "daily"), tmp / "daily.parquet")
            if self.scenario.has_classes():
                streams = pa.Table.from_pandas(self.daily_streams(), preserve_index=False)
                pq.write_table(with_units(streams, "daily_streams"), tmp / "daily_streams.parquet")
            if self.scenario.arrests:
                for name, frame in (
                    ("daily_arrests", self.daily_arrests()),
                    ("daily_officers", self.daily_officers()),
                ):
                    pq.write_table(
                        with_units(pa.Table.from_pandas(frame, preserve_index=False), name),
                        tmp / f"{name}.parquet",
                    )
            if self.case_side:
                cases = pa.Table.from_pandas(self.daily_cases(), preserve_index=False)
                pq.write_table(with_units(cases, "daily_cases"), tmp / "daily_cases.parquet")
            text = json.dumps(_jsonable(self.summary_dict()), indent=2, allow_nan=False)
            (tmp / "summary.json").write_text(text + "\n")
            if csv:
                from .files import write_csv_copies

                write_csv_copies(tmp)
        return Path(out_dir)


def _numba_version() -> str:
    import numba

    return numba.__version__


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k_: _jsonable(v) for k_, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if math.isnan(obj) or math.isinf(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
