"""The kernel's named inputs and outputs.

`kernel.simulate` takes one replicate's inputs as a few named tuples, grouped by pipeline
stage, and returns one named tuple of outputs whose daily tables are named per-column arrays.
Numba compiles named tuples (nested ones too) into plain structs, so passing them costs
nothing at run time, and every reader names the column it reads.

Inputs (built by `runner.kernel_inputs`):

    Horizon, BookIns, Detention, Arrests (with OfficerSupply), Cases, Transport,
    Streams, FixedBookIns, Options

Outputs, as the runner hands them on: per reported day `DayCounts` (the contract's daily
columns), `DayVolumes` (time integrals and departure counts for costs and constraints),
`ClassDayCounts`, `ArrestDayCounts`, `OfficerHours`, `CaseDayCounts`, `CaseDayVolumes`,
`ModeDayVolumes`; over the reported horizon `Totals`, `ClassTotals`, `CaseTotals`,
`PathwayTotals`, `ModeTotals`. The kernel fills structured arrays with the same field names
(`Output`), which the runner turns into these with `table` and `totals`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


class Horizon(NamedTuple):
    t_start: int  # -warmup_days
    days: int  # the reported horizon


class BookIns(NamedTuple):
    """Book-in streams (classes) and what each arrival draws."""

    seg_start: np.ndarray  # float64[S]: start of each rate segment (seg_start[0] = t_start)
    seg_rate: np.ndarray  # float64[S, K]: book-ins per day of each class in each segment
    stay_dist: np.ndarray  # int64[K]: stay distribution code (dists.py) of each class
    stay_p1: np.ndarray  # float64[K]: its parameters
    stay_p2: np.ndarray  # float64[K]
    removal_share: np.ndarray  # float64[K]
    initial_detained: np.ndarray  # int64[K]: people of each class in beds at t_start


class Detention(NamedTuple):
    beds_by_day: np.ndarray  # int64[warmup+days]: beds in force on each day, -1 = unlimited
    wait_when_full: bool


class OfficerSupply(NamedTuple):
    """Officers and their productive hours on each day from the start of warm-up."""

    available: np.ndarray  # float64[warmup+days]: hours for arrests and escorts
    casework: np.ndarray  # float64[warmup+days]: hours set aside for casework
    officers: np.ndarray  # float64[warmup+days]: productive officers


class Arrests(NamedTuple):
    """The arrest side's inputs (arrests.py); 0 sources for a run driven by book-ins."""

    src_rate_by_day: np.ndarray  # float64[warmup+days, sources]: attempted arrests per day
    src_par: np.ndarray  # float64[sources, arrests.N_SRC_PAR]
    src_mix: np.ndarray  # float64[sources, 3]: criminality shares (a pool source: its pool's)
    pool_init: np.ndarray  # float64[sources, 3]: pools by criminality at t_start
    hours: OfficerSupply
    opts: np.ndarray  # float64[arrests.N_OPTS]


class Cases(NamedTuple):
    """Pathways, the judges and travel documents (layout in cases.py); inert unless `on`."""

    on: bool
    path_cum: np.ndarray  # float64[K, P]: cumulative pathway shares of each class
    path_i: np.ndarray  # int64[P + 2, N_PATH_I]: pathways, then the two decided by
    path_f: np.ndarray  # float64[P + 2, N_PATH_F]   removal_share (release, removal)
    judges_by_day: np.ndarray  # int64[warmup+days]
    court_f: np.ndarray  # float64[N_COURT_F]
    doc_f: np.ndarray  # float64[G, N_DOC_F]: travel-document groups
    doc_i: np.ndarray  # int64[G, N_DOC_I]


class Transport(NamedTuple):
    """Departures: the contract's one schedule, or (case side) removal modes, and escorts."""

    scheduled: bool  # the contract's departures (departures_per_day, seats) are in force
    departures_per_day: float
    seats: int
    mode_f: np.ndarray  # float64[M, N_MODE_F]: removal modes (M = 0: removals leave at once)
    escort_f: np.ndarray  # float64[N_ESCORT_F]: officer-hours of intake escorts and transfers


