"""The kernel's named inputs and outputs.

`kernel.simulate` takes one replicate's inputs as a few named tuples, one per pipeline stage
(each defined, with its builder `engine_input`, in its stage module under stages/), and
returns one named tuple of outputs whose daily tables are named per-column arrays. Numba
compiles named tuples (nested ones too) into plain structs, so passing them costs nothing at
run time, and every reader names the column it reads.

Inputs (`KernelInputs`, assembled by `runner.kernel_inputs`): the engine's own `Horizon`,
`Streams`, `FixedBookIns` and `Options`, and the stages' `BookInsInput`, `DetentionInput`,
`ArrestsInput`, `OfficerSupply`, `CasesInput`, `TransportInput`.

Outputs, as the runner hands them on: per reported day the engine's own `DayCounts` (the
contract's daily columns) and `DayVolumes` (time integrals and departure counts for costs
and constraints), and the stages' records (`ClassDayCounts`, `ArrestDayCounts`,
`OfficerHours`, `CaseDayCounts`, `CaseDayVolumes`, `ModeDayVolumes`); over the reported
horizon `Totals`, and the stages' `ClassTotals`, `CaseTotals`, `PathwayTotals`,
`ModeTotals`. The kernel fills structured arrays with the same field names (`Output`),
which the runner turns into these with `table` and `totals`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..stages.arrests import ArrestDayCounts, ArrestsInput
from ..stages.book_ins import BookInsInput, ClassDayCounts, ClassTotals
from ..stages.cases import CaseDayCounts, CaseDayVolumes, CasesInput, CaseTotals, PathwayTotals
from ..stages.detention import DetentionInput
from ..stages.officers import OfficerHours, OfficerSupply
from ..stages.transport import ModeDayVolumes, ModeTotals, TransportInput

__all__ = [
    "ArrestDayCounts",
    "ArrestsInput",
    "BookInsInput",
    "CaseDayCounts",
    "CaseDayVolumes",
    "CaseTotals",
    "CasesInput",
    "ClassDayCounts",
    "ClassTotals",
    "DayCounts",
    "DayVolumes",
    "DetentionInput",
    "FixedBookIns",
    "Horizon",
    "KernelInputs",
    "ModeDayVolumes",
    "ModeTotals",
    "OfficerHours",
    "OfficerSupply",
    "Options",
    "Output",
    "PathwayTotals",
    "Streams",
    "Totals",
    "TransportInput",
    "columns",
    "table",
    "totals",
]

# --------------------------------------------------------------------------------------------
# Inputs (the stages' own are defined in their modules)
# --------------------------------------------------------------------------------------------


class Horizon(NamedTuple):
    t_start: int  # -warmup_days
    days: int  # the reported horizon


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
    removal_at_decision: Any


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
    # Initial entries of each people container (heap, FIFOs, seat rows), grown by doubling.
    # The results do not depend on it; tests set 2 so that every growth path runs.
    capacity: int = 1024


class KernelInputs(NamedTuple):
    """`kernel.simulate`'s arguments, in order."""

    horizon: Horizon
    book_ins: BookInsInput
    detention: DetentionInput
    arrests: ArrestsInput
    officers: OfficerSupply
    cases: CasesInput
    transport: TransportInput
    streams: Streams
    fixed: FixedBookIns
    options: Options


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