class Streams(NamedTuple):
    """One random stream per kind of draw (named as in rng.stream), so that adding a draw of
    one kind never shifts another's."""

    arrivals: Any
    stays: Any
    removal: Any
    initial: Any
    stream_class: Any
    arrest_attempts: Any
    arrest_class: Any
    arrest_booked_in: Any
    pathway: Any
    court: Any
    documents: Any
    transfers: Any


class FixedBookIns(NamedTuple):
    """Known book-ins used instead of the book-in process (exact tests); empty otherwise."""

    times: np.ndarray  # float64[n]
    stays: np.ndarray  # float64[n]
    removal: np.ndarray  # bool[n]
    classes: np.ndarray  # int64[n]
    pathways: np.ndarray  # int64[n] or empty (decided by removal_share)


class Options(NamedTuple):
    validate: bool  # check the conservation laws at every day boundary
    stop: np.ndarray  # int64[1]: set to non-zero (from another thread) to stop the run early


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


class DayCounts(NamedTuple):
    """The contract's daily columns, int64[days] each (flows over the day, end-of-day stocks)."""

    book_ins: np.ndarray
    admitted: np.ndarray
    turned_away: np.ndarray
    detained: np.ndarray  # end of day
    waiting_for_bed: np.ndarray  # end of day
    removals: np.ndarray
    releases: np.ndarray
    beds: np.ndarray  # in force (-1 = unlimited)


class DayVolumes(NamedTuple):
    """float64[days] each: exact time integrals over each day and departure counts."""

    bed_days: np.ndarray  # integral of detained (occupied bed-days)
    full_time: np.ndarray  # time with detained >= beds (days)
    departures: np.ndarray  # scheduled departures (empty ones included)
    seats_short: np.ndarray  # departures that left full with someone still waiting


class Totals(NamedTuple):
    """Sums and time integrals over the reported horizon."""

    area_detained: float  # person-days in beds
    area_waiting: float  # person-days in the holding queue
    sum_wait_bed: float  # days waited for a bed, of those admitted
    n_admitted: float
    sum_los: float  # days in a bed, of those who left one
    n_los: float
    sum_wait_transport: float  # days from order to departure, of those departed
    n_departed: float
    n_departures: float  # scheduled departures
    arrivals: float
    turned_away: float
    removals: float
    releases: float


class ClassDayCounts(NamedTuple):
    """int64[days, classes] each."""

    book_ins: np.ndarray
    admitted: np.ndarray
    detained: np.ndarray  # end of day
    removals: np.ndarray
    releases: np.ndarray


class ClassTotals(NamedTuple):
    """float64[classes] each."""

    area_detained: np.ndarray
    sum_los: np.ndarray
    n_los: np.ndarray
    n_admitted: np.ndarray


class ArrestDayCounts(NamedTuple):
    """int64[days, classes] each (class = source * 3 + criminality); the fate of each
    attempted arrest."""

    made: np.ndarray
    booked_in: np.ndarray
    not_booked_in: np.ndarray
    diverted: np.ndarray
    foregone_officers: np.ndarray
    foregone_beds: np.ndarray
    foregone_pool: np.ndarray


class OfficerHours(NamedTuple):
    """The officer-hours ledger, float64[days] per activity."""

    arrests: np.ndarray
    escort_transport: np.ndarray
    casework: np.ndarray


class CaseDayCounts(NamedTuple):
    """int64[days] each: the case side's flows and end-of-day stocks."""

    diverted: np.ndarray  # book-ins diverted to alternatives to detention
    voluntary_departures: np.ndarray
    departures_not_removals: np.ndarray  # exits that do not count as removals
    court_completions: np.ndarray
    court_queue: np.ndarray  # end of day
    in_court: np.ndarray  # end of day
    waiting_for_documents: np.ndarray  # end of day
    transfers: np.ndarray
    judges: np.ndarray  # end of day


class CaseDayVolumes(NamedTuple):
    """float64[days] each, for costs and constraints."""

    court_days: np.ndarray  # integral of cases before a judge
    docket_days: np.ndarray  # integral of cases waiting on the docket (every judge busy)
    document_wait_days: np.ndarray  # integral of people in beds waiting for a document
    atd_days: np.ndarray  # participant-days committed by the day's diversions
    escorted_trips_intake: np.ndarray  # admissions / persons_per_trip
    escorted_trips_transfers: np.ndarray  # transfers / persons_per_trip


class CaseTotals(NamedTuple):
    area_court_queue: float
    sum_court_wait: float
    n_court_started: float
    area_docs: float
    sum_doc_delay: float
    n_docs_ready: float
    area_judges: float
    area_in_court: float


class PathwayTotals(NamedTuple):
    """float64[pathways + 2] each."""

    entered: np.ndarray
    exits: np.ndarray
    sum_los: np.ndarray


class ModeTotals(NamedTuple):
    """float64[modes] each. `departures` counts every scheduled departure, `used` those
    carrying anyone (the only ones that fly or drive, so the only ones charged hours)."""

    departures: np.ndarray
    used: np.ndarray
    seated: np.ndarray
    removals: np.ndarray
    sum_wait: np.ndarray
    hours: np.ndarray
    officer_hours: np.ndarray


class ModeDayVolumes(NamedTuple):
    """float64[days, modes] each: departures carrying anyone, and their hours."""

    used: np.ndarray
    hours: np.ndarray


def _record(*groups: tuple[Any, Any]) -> np.dtype:
    """A structured dtype with the fields of named tuples, each group of one dtype."""
    return np.dtype([(name, dt) for table, dt in groups for name in table._fields])


# While it runs, the kernel holds its outputs in structured arrays with these fields (one
# reference-counted array per table, and a row is a record the helpers change in place, at
# no cost per call); `table` and `totals` give them back as the named tuples above. Tables
# by day have one row more than the horizon: row -1 is the record taken for an event in
# warm-up, which the helpers never write (they count reported days only).
DAY_RECORD = _record((DayCounts, np.int64), (DayVolumes, np.float64))
CASE_DAY_RECORD = _record((CaseDayCounts, np.int64), (CaseDayVolumes, np.float64))
LEDGER_RECORD = _record((OfficerHours, np.float64))
CLASS_DAY_RECORD = _record((ClassDayCounts, np.int64))
CLASS_TOTALS_RECORD = _record((ClassTotals, np.float64))
ARREST_DAY_RECORD = _record((ArrestDayCounts, np.int64))
TOTALS_RECORD = _record((Totals, np.float64))
CASE_TOTALS_RECORD = _record((CaseTotals, np.float64))
PATHWAY_RECORD = _record((PathwayTotals, np.float64))
MODE_RECORD = _record((ModeTotals, np.float64))
MODE_DAY_RECORD = _record((ModeDayVolumes, np.float64))


class Output(NamedTuple):
    """What the kernel returns: structured arrays with the records above."""

    day: np.ndarray  # DAY_RECORD[days + 1]
    case_day: np.ndarray  # CASE_DAY_RECORD[days + 1]
    ledger: np.ndarray  # LEDGER_RECORD[days + 1]: officer-hours by activity
    class_day: np.ndarray  # CLASS_DAY_RECORD[days + 1, classes]
    class_totals: np.ndarray  # CLASS_TOTALS_RECORD[classes]
    arrests_day: np.ndarray  # ARREST_DAY_RECORD[days + 1, classes (0 without arrests)]
    pool_left: np.ndarray  # float64[days, sources]: eligible pool at the end of each day
    totals: np.ndarray  # TOTALS_RECORD[1]
    case_totals: np.ndarray  # CASE_TOTALS_RECORD[1]
    pathways: np.ndarray  # PATHWAY_RECORD[pathways + 2]
    modes: np.ndarray  # MODE_RECORD[modes]
    mode_day: np.ndarray  # MODE_DAY_RECORD[days + 1, modes]
    error: int  # invariants.OK, or the first broken law (validation mode)
    stopped: bool  # the run was stopped through Options.stop before its end


def table(records: np.ndarray, kind: Any, days: int | None = None) -> Any:
    """The named tuple `kind` of contiguous columns of a structured array (its first `days`
    rows when given)."""
    rows = records if days is None else records[:days]
    return kind(*(np.ascontiguousarray(rows[name]) for name in kind._fields))


def totals(records: np.ndarray, kind: Any) -> Any:
    """The named tuple `kind` of floats of a one-row structured array."""
    return kind(*(float(records[name][0]) for name in kind._fields))


def columns(table: Any) -> np.ndarray:
    """A named tuple of per-day columns as one (days, columns) array, in field order."""
    return np.column_stack(tuple(table))
